"""The case page: its stage stepper, the form of the current stage, and the actions taken from it (decide,
confirm or decline taking part, announce, publish the notice, record an objection), and its attachments."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views import View

from fangpin.core import uploads
from fangpin.core.areas import county_of
from fangpin.core.errors import Conflict, ServiceError
from fangpin.core.roles import Perm
from fangpin.core.views import AreaScopedMixin
from fangpin.monitoring.choices import risk_labels

from .. import notices, services
from ..choices import CaseKind, CaseStatus, ConfirmationStatus, Decision, StageKind, StageLevel
from ..forms import AnnounceForm, ConfirmationForm, DecisionForm, NoticePublishForm, ObjectionForm
from ..models import Attachment, Case, Confirmation
from ..selectors import notice_period_over, stage_q
from ..procedure import stage_label
from ..workdays import county_calendar
from .common import clock_text, days_left, with_heads


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
            notice = notices.current_notice(case)
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
    pks = [c.pk for c in candidates if notices.current_notice(c) is None]
    return with_heads(Case.objects.unrestricted().filter(pk__in=pks)).order_by("pk")  # pks: restricted above


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
        if notices.notice_conclude(case=case):
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
        notice = notices.notice_publish(actor=self.request.user, cases=list(data["cases"]),
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
        notices.objection_record(actor=self.request.user, case=case, content=data["content"],
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
