"""Intake pages: the public self-declaration, tip and status pages, the village QR posters, the lead
inbox per level with each lead's page and actions, the overdue-acceptance view, the hand-entry form
and the pushed-list upload. Views parse, check a named permission, read through restricted querysets
and call services; the rules live in services.py and fangpin.monitoring.services."""

import csv
import json
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Case, F, IntegerField, Prefetch, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext, gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, FormView, TemplateView

from fangpin.core import uploads
from fangpin.core.errors import ServiceError
from fangpin.core.masking import PHONE, mask_id_number, mask_phone
from fangpin.core.models import ChangeLog
from fangpin.core.roles import Perm
from fangpin.core.views import AreaScopedMixin, PermissionRequiredMixin, describe_changes, page_of, unmask_response
from fangpin.monitoring.errors import MonitoringErrorCode
from fangpin.regions.models import Level, Place
from fangpin.registry.choices import Relation
from fangpin.registry.models import Household, Member

from .. import services as monitoring_services
from ..choices import LeadStatus, RiskType
from ..models import Lead
from . import services
from .filters import LeadFilter
from .forms import (
    DeclarationForm,
    DismissForm,
    MergeForm,
    PushedListForm,
    QrPlaceForm,
    StaffLeadForm,
    StatusForm,
    TipForm,
)
from .ratelimit import client_address

PAGE_SIZE = 25
HISTORY_ROWS = 50
SESSION_ACK = "fangpin_intake_ack"
EVIDENCE_LABELS = {
    "source": _("推送单位"), "file": _("来源文件"), "row": _("文件行号"), "batch": _("导入批次"),
    "person_name": _("所涉人员姓名"),
}


# ---------------------------------------------------------------- public pages


class PublicFormView(FormView):
    """A public form: no account, CSRF-protected, rate-limited by the service, and nothing written
    on any error. Refused submissions count against the client's address."""

    kind = ""
    success_url_name = ""

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        address = client_address(request)
        if form.robot:
            services.intake_refused(address=address)
            form.add_error(None, gettext("提交没有成功，请刷新页面后重新填写。"))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        if not form.is_valid():
            services.intake_refused(address=address)
            return self.form_invalid(form)
        try:
            lead = self.submit(form, address)
        except ServiceError as error:
            if not isinstance(error, services.TooManyRequests):
                services.intake_refused(address=address)
            form.add_service_error(error)
            return self.render_to_response(self.get_context_data(form=form), status=error.status)
        request.session[SESSION_ACK] = {"kind": self.kind, "ack": lead.ack_number, "phone": bool(lead.reporter_phone)}
        return redirect(self.success_url_name)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if self.request.method == "GET":
            form.preselect(self.request.GET.get("v", ""))
        return form


class DeclareView(PublicFormView):
    form_class = DeclarationForm
    template_name = "monitoring/intake/declare.html"
    kind = "declare"
    success_url_name = "declare-done"

    def submit(self, form, address):
        data = form.cleaned_data
        return services.declaration_submit(
            address=address, head_name=data["head_name"], phone=data["phone"], id_number=data["id_number"],
            place=data["village"], risk_types=data["risk_types"], summary=data["summary"])


class TipView(PublicFormView):
    form_class = TipForm
    template_name = "monitoring/intake/tip.html"
    kind = "tip"
    success_url_name = "tip-done"

    def submit(self, form, address):
        data = form.cleaned_data
        return services.tip_submit(
            address=address, place=data["village"], risk_types=data["risk_types"], summary=data["summary"],
            person_name=data["person_name"], id_number=data["id_number"], reporter_name=data["reporter_name"],
            reporter_phone=data["reporter_phone"], anonymous=data["anonymous"])


class DoneView(TemplateView):
    """The ack number, large. It is read from the visitor's own session, never from the address, so
    no one can open another person's page."""

    template_name = "monitoring/intake/done.html"
    kind = ""
    back = ""

    def get(self, request, *args, **kwargs):
        sent = request.session.get(SESSION_ACK) or {}
        if sent.get("kind") != self.kind:
            return redirect(self.back)
        return self.render_to_response({"ack_number": sent["ack"], "can_check": sent["phone"], "kind": self.kind})


class StatusView(FormView):
    form_class = StatusForm
    template_name = "monitoring/intake/status.html"

    def get_initial(self):
        sent = self.request.session.get(SESSION_ACK) or {}
        return {"ack_number": sent.get("ack", "")}

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form))

    def form_valid(self, form):
        try:
            found = services.status_lookup(address=client_address(self.request), **form.cleaned_data)
        except ServiceError as error:
            form.add_service_error(error)
            return self.render_to_response(self.get_context_data(form=form), status=error.status)
        return self.render_to_response(self.get_context_data(form=form, found=found))


