"""One filter set per register, shared by its list page, its API and its export."""

import datetime

import django_filters
from django import forms
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

PLACE_HELP = _("区划代码（含下级）")


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


def running_workshops():
    return Q(closed_on__isnull=True)


def posts_in_contract():
    return Q(ends_on__gte=timezone.localdate())


def open_projects():
    return Q(open=True)


def ongoing_pairings():
    return Q(ended_on__isnull=True)


def state_filter(label, running_label, ended_label, running):
    """A filter between the rows still running (`running()` gives their Q) and the others."""
    return django_filters.ChoiceFilter(
        label=label, empty_label=_("全部"), choices=[("1", running_label), ("0", ended_label)],
        method=lambda queryset, name, value: queryset.filter(running()) if value == "1" else queryset.exclude(running()))


class PlaceFilter(RegisterFilter):
    place = django_filters.CharFilter(label=_("区划代码"), method="filter_place", widget=forms.TextInput(
        attrs={"placeholder": PLACE_HELP, "inputmode": "numeric", "class": "form-control w-auto"}))
    place_field = "place__code"

    def filter_place(self, queryset, name, value):
        return in_place(queryset, self.place_field, value)


class WorkshopFilter(PlaceFilter):
    search_fields = ("name", "operator", "products")
    running = state_filter(_("经营状态"), _("在办"), _("已停办"), running_workshops)

    class Meta:
        model, fields = Workshop, ["q", "place", "running"]


class WelfarePostFilter(PlaceFilter):
    search_fields = ("post_name", "holder__name", "household__number")
    current = state_filter(_("合同状态"), _("在岗"), _("已到期"), posts_in_contract)

    class Meta:
        model, fields = WelfarePost, ["q", "place", "current"]


class TrainingCourseFilter(PlaceFilter):
    search_fields = ("name", "organiser", "skill")

    class Meta:
        model, fields = TrainingCourse, ["q", "place"]


class MicroCreditFilter(PlaceFilter):
    search_fields, place_field = ("borrower__name", "household__number", "lender"), "household__place__code"
    overdue = django_filters.ChoiceFilter(label=_("还款状态"), empty_label=_("全部"), choices=[("1", _("逾期"))],
                                          method=lambda queryset, name, value: overdue_loans(queryset))

    class Meta:
        model, fields = MicroCredit, ["q", "place", "overdue"]


class IndustryProjectFilter(PlaceFilter):
    search_fields = ("name", "description")
    category = django_filters.ChoiceFilter(label=_("项目类别"), choices=ProjectCategory.choices, empty_label=_("全部类别"))
    open = state_filter(_("选择状态"), _("开放选择"), _("已停止选择"), open_projects)

    class Meta:
        model, fields = IndustryProject, ["q", "place", "category", "open"]


class EnterprisePairingFilter(PlaceFilter):
    search_fields, place_field = ("enterprise", "household__number", "content"), "household__place__code"
    ongoing = state_filter(_("结对状态"), _("结对中"), _("已结束"), ongoing_pairings)

    class Meta:
        model, fields = EnterprisePairing, ["q", "place", "ongoing"]
