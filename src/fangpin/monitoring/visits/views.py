"""Visit pages: the field worker's to-do list, the monitoring-card form, a visit, overdue visits,
cadre sweeps and the visit policy. Views parse input, read through area-restricted querysets and
call the services; the rules live in services.py, schedule.py and card.py."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, TemplateView

from fangpin.core.areas import county_of
from fangpin.core.errors import ServiceError
from fangpin.core.periods import parse_period
from fangpin.core.roles import Perm
from fangpin.core.views import AreaScopedMixin, PermissionRequiredMixin, page_of
from fangpin.regions.models import Level, Place
from fangpin.registry.choices import Relation
from fangpin.registry.models import Household

from ..choices import OPEN_LEAD_STATUSES, RiskTier, RiskType
from ..models import Lead, SweepChecklist, SweepGroup, SweepItem, Visit, VisitPolicy
from . import card as cards, queries, schedule, services
from .forms import VisitCardForm, VisitPolicyForm

PAGE_SIZE = 30


class TodoView(PermissionRequiredMixin, TemplateView):
    """A field worker's day in one list: visits due, new leads, households to sweep."""

    required_perm = Perm.RECORD_VISIT
    template_name = "monitoring/visits/todo.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        return {**super().get_context_data(**kwargs), "todo": queries.todo_for(self.request.user, today),
                "today": today}


class VisitNewView(AreaScopedMixin, TemplateView):
    """The monitoring card for one household, prefilled; the visitor records what changed."""

    model = Household
    required_perm = Perm.RECORD_VISIT
    template_name = "monitoring/visits/visit_form.html"

    @cached_property
    def household(self) -> Household:
        return get_object_or_404(self.get_queryset().select_related("place__parent", "county", "helper"),
                                 pk=self.kwargs["pk"])

    @cached_property
    def last_visit(self):
        return self.household.visits.select_related("visitor").order_by("-visited_on", "-id").first()

    @cached_property
    def sweep_item(self):
        item_id = self.request.POST.get("sweep_item") or self.request.GET.get("sweep_item")
        if not str(item_id or "").isdigit():
            return None
        return SweepItem.objects.restrict(self.request.user, Perm.RECORD_VISIT).filter(
            pk=int(item_id), household=self.household).first()

    def get_form(self):
        card = cards.build_card(self.household, last_card=self.last_visit.card if self.last_visit else None)
        initial = {"sweep_item": self.sweep_item.pk if self.sweep_item else None,
                   "risk_found": self.request.GET.get("risk") == "1"}
        data = self.request.POST if self.request.method == "POST" else None
        return VisitCardForm(data, card=card, initial=initial)

    def get_context_data(self, **kwargs):
        household = self.household
        row = schedule.next_visit_due(household)
        return {**super().get_context_data(**kwargs), "form": kwargs.get("form") or self.get_form(),
                "household": household, "head": household.members.filter(
                    relation=Relation.HEAD, ended_on__isnull=True).first(),
                "last_visit": self.last_visit, "schedule": row, "tier_label": RiskTier(row.risk_tier).label if row else "",
                "sweep_item": self.sweep_item,
                "off_assignment": self.request.user.pk not in (household.helper_id, household.grid_worker_id)}

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        wants_json = "application/json" in request.headers.get("Accept", "")
        if form.is_valid():
            data = form.cleaned_data
            try:
                visit = services.visit_record(
                    actor=request.user, household=self.household, visited_on=data["visited_on"],
                    changes=form.changes(), risk_types=form.risks(), note=data["note"],
                    seconds_spent=data["seconds_spent"], visit_key=data["visit_key"],
                    disaster_subtype=data["disaster_subtype"] if form.risks() else "",
                    kind=Visit.Kind.CADRE_SWEEP if self.sweep_item else Visit.Kind.HELPER_VISIT,
                    sweep_item=self.sweep_item)
            except ServiceError as error:
                form.add_service_error(error)
            else:
                url = reverse("visit-detail", args=[visit.pk])
                if wants_json:
                    return JsonResponse({"ok": True, "url": url, "visit": visit.pk})
                messages.success(request, _("走访已登记。") + (_("已生成风险线索。") if visit.lead_id else ""))
                return redirect(url)
        if wants_json:
            return JsonResponse({"ok": False, "errors": form.errors.get_json_data()}, status=400)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class VisitPanelView(AreaScopedMixin, TemplateView):
    """The household page's visits panel: tier, next visit due, last visits and open leads."""

    model = Household
    required_perm = Perm.VIEW_REGISTRY
    template_name = "monitoring/visits/_household_panel_body.html"
    last_visits = 5

    def get_context_data(self, **kwargs):
        user = self.request.user
        household = get_object_or_404(self.get_queryset().select_related("county"), pk=self.kwargs["pk"])
        visits = list(Visit.objects.restrict(user, Perm.VIEW_REGISTRY).filter(household=household)
                      .select_related("visitor").order_by("-visited_on", "-id")[:self.last_visits])
        for visit in visits:
            visit.change_lines = cards.describe_changes(visit.changes)
        risk_labels = dict(RiskType.choices)
        leads = list(Lead.objects.restrict(user, Perm.VIEW_LEADS).filter(household=household,
                                                                       status__in=OPEN_LEAD_STATUSES))
        for lead in leads:
            lead.risk_labels = [risk_labels.get(r, r) for r in lead.risk_types]
        row = schedule.next_visit_due(household) if household.is_active else None
        return {**super().get_context_data(**kwargs), "household": household, "visits": visits, "leads": leads,
                "schedule": row, "tier_label": RiskTier(row.risk_tier).label if row else ""}


