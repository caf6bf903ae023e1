"""Registry pages. A view parses input, checks a named permission, reads through the area-restricted
queryset or calls a service from services.py, and renders; it holds no business rules."""

from django.contrib import messages
from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext, gettext_lazy as _, pgettext_lazy
from django.views import View
from django.views.generic import DetailView, FormView, TemplateView

from fangpin.core.errors import ServiceError
from fangpin.core.masking import mask_id_number, mask_phone
from fangpin.core.models import ChangeLog
from fangpin.core.roles import Perm
from fangpin.core.views import AreaScopedMixin, describe_changes, display_value, page_of, unmask_response

from . import quality, services
from .choices import HouseholdStatus, HouseholdType, Relation
from .filters import HouseholdFilter, HouseholdSearchFilter
from .forms import (
    DataQualityForm,
    DissolveForm,
    HouseholdForm,
    IncomeEditForm,
    IncomeForm,
    MemberEditForm,
    MemberEndForm,
    MemberForm,
    UnmaskForm,
)
from .models import Household, Income, Member

PAGE_SIZE = 25
HISTORY_ROWS = 50
HOUSEHOLD_SECTIONS = [
    (_("基本信息"), ["number", "place", "address", "phone", "household_type", "exit_year", "status", "ended_on",
                 "merged_into", "relocated", "relocation_site"]),
    (_("住房与饮水"), ["house_grade", "house_area", "water_safe", "water_quantity_ok", "water_quality_ok",
                  "water_convenient_ok", "water_supply_ok"]),
    (_("土地与产业"), ["cultivated_land_mu", "forest_land_mu", "cooperative_member", "industries"]),
    (_("帮扶责任人与网格员"), ["helper", "grid_worker"]),
]


def household_rows(households):
    """Households with what a result table shows (head, size, village, latest yearly income) in a
    fixed number of queries however many rows there are."""
    size = (Member.objects.filter(household=OuterRef("pk"), ended_on__isnull=True).order_by()
            .values("household").annotate(n=Count("pk")).values("n"))
    latest_income = Income.objects.filter(quarter__isnull=True).with_member_count().order_by("-year")[:1]
    return (households.select_related("place__parent")
            .annotate(member_total=Coalesce(Subquery(size, output_field=IntegerField()), 0))
            .prefetch_related(
                Prefetch("members", queryset=Member.objects.filter(ended_on__isnull=True, relation=Relation.HEAD),
                         to_attr="heads"),
                Prefetch("incomes", queryset=latest_income, to_attr="latest_incomes"),
            ))


def household_facts(household: Household):
    """(section title, [(field name, label, value as shown)]) for the household page."""
    def fact(name):
        field = Household._meta.get_field(name)
        return name, field.verbose_name, display_value(field, getattr(household, name))
    return [(title, [fact(name) for name in names]) for title, names in HOUSEHOLD_SECTIONS]


def paginate(request, queryset):
    page, query = page_of(request, queryset, PAGE_SIZE)
    for household in page.object_list:
        household.head_member = household.heads[0] if household.heads else None
        household.head_id_masked = mask_id_number(household.head_member.id_number) if household.head_member else ""
        household.latest_income = household.latest_incomes[0] if household.latest_incomes else None
    return page, query


class HouseholdListView(AreaScopedMixin, TemplateView):
    model = Household
    required_perm = Perm.VIEW_REGISTRY

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return ["registry/_household_results.html"]
        return ["registry/household_list.html"]

    def get_context_data(self, **kwargs):
        search = HouseholdSearchFilter(self.request.GET or None, queryset=self.get_queryset(), request=self.request)
        page, query = paginate(self.request, household_rows(search.qs))
        return {**super().get_context_data(**kwargs), "filter": search, "page_obj": page, "query": query,
                "searched": bool(self.request.GET.dict().keys() - {"page"})}


class AreaSummaryView(AreaScopedMixin, TemplateView):
    """The user's area in four numbers; loaded after the search page so the page itself stays fast."""

    model = Household
    required_perm = Perm.VIEW_REGISTRY
    template_name = "registry/_area_summary.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        households = self.get_queryset()
        active = households.filter(status=HouseholdStatus.ACTIVE)
        summary = active.aggregate(households=Count("pk"),
                                   exited=Count("pk", filter=Q(household_type=HouseholdType.EXITED)))
        # Members of the area's households as an IN list: ten times faster than joining every member to its place.
        summary["people"] = Member.objects.unrestricted().active().filter(household__in=active.values("pk")).count()
        if user.has_perm_named(Perm.VIEW_DATA_QUALITY):
            summary["warnings"] = quality.flagged_by_any(households).count()
        return {**super().get_context_data(**kwargs), "summary": summary, "area": user.place}


