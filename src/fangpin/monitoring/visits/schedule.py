"""The visit schedule: how often each risk tier is visited (the county's VisitPolicy in force) and
which households are due. Everything is a condition the database evaluates over all households at
once; only the rows a page shows get their due date worked out in Python."""

import datetime
from functools import reduce
from operator import or_

from django.db.models import DateField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from fangpin.regions.models import Level, Place
from fangpin.registry.choices import HouseholdStatus

from ..choices import RiskTier
from ..models import Visit, VisitPolicy


def policy_in_force(county: Place, on: datetime.date | None = None) -> VisitPolicy:
    """The county's policy in force on `on`; the national-practice defaults (unsaved, version 0)
    when the county has not set one."""
    on = on or timezone.localdate()
    policy = VisitPolicy.objects.in_force(county, on)
    return policy or VisitPolicy(county=county, version=0, effective_from=on)


def counties_in(prefix: str) -> list[Place]:
    """Counties a user's area touches: place codes share their county's first six digits."""
    return list(Place.objects.unrestricted().filter(level=Level.COUNTY, code__startswith=prefix[:6]))


def policies_for(prefix: str, on: datetime.date | None = None) -> dict[int, VisitPolicy]:
    return {county.pk: policy_in_force(county, on) for county in counties_in(prefix)}


def with_schedule(households: QuerySet) -> QuerySet:
    """Active households annotated with `last_visited_on`, `schedule_from` (the last visit, or the
    day the household was registered when it was never visited) and `risk_tier` (general when no
    tier has been computed yet)."""
    last = Visit.objects.filter(household=OuterRef("pk")).order_by("-visited_on").values("visited_on")[:1]
    return (households.filter(status=HouseholdStatus.ACTIVE)
            .annotate(last_visited_on=Subquery(last, output_field=DateField()))
            .annotate(schedule_from=Coalesce("last_visited_on", TruncDate("created_at"), output_field=DateField()),
                      risk_tier=Coalesce("tier__risk_tier", Value(RiskTier.GENERAL))))


def _condition(policies: dict[int, VisitPolicy], on: datetime.date, lookup: str) -> Q:
    parts = [Q(county_id=county_id, risk_tier=tier,
               **{f"schedule_from__{lookup}": on - datetime.timedelta(days=policy.interval_days(tier))})
             for county_id, policy in policies.items() for tier in RiskTier.values]
    return reduce(or_, parts, Q(pk__in=[]))


def due(households: QuerySet, policies: dict[int, VisitPolicy], on: datetime.date) -> QuerySet:
    """Households whose next visit falls on `on` or earlier."""
    return with_schedule(households).filter(_condition(policies, on, "lte"))


def overdue(households: QuerySet, policies: dict[int, VisitPolicy], on: datetime.date) -> QuerySet:
    """Households whose next visit fell before `on`."""
    return with_schedule(households).filter(_condition(policies, on, "lt"))


def attach_due_dates(rows, policies: dict[int, VisitPolicy], on: datetime.date) -> list:
    """Give each row (annotated by `with_schedule`) `next_due` and `days_overdue` (0 when due today,
    negative when not yet due)."""
    rows = list(rows)
    for row in rows:
        policy = policies.get(row.county_id) or VisitPolicy()
        row.interval_days = policy.interval_days(row.risk_tier)
        row.next_due = row.schedule_from + datetime.timedelta(days=row.interval_days)
        row.days_overdue = (on - row.next_due).days
    return rows


def next_visit_due(household, on: datetime.date | None = None):
    """(risk tier, next due date, last visit date) of one household."""
    on = on or timezone.localdate()
    row = with_schedule(type(household).objects.unrestricted().filter(pk=household.pk)).first()
    if row is None:
        return None
    policy = policy_in_force(household.county, on)
    attach_due_dates([row], {household.county_id: policy}, on)
    return row
