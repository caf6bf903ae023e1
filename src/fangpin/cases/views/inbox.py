"""The inbox (cases waiting, overdue, escalated, to confirm) and opening an identification case."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case as DbCase, F, IntegerField, Q, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.views.generic import FormView, TemplateView

from fangpin.core.errors import ServiceError
from fangpin.core.roles import Perm
from fangpin.core.views import AreaScopedMixin, PermissionRequiredMixin
from fangpin.monitoring.choices import DisasterSubtype, RiskType
from fangpin.monitoring.models import Lead, MonthlyListLine
from fangpin.registry.models import Household

from .. import daily, services
from ..choices import CaseKind, CaseStatus
from ..forms import CaseFilter, CaseOpenForm
from ..models import Case
from ..selectors import escalated_cases, escalation_scope, stage_q
from .common import PAGE_SIZE, describe_case, user_calendar, with_heads


class CaseListView(AreaScopedMixin, TemplateView):
    model = Case
    required_perm = Perm.VIEW_CASES
    filterset_class = CaseFilter
    template_name = "cases/case_list.html"

    def get_context_data(self, **kwargs):
        user, today = self.request.user, timezone.localdate()
        cases = self.get_queryset()
        search = CaseFilter(self.request.GET or None, queryset=cases, request=self.request)
        found = search.qs
        escalated = escalated_cases(user, cases, today)
        scope = escalation_scope(user)
        tab = "escalated" if self.request.GET.get("tab") == "escalated" else "inbox"
        if tab == "escalated":
            found = found.filter(pk__in=escalated.values("pk"))
        mine = stage_q(found.filter(status=CaseStatus.OPEN),
                       lambda s: user.has_perm_named(s["perm"])) & Q(status=CaseStatus.OPEN)
        ordered = found.annotate(mine_first=DbCase(When(mine, then=Value(0)), default=Value(1),
                                                  output_field=IntegerField())).order_by(
            "mine_first", F("stage_due_on").asc(), "pk")
        page = Paginator(with_heads(ordered), PAGE_SIZE).get_page(self.request.GET.get("page"))
        calendar = user_calendar(user)
        for case in page.object_list:
            describe_case(case, user, calendar, today)
        query = self.request.GET.copy()
        query.pop("page", None)
        open_cases = cases.filter(status=CaseStatus.OPEN)
        return {**super().get_context_data(**kwargs), "filter": search, "page_obj": page,
                "query": query.urlencode(), "tab": tab, "tab_query": _without(query, "tab"),
                "mine_count": open_cases.filter(stage_q(open_cases, lambda s: user.has_perm_named(s["perm"]))).count(),
                "open_count": open_cases.count(),
                "overdue_count": daily.overdue_cases(cases, today=today).count(),
                "escalated_count": escalated.count(),
                "escalated_label": scope.label, "escalated_description": scope.description,
                "calendar_warnings": calendar.warnings,
                "to_confirm": list(services.confirmations_waiting_for(user)[:20]),
                "can_open": user.has_perm_named(Perm.OPEN_CASE)}


def _without(query, name: str) -> str:
    query = query.copy()
    query.pop(name, None)
    return query.urlencode()



def _pk(value):
    if value in (None, ""):
        return None
    if not str(value).isdigit():
        raise Http404
    return int(value)


class CaseOpenView(PermissionRequiredMixin, FormView):
    """Open an identification case from an accepted lead (`?lead=`), a monthly-list line (`?line=`) or
    a household (`?household=`), or for a household named by its number."""

    required_perm = Perm.OPEN_CASE
    template_name = "cases/case_open.html"

    @cached_property
    def source(self) -> dict:
        user, params = self.request.user, self.request.GET
        lead_pk, line_pk, household_pk = _pk(params.get("lead")), _pk(params.get("line")), _pk(params.get("household"))
        if lead_pk:
            lead = get_object_or_404(Lead.objects.restrict(user).select_related("household__place"), pk=lead_pk)
            return {"lead": lead, "household": lead.household}
        if line_pk:
            line = get_object_or_404(MonthlyListLine.objects.restrict(user).select_related("household__place"),
                                     pk=line_pk)
            return {"line": line, "household": line.household}
        if household_pk:
            household = get_object_or_404(Household.objects.restrict(user, Perm.OPEN_CASE).select_related("place"),
                                          pk=household_pk)
            return {"household": household}
        return {}

    def get_form(self, form_class=None):
        return CaseOpenForm(**self.get_form_kwargs(), source_given=bool(self.source))

    def get_initial(self):
        lead, line = self.source.get("lead"), self.source.get("line")
        if lead is not None:
            risks = [r for r in lead.risk_types if r in RiskType.values][:5]
            return {"risk_types": risks, "summary": lead.summary[:500],
                    "disaster_subtype": lead.disaster_subtype if lead.disaster_subtype in DisasterSubtype.values else ""}
        if line is not None:
            texts = [r.get("text", "") if isinstance(r, dict) else str(r) for r in line.reasons or []]
            return {"summary": "；".join(t for t in texts if t)[:500]}
        return {}

    def form_valid(self, form):
        data, user = form.cleaned_data, self.request.user
        household = self.source.get("household")
        if household is None and self.source.get("lead") is not None:
            form.add_error(None, gettext("该线索尚未对应到农户，请先核实农户身份。"))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        if household is None:
            number = (data.get("household_number") or "").strip()
            if not number:
                form.add_error("household_number", gettext("请填写户编号。"))
                return self.render_to_response(self.get_context_data(form=form), status=400)
            household = Household.objects.restrict(user, Perm.OPEN_CASE).filter(number=number).first()
            if household is None:
                form.add_error("household_number", gettext("在您的辖区内没有户编号为%(n)s的农户。") % {"n": number})
                return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            case = services.case_open_identification(
                actor=user, household=household, category=data["category"], risk_types=data["risk_types"],
                disaster_subtype=data["disaster_subtype"], summary=data["summary"], lead=self.source.get("lead"),
                monthly_line=self.source.get("line"), green_channel=data["green_channel"],
                green_channel_reason=data["green_channel_reason"])
        except ServiceError as error:
            form.add_service_error(error)
            return self.render_to_response(self.get_context_data(form=form), status=error.status)
        messages.success(self.request, gettext("已发起识别认定%(n)s。") % {"n": case.number})
        return redirect("cases:case-detail", pk=case.pk)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_context_data(self, **kwargs):
        household = self.source.get("household")
        context = {"source": self.source, "household": household,
                   "head": household.head if household is not None else None}
        if household is not None:
            context["open_case"] = household.cases.filter(kind=CaseKind.IDENTIFICATION,
                                                       status=CaseStatus.OPEN).first()
            context["monitoring"] = services.current_monitoring(household)
        return {**super().get_context_data(**kwargs), **context}
