"""Pages of monitoring standards, warning-line calibration and the monthly suggested list. Views parse
input, check a named permission, read through area-restricted querysets or call a service."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.views import View
from django.views.generic import FormView, TemplateView

from fangpin.core.areas import user_county
from fangpin.core.errors import ServiceError
from fangpin.core.jobs import jobs_pending
from fangpin.core.models import Job
from fangpin.core.roles import Perm
from fangpin.core.views import AreaScopedMixin, PermissionRequiredMixin

from .. import services as monitoring_services
from ..models import MonthlyList, MonthlyListLine, Thresholds
from . import calibration, services
from .forms import METHOD_PARAMETERS, PARAMETER_LABELS, CalibrationForm, CandidateAdoptForm, LineActForm, PeriodForm, ThresholdsForm
from .tasks import monthly_list_enqueue

CENT = Decimal("0.01")


class CountyMixin(PermissionRequiredMixin):
    """Pages about the signed-in user's county (the standards are set per county)."""

    @cached_property
    def county(self):
        county = user_county(self.request.user)
        if county is None:
            raise Http404
        return county


# ---------------------------------------------------------------- monitoring standards


class ThresholdsView(CountyMixin, TemplateView):
    """The version in force and every past version; read-only for everyone but the county admin."""

    required_perm = Perm.VIEW_LEADS
    template_name = "monitoring/standards/thresholds.html"

    def get_context_data(self, **kwargs):
        versions = list(Thresholds.objects.series(self.county).select_related("created_by")
                        .order_by("-version"))
        in_force = Thresholds.objects.in_force(self.county, timezone.localdate())
        return {**super().get_context_data(**kwargs), "county": self.county, "versions": versions,
                "in_force": in_force, "can_manage": self.request.user.has_perm_named(Perm.MANAGE_THRESHOLDS),
                "parameter_labels": PARAMETER_LABELS}


class ThresholdsNewView(CountyMixin, FormView):
    required_perm = Perm.MANAGE_THRESHOLDS
    template_name = "monitoring/standards/thresholds_form.html"
    form_class = ThresholdsForm

    @cached_property
    def in_force(self):
        return Thresholds.objects.in_force(self.county, timezone.localdate())

    def get_initial(self):
        return ThresholdsForm.initial_from(self.in_force)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "county": self.county, "in_force": self.in_force,
                "method_parameters": {str(k): list(v) for k, v in METHOD_PARAMETERS.items()}}

    def form_valid(self, form):
        try:
            thresholds = monitoring_services.thresholds_adopt(actor=self.request.user, county=self.county,
                                                              **form.service_arguments())
        except ServiceError as error:
            form.add_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, gettext("已制定监测标准第%(v)d版，自%(d)s起生效。") % {
            "v": thresholds.version, "d": thresholds.effective_from.isoformat()})
        return redirect("thresholds")


class ThresholdsPreviewView(CountyMixin, View):
    """The line a method and its parameters give, for the form's live preview (HTMX)."""

    required_perm = Perm.MANAGE_THRESHOLDS

    def post(self, request):
        form = ThresholdsForm(request.POST)
        form.is_valid()
        data = form.cleaned_data
        method = data.get("line_method")
        context = {}
        try:
            parameters = {name: data.get(name) for name in METHOD_PARAMETERS.get(method, ())}
            line = monitoring_services.compute_monitoring_line(method, parameters)
            ratio = data.get("watch_band_ratio")
            context["line"] = line
            context["watch_line"] = (line * (1 + ratio)).quantize(CENT) if ratio is not None else None
        except ServiceError as error:
            context["error"] = error.message
        return render(request, "monitoring/standards/_line_preview.html", context)


# ---------------------------------------------------------------- calibration


class CalibrationView(CountyMixin, TemplateView):
    required_perm = Perm.MANAGE_THRESHOLDS
    template_name = "monitoring/standards/calibration.html"

    def get_context_data(self, **kwargs):
        form = CalibrationForm(self.request.GET or None, initial={"percentiles": "50,75,90,95,99"})
        context = {**super().get_context_data(**kwargs), "form": form, "county": self.county}
        if not form.is_bound:
            form = CalibrationForm({f: form[f].initial for f in ("measure", "basis", "dimension", "percentiles")})
            context["form"] = form
        if not form.is_valid():
            return context
        try:
            question = form.question()
            result = calibration.calibrate(self.county, question)
        except ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
            return context
        keys = [s.key for s in result.segments]
        segment = form.cleaned_data["segment"] if form.cleaned_data["segment"] in keys else (keys[0] if keys else "")
        candidates = calibration.candidates(self.county, result, segment)
        in_force = Thresholds.objects.in_force(self.county, timezone.localdate())
        target = calibration.MEASURES[question.measure][2]
        chart = {
            "segments": [s.label for s in result.segments],
            "series": [{"name": calibration.percentile_label(k), "values": [float(s.percentiles[k]) for s in result.segments]}
                       for k in question.per_mille],
            "lines": [{"name": c.label, "value": float(c.line)} for c in candidates],
            "current": float(getattr(in_force, target) or 0) if in_force and question.basis == "household" else None,
            "title": str(calibration.BASES[question.basis]),
        }
        query = self.request.GET.copy()
        query.pop("segment", None)
        return {**context, "result": result, "question": question, "candidates": candidates, "segment": segment,
                "segment_label": calibration.describe_segment(question, result, segment) if keys else "",
                "percentile_labels": [calibration.percentile_label(k) for k in question.per_mille], "chart": chart, "in_force": in_force,
                "current_line": getattr(in_force, target) if in_force else None,
                "measure_label": calibration.MEASURES[question.measure][1], "query": query.urlencode(),
                "can_adopt": question.basis == "household" and in_force is not None,
                "today": timezone.localdate()}