class VisitDetailView(AreaScopedMixin, DetailView):
    model = Visit
    required_perm = Perm.VIEW_REGISTRY
    template_name = "monitoring/visits/visit_detail.html"
    context_object_name = "visit"

    def get_queryset(self):
        return super().get_queryset().select_related("household__place", "visitor", "lead")

    def get_context_data(self, **kwargs):
        visit = self.object
        items = []
        for item in cards.ITEMS:
            values = visit.card.get("items", {}).get(item.code)
            if values is not None:
                items.append((item.label, cards.summarise_item(item, values), item.code in visit.changes))
        return {**super().get_context_data(**kwargs), "changes": cards.describe_changes(visit.changes),
                "items": items, "risk_labels": [str(dict(RiskType.choices).get(r, r)) for r in visit.risk_types],
                "can_visit": self.request.user.has_perm_named(Perm.RECORD_VISIT)}


class OverdueView(PermissionRequiredMixin, TemplateView):
    """Overdue visits per helper and per village, and the households behind each count."""

    required_perm = Perm.VIEW_REGISTRY
    template_name = "monitoring/visits/overdue.html"

    def get_context_data(self, **kwargs):
        user, today = self.request.user, timezone.localdate()
        helper, village = self.request.GET.get("helper", ""), self.request.GET.get("village", "")
        context = {**super().get_context_data(**kwargs), "today": today}
        if helper or village:
            rows, policies = queries.overdue_households(user, today, helper=helper, village=village)
            page, query = page_of(self.request, rows, PAGE_SIZE)
            page.object_list = schedule.attach_due_dates(page.object_list, policies, today)
            context.update(page_obj=page, query=query, helper=helper, village=village)
            first = page.object_list[0] if page.object_list else None
            if first is not None:
                context["subject"] = ((first.helper.display_name if first.helper else _("未指定帮扶责任人"))
                                      if helper else first.place.village().name)
        else:
            helpers, villages, total = queries.overdue_summary(user, today)
            context.update(helpers=helpers, villages=villages, total=total)
        return context


