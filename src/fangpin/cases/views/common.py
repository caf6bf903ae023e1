"""What several case pages show: the working-day clock of a case and the household head of a row."""

import datetime

from django.db.models import Prefetch
from django.utils.translation import ngettext, gettext

from fangpin.core.areas import county_of
from fangpin.core.calendar import WorkCalendar
from fangpin.monitoring.choices import risk_labels
from fangpin.registry.choices import Relation
from fangpin.registry.models import Member

from ..procedure import stage_label
from ..workdays import county_calendar


PAGE_SIZE = 25


def user_calendar(user) -> WorkCalendar:
    if not getattr(user, "place_id", None):
        return county_calendar()
    return county_calendar(county_of(user.place))


def days_left(calendar: WorkCalendar, today: datetime.date, due: datetime.date) -> int:
    """Working days from today to `due`; negative once it has passed."""
    if due >= today:
        return calendar.between(today, due)
    return -calendar.between(due, today)


def clock_text(left: int) -> str:
    if left > 0:
        return ngettext("剩%(n)d个工作日", "剩%(n)d个工作日", left) % {"n": left}
    if left == 0:
        return gettext("今天到期")
    return ngettext("超期%(n)d个工作日", "超期%(n)d个工作日", -left) % {"n": -left}


def with_heads(queryset):
    heads = Member.objects.filter(relation=Relation.HEAD, ended_on__isnull=True)
    return queryset.select_related("household__place__parent__parent").prefetch_related(
        Prefetch("household__members", queryset=heads, to_attr="heads"))


def head_of(household):
    heads = getattr(household, "heads", None)
    if heads is None:
        return household.head
    return heads[0] if heads else None


def describe_case(case, user, calendar, today) -> None:
    """What a list row shows: head, stage name, both clocks, whether it waits for this user."""
    case.head = head_of(case.household)
    case.risk_labels = risk_labels(case.risk_types)
    if case.is_open:
        stage = case.stage
        case.stage_name = stage_label(stage)
        case.stage_left = days_left(calendar, today, case.stage_due_on)
        case.total_left = days_left(calendar, today, case.due_on)
        case.stage_clock = clock_text(case.stage_left)
        case.total_clock = clock_text(case.total_left)
        case.is_overdue = case.stage_left < 0 or case.total_left < 0 or case.stage_due_on < today \
            or case.due_on < today
        case.is_mine = user.has_perm_named(stage["perm"])
    else:
        case.stage_name = case.get_status_display()
        case.is_overdue = case.is_mine = False
