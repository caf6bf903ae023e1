"""One filter set per register, shared by its list page, its API and its export."""

import datetime

import django_filters
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangpin.core.periods import add_months
from fangpin.core.registers import RegisterFilter, in_place

from .models import (
    EnterprisePairing,
    IndustryProject,
    MicroCredit,
    ProjectCategory,
    TrainingCourse,
    WelfarePost,
    Workshop,
)

PLACE_HELP = _("区划代码，含其下各级")


def latest_issue_overdue(on: datetime.date, months: int) -> datetime.date:
    """The last issue date at which a loan of `months` months is due before `on` (month ends clamp:
    31 January + 1 month is the end of February, so the answer is found day by day near the edge)."""
    day = add_months(on, -months)
    while add_months(day, months) >= on:
        day -= datetime.timedelta(days=1)
    while add_months(day + datetime.timedelta(days=1), months) < on:
        day += datetime.timedelta(days=1)
    return day


def overdue_loans(queryset, on: datetime.date | None = None):
    """Loans past their due date (issue date plus term in calendar months) with principal still
    owed, as a database filter: one condition per loan term in use, no loan read into Python."""
    on = on or timezone.localdate()
    terms = sorted(set(queryset.order_by().values_list("term_months", flat=True)))
    due_before = Q(pk__in=[])
    for months in terms:
        due_before |= Q(term_months=months, issued_on__lte=latest_issue_overdue(on, months))
    return queryset.with_repaid().filter(due_before, amount__gt=F("repaid_total"))


class PlaceFilter(RegisterFilter):
    place = django_filters.CharFilter(label=_("区划代码"), method="filter_place", help_text=PLACE_HELP)
    place_field = "place__code"

    def filter_place(self, queryset, name, value):
        return in_place(queryset, self.place_field, value)


class WorkshopFilter(PlaceFilter):
    search_fields = ("name", "operator", "products")
    running = django_filters.ChoiceFilter(label=_("经营状态"), method="filter_running", empty_label=_("全部"),
                                          choices=[("1", _("在办")), ("0", _("已停办"))])

    class Meta:
        model = Workshop
        fields = ["q", "place", "running"]

    def filter_running(self, queryset, name, value):
        return queryset.filter(closed_on__isnull=value == "1")


class WelfarePostFilter(PlaceFilter):
    search_fields = ("post_name", "holder__name", "household__number")
    current = django_filters.ChoiceFilter(label=_("合同状态"), method="filter_current", empty_label=_("全部"),
                                          choices=[("1", _("在岗")), ("0", _("已到期"))])

    class Meta:
        model = WelfarePost
        fields = ["q", "place", "current"]

    def filter_current(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.filter(ends_on__gte=today) if value == "1" else queryset.filter(ends_on__lt=today)


class TrainingCourseFilter(PlaceFilter):
    search_fields = ("name", "organiser", "skill")

    class Meta:
        model = TrainingCourse
        fields = ["q", "place"]


class MicroCreditFilter(PlaceFilter):
    search_fields = ("borrower__name", "household__number", "lender")
    place_field = "household__place__code"
    overdue = django_filters.ChoiceFilter(label=_("还款状态"), method="filter_overdue", empty_label=_("全部"),
                                          choices=[("1", _("逾期"))])

    class Meta:
        model = MicroCredit
        fields = ["q", "place", "overdue"]

    def filter_overdue(self, queryset, name, value):
        return overdue_loans(queryset)


class IndustryProjectFilter(PlaceFilter):
    search_fields = ("name", "description")
    category = django_filters.ChoiceFilter(label=_("项目类别"), choices=ProjectCategory.choices, empty_label=_("全部类别"))
    open = django_filters.ChoiceFilter(label=_("选择状态"), method="filter_open", empty_label=_("全部"),
                                       choices=[("1", _("开放选择")), ("0", _("已停止选择"))])

    class Meta:
        model = IndustryProject
        fields = ["q", "place", "category", "open"]

    def filter_open(self, queryset, name, value):
        return queryset.filter(open=value == "1")


class EnterprisePairingFilter(PlaceFilter):
    search_fields = ("enterprise", "household__number", "content")
    place_field = "household__place__code"
    ongoing = django_filters.ChoiceFilter(label=_("结对状态"), method="filter_ongoing", empty_label=_("全部"),
                                          choices=[("1", _("结对中")), ("0", _("已结束"))])

    class Meta:
        model = EnterprisePairing
        fields = ["q", "place", "ongoing"]

    def filter_ongoing(self, queryset, name, value):
        return queryset.filter(ended_on__isnull=value == "1")
