"""Screening pages for county staff: the runs with their counts per rule, and the rule book."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView, TemplateView

from fangpin.core.errors import ServiceError
from fangpin.core.jobs import jobs_pending
from fangpin.core.models import Job
from fangpin.core.roles import Perm
from fangpin.core.views import AreaScopedMixin, PermissionRequiredMixin
from fangpin.monitoring.choices import RiskType
from fangpin.monitoring.models import Lead, ScreeningRun
from fangpin.regions.models import Level, Place

from .engines import ENGINES
from .rules import RULES, RULES_BY_CODE
from .tasks import screening_enqueue


def rule_lines(counts: dict) -> list[dict]:
    """Counts of a run in rule-book order, with each rule's title."""
    lines = []
    for code, c in counts.items():
        rule = RULES_BY_CODE.get(code)
        lines.append({"code": code, "title": rule.title if rule else code, "version": c.get("version"),
                      "new": c.get("new", 0), "merged": c.get("merged", 0), "total": c.get("total", 0),
                      "data_quality": bool(rule and rule.data_quality)})
    return lines


class ScreeningRunListView(AreaScopedMixin, ListView):
    """Runs of the counties in the user's area, newest first, and the screening jobs still waiting or
    running; POST queues the screening of a county of the user's area for the current month."""

    model = ScreeningRun
    required_perm = Perm.RUN_SCREENING
    template_name = "monitoring/screening/run_list.html"
    paginate_by = 20

    def get_queryset(self):
        return super().get_queryset().select_related("county", "thresholds", "started_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for run in context["object_list"]:
            run.lines = rule_lines(run.counts)
            run.new_total = sum(line["new"] for line in run.lines)
            run.merged_total = sum(line["merged"] for line in run.lines)
        return {**context, "counties": self._counties(), "engines": ENGINES,
                "pending_jobs": jobs_pending(self.request.user, Job.Kind.SCREENING),
                "current_month": timezone.localdate().strftime("%Y-%m")}

    def _counties(self):
        return Place.objects.restrict(self.request.user).filter(level=Level.COUNTY).order_by("code")

    def post(self, request, *args, **kwargs):
        county = self._counties().filter(pk=request.POST.get("county") or 0).first()
        if county is None:
            messages.error(request, _("请选择本辖区的县。"))
            return redirect("screening-runs")
        try:
            job = screening_enqueue(actor=request.user, county=county, engine=request.POST.get("engine") or "db",
                                    period=timezone.localdate().strftime("%Y-%m"))
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect("screening-runs")
        messages.info(request, _("系统筛查已提交，在后台进行。"))
        return redirect("job-detail", pk=job.pk)


class ScreeningRunDetailView(AreaScopedMixin, DetailView):
    model = ScreeningRun
    required_perm = Perm.RUN_SCREENING
    template_name = "monitoring/screening/run_detail.html"
    LEADS_SHOWN = 100

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        run = self.object
        leads = (Lead.objects.restrict(self.request.user, Perm.VIEW_LEADS).filter(screening_run=run)
                 .select_related("household", "place").order_by("rule_code", "household__number"))
        return {**context, "lines": rule_lines(run.counts), "leads": leads[:self.LEADS_SHOWN],
                "lead_count": leads.count(), "leads_shown": self.LEADS_SHOWN}


class ScreeningRuleListView(PermissionRequiredMixin, TemplateView):
    required_perm = Perm.RUN_SCREENING
    template_name = "monitoring/screening/rules.html"

    def get_context_data(self, **kwargs):
        rules = [{"rule": rule, "risk_labels": [RiskType(r).label for r in rule.risk_types]} for rule in RULES]
        return {**super().get_context_data(**kwargs), "rules": rules}