class HouseholdDetailView(AreaScopedMixin, DetailView):
    model = Household
    required_perm = Perm.VIEW_REGISTRY
    template_name = "registry/household_detail.html"
    context_object_name = "household"

    def get_queryset(self):
        return super().get_queryset().select_related(
            "place__parent__parent__parent", "helper__place", "grid_worker__place", "merged_into")

    def get_context_data(self, **kwargs):
        user, household, today = self.request.user, self.object, timezone.localdate()
        members = list(household.members.order_by(
            Case(When(relation=Relation.HEAD, then=Value(0)), default=Value(1)), "id"))
        for member in members:
            member.age = member.age_on(member.ended_on or today)
            member.id_masked = mask_id_number(member.id_number)
        incomes = household.incomes.with_member_count().order_by("-year", "quarter")
        context = {
            "sections": household_facts(household),
            "head": next((m for m in members if m.is_active and m.relation == Relation.HEAD), None),
            "members": [m for m in members if m.is_active],
            "ended_members": [m for m in members if not m.is_active],
            "incomes": incomes,
            "phone_masked": mask_phone(household.phone),
            "can_edit": user.has_perm_named(Perm.EDIT_REGISTRY) and household.is_active,
            "can_unmask_id": user.has_perm_named(Perm.UNMASK_ID_NUMBER),
            "can_unmask_phone": user.has_perm_named(Perm.UNMASK_PHONE),
            "monitoring": household.monitorings.filter(status="monitored").first(),
        }
        if user.has_perm_named(Perm.VIEW_DATA_QUALITY):
            context["warnings"] = quality.warnings_for(household)
        if user.has_perm_named(Perm.VIEW_CHANGE_LOG):
            history = list(ChangeLog.objects.restrict(user, Perm.VIEW_CHANGE_LOG)
                           .filter(household_id=household.pk).select_related("actor")[:HISTORY_ROWS + 1])
            describe_changes(history[:HISTORY_ROWS])
            context.update(history=history[:HISTORY_ROWS], history_more=len(history) > HISTORY_ROWS)
        return {**super().get_context_data(**kwargs), **context}


class UnmaskView(AreaScopedMixin, View):
    """Shows one full ID number or phone to a role that holds the permission, for a reason that goes
    to the access log with the reading."""

    model = Household
    required_perm = Perm.VIEW_REGISTRY
    http_method_names = ["post"]

    def post(self, request, pk):
        household = get_object_or_404(self.get_queryset().select_related("place"), pk=pk)
        form = UnmaskForm(request.POST)
        if not form.is_valid():
            raise Http404
        kind = form.cleaned_data["field"]
        if kind == "phone":
            value, target, member_id = household.phone, household, ""
        else:
            target = get_object_or_404(household.members, pk=form.cleaned_data["member"] or 0)
            value, member_id = target.id_number, target.pk
        if not value:
            raise Http404
        return unmask_response(
            request, kind=kind, value=value, area_code=household.area_code,
            target=f"{target._meta.label_lower}:{target.pk} {target}",
            detail={"field": kind, "household_id": household.pk},
            hidden={"field": kind, "member": member_id})


# ---------------------------------------------------------------- edit pages


class ServiceFormView(AreaScopedMixin, FormView):
    """An edit page: the form parses, a service writes, and a service error is shown next to the
    field it names (or above the form). Success returns to the household page."""

    model = Household
    required_perm = Perm.EDIT_REGISTRY
    template_name = "registry/form.html"
    title = ""
    submit_label = _("保存")
    success_message = _("已保存。")
    anchor = ""

    @cached_property
    def object(self):
        related = "county" if self.model is Household else "household__county"
        return get_object_or_404(self.get_queryset().select_related(related), pk=self.kwargs["pk"])

    @property
    def household(self) -> Household:
        return self.object if self.model is Household else self.object.household

    def form_valid(self, form):
        try:
            self.perform(form)
        except ServiceError as error:
            form.add_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(reverse("household-detail", args=[self.household.pk]) + (f"#{self.anchor}" if self.anchor else ""))

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "title": self.title, "household": self.household,
                "submit_label": self.submit_label, "subject": self.subject()}

    def subject(self) -> str:
        return ""


