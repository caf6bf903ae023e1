"""Public notices (公示) and objections: publish a village notice for cases at their notice stage, record
an objection received during the period (the case goes back to verification), and conclude a notice
stage once its period has run out without objection."""

import datetime
import uuid

from django.db import transaction
from django.utils.translation import gettext as _

from fangpin.cases.errors import CasesErrorCode
from fangpin.core import uploads
from fangpin.core.audit import log_change, snapshot
from fangpin.core.errors import ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.roles import Perm
from fangpin.regions.models import Level

from .choices import AttachmentKind, Decision, StageKind
from .models import Case, Objection, PublicNotice
from .steps import attach_files, calendar_of, enter_stage, lock_case, move_on, record_stage, resolve_today, save_case


def current_notice(case: Case) -> PublicNotice | None:
    """The notice the case is on in its current notice stage: published since it entered the stage and
    not one that an objection already sent back (the case may return to the notice stage that day)."""
    return (case.notices.filter(starts_on__gte=case.stage_started_on)
            .exclude(objections__case=case).order_by("-starts_on", "-pk").first())


@transaction.atomic
def notice_publish(*, actor, cases, starts_on=None, objection_phone: str = "", today=None) -> PublicNotice:
    """Publish one village notice for cases waiting at their notice stage."""
    today = resolve_today(today)
    starts_on = starts_on or today
    cases = sorted(cases, key=lambda c: c.pk)
    if not cases:
        raise ValidationFailed(CasesErrorCode.NO_CASES, _("请选择要公示的农户。"), field="cases")
    locked = [lock_case(c, actor, Perm.PUBLISH_NOTICE) for c in cases]
    villages = {c.household.place.code[:12] for c in locked}
    kinds = {c.kind for c in locked}
    if len(villages) > 1 or len(kinds) > 1:
        raise ValidationFailed(CasesErrorCode.NOTICE_MIXED, _("一次公示只能包含同一个村、同一办理事项的农户。"), field="cases")
    for case in locked:
        if not case.is_open or case.stage["kind"] != StageKind.NOTICE:
            raise ValidationFailed(CasesErrorCode.NOT_AT_NOTICE, _("案件%(n)s不在公示环节。") % {"n": case}, field="cases")
        if current_notice(case) is not None:
            raise ValidationFailed(CasesErrorCode.ALREADY_ON_NOTICE, _("案件%(n)s已在公示中。") % {"n": case}, field="cases")
    if starts_on < today:
        raise ValidationFailed(CasesErrorCode.NOTICE_BACKDATED, _("公示开始日期不能早于今天。"), field="starts_on")
    config = locked[0].procedure
    objection_phone = (objection_phone or config.objection_phone).strip()
    if not objection_phone:
        raise ValidationFailed(CasesErrorCode.OBJECTION_PHONE, _("请填写异议受理电话。"), field="objection_phone")
    village = locked[0].household.place
    if village.level == Level.GROUP:
        village = village.parent
    notice = PublicNotice.objects.create(
        village=village, kind=locked[0].kind, number=f"tmp-{uuid.uuid4().hex[:20]}", starts_on=starts_on,
        ends_on=starts_on + datetime.timedelta(days=config.notice_days - 1), objection_phone=objection_phone,
        published_by=actor)
    notice.number = f"GS{starts_on:%Y}{notice.pk:07d}"
    notice.save(update_fields=["number"])
    notice.cases.set(locked)
    log_change(notice, ChangeLog.Action.CREATE, actor=actor)
    return notice


@uploads.files_removed_on_rollback()
@transaction.atomic
def objection_record(*, actor, case: Case, content: str, received_on=None, objector_name: str = "",
                     objector_phone: str = "", attachments=(), today=None) -> Objection:
    """Record an objection received during the notice period; the case goes back to verification with
    the objection attached."""
    today = resolve_today(today)
    case = lock_case(case, actor, Perm.PUBLISH_NOTICE)
    received_on = received_on or today
    content = (content or "").strip()
    if not content:
        raise ValidationFailed(CasesErrorCode.CONTENT_MISSING, _("请填写异议内容。"), field="content")
    if not case.is_open or case.stage["kind"] != StageKind.NOTICE:
        raise ValidationFailed(CasesErrorCode.NOT_AT_NOTICE, _("案件%(n)s不在公示环节，不能登记异议。") % {"n": case})
    notice = current_notice(case)
    if notice is None:
        raise ValidationFailed(CasesErrorCode.NOTICE_MISSING, _("案件%(n)s尚未发布公示。") % {"n": case})
    if not notice.starts_on <= received_on <= notice.ends_on or received_on > today:
        raise ValidationFailed(CasesErrorCode.OBJECTION_OUTSIDE_PERIOD, _("异议须在公示期内（%(a)s至%(b)s）收到。") % {
            "a": notice.starts_on, "b": notice.ends_on}, field="received_on")
    objection = Objection.objects.create(case=case, notice=notice, received_on=received_on,
                                         objector_name=objector_name[:50], objector_phone=objector_phone[:20],
                                         content=content, recorded_by=actor)
    log_change(objection, ChangeLog.Action.CREATE, actor=actor)
    before = snapshot(case)
    record = record_stage(case, actor=actor, decision=Decision.OBJECTION, reason=content, return_to=0,
                     details={"objection": objection.pk, "notice": notice.number}, today=today)
    attach_files(case, [(AttachmentKind.OBJECTION, f) for f in attachments], actor=actor, record=record,
            objection=objection)
    enter_stage(case, 0, today, calendar_of(case))
    save_case(case, actor=actor, before=before, reason=content)
    return objection


@transaction.atomic
def notice_conclude(*, case: Case, today=None) -> bool:
    """Close the notice stage when its period has ended without objection. True when it moved on."""
    today = resolve_today(today)
    case = lock_case(case)
    if not case.is_open or case.stage["kind"] != StageKind.NOTICE:
        return False
    notice = current_notice(case)
    if notice is None or notice.ends_on >= today:
        return False
    before = snapshot(case)
    record_stage(case, actor=None, decision=Decision.NOTICE_ENDED,
            reason=_("公示%(n)s（%(a)s至%(b)s）期满，未收到异议。") % {
                "n": notice.number, "a": notice.starts_on, "b": notice.ends_on},
            details={"notice": notice.number}, today=today)
    move_on(case, actor=None, today=today)
    save_case(case, actor=None, before=before)
    return True
