"""Case pages: the inbox with the working-day clock, opening an identification case, the case page with
its stage stepper and the form of the current stage, public notices (page and PDF), the elimination
check, the monitored households, and the county's procedure and holiday tables.

Views parse, check a named permission, read through restricted querysets and call the services; the
rules live in services.py. A service error is shown on the page it came from with its message, and
the page answers with the error's status (400, 403, 409)."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case as DbCase, F, IntegerField, Prefetch, Q, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import ngettext, gettext
from django.views import View
from django.views.generic import FormView, TemplateView

from fangpin.assistance.selectors import measures_running_after_elimination
from fangpin.core import uploads
from fangpin.core.areas import county_of
from fangpin.core.audit import log_access
from fangpin.core.calendar import WorkCalendar
from fangpin.core.errors import Conflict, ServiceError
from fangpin.core.models import AccessLog
from fangpin.core.roles import Perm
from fangpin.core.views import AreaScopedMixin, PermissionRequiredMixin
from fangpin.monitoring.choices import DisasterSubtype, MonitoringStatus, RiskType, risk_labels
from fangpin.monitoring.models import Lead, Monitoring, MonthlyListLine
from fangpin.registry.choices import Relation
from fangpin.registry.models import Household, Member

from . import services
from .choices import CaseKind, CaseStatus, ConfirmationStatus, Decision, DutyRule, StageKind, StageLevel
from .eligibility import check_elimination
from .forms import (AnnounceForm, CaseFilter, CaseOpenForm, ConfirmationForm, DecisionForm, DutyFormSet,
                    EliminationOpenForm, HolidayForm, MonitoringFilter, NoticePublishForm, ObjectionForm,
                    ProcedureForm, StageFormSet, StagesJsonField, duties_initial, duty_rows, stage_rows,
                    stages_initial)
from .models import Attachment, Case, Confirmation, Holiday, ProcedureConfig, PublicNotice
from .pdf import notice_context, render_notice_pdf
from .selectors import escalated_cases, escalation_scope, notice_period_over, stage_q
from .procedure import (DEFAULT_NOTICE_DAYS, DEFAULT_STAGES, DEFAULT_TOTAL_DAYS, default_duties, duty_label,
                        stage_label)
from .workdays import county_calendar

PAGE_SIZE = 25


# ---------------------------------------------------------------- helpers


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


# ---------------------------------------------------------------- the inbox


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
                "overdue_count": services.overdue_cases(cases, today=today).count(),
                "escalated_count": escalated.count(),
                "escalated_label": scope.label, "escalated_description": scope.description,
                "calendar_warnings": calendar.warnings,
                "to_confirm": list(services.confirmations_waiting_for(user)[:20]),
                "can_open": user.has_perm_named(Perm.OPEN_CASE)}


def _without(query, name: str) -> str:
    query = query.copy()
    query.pop(name, None)
    return query.urlencode()


# ---------------------------------------------------------------- opening an identification case


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
            context["open_case"] = Case.objects.filter(household=household, kind=CaseKind.IDENTIFICATION,
                                                       status=CaseStatus.OPEN).first()
            context["monitoring"] = services.current_monitoring(household)
        return {**super().get_context_data(**kwargs), **context}


# ---------------------------------------------------------------- the case page


class CasePageMixin(AreaScopedMixin):
    model = Case
    required_perm = Perm.VIEW_CASES
    template_name = "cases/case_detail.html"

    def get_case(self, pk) -> Case:
        queryset = self.get_queryset().select_related(
            "household__place__parent", "procedure", "opened_by", "lead", "monitoring", "monthly_line")
        return get_object_or_404(queryset, pk=pk)

    def page(self, case: Case, *, status: int = 200, alert: str = "", **forms):
        return render(self.request, self.template_name, case_page_context(self.request, case, alert=alert, **forms),
                      status=status)


def case_page_context(request, case: Case, *, alert: str = "", **forms) -> dict:
    user, today = request.user, timezone.localdate()
    calendar = county_calendar(county_of(case.household.place))
    records = list(case.records.select_related("actor").prefetch_related("attachments").order_by("decided_at", "pk"))
    confirmations = list(case.confirmations.select_related("person").order_by("pk"))
    for record in records:
        if record.return_to is not None and record.return_to < len(case.stages):
            record.return_label = stage_label(case.stages[record.return_to])
        record.participant_rows = participant_rows(record, confirmations)
    stages = []
    for index, stage in enumerate(case.stages):
        if case.status in (CaseStatus.CONFIRMED, CaseStatus.ELIMINATED):
            state = "done"
        elif case.status == CaseStatus.REJECTED:
            state = "rejected" if index == case.stage_index else ("done" if index < case.stage_index else "skipped")
        else:
            state = "done" if index < case.stage_index else ("current" if index == case.stage_index else "pending")
        stages.append({"index": index, "label": stage_label(stage), "stage": stage, "state": state,
                       "kind_label": StageKind(stage["kind"]).label, "level_label": StageLevel(stage["level"]).label,
                       "perm_label": Perm(stage["perm"]).label if stage["perm"] in Perm.values else stage["perm"],
                       "records": [r for r in records if r.stage_index == index]})
    opening = [r for r in records if r.decision == Decision.GREEN_CHANNEL]
    context = {"case": case, "household": case.household, "head": case.household.head, "stages": stages,
               "opening_records": opening, "risk_labels": risk_labels(case.risk_types), "alert": alert,
               "notices": list(case.notices.order_by("starts_on", "pk")),
               "objections": list(case.objections.select_related("recorded_by", "notice")
                                  .prefetch_related("attachments")),
               "loose_attachments": case.attachments.filter(record__isnull=True, objection__isnull=True),
               "can_view_household": user.has_perm_named(Perm.VIEW_REGISTRY)}
    if case.is_open:
        stage = case.stage
        context["stage_left"] = days_left(calendar, today, case.stage_due_on)
        context["total_left"] = days_left(calendar, today, case.due_on)
        context["stage_clock"] = clock_text(context["stage_left"])
        context["total_clock"] = clock_text(context["total_left"])
        context["calendar_warnings"] = calendar.warnings
        context["current_label"] = stage_label(stage)
        may_act = user.has_perm_named(stage["perm"])
        context["current_perm_label"] = Perm(stage["perm"]).label if stage["perm"] in Perm.values else stage["perm"]
        waiting = [c for c in confirmations if c.status == ConfirmationStatus.PENDING]
        context["awaiting"] = waiting
        mine = next((c for c in waiting if c.person_id == user.pk), None)
        if mine is not None:
            context["my_confirmation"] = mine
            context["my_confirmation_record"] = next(r for r in records if r.pk == mine.record_id)
            context["confirmation_form"] = forms.get("confirmation_form") or ConfirmationForm(
                initial={"version": case.version})
        if stage["kind"] == StageKind.DECISION and may_act and not waiting:
            refusal = services.duty_refusal(case, user)
            if refusal is not None:
                context["blocked"] = refusal.message
            else:
                context["decision_form"] = forms.get("decision_form") or DecisionForm(case=case, user=user)
        elif stage["kind"] == StageKind.NOTICE:
            notice = services.current_notice(case)
            context["current_notice"] = notice
            context["notice_ended"] = may_act and notice_period_over(notice, today)
            if notice is None and may_act:
                waiting = notice_waiting(user, case)
                context["publish_form"] = forms.get("publish_form") or NoticePublishForm(
                    waiting=waiting, initial={"cases": [case.pk], "starts_on": today,
                                              "objection_phone": case.procedure.objection_phone})
            if notice is not None and user.has_perm_named(Perm.PUBLISH_NOTICE) and notice.starts_on <= today:
                context["objection_form"] = forms.get("objection_form") or ObjectionForm(
                    initial={"received_on": min(today, notice.ends_on)})
        elif stage["kind"] == StageKind.ANNOUNCEMENT and may_act:
            context["announce_form"] = forms.get("announce_form") or AnnounceForm(initial={"version": case.version})
    if case.kind == CaseKind.ELIMINATION and case.eligibility:
        context["eligibility"] = case.eligibility
    return context


def participant_rows(record, confirmations) -> list[dict]:
    """Who took part in a stage and whether each confirmed. Records written before participants were
    accounts hold typed names: those are shown as they were typed."""
    answers = {c.person_id: c for c in confirmations if c.record_id == record.pk}
    rows = []
    for entry in record.participants or []:
        if not isinstance(entry, dict):
            rows.append({"name": str(entry), "typed": True})
            continue
        answer = answers.get(entry.get("user"))
        rows.append({"name": entry.get("name", ""), "is_actor": entry.get("user") == record.actor_id,
                     "status": answer.status if answer else "", "status_label": answer.get_status_display()
                     if answer else "", "answered_at": answer.answered_at if answer else None,
                     "reason": answer.reason if answer else ""})
    return rows


def notice_waiting(user, case: Case):
    """Cases of the same village and kind that wait at their notice stage with no notice yet."""
    village = case.household.place.village()
    candidates = (Case.objects.restrict(user, Perm.PUBLISH_NOTICE)
                  .filter(status=CaseStatus.OPEN, kind=case.kind, household__place__code__startswith=village.code[:12]))
    candidates = candidates.filter(stage_q(candidates, lambda s: s["kind"] == StageKind.NOTICE))
    pks = [c.pk for c in candidates if services.current_notice(c) is None]
    return with_heads(Case.objects.filter(pk__in=pks)).order_by("pk")


class CaseDetailView(CasePageMixin, View):
    """The case page. Reading it changes nothing: a notice whose period has ended is concluded by the
    daily round (`fangpin cases-daily`) or by the notice-conclude POST below."""

    def get(self, request, pk):
        return self.page(self.get_case(pk))


class NoticeConcludeView(CasePageMixin, View):
    """A notice whose period ended without objection, moved on now by someone who may act on the
    notice stage, rather than at the next daily round. The service decides whether it has ended."""

    http_method_names = ["post"]

    def post(self, request, pk):
        case = self.get_case(pk)
        stage = case.stage if case.is_open else None
        if stage is not None and stage["kind"] == StageKind.NOTICE and not request.user.has_perm_named(stage["perm"]):
            raise DjangoPermissionDenied(Perm(stage["perm"]).label if stage["perm"] in Perm.values else stage["perm"])
        if services.notice_conclude(case=case):
            messages.success(request, gettext("公示期满无异议，案件已进入下一环节。"))
        else:
            messages.info(request, gettext("公示尚未期满或案件已不在公示环节，页面已刷新为最新状态。"))
        return redirect("cases:case-detail", pk=case.pk)


class CaseActionView(CasePageMixin, View):
    """POST-only action on the case page. The form is parsed here, the service decides; any error shows
    on the case page with its message and nothing is written."""

    http_method_names = ["post"]
    form_name = ""

    def post(self, request, pk):
        case = self.get_case(pk)
        form = self.make_form(case)
        if form is None:
            messages.warning(request, gettext("案件当前环节不能办理此事项，页面已刷新为最新状态。"))
            return redirect("cases:case-detail", pk=case.pk)
        if not form.is_valid():
            return self.page(case, status=400, **{self.form_name: form})
        try:
            outcome = self.perform(case, form)
        except Conflict as error:
            # The case moved on meanwhile: show its current state with the message.
            return self.page(self.get_case(pk), status=409, alert=error.message)
        except ServiceError as error:
            form.add_service_error(self.map_field(error, form))
            return self.page(case, status=error.status, **{self.form_name: form})
        return outcome

    def map_field(self, error: ServiceError, form) -> ServiceError:
        return error


class CaseDecideView(CaseActionView):
    form_name = "decision_form"

    def make_form(self, case):
        if not case.is_open or case.stage["kind"] != StageKind.DECISION:
            return None
        return DecisionForm(self.request.POST, self.request.FILES, case=case, user=self.request.user)

    def map_field(self, error, form):
        names = {"details": "commitment_signed",
                 "attachments": "commitment_file" if "commitment_file" in form.fields else "files"}
        if error.field in names:
            error.field = names[error.field]
        return error

    def perform(self, case, form):
        decision = form.stage_input()
        services.case_decide(actor=self.request.user, case=case, expected_version=form.cleaned_data["version"],
                             decision=decision)
        words = {Decision.APPROVE: gettext("已通过，案件进入下一环节。"), Decision.REJECT: gettext("已决定不予通过，案件办结。"),
                 Decision.RETURN: gettext("已退回。")}
        waiting = list(services.pending_confirmations(case))
        if waiting:
            messages.success(self.request, gettext("已提交，等待%(names)s用自己的账号确认参与，确认后进入下一环节。") % {
                "names": "、".join(c.person.display_name for c in waiting)})
        else:
            messages.success(self.request, words[decision.decision])
        return redirect("cases:case-detail", pk=case.pk)


class ConfirmationAnswerView(CasePageMixin, View):
    """A participant named on a stage confirms (one click) or declines with a reason, on the case page.
    A refusal is shown on the case page with its message; nothing is written."""

    http_method_names = ["post"]
    answer = "confirm"

    def post(self, request, pk):
        confirmation = get_object_or_404(
            Confirmation.objects.restrict(request.user, Perm.VIEW_CASES).select_related("record"), pk=pk)
        case = self.get_case(confirmation.case_id)
        form = ConfirmationForm(request.POST)
        if not form.is_valid():
            return self.page(case, status=400, confirmation_form=form)
        data = form.cleaned_data
        try:
            if self.answer == "decline":
                services.participation_decline(actor=request.user, confirmation=confirmation,
                                               expected_version=data["version"], reason=data["reason"])
            else:
                services.participation_confirm(actor=request.user, confirmation=confirmation,
                                               expected_version=data["version"])
        except ServiceError as error:
            if error.field:
                form.add_service_error(error)
                return self.page(case, status=error.status, confirmation_form=form)
            return self.page(self.get_case(case.pk), status=error.status, alert=error.message)
        if self.answer == "decline":
            messages.success(request, gettext("已答复不确认，“%(s)s”退回重新办理。") % {"s": confirmation.record.stage_name})
        else:
            messages.success(request, gettext("已确认您参与了“%(s)s”。") % {"s": confirmation.record.stage_name})
        return redirect("cases:case-detail", pk=case.pk)


class CaseAnnounceView(CaseActionView):
    form_name = "announce_form"

    def make_form(self, case):
        if not case.is_open or case.stage["kind"] != StageKind.ANNOUNCEMENT:
            return None
        return AnnounceForm(self.request.POST)

    def perform(self, case, form):
        case = services.case_announce(actor=self.request.user, case=case,
                                      expected_version=form.cleaned_data["version"], text=form.cleaned_data["text"])
        messages.success(self.request, gettext("已发布公告，案件办结：%(s)s。") % {"s": case.get_status_display()})
        return redirect("cases:case-detail", pk=case.pk)


class NoticePublishView(CaseActionView):
    form_name = "publish_form"

    def make_form(self, case):
        if not case.is_open or case.stage["kind"] != StageKind.NOTICE:
            return None
        return NoticePublishForm(self.request.POST, waiting=notice_waiting(self.request.user, case))

    def perform(self, case, form):
        data = form.cleaned_data
        notice = services.notice_publish(actor=self.request.user, cases=list(data["cases"]),
                                         starts_on=data["starts_on"], objection_phone=data["objection_phone"])
        messages.success(self.request, gettext("已发布公示%(n)s（%(a)s至%(b)s）。") % {
            "n": notice.number, "a": notice.starts_on, "b": notice.ends_on})
        return redirect("cases:notice-detail", pk=notice.pk)


class ObjectionView(CaseActionView):
    form_name = "objection_form"

    def make_form(self, case):
        if not case.is_open or case.stage["kind"] != StageKind.NOTICE:
            return None
        return ObjectionForm(self.request.POST, self.request.FILES)

    def map_field(self, error, form):
        if error.field == "attachments":
            error.field = "files"
        return error

    def perform(self, case, form):
        data = form.cleaned_data
        services.objection_record(actor=self.request.user, case=case, content=data["content"],
                                  received_on=data["received_on"], objector_name=data["objector_name"],
                                  objector_phone=data["objector_phone"], attachments=data["files"])
        messages.success(self.request, gettext("已登记异议，案件退回入户核实。"))
        return redirect("cases:case-detail", pk=case.pk)


class AttachmentView(AreaScopedMixin, View):
    """A case file, only to a user who may see the case: files are never served from MEDIA directly."""

    model = Attachment
    required_perm = Perm.VIEW_CASES

    def get(self, request, pk):
        return uploads.file_response(get_object_or_404(self.get_queryset(), pk=pk))


# ---------------------------------------------------------------- public notices


class NoticeMixin(AreaScopedMixin):
    model = PublicNotice
    required_perm = Perm.VIEW_CASES

    def get_notice(self, pk) -> PublicNotice:
        return get_object_or_404(self.get_queryset().select_related("village__parent", "published_by"), pk=pk)


class NoticeDetailView(NoticeMixin, View):
    def get(self, request, pk):
        notice = self.get_notice(pk)
        context = notice_context(notice)
        context["case_links"] = Case.objects.restrict(request.user, Perm.VIEW_CASES).filter(notices=notice)
        return render(request, "cases/notice_detail.html", context)


class NoticePdfView(NoticeMixin, View):
    def get(self, request, pk):
        notice = self.get_notice(pk)
        pdf = render_notice_pdf(notice)
        log_access(actor=request.user, kind=AccessLog.Kind.EXPORT, area_code=notice.village.code,
                   target=f"cases.publicnotice:{notice.pk} {notice.number}", detail={"format": "pdf"})
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{notice.number}.pdf"'
        return response


# ---------------------------------------------------------------- elimination


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
            context["open_case"] = Case.objects.filter(household=household, kind=CaseKind.ELIMINATION,
                                                       status=CaseStatus.OPEN).first()
            check = context.get("check")
            context["can_open"] = (user.has_perm_named(Perm.OPEN_CASE) and context["open_case"] is None
                                   and check is not None and check.passed)
            if context["can_open"] or form is not None:
                context["form"] = form or EliminationOpenForm()
        return render(self.request, self.template_name, context, status=status)


# ---------------------------------------------------------------- monitored households


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


# ---------------------------------------------------------------- county configuration


class CountyMixin(PermissionRequiredMixin):
    required_perm = Perm.MANAGE_PROCEDURE

    @cached_property
    def county(self):
        return county_of(self.request.user.place)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.place_id:
            raise DjangoPermissionDenied(gettext("您的账号没有所属区划。"))
        return super().dispatch(request, *args, **kwargs)


def _parse_json(text: str):
    """A configuration typed as JSON: (the parsed value or None, the error to show next to its text area)."""
    try:
        return StagesJsonField(required=False).clean(text), ""
    except ValidationError as error:
        return None, " ".join(error.messages)


class ProcedureView(CountyMixin, TemplateView):
    template_name = "cases/procedure.html"

    def kind(self) -> str:
        kind = self.request.POST.get("kind") or self.request.GET.get("kind")
        return kind if kind in CaseKind.values else CaseKind.IDENTIFICATION

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data())

    def post(self, request, *args, **kwargs):
        kind = self.kind()
        form = ProcedureForm(request.POST)
        formset = StageFormSet(request.POST, prefix="stages")
        stages_json = request.POST.get("stages_json", "")
        parsed_json, json_error = _parse_json(stages_json)
        use_json = bool(stages_json.strip())
        duty_formset = DutyFormSet(request.POST, prefix="duties")
        duties_json = request.POST.get("duties_json", "")
        parsed_duties, duties_error = _parse_json(duties_json)
        use_duties_json = bool(duties_json.strip())
        # A post without the rules table (an older form or a script) keeps the rules of the last version.
        duties_posted = use_duties_json or f"{duty_formset.prefix}-TOTAL_FORMS" in request.POST
        valid = (form.is_valid() and (parsed_json is not None if use_json else formset.is_valid())
                 and (not duties_posted or (parsed_duties is not None if use_duties_json
                                            else duty_formset.is_valid())))
        error_text = json_error
        if valid:
            data = form.cleaned_data
            try:
                config = services.procedure_adopt(
                    actor=request.user, county=self.county, kind=kind,
                    stages=parsed_json if use_json else stage_rows(formset),
                    duties=(parsed_duties if use_duties_json else duty_rows(duty_formset)) if duties_posted else None,
                    total_limit_days=data["total_limit_days"], notice_days=data["notice_days"],
                    objection_phone=data["objection_phone"], green_channel=data["green_channel"],
                    effective_from=data["effective_from"], note=data["note"])
            except ServiceError as error:
                if error.field == "stages":
                    error_text = error.message
                elif error.field == "duties":
                    duties_error = error.message
                else:
                    form.add_service_error(error)
                status = error.status
            else:
                messages.success(request, gettext("已制定%(k)s流程第%(v)d版，%(d)s起生效。") % {
                    "k": config.get_kind_display(), "v": config.version, "d": config.effective_from})
                return redirect(f"{reverse('cases:procedure')}?kind={kind}")
        else:
            status = 400
        return self.render_to_response(self.get_context_data(
            form=form, formset=formset, stages_error=error_text, stages_json=stages_json,
            duty_formset=duty_formset if duties_posted else None,
            duties_error=duties_error, duties_json=duties_json), status=status)

    def get_context_data(self, **kwargs):
        today, county = timezone.localdate(), self.county
        kinds = []
        for kind in CaseKind:
            versions = list(ProcedureConfig.objects.filter(county=county, kind=kind).select_related("created_by")
                            .order_by("-version"))
            in_force = (ProcedureConfig.objects.filter(county=county, kind=kind, effective_from__lte=today)
                        .order_by("-effective_from", "-version").first())
            stages = in_force.stages if in_force else DEFAULT_STAGES[kind]
            kinds.append({"kind": kind, "in_force": in_force, "versions": versions,
                          "upcoming": [v for v in versions if v.effective_from > today],
                          "stages": [{**s, "label": stage_label(s), "kind_label": StageKind(s["kind"]).label,
                                      "level_label": StageLevel(s["level"]).label,
                                      "perm_label": Perm(s["perm"]).label if s["perm"] in Perm.values else s["perm"]}
                                     for s in stages],
                          "duties": [{**r, "label": duty_label(r)}
                                     for r in (in_force.duties if in_force else default_duties())],
                          "total_limit_days": in_force.total_limit_days if in_force else DEFAULT_TOTAL_DAYS[kind],
                          "notice_days": in_force.notice_days if in_force else DEFAULT_NOTICE_DAYS[kind]})
        kind = self.kind()
        current = next(k for k in kinds if k["kind"] == kind)
        base = current["in_force"]
        form = kwargs.get("form") or ProcedureForm(initial={
            "kind": kind, "effective_from": today, "total_limit_days": current["total_limit_days"],
            "notice_days": current["notice_days"], "objection_phone": base.objection_phone if base else "",
            "green_channel": base.green_channel if base else True})
        formset = kwargs.get("formset") or StageFormSet(prefix="stages", initial=stages_initial(
            base.stages if base else DEFAULT_STAGES[kind]))
        duty_formset = kwargs.get("duty_formset") or DutyFormSet(prefix="duties", initial=duties_initial(
            base.duties if base else default_duties()))
        return {**super().get_context_data(), "county": county, "kinds": kinds, "kind": kind,
                "kind_label": CaseKind(kind).label, "form": form, "formset": formset,
                "stages_error": kwargs.get("stages_error", ""), "stages_json": kwargs.get("stages_json", ""),
                "duty_formset": duty_formset, "duties_error": kwargs.get("duties_error", ""),
                "duties_json": kwargs.get("duties_json", ""), "duty_rules": DutyRule}


class HolidaysView(CountyMixin, TemplateView):
    template_name = "cases/holidays.html"

    def get(self, request, *args, **kwargs):
        initial = {}
        day = request.GET.get("date", "")
        try:
            chosen = datetime.date.fromisoformat(day) if day else None
        except ValueError:
            chosen = None
        if chosen is not None:
            existing = Holiday.objects.restrict(request.user, Perm.MANAGE_PROCEDURE).filter(
                county=self.county, date=chosen).first()
            initial = {"date": chosen, "is_workday": "1" if existing and existing.is_workday else "0",
                       "name": existing.name if existing else ""}
        return self.render_to_response(self.get_context_data(form=HolidayForm(initial=initial)))

    def post(self, request, *args, **kwargs):
        form = HolidayForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        data = form.cleaned_data
        try:
            holiday = services.holiday_set(actor=request.user, county=self.county, date=data["date"],
                                           is_workday=data["is_workday"], name=data["name"])
        except ServiceError as error:
            form.add_service_error(error)
            return self.render_to_response(self.get_context_data(form=form), status=error.status)
        messages.success(request, gettext("已保存：%(d)s %(w)s。") % {
            "d": holiday.date, "w": gettext("上班") if holiday.is_workday else gettext("放假")})
        return redirect(f"{reverse('cases:holidays')}?year={holiday.date.year}")

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        try:
            year = int(self.request.GET.get("year", today.year))
        except ValueError:
            year = today.year
        holidays = Holiday.objects.restrict(self.request.user, Perm.MANAGE_PROCEDURE).filter(county=self.county)
        years = sorted({day.year for day in holidays.dates("date", "year")} | {today.year, today.year + 1})
        calendar = county_calendar(self.county)
        for check_year in (today.year, today.year + 1):
            day = datetime.date(check_year, 1, 1)
            while day in calendar.overrides and day.year == check_year:
                day += datetime.timedelta(days=1)
            calendar.is_workday(day)
        return {**super().get_context_data(**kwargs), "county": self.county, "year": year, "years": years,
                "holidays": holidays.filter(date__year=year).select_related("created_by"),
                "calendar_warnings": calendar.warnings}
