"""The elimination check of a monitored household (and opening the elimination case), and the list of
monitored households."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views import View
from django.views.generic import TemplateView

from fangpin.assistance.selectors import measures_running_after_elimination
from fangpin.core.errors import ServiceError
from fangpin.core.roles import Perm
from fangpin.core.views import AreaScopedMixin
from fangpin.monitoring.choices import MonitoringStatus, risk_labels
from fangpin.monitoring.models import Monitoring
from fangpin.registry.models import Household

from .. import services
from ..choices import CaseKind, CaseStatus
from ..eligibility import check_elimination
from ..forms import EliminationOpenForm, MonitoringFilter
from ..models import Case
from .common import PAGE_SIZE, head_of, with_heads


class EliminationCheckView(AreaScopedMixin, View):
    """The elimination criteria of a monitored household, and the form to open the case when all pass."""

    model = Household
    required_perm = Perm.VIEW_CASES
    template_name = "cases/elimination_check.html"

    def get_household(self, pk):
        return get_object_or_404(self.get_queryset().select_related("place__parent"), pk=pk)

    def get(self, request, pk):
        return self.page(self.get_household(pk))

    def post(self, request, pk):
        household = self.get_household(pk)
        if not request.user.has_perm_named(Perm.OPEN_CASE):
            raise DjangoPermissionDenied(Perm.OPEN_CASE.label)
        form = EliminationOpenForm(request.POST)
        if not form.is_valid():
            return self.page(household, form=form, status=400)
        try:
            case = services.case_open_elimination(actor=request.user, household=household,
                                                  method=form.cleaned_data["method"],
                                                  summary=form.cleaned_data["summary"])
        except ServiceError as error:
            form.add_service_error(error)
            return self.page(household, form=form, status=error.status)
        messages.success(request, gettext("已发起风险消除%(n)s。") % {"n": case.number})
        return redirect("cases:case-detail", pk=case.pk)

    def page(self, household, *, form=None, status=200):
        user = self.request.user
        monitoring = services.current_monitoring(household)
        context = {"household": household, "head": household.head, "monitoring": monitoring,
                   "can_view_household": user.has_perm_named(Perm.VIEW_REGISTRY)}
        if monitoring is not None:
            context["risk_labels"] = risk_labels(monitoring.risk_types)
            try:
                context["check"] = check_elimination(household, monitoring=monitoring)
            except ServiceError as error:
                context["check_error"] = error.message
            context["running"] = list(measures_running_after_elimination(household))
            context["open_case"] = household.cases.filter(kind=CaseKind.ELIMINATION,
                                                       status=CaseStatus.OPEN).first()
            check = context.get("check")
            context["can_open"] = (user.has_perm_named(Perm.OPEN_CASE) and context["open_case"] is None
                                   and check is not None and check.passed)
            if context["can_open"] or form is not None:
                context["form"] = form or EliminationOpenForm()
        return render(self.request, self.template_name, context, status=status)



class MonitoredListView(AreaScopedMixin, TemplateView):
    model = Monitoring
    required_perm = Perm.VIEW_CASES
    filterset_class = MonitoringFilter
    template_name = "cases/monitored_list.html"

    def get_context_data(self, **kwargs):
        data = self.request.GET.copy()
        data.setdefault("status", MonitoringStatus.MONITORED)
        search = MonitoringFilter(data, queryset=self.get_queryset(), request=self.request)
        rows = with_heads(search.qs.select_related("identification_case", "elimination_case")).order_by(
            "-identified_on", "-pk")
        page = Paginator(rows, PAGE_SIZE).get_page(self.request.GET.get("page"))
        for monitoring in page.object_list:
            monitoring.head = head_of(monitoring.household)
            monitoring.risk_labels = risk_labels(monitoring.risk_types)
        query = self.request.GET.copy()
        query.pop("page", None)
        return {**super().get_context_data(**kwargs), "filter": search, "page_obj": page, "query": query.urlencode()}