class SweepListView(PermissionRequiredMixin, TemplateView):
    """Sweep progress of every village in the area for a month; field workers generate checklists."""

    required_perm = Perm.VIEW_REGISTRY
    template_name = "monitoring/visits/sweep_list.html"

    def get_context_data(self, **kwargs):
        period = self.request.GET.get("period") or timezone.localdate().strftime("%Y-%m")
        try:
            parse_period(period)
        except ServiceError:
            period = timezone.localdate().strftime("%Y-%m")
        rows = queries.sweep_progress(self.request.user, period)
        return {**super().get_context_data(**kwargs), "rows": rows, "period": period,
                "can_generate": self.request.user.has_perm_named(Perm.RECORD_VISIT),
                "totals": {"total": sum(r.total for r in rows), "done": sum(r.done for r in rows),
                           "risks": sum(r.risks for r in rows)}}

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm_named(Perm.RECORD_VISIT):
            raise DjangoPermissionDenied(Perm.RECORD_VISIT.label)
        village_id = request.POST.get("village", "")
        village = get_object_or_404(Place.objects.restrict(request.user), pk=village_id if village_id.isdigit() else 0,
                                    level=Level.VILLAGE)
        period = request.POST.get("period", "")
        try:
            checklist = services.sweep_checklist_generate(actor=request.user, village=village, period=period)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect(reverse("sweep-list") + f"?period={period}")
        messages.success(request, _("已生成%(v)s %(p)s排查清单。") % {"v": village.name, "p": checklist.period})
        return redirect("sweep-detail", pk=checklist.pk)


class SweepDetailView(AreaScopedMixin, DetailView):
    """A village's checklist: one line per household with its groups; the cadre ticks each."""

    model = SweepChecklist
    required_perm = Perm.VIEW_REGISTRY
    template_name = "monitoring/visits/sweep_detail.html"
    context_object_name = "checklist"

    def get_queryset(self):
        return super().get_queryset().select_related("village__parent")

    def get_context_data(self, **kwargs):
        user = self.request.user
        items = list(SweepItem.objects.restrict(user, Perm.VIEW_REGISTRY).filter(checklist=self.object)
                     .annotate(head_label=queries.head_name("household"))
                     .select_related("household__place", "visit__visitor").order_by("status", "household__number"))
        labels = dict(SweepGroup.choices)
        for item in items:
            item.group_labels = [labels.get(g, g) for g in item.groups]
        pending = sum(1 for i in items if i.status == SweepItem.Status.PENDING)
        return {**super().get_context_data(**kwargs), "items": items, "pending": pending,
                "done": len(items) - pending, "can_sweep": user.has_perm_named(Perm.RECORD_VISIT)}


class SweepItemNoRiskView(AreaScopedMixin, View):
    """One tap: the household was swept and nothing was found. Recorded as an unchanged visit."""

    model = SweepItem
    required_perm = Perm.RECORD_VISIT
    http_method_names = ["post"]

    def post(self, request, pk):
        item = get_object_or_404(self.get_queryset().select_related("household"), pk=pk)
        try:
            services.visit_record(actor=request.user, household=item.household, visited_on=timezone.localdate(),
                                  changes={}, sweep_item=item, visit_key=request.POST.get("visit_key", ""))
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect(reverse("sweep-detail", args=[item.checklist_id]) + f"#item-{item.pk}")


class VisitPolicyView(PermissionRequiredMixin, TemplateView):
    """The county's visit schedule by risk tier: the version in force, its history, and a form that
    adopts a new version."""

    required_perm = Perm.MANAGE_THRESHOLDS
    template_name = "monitoring/visits/visit_policy.html"

    @cached_property
    def county(self) -> Place:
        if self.request.user.place is None:
            raise Http404
        return county_of(self.request.user.place)

    def get_context_data(self, **kwargs):
        current = schedule.policy_in_force(self.county)
        form = kwargs.get("form") or VisitPolicyForm(initial={
            "effective_from": timezone.localdate(), "warning_interval_days": current.warning_interval_days,
            "key_interval_days": current.key_interval_days, "general_interval_days": current.general_interval_days})
        return {**super().get_context_data(**kwargs), "county": self.county, "current": current, "form": form,
                "versions": VisitPolicy.objects.series(self.county).select_related("created_by")}

    def post(self, request, *args, **kwargs):
        form = VisitPolicyForm(request.POST)
        if form.is_valid():
            try:
                policy = services.visit_policy_adopt(actor=request.user, county=self.county, **form.cleaned_data)
            except ServiceError as error:
                form.add_service_error(error)
            else:
                messages.success(request, _("已启用走访频次第%(v)d版。") % {"v": policy.version})
                return redirect("visit-policy")
        return self.render_to_response(self.get_context_data(form=form), status=400)