class HouseholdEditView(ServiceFormView):
    form_class = HouseholdForm
    title = _("修改农户信息")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.object, "user": self.request.user}

    def perform(self, form):
        services.household_update(actor=self.request.user, household=self.object,
                                  version=form.cleaned_data["version"], reason=form.cleaned_data["reason"],
                                  **form.service_fields())


class HouseholdDissolveView(ServiceFormView):
    form_class = DissolveForm
    title = pgettext_lazy("action", "销户")
    submit_label = _("确认销户")
    success_message = _("已销户，历史记录已保留。")

    def perform(self, form):
        services.household_dissolve(actor=self.request.user, household=self.object, **form.cleaned_data)


class MemberAddView(ServiceFormView):
    form_class = MemberForm
    title = _("添加家庭成员")
    success_message = _("已添加成员。")
    anchor = "members"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": Member(household=self.object)}

    def perform(self, form):
        services.member_add(actor=self.request.user, household=self.object, **form.service_fields())


class MemberEditView(ServiceFormView):
    model = Member
    form_class = MemberEditForm
    title = _("修改成员信息")
    anchor = "members"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.object}

    def perform(self, form):
        services.member_update(actor=self.request.user, member=self.object, version=form.cleaned_data["version"],
                               reason=form.cleaned_data["reason"], **form.service_fields())

    def subject(self):
        return self.object.name


class MemberEndView(ServiceFormView):
    model = Member
    form_class = MemberEndForm
    title = _("成员离户（迁出或死亡）")
    submit_label = _("确认离户")
    success_message = _("已办理离户，历史记录已保留。")
    anchor = "members"

    def perform(self, form):
        services.member_end(actor=self.request.user, member=self.object, **form.cleaned_data)

    def subject(self):
        return self.object.name


class IncomeAddView(ServiceFormView):
    form_class = IncomeForm
    title = _("录入收支")
    anchor = "incomes"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "household": self.object}

    def perform(self, form):
        services.income_set(actor=self.request.user, household=self.object, **form.service_fields())


class IncomeEditView(ServiceFormView):
    model = Income
    form_class = IncomeEditForm
    title = _("修改收支")
    anchor = "incomes"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "income": self.object}

    def perform(self, form):
        income = self.object
        services.income_set(actor=self.request.user, household=income.household, year=income.year,
                            quarter=income.quarter, version=form.cleaned_data["version"],
                            reason=form.cleaned_data["reason"], **form.service_fields())

    def subject(self):
        income = self.object
        return f"{income.year}" + (_("第%(q)s季度") % {"q": income.quarter} if income.quarter else "")


# ---------------------------------------------------------------- data quality


class DataQualityView(AreaScopedMixin, TemplateView):
    model = Household
    required_perm = Perm.VIEW_DATA_QUALITY
    template_name = "registry/data_quality.html"

    def get_context_data(self, **kwargs):
        check = quality.Check.now()
        form = DataQualityForm(self.request.GET, user=self.request.user, check=check)
        chosen = form.cleaned_data if form.is_valid() else {}
        households = self.get_queryset()
        if chosen.get("place"):
            households = HouseholdFilter({"place": chosen["place"]}, queryset=households).qs
        found = quality.counts(households, check)
        rows = [{"rule": r, "message": r.describe(check), "count": found[r.code]} for r in quality.RULES]
        context = {"form": form, "rows": rows, "check": check, "chosen_rule": chosen.get("rule", "")}
        if chosen.get("rule"):
            # A list only once asked for: listing every flagged household costs as much as the counts.
            rule = quality.RULES_BY_CODE.get(chosen["rule"])
            flagged = quality.flagged(households, rule, check) if rule else quality.flagged_by_any(households, check)
            page, query = paginate(self.request, household_rows(flagged))
            context.update(page_obj=page, query=query,
                           list_title=rule.describe(check) if rule else gettext("触发任一规则的农户"))
        return {**super().get_context_data(**kwargs), **context}