# ---------------------------------------------------------------- QR posters


def public_url(request, path: str) -> str:
    """An address a phone outside the office can open: FANGPIN_PUBLIC_URL when the county set one
    (the staff address is often an intranet one), else the address this request came to."""
    base = getattr(settings, "FANGPIN_PUBLIC_URL", "").rstrip("/")
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(scale=6, border=2, dark="#000")


class VillageQrView(PermissionRequiredMixin, TemplateView):
    """Printable QR posters: one per village, for a village or every village of a township, in the
    user's area. Scanning opens the declaration page with the village chosen."""

    required_perm = Perm.VIEW_LEADS
    template_name = "monitoring/intake/village_qr.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        form = QrPlaceForm(user=user)
        posters = []
        places = Place.objects.restrict(user).filter(level__in=[Level.TOWNSHIP, Level.VILLAGE])
        chosen = places.filter(code=self.request.GET.get("place", "")).first()
        if chosen is None and user.place.level != Level.COUNTY:
            # A county has too many villages for one sheet: it picks a township first.
            chosen = places.filter(code=user.place.village().code).first()
        if chosen is not None:
            form = QrPlaceForm({"place": chosen.code}, user=user)
            villages = [chosen] if chosen.level == Level.VILLAGE else list(
                chosen.children.filter(level=Level.VILLAGE).order_by("code"))
            declare = reverse("declare")
            for village in villages:
                url = public_url(self.request, f"{declare}?{urlencode({'v': village.code})}")
                posters.append({"village": village, "url": url, "svg": qr_svg(url)})
        return {**super().get_context_data(**kwargs), "form": form, "chosen": chosen, "posters": posters}


# ---------------------------------------------------------------- the inbox


def lead_rows(leads):
    """Leads with what a list shows (village, township, household head) in a fixed number of queries."""
    heads = Member.objects.filter(relation=Relation.HEAD, ended_on__isnull=True)
    return leads.select_related("place__parent__parent", "household").prefetch_related(
        Prefetch("household__members", queryset=heads, to_attr="heads"))


def describe_lead(lead, now) -> None:
    household = lead.household
    lead.head = household.heads[0] if household is not None and getattr(household, "heads", None) else None
    lead.is_overdue = lead.status == LeadStatus.NEW and lead.accept_due is not None and lead.accept_due < now
    lead.risk_labels = [RiskType(r).label if r in RiskType.values else r for r in lead.risk_types]
    lead.person_named = lead.evidence.get("person_name", "") if isinstance(lead.evidence, dict) else ""


def paginate(request, queryset):
    page, query = page_of(request, queryset, PAGE_SIZE)
    now = timezone.now()
    for lead in page.object_list:
        describe_lead(lead, now)
    return page, query


class LeadInboxView(AreaScopedMixin, TemplateView):
    """Every lead of the user's area, new ones first with the nearest deadline (overdue on top)."""

    model = Lead
    required_perm = Perm.VIEW_LEADS
    filterset_class = LeadFilter
    template_name = "monitoring/intake/inbox.html"

    def get_context_data(self, **kwargs):
        leads = self.get_queryset()
        search = LeadFilter(self.request.GET or None, queryset=leads, request=self.request)
        ordered = search.qs.order_by(Case(When(status=LeadStatus.NEW, then=Value(0)), default=Value(1),
                                          output_field=IntegerField()), F("accept_due").asc(nulls_last=True),
                                 "-raised_at", "-id")
        page, query = paginate(self.request, lead_rows(ordered))
        user = self.request.user
        return {**super().get_context_data(**kwargs), "filter": search, "page_obj": page, "query": query,
                "overdue_count": monitoring_services.overdue_leads(leads).count(),
                "waiting_count": leads.filter(status=LeadStatus.NEW).count(),
                "can_raise": user.has_perm_named(Perm.RAISE_LEAD),
                "can_upload": services.can_upload_pushed_list(user)}