class CalibrationAdoptView(CountyMixin, View):
    required_perm = Perm.MANAGE_THRESHOLDS

    def post(self, request):
        form = CandidateAdoptForm(request.POST)
        back = reverse("calibration") + "?" + request.POST.get("query", "")
        if not form.is_valid():
            messages.error(request, gettext("候选预警线数据不完整，未制定新版本。"))
            return redirect(back)
        try:
            thresholds = services.warning_line_adopt(actor=request.user, county=self.county, **form.cleaned_data)
        except ServiceError as error:
            messages.error(request, error.message)
            return redirect(back)
        messages.success(request, gettext("已制定监测标准第%(v)d版：%(n)s") % {"v": thresholds.version,
                                                                           "n": thresholds.note})
        return redirect("thresholds")


# ---------------------------------------------------------------- the monthly list


class MonthlyListsView(CountyMixin, TemplateView):
    """County: each township's list of the month with its progress, build and send. Township: its
    lists as sent."""

    required_perm = Perm.VIEW_LEADS
    template_name = "monitoring/standards/monthly_lists.html"

    def get_context_data(self, **kwargs):
        period_form = PeriodForm(self.request.GET or None)
        period = period_form.chosen_period()
        user, county = self.request.user, self.county
        sender = user.has_perm_named(Perm.SEND_MONTHLY_LIST) and user.place.code == county.code
        lists = MonthlyList.objects.restrict(user, Perm.VIEW_LEADS).filter(period=period)
        if not sender:
            lists = lists.filter(sent_at__isnull=False)
        rows = services.progress(lists.order_by("township__code"))
        recent = (MonthlyList.objects.restrict(user, Perm.VIEW_LEADS).exclude(period=period)
                  .filter(**({} if sender else {"sent_at__isnull": False})).values_list("period", flat=True)
                  .distinct().order_by("-period")[:12])
        pending = [job for kind in (Job.Kind.MONTHLY_LIST_BUILD, Job.Kind.MONTHLY_LIST_SEND)
                   for job in jobs_pending(user, kind) if job.params.get("period") == period] if sender else []
        return {**super().get_context_data(**kwargs), "period_form": period_form, "period": period, "rows": rows,
                "pending_jobs": pending,
                "sender": sender, "unsent": sum(1 for r in rows if r.monthly_list.sent_at is None),
                "send_due_on": services.send_due_on(period), "deadline": services.act_deadline(period),
                "recent_periods": list(recent), "totals": {"total": sum(r.total for r in rows),
                                                            "done": sum(r.done for r in rows),
                                                            "overdue": sum(r.overdue for r in rows)}}

    def post(self, request):
        if not request.user.has_perm_named(Perm.SEND_MONTHLY_LIST):
            raise DjangoPermissionDenied(Perm(Perm.SEND_MONTHLY_LIST).label)
        period_form = PeriodForm(request.POST)
        period = period_form.chosen_period()
        try:
            monthly_list_enqueue(actor=request.user, county=self.county, period=period,
                                 send=request.POST.get("action") == "send")
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.info(request, gettext("已提交，在后台进行，本页显示进度。"))
        return redirect(reverse("monthly-lists") + f"?period={period}")


class MonthlyListDetailView(AreaScopedMixin, TemplateView):
    model = MonthlyList
    required_perm = Perm.VIEW_LEADS
    template_name = "monitoring/standards/monthly_list_detail.html"

    @cached_property
    def object(self):
        lists = self.get_queryset().select_related("township", "sent_by")
        if not self.request.user.has_perm_named(Perm.SEND_MONTHLY_LIST):
            lists = lists.filter(sent_at__isnull=False)
        return get_object_or_404(lists, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        monthly_list = self.object
        lines = (monthly_list.lines.select_related("household__place__parent", "acted_by")
                 .prefetch_related("leads").order_by("rank"))
        status = self.request.GET.get("status", "")
        if status in MonthlyListLine.Status.values:
            lines = lines.filter(status=status)
        progress = services.progress(MonthlyList.objects.unrestricted().filter(pk=monthly_list.pk))[0]
        can_act = (self.request.user.has_perm_named(Perm.HANDLE_LEADS) and monthly_list.sent_at is not None)
        return {**super().get_context_data(**kwargs), "monthly_list": monthly_list, "lines": lines,
                "progress": progress, "can_act": can_act, "act_form": LineActForm(), "status": status,
                "statuses": MonthlyListLine.Status.choices,
                "can_send": (self.request.user.has_perm_named(Perm.SEND_MONTHLY_LIST)
                             and monthly_list.sent_at is None)}


class MonthlyListSendView(AreaScopedMixin, View):
    model = MonthlyList
    required_perm = Perm.SEND_MONTHLY_LIST

    def post(self, request, pk):
        monthly_list = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            services.monthly_list_send(actor=request.user, monthly_list=monthly_list)
            messages.success(request, gettext("名单已下发。"))
        except ServiceError as error:
            messages.error(request, error.message)
        return redirect("monthly-list-detail", pk=monthly_list.pk)


class MonthlyListLineActView(AreaScopedMixin, View):
    model = MonthlyListLine
    required_perm = Perm.HANDLE_LEADS

    def post(self, request, pk):
        line = get_object_or_404(self.get_queryset().select_related("monthly_list"), pk=pk)
        form = LineActForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("请选择处理结果。"))
        else:
            try:
                services.monthly_list_line_act(actor=request.user, line=line, **form.cleaned_data)
                messages.success(request, gettext("第%(r)d户已处理。") % {"r": line.rank})
            except ServiceError as error:
                messages.error(request, error.message)
        return redirect(reverse("monthly-list-detail", args=[line.monthly_list_id]) + f"#line-{line.pk}")

