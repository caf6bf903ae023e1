"""Read-only questions about a household's assistance, used by these pages and by the cases app
(elimination checks, overdue lists). Keep the names: other apps import them.

Assistance sits before `cases` in the import order: the procedure imports these questions, and the one
thing assistance asks about a case (is the household on the green channel?) goes through the household's
`cases` relation, not through an import of the cases app."""

import datetime

from dateutil.relativedelta import relativedelta
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from fangpin.monitoring.models import Monitoring
from fangpin.registry import conditions

from .choices import IN_PLACE_STATUSES, MeasureStatus
from .models import Measure

# A measure must be in place within this long of the household's confirmation (DOMAIN §6).
MEASURE_WITHIN = relativedelta(months=1)


def household_has_labour(household, on: datetime.date | None = None) -> bool:
    """Some member in the household on `on` is labour (`conditions.ABLE_TO_WORK_MEMBER`: skilled,
    ordinary or weak capacity, aged 16-64)."""
    on = on or timezone.localdate()
    return bool(conditions.members_meeting(conditions.ABLE_TO_WORK_MEMBER, household.members.all(), on))


def current_monitoring(household):
    """The household's current monitoring period (monitoring.Monitoring with status monitored), or None."""
    return Monitoring.objects.unrestricted().filter(household=household, status="monitored").order_by("-identified_on").first()


def green_channel_case(household):
    """An open identification case that took the green channel (assist first, paperwork after)."""
    return household.cases.filter(kind="identification", status="open", green_channel=True).first()


def measures_in_place(household, on: datetime.date | None = None) -> QuerySet:
    """Measures being carried out or done, started on or before `on` (today)."""
    on = on or timezone.localdate()
    return Measure.objects.unrestricted().filter(household=household).in_place(on)


def monitorings_without_measure(queryset, today: datetime.date | None = None) -> QuerySet:
    """Current monitorings confirmed more than a month ago whose household has no measure in place
    during the monitoring period (in progress or done, started by today, not ended before the
    household was identified)."""
    today = today or timezone.localdate()
    in_place = Measure.objects.unrestricted().filter(
        household=OuterRef("household"), status__in=IN_PLACE_STATUSES, starts_on__lte=today,
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=OuterRef("identified_on")))
    return (queryset.filter(status="monitored", identified_on__lt=today - MEASURE_WITHIN)
            .exclude(Exists(in_place)))


def measures_running_after_elimination(household, on: datetime.date | None = None) -> QuerySet:
    """Measures that run on after the risk is eliminated (micro-credit to term, a welfare post to the
    end of its contract, grants to the end of the school stage) and have not ended."""
    on = on or timezone.localdate()
    return (Measure.objects.unrestricted().filter(household=household, runs_after_elimination=True,
                                   status__in=(MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS))
            .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on)))


def household_risk_types(household) -> list[str]:
    """Risk types the plan must answer: the current monitoring's, else the green-channel case's."""
    monitoring = current_monitoring(household)
    if monitoring is not None:
        return list(monitoring.risk_types or [])
    case = green_channel_case(household)
    return list(case.risk_types or []) if case is not None else []