class LeadDetailView(AreaScopedMixin, DetailView):
    model = Lead
    required_perm = Perm.VIEW_LEADS
    template_name = "monitoring/intake/detail.html"
    context_object_name = "lead"

    def get_queryset(self):
        return lead_rows(super().get_queryset()).select_related(
            "raised_by", "accepted_by", "closed_by", "merged_into", "thresholds", "screening_run")

    def get_context_data(self, **kwargs):
        user, lead = self.request.user, self.object
        describe_lead(lead, timezone.now())
        area_leads = Lead.objects.restrict(user, Perm.VIEW_LEADS)
        merged = list(lead_rows(area_leads.filter(merged_into=lead)).order_by("raised_at", "id"))
        for other in merged:
            describe_lead(other, timezone.now())
        context = {
            "evidence_rows": facts_of(lead.evidence, EVIDENCE_LABELS),
            "figure_rows": facts_of(lead.figures, {}),
            "reporter_phone": mask_phone(lead.reporter_phone),
            "reporter_id_number": mask_id_number(lead.reporter_id_number),
            "can_unmask_phone": user.has_perm_named(Perm.UNMASK_PHONE),
            "merged_leads": merged,
            "can_handle": user.has_perm_named(Perm.HANDLE_LEADS) and lead.is_open,
            "can_view_household": user.has_perm_named(Perm.VIEW_REGISTRY),
        }
        if context["can_handle"]:
            context["dismiss_form"] = DismissForm()
            context["merge_form"] = MergeForm(lead=lead, leads=Lead.objects.restrict(user, Perm.HANDLE_LEADS))
        if user.has_perm_named(Perm.VIEW_CHANGE_LOG):
            history = list(ChangeLog.objects.restrict(user, Perm.VIEW_CHANGE_LOG)
                           .filter(object_type=Lead._meta.label_lower, object_id__in=[lead.pk, *(m.pk for m in merged)])
                           .select_related("actor")[:HISTORY_ROWS])
            describe_changes(history)
            context["history"] = history
        return {**super().get_context_data(**kwargs), **context}


def facts_of(data, labels) -> list[tuple[str, str]]:
    """A JSON object as (label, value) rows for a small table; nested values as compact JSON."""
    if not isinstance(data, dict):
        return [("", json.dumps(data, ensure_ascii=False))] if data not in (None, "", [], {}) else []
    rows = []
    for key, value in data.items():
        if isinstance(value, (dict, list)):
            value = json.dumps(value, ensure_ascii=False)
        rows.append((str(labels.get(key, key)), "—" if value in (None, "") else str(value)))
    return rows


class LeadActionView(AreaScopedMixin, View):
    """POST-only action on a lead of the user's area; the service checks HANDLE_LEADS again and
    refuses what the lead's state does not allow."""

    model = Lead
    required_perm = Perm.HANDLE_LEADS
    http_method_names = ["post"]
    done_message = ""

    def post(self, request, pk):
        lead = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            self.perform(lead)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, self.done_message)
        return redirect("lead-detail", pk=pk)


class LeadAcceptView(LeadActionView):
    done_message = _("已受理。")

    def perform(self, lead):
        monitoring_services.lead_accept(actor=self.request.user, lead=lead)


