"""The steps every transition of a case shares: lock the row (and check the version the actor saw), record
the stage, attach files, enter the next stage, close the case with its outcome, and save with the change log.
The transitions themselves are in services.py (opening and deciding) and notices.py (notices, objections)."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from fangpin.cases.errors import CasesErrorCode
from fangpin.core import uploads
from fangpin.core.areas import county_of
from fangpin.core.audit import log_change, snapshot
from fangpin.core.calendar import WorkCalendar
from fangpin.core.errors import Conflict, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.scoping import ensure_in_area
from fangpin.monitoring.choices import LeadStatus, MonitoringStatus
from fangpin.monitoring.models import Lead, Monitoring

from .choices import AttachmentKind, CaseKind, CaseStatus
from .models import Attachment, Case, StageRecord
from .workdays import county_calendar


def resolve_today(today=None) -> datetime.date:
    return today or timezone.localdate()


def calendar_of(case_or_household) -> WorkCalendar:
    household = getattr(case_or_household, "household", case_or_household)
    return county_calendar(county_of(household.place))


def lock_case(case: Case, actor=None, perm: str | None = None, expected_version: int | None = None) -> Case:
    locked = Case.objects.unrestricted().select_for_update().select_related("household__place").get(pk=case.pk)
    if perm is not None:
        ensure_in_area(actor, locked, perm)
    if expected_version is not None and locked.version != expected_version:
        last = locked.records.order_by("-decided_at", "-pk").first()
        if last is not None:
            who = last.actor.display_name if last.actor else _("系统")
            message = _("该案件刚刚已由%(who)s办理（%(stage)s：%(d)s），请刷新后查看最新状态再办理。") % {
                "who": who, "stage": last.stage_name, "d": last.get_decision_display()}
        else:
            message = _("该案件刚刚已被他人修改，请刷新后再办理。")
        raise Conflict(CasesErrorCode.CASE_CHANGED, message)
    return locked


def save_case(case: Case, *, actor, before: dict, reason: str = "") -> Case:
    case.version += 1
    case.save()
    log_change(case, ChangeLog.Action.UPDATE, actor=actor, before=before, reason=reason)
    return case


def enter_stage(case: Case, index: int, today: datetime.date, calendar: WorkCalendar) -> None:
    case.stage_index = index
    case.stage_started_on = today
    case.stage_due_on = calendar.add(today, case.stages[index]["limit_days"])
    case.escalated_at = None


def record_stage(case: Case, *, actor, decision: str, reason: str = "", return_to=None, participants=None,
            details=None, today: datetime.date) -> StageRecord:
    stage = case.stages[case.stage_index]
    record = StageRecord.objects.create(
        case=case, stage_index=case.stage_index, stage_code=stage["code"], stage_name=stage["name"],
        stage_kind=stage["kind"], actor=actor, actor_role=getattr(actor, "role", "") or "", decision=decision,
        return_to=return_to, reason=reason, participants=participants or [], details=details or {},
        started_on=case.stage_started_on, due_on=case.stage_due_on, overdue=today > case.stage_due_on)
    log_change(record, ChangeLog.Action.CREATE, actor=actor)
    return record


def attach_files(case: Case, files, *, actor, record=None, objection=None) -> list[Attachment]:
    """Save uploaded files as attachments. `files` holds (kind, uploaded file) pairs; all are checked
    (size, and type by content: `fangpin.core.uploads.DOCUMENTS`) before the first one is written.
    Callers wrap themselves in `uploads.files_removed_on_rollback` so that a failed transition leaves
    no file behind."""
    files = list(files or ())
    content_types = []
    for kind, upload in files:
        if kind not in AttachmentKind.values:
            raise ValidationFailed(CasesErrorCode.ATTACHMENT_KIND, _("未知的材料类型：%(k)s") % {"k": kind}, field="attachments")
        content_types.append(uploads.check_upload(upload, uploads.DOCUMENTS, field="attachments"))
    saved = []
    for (kind, upload), content_type in zip(files, content_types):
        attachment = Attachment(case=case, record=record, objection=objection, kind=kind, name=upload.name[:200],
                                size=upload.size, uploaded_by=actor)
        uploads.store_upload(attachment, upload, filename=upload.name, content_type=content_type)
        attachment.save()
        log_change(attachment, ChangeLog.Action.CREATE, actor=actor)
        saved.append(attachment)
    return saved


def current_monitoring(household) -> Monitoring | None:
    return Monitoring.objects.unrestricted().filter(household=household, status=MonitoringStatus.MONITORED).first()


def move_on(case: Case, *, actor, today) -> None:
    if case.stage_index + 1 < len(case.stages):
        enter_stage(case, case.stage_index + 1, today, calendar_of(case))
    else:
        close_passed(case, actor=actor, today=today)


def check_outcome_possible(case: Case) -> None:
    """Refuse before anything is written when the outcome could not take effect."""
    if case.kind == CaseKind.IDENTIFICATION and current_monitoring(case.household) is not None:
        raise Conflict(CasesErrorCode.ALREADY_MONITORED, _("该户已是监测对象。"))


def close_passed(case: Case, *, actor, today) -> None:
    check_outcome_possible(case)
    case.closed_at = timezone.now()
    if case.kind == CaseKind.IDENTIFICATION:
        case.status = CaseStatus.CONFIRMED
        monitoring = Monitoring.objects.create(
            household=case.household, category=case.category, risk_types=case.risk_types,
            disaster_subtype=case.disaster_subtype, identified_on=today, identification_case=case)
        log_change(monitoring, ChangeLog.Action.CREATE, actor=actor)
        if case.lead_id:
            close_lead(case.lead, actor=actor, status=LeadStatus.IDENTIFIED,
                        reason=_("经识别认定为监测对象（%(n)s）") % {"n": case.number})
    else:
        case.status = CaseStatus.ELIMINATED
        monitoring = Monitoring.objects.unrestricted().select_for_update().get(pk=case.monitoring_id)
        before = snapshot(monitoring)
        monitoring.status = MonitoringStatus.ELIMINATED
        monitoring.eliminated_on = today
        monitoring.elimination_case = case
        monitoring.elimination_method = case.method
        monitoring.version += 1
        monitoring.save()
        log_change(monitoring, ChangeLog.Action.UPDATE, actor=actor, before=before)


def close_rejected(case: Case, *, actor, reason: str) -> None:
    case.status = CaseStatus.REJECTED
    case.closed_at = timezone.now()
    case.outcome_reason = reason[:500]
    if case.kind == CaseKind.IDENTIFICATION and case.lead_id:
        close_lead(case.lead, actor=actor, status=LeadStatus.DISMISSED,
                    reason=_("识别认定未通过（%(n)s）：%(r)s") % {"n": case.number, "r": reason})


def close_lead(lead: Lead, *, actor, status: str, reason: str) -> None:
    lead = Lead.objects.unrestricted().select_for_update().get(pk=lead.pk)
    if lead.status not in (LeadStatus.NEW, LeadStatus.ACCEPTED):
        return
    before = snapshot(lead)
    lead.status, lead.closed_by, lead.closed_at = status, actor, timezone.now()
    lead.close_reason = reason[:300]
    lead.version += 1
    lead.save()
    log_change(lead, ChangeLog.Action.UPDATE, actor=actor, before=before, reason=reason)