class LeadDismissView(LeadActionView):
    done_message = _("已排除，理由已记录。")

    def perform(self, lead):
        form = DismissForm(self.request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        monitoring_services.lead_dismiss(actor=self.request.user, lead=lead, reason=reason)


class LeadMergeView(LeadActionView):
    done_message = _("已合并。")

    def perform(self, lead):
        form = MergeForm(self.request.POST, lead=lead, leads=self.get_queryset())
        if not form.is_valid():
            raise ServiceError(MonitoringErrorCode.MERGE_TARGET, gettext("请选择同一农户的另一条未办结线索。"))
        monitoring_services.lead_merge(actor=self.request.user, lead=lead, into=form.cleaned_data["into"])


class LeadRevealView(AreaScopedMixin, View):
    """The reporter's full phone number for a role that may see it (to call back); logged."""

    model = Lead
    required_perm = Perm.VIEW_LEADS
    http_method_names = ["post"]

    def post(self, request, pk):
        lead = get_object_or_404(self.get_queryset().select_related("place"), pk=pk)
        if not lead.reporter_phone:
            raise Http404
        return unmask_response(request, kind=PHONE, value=lead.reporter_phone, area_code=lead.area_code,
                               target=f"monitoring.lead:{lead.pk} {lead}", detail={"field": "reporter_phone"},
                               hidden={"field": "reporter_phone"})


# ---------------------------------------------------------------- overdue acceptance


class OverdueView(AreaScopedMixin, TemplateView):
    """Leads past their acceptance deadline, counted per township, then listed (most overdue first)."""

    model = Lead
    required_perm = Perm.VIEW_LEADS
    template_name = "monitoring/intake/overdue.html"

    def get_context_data(self, **kwargs):
        user, now = self.request.user, timezone.now()
        leads = self.get_queryset()
        townships = Place.objects.restrict(user).filter(level=Level.TOWNSHIP).order_by("code")
        if user.place.level in (Level.VILLAGE, Level.GROUP):
            townships = Place.objects.unrestricted().filter(pk=user.place.village().parent_id)  # the user's own township
        rows = services.overdue_by_township(leads, townships, now)
        overdue = monitoring_services.overdue_leads(leads, now=now).order_by("accept_due", "id")
        page, query = paginate(self.request, lead_rows(overdue))
        return {**super().get_context_data(**kwargs), "rows": rows, "page_obj": page, "query": query,
                "total_overdue": sum(r.overdue for r in rows), "total_waiting": sum(r.waiting for r in rows)}


# ---------------------------------------------------------------- staff entry


class LeadNewView(PermissionRequiredMixin, FormView):
    """Staff raise a lead by hand. From a household's page (`?household=`) the household is given;
    otherwise the person is named by ID number and village."""

    required_perm = Perm.RAISE_LEAD
    form_class = StaffLeadForm
    template_name = "monitoring/intake/lead_form.html"

    @cached_property
    def household(self):
        pk = self.request.GET.get("household") or self.request.POST.get("household")
        if not pk or not str(pk).isdigit():
            return None
        queryset = Household.objects.restrict(self.request.user, Perm.RAISE_LEAD).select_related("place")
        return get_object_or_404(queryset, pk=pk)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "household": self.household}

    def form_valid(self, form):
        data = form.cleaned_data
        person = {} if self.household else {"place": data["place"], "person_name": data["person_name"],
                                            "id_number": data["id_number"], "phone": data["phone"]}
        try:
            outcome = services.lead_raise_by_staff(
                actor=self.request.user, channel=data["channel"], risk_types=data["risk_types"],
                summary=data["summary"], household=self.household, disaster_subtype=data["disaster_subtype"],
                reporter_name=data["reporter_name"], reporter_phone=data["reporter_phone"], **person)
        except ServiceError as error:
            form.add_service_error(error)
            return self.form_invalid(form)
        lead = outcome.lead
        if outcome.merged:
            messages.success(self.request, gettext("该户已有同类未办结线索，本条已并入线索%(n)s。") % {"n": lead.merged_into})
        else:
            messages.success(self.request, gettext("已登记线索%(n)s。") % {"n": lead})
        if self.request.user.has_perm_named(Perm.VIEW_LEADS):
            return redirect("lead-detail", pk=lead.pk)
        return redirect("lead-new")

    def get_context_data(self, **kwargs):
        household = self.household
        head = household.head if household is not None else None
        return {**super().get_context_data(**kwargs), "household": household, "head": head}


# ---------------------------------------------------------------- pushed lists


class CountyUploaderMixin(PermissionRequiredMixin):
    required_perm = Perm.RAISE_LEAD

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not services.can_upload_pushed_list(request.user):
            raise DjangoPermissionDenied(gettext("上级推送名单由县级工作人员导入。"))
        return super().dispatch(request, *args, **kwargs)


class PushedListUploadView(CountyUploaderMixin, FormView):
    form_class = PushedListForm
    upload_policy = uploads.TABLES
    template_name = "monitoring/intake/pushed_upload.html"

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        folder = Path(settings.DATA_DIR) / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=Path(upload.name).suffix.lower()) as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
            handle.flush()
            try:
                result = services.pushed_list_import(handle.name, actor=self.request.user,
                                                     original_name=upload.name, source=form.cleaned_data["source"])
            except ServiceError as error:
                if error.details:
                    form.add_error(None, error.message)
                    return self.render_to_response(self.get_context_data(form=form, errors=error.details))
                form.add_service_error(error if error.field else ServiceError(error.code, error.message, field="file"))
                return self.form_invalid(form)
        messages.success(self.request, gettext("已导入%(rows)d行：新建线索%(new)d条，并入已有线索%(merged)d条。") % {
            "rows": result.rows, "new": result.leads_new, "merged": result.leads_merged})
        return redirect(f"{reverse('lead-inbox')}?channel=pushed_list")


class PushedListTemplateView(CountyUploaderMixin, View):
    """An empty list with the right header, to fill in or to show the city what to send."""

    def get(self, request):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="pushed-list.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
        writer = csv.writer(response)
        writer.writerow(list(services.PUSHED_COLUMNS.values()))
        return response

