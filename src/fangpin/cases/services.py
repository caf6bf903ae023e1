"""Services of the identification and risk-elimination procedures.

Each transition is one function: it locks the case row, checks who may act and what must hold, writes
a StageRecord and the change log, and moves the case on. Two officers acting on one case at once: the
second waits for the lock, then finds the case moved on and gets a Conflict naming what happened.

The steps every transition shares (lock, record, move on, close) are in steps.py; public notices and
objections in notices.py; the daily round (notices that ran out, overdue cases) in daily.py."""

import dataclasses
import datetime
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangpin.cases.errors import CasesErrorCode
from fangpin.core import uploads
from fangpin.core.areas import county_of
from fangpin.core.audit import log_change, snapshot
from fangpin.core.errors import Conflict, CoreErrorCode, PermissionDenied, ValidationFailed
from fangpin.core.models import ChangeLog, User
from fangpin.core.roles import ROLE_PERMISSIONS, Perm
from fangpin.core.scoping import ensure_in_area
from fangpin.monitoring.choices import (MAX_RISK_TYPES, DisasterSubtype, EliminationMethod, LeadStatus,
                                        MonitoredCategory, MonitoringStatus, RiskType)
from fangpin.monitoring.errors import MonitoringErrorCode
from fangpin.monitoring.models import Lead, Monitoring, MonthlyListLine
from fangpin.registry.choices import HouseholdStatus
from fangpin.registry.errors import RegistryErrorCode

from .choices import AttachmentKind, CaseKind, ConfirmationStatus, Decision, DutyRule, StageKind, StageLevel
from .eligibility import check_elimination
from .models import Case, Confirmation, Holiday, ProcedureConfig
from .procedure import (DEFAULT_NOTICE_DAYS, DEFAULT_STAGES, DEFAULT_TOTAL_DAYS, NOTICE_DAYS_RANGE, default_duties,
                        one_decision_per_person, opener_excluded_levels, validate_duties, validate_stages)
from .steps import (attach_files, calendar_of, check_outcome_possible, close_rejected, current_monitoring, enter_stage,
                    lock_case, move_on, record_stage, resolve_today, save_case)

# Risks a green channel is for: clear disaster or accident cases (help first, paperwork after).
GREEN_CHANNEL_RISKS = {RiskType.DISASTER, RiskType.ACCIDENT}
# Decisions a person makes on a stage: the same person may not make them on two stages of one case.
PERSONAL_DECISIONS = (Decision.APPROVE, Decision.REJECT, Decision.RETURN)


# ---------------------------------------------------------------- configuration


@transaction.atomic
def procedure_adopt(*, actor, county, kind: str, stages, total_limit_days: int, notice_days: int,
                    objection_phone: str, green_channel: bool = True, effective_from=None,
                    note: str = "", duties=None) -> ProcedureConfig:
    """Adopt a new version of a county's stage list, segregation-of-duties rules and limits; earlier
    versions stay for old cases. Without `duties` the rules of the latest version (or the defaults)
    carry over."""
    ensure_in_area(actor, county, Perm.MANAGE_PROCEDURE)
    if kind not in CaseKind.values:
        raise ValidationFailed(CasesErrorCode.KIND_INVALID, _("未知的办理事项：%(k)s") % {"k": kind}, field="kind")
    stages = validate_stages(kind, stages)
    if duties is None:
        previous = ProcedureConfig.objects.unrestricted().filter(county=county, kind=kind).order_by("-version").first()
        duties = previous.duties if previous is not None else default_duties()
    duties = validate_duties(duties)
    low, high = NOTICE_DAYS_RANGE[kind]
    if not low <= int(notice_days) <= high:
        raise ValidationFailed(CasesErrorCode.NOTICE_DAYS, _("公示天数应在%(a)d到%(b)d天之间。") % {"a": low, "b": high},
                               field="notice_days")
    total = int(total_limit_days)
    if not sum(s["limit_days"] for s in stages) <= total <= 60:
        raise ValidationFailed(CasesErrorCode.TOTAL_LIMIT, _("总时限必须不少于各环节时限之和（%(s)d个工作日），且不超过60个工作日。")
                               % {"s": sum(s["limit_days"] for s in stages)}, field="total_limit_days")
    objection_phone = (objection_phone or "").strip()
    if not objection_phone:
        raise ValidationFailed(CasesErrorCode.OBJECTION_PHONE, _("请填写异议受理电话。"), field="objection_phone")
    last = ProcedureConfig.objects.unrestricted().filter(county=county, kind=kind).select_for_update().order_by("-version").first()
    config = ProcedureConfig.objects.create(
        county=county, kind=kind, version=(last.version + 1) if last else 1,
        effective_from=effective_from or timezone.localdate(), stages=stages, duties=duties, total_limit_days=total,
        notice_days=int(notice_days), objection_phone=objection_phone, green_channel=bool(green_channel),
        note=note[:300], created_by=actor)
    log_change(config, ChangeLog.Action.CREATE, actor=actor)
    return config


def procedure_in_force(county, kind: str, on: datetime.date | None = None) -> ProcedureConfig:
    """The version in force; a county that never configured one starts from the defaults (version 1)."""
    on = on or timezone.localdate()
    config = (ProcedureConfig.objects.unrestricted().filter(county=county, kind=kind, effective_from__lte=on)
              .order_by("-effective_from", "-version").first())
    if config is not None:
        return config
    if ProcedureConfig.objects.unrestricted().filter(county=county, kind=kind).exists():
        raise ValidationFailed(CasesErrorCode.NO_PROCEDURE, _("%(c)s在%(d)s尚无生效的办理流程。") % {
            "c": county.name, "d": on.isoformat()})
    try:
        with transaction.atomic():
            config = ProcedureConfig.objects.create(
                county=county, kind=kind, version=1, effective_from=datetime.date(2000, 1, 1),
                stages=DEFAULT_STAGES[kind], total_limit_days=DEFAULT_TOTAL_DAYS[kind],
                notice_days=DEFAULT_NOTICE_DAYS[kind], objection_phone="",
                note=_("默认流程（县级管理员可在“办理流程”中修改）"))
            log_change(config, ChangeLog.Action.CREATE, actor=None)
    except IntegrityError:
        config = ProcedureConfig.objects.unrestricted().get(county=county, kind=kind, version=1)
    return config


@transaction.atomic
def holiday_set(*, actor, county, date: datetime.date, is_workday: bool, name: str = "") -> Holiday:
    """Enter or correct one day of the county's holiday table."""
    ensure_in_area(actor, county, Perm.MANAGE_PROCEDURE)
    holiday = Holiday.objects.unrestricted().select_for_update().filter(county=county, date=date).first()
    if holiday is None:
        holiday = Holiday.objects.create(county=county, date=date, is_workday=is_workday, name=name[:40],
                                         created_by=actor)
        log_change(holiday, ChangeLog.Action.CREATE, actor=actor)
        return holiday
    before = snapshot(holiday)
    holiday.is_workday, holiday.name = is_workday, name[:40]
    holiday.save()
    log_change(holiday, ChangeLog.Action.UPDATE, actor=actor, before=before)
    return holiday


def _check_risks(risk_types, disaster_subtype: str) -> tuple[list[str], str]:
    risk_types = list(dict.fromkeys(risk_types or []))
    if not 1 <= len(risk_types) <= MAX_RISK_TYPES:
        raise ValidationFailed(CasesErrorCode.RISK_TYPES_COUNT, _("风险类型须选择1到%(n)d项。") % {"n": MAX_RISK_TYPES},
                               field="risk_types")
    unknown = [r for r in risk_types if r not in RiskType.values]
    if unknown:
        raise ValidationFailed(CasesErrorCode.RISK_TYPES_UNKNOWN, _("未知的风险类型：%(r)s") % {"r": "、".join(unknown)},
                               field="risk_types")
    disaster_subtype = disaster_subtype or ""
    if RiskType.DISASTER in risk_types:
        if disaster_subtype not in DisasterSubtype.values:
            raise ValidationFailed(MonitoringErrorCode.DISASTER_SUBTYPE, _("因灾风险须选择灾害类型。"), field="disaster_subtype")
    else:
        disaster_subtype = ""
    return risk_types, disaster_subtype


def _new_case(*, actor, household, kind, today, calendar, config=None, **values) -> Case:
    config = config or procedure_in_force(county_of(household.place), kind, today)
    case = Case(household=household, kind=kind, number=f"tmp-{uuid.uuid4().hex[:20]}", procedure=config,
                stages=config.stages, duties=config.duties, stage_index=0, stage_started_on=today,
                stage_due_on=calendar.add(today, config.stages[0]["limit_days"]),
                due_on=calendar.add(today, config.total_limit_days), opened_by=actor, **values)
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        raise Conflict(CasesErrorCode.CASE_OPEN_EXISTS, _("该户已有办理中的%(k)s案件。") % {"k": CaseKind(kind).label})
    prefix = "RD" if kind == CaseKind.IDENTIFICATION else "XC"
    case.number = f"{prefix}{today:%Y}{case.pk:07d}"
    case.save(update_fields=["number"])
    log_change(case, ChangeLog.Action.CREATE, actor=actor)
    return case


# ---------------------------------------------------------------- identification


@transaction.atomic
def case_open_identification(*, actor, household, category: str, risk_types, disaster_subtype: str = "",
                             summary: str = "", lead: Lead | None = None,
                             monthly_line: MonthlyListLine | None = None, green_channel: bool = False,
                             green_channel_reason: str = "", today=None) -> Case:
    """Open an identification case for a household, from a lead or a monthly-list line (or directly)."""
    today = resolve_today(today)
    ensure_in_area(actor, household, Perm.OPEN_CASE)
    if household.status not in (HouseholdStatus.ACTIVE, HouseholdStatus.PROVISIONAL):
        raise ValidationFailed(RegistryErrorCode.HOUSEHOLD_ENDED, _("农户%(h)s已%(s)s，不能发起识别认定。") % {
            "h": household.number, "s": household.get_status_display()})
    if category not in MonitoredCategory.values:
        raise ValidationFailed(CasesErrorCode.CATEGORY, _("请选择监测对象类别。"), field="category")
    risk_types, disaster_subtype = _check_risks(risk_types, disaster_subtype)
    if current_monitoring(household) is not None:
        raise ValidationFailed(CasesErrorCode.ALREADY_MONITORED, _("农户%(h)s已是监测对象，无需重复识别。") % {"h": household.number})
    if lead is not None:
        lead = Lead.objects.unrestricted().select_for_update().get(pk=lead.pk)
        if lead.household_id != household.pk:
            raise ValidationFailed(CasesErrorCode.LEAD_OTHER_HOUSEHOLD, _("线索不属于该农户。"), field="lead")
        if lead.status != LeadStatus.ACCEPTED:
            raise ValidationFailed(CasesErrorCode.LEAD_NOT_ACCEPTED, _("线索%(n)s当前为“%(s)s”，须先受理才能发起识别认定。") % {
                "n": lead, "s": lead.get_status_display()}, field="lead")
    if monthly_line is not None and monthly_line.household_id != household.pk:
        raise ValidationFailed(CasesErrorCode.LINE_OTHER_HOUSEHOLD, _("月度名单条目不属于该农户。"), field="monthly_line")
    calendar = calendar_of(household)
    config = procedure_in_force(county_of(household.place), CaseKind.IDENTIFICATION, today)
    green_channel_reason = (green_channel_reason or "").strip()
    if green_channel:
        if not config.green_channel:
            raise ValidationFailed(CasesErrorCode.GREEN_CHANNEL_OFF, _("本县流程未开放绿色通道。"), field="green_channel")
        if not GREEN_CHANNEL_RISKS & set(risk_types):
            raise ValidationFailed(CasesErrorCode.GREEN_CHANNEL_RISK, _("绿色通道只用于因灾或因意外事故的明确情形。"),
                                   field="green_channel")
        if not green_channel_reason:
            raise ValidationFailed(CasesErrorCode.GREEN_CHANNEL_REASON, _("启用绿色通道须说明理由。"), field="green_channel_reason")
    case = _new_case(actor=actor, household=household, kind=CaseKind.IDENTIFICATION, today=today,
                     calendar=calendar, config=config, lead=lead, monthly_line=monthly_line, category=category,
                     risk_types=risk_types, disaster_subtype=disaster_subtype, summary=(summary or "")[:500],
                     green_channel=bool(green_channel), green_channel_reason=green_channel_reason[:300])
    if green_channel:
        record_stage(case, actor=actor, decision=Decision.GREEN_CHANNEL, reason=green_channel_reason, today=today)
    if monthly_line is not None and monthly_line.status == MonthlyListLine.Status.PENDING:
        before = snapshot(monthly_line)
        monthly_line.status = MonthlyListLine.Status.LEAD_ACCEPTED
        monthly_line.note = (_("已发起识别认定%(n)s") % {"n": case.number})[:300]
        monthly_line.acted_by, monthly_line.acted_at = actor, timezone.now()
        monthly_line.save()
        log_change(monthly_line, ChangeLog.Action.UPDATE, actor=actor, before=before)
    return case


@dataclasses.dataclass
class StageInput:
    """What a person fills in when deciding a stage. `participants` are the other accounts (users or
    their ids) who took part; each of them confirms on their own login before the stage is done."""

    decision: str
    reason: str = ""
    return_to: int | None = None
    participants: list = dataclasses.field(default_factory=list)
    details: dict = dataclasses.field(default_factory=dict)
    attachments: list = dataclasses.field(default_factory=list)  # (kind, uploaded file) pairs


def duty_refusal(case: Case, user) -> PermissionDenied | None:
    """The error the case's segregation-of-duties rules (copied from its procedure when it opened) give
    `user` at the current decision stage, or None when they may decide it."""
    stage = case.stage
    if stage is None or stage["kind"] != StageKind.DECISION:
        return None
    label = stage["name"]
    if one_decision_per_person(case.duties):
        earlier = case.records.filter(actor=user, decision__in=PERSONAL_DECISIONS).exclude(
            stage_code=stage["code"]).first()
        if earlier is not None:
            return PermissionDenied(CasesErrorCode.SAME_PERSON, _(
                "%(who)s已办理过本案件的“%(s)s”环节。按本县流程的职责分离规则“%(rule)s”，"
                "“%(t)s”须由其他人员办理。") % {"who": user.display_name, "s": earlier.stage_name,
                                            "rule": DutyRule.ONE_DECISION_PER_PERSON.label, "t": label})
    if case.opened_by_id == user.pk and stage["level"] in opener_excluded_levels(case.duties):
        level = StageLevel(stage["level"]).label
        return PermissionDenied(CasesErrorCode.OPENER_EXCLUDED, _(
            "%(who)s是本案件的发起人。按本县流程的职责分离规则“案件发起人不能办理%(level)s审核环节”，"
            "“%(t)s”须由其他人员办理。") % {"who": user.display_name, "level": level, "t": label})
    return None


def participant_candidates(case: Case, stage: dict | None = None):
    """Accounts that may take part in a stage of the case: active users holding the stage's permission
    whose area covers the household's place (its group, village, township or county)."""
    stage = stage or case.stage
    place = case.household.place
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if stage["perm"] in perms]
    return (User.objects.filter(is_active=True, role__in=roles, place__in=[*place.ancestors(), place])
            .select_related("place").order_by("-place__code", "first_name", "username"))


def pending_confirmations(case: Case):
    return (case.confirmations.filter(status=ConfirmationStatus.PENDING)
            .select_related("person", "record__actor").order_by("pk"))


def confirmations_waiting_for(user):
    """The confirmations `user` has still to give, in their area: their part of the to-do list."""
    return (Confirmation.objects.restrict(user, Perm.VIEW_CASES)
            .filter(person=user, status=ConfirmationStatus.PENDING)
            .select_related("case__household__place", "record__actor").order_by("requested_at", "pk"))


def _other_participants(case: Case, stage: dict, actor, given) -> list:
    """The accounts named besides the person deciding, checked: accounts rather than typed names, each
    one allowed to act on this stage in the household's place."""
    ids, typed = [], []
    for item in given or []:
        if hasattr(item, "pk"):
            ids.append(item.pk)
        elif isinstance(item, int) and not isinstance(item, bool):
            ids.append(item)
        elif isinstance(item, str) and item.strip().isdigit():
            ids.append(int(item.strip()))
        elif str(item).strip():
            typed.append(str(item).strip())
    if typed:
        raise ValidationFailed(CasesErrorCode.PARTICIPANT_NOT_ACCOUNT, _(
            "参与人员须从系统账号中选择，不能填写姓名（%(n)s）：每位参与人须用自己的账号确认参与。")
            % {"n": "、".join(typed)}, field="participants")
    ids = [pk for pk in dict.fromkeys(ids) if pk != actor.pk]
    allowed = {user.pk: user for user in participant_candidates(case, stage).filter(pk__in=ids)}
    refused = [pk for pk in ids if pk not in allowed]
    if refused:
        # Name only accounts the person deciding can see; others by their number.
        visible = {u.pk: u.display_name for u in User.objects.filter(
            pk__in=refused, place__code__startswith=actor.area_prefix)}
        names = "、".join(visible.get(pk) or _("编号%(n)d的账号") % {"n": pk} for pk in refused)
        raise ValidationFailed(CasesErrorCode.PARTICIPANT_NOT_ALLOWED, _(
            "%(names)s不能参与本案件的“%(s)s”：参与人须是可在%(place)s办理“%(perm)s”的账号。") % {
            "names": names, "s": stage["name"], "place": case.household.place.village().name,
            "perm": Perm(stage["perm"]).label if stage["perm"] in Perm.values else stage["perm"]},
            field="participants")
    return [allowed[pk] for pk in ids]


def _participant_entry(user) -> dict:
    return {"user": user.pk, "name": user.display_name}


@uploads.files_removed_on_rollback()
@transaction.atomic
def case_decide(*, actor, case: Case, expected_version: int, decision: StageInput, today=None) -> Case:
    """Decide the current stage: approve (on to the next stage once every other participant named has
    confirmed), reject (close) or return to an earlier decision stage. `expected_version` is the case
    version the person was looking at."""
    today = resolve_today(today)
    case = lock_case(case, actor, Perm.VIEW_CASES, expected_version)
    if not case.is_open:
        raise ValidationFailed(CasesErrorCode.CASE_CLOSED, _("案件%(n)s已办结。") % {"n": case})
    stage = case.stage
    if stage["kind"] != StageKind.DECISION:
        raise ValidationFailed(CasesErrorCode.STAGE_NOT_DECISION, _("当前环节“%(s)s”不需要审核决定。") % {"s": stage["name"]})
    ensure_in_area(actor, case, stage["perm"])
    refusal = duty_refusal(case, actor)
    if refusal is not None:
        raise refusal
    waiting = list(pending_confirmations(case))
    if waiting:
        raise Conflict(CasesErrorCode.AWAITING_CONFIRMATION, _("“%(s)s”已由%(who)s提交，正在等待%(names)s确认参与，确认之前不能再办理本环节。")
                       % {"s": stage["name"], "who": waiting[0].record.actor.display_name,
                          "names": "、".join(c.person.display_name for c in waiting)})
    reason = (decision.reason or "").strip()
    others = _other_participants(case, stage, actor, decision.participants)
    if others and decision.decision != Decision.APPROVE:
        raise ValidationFailed(CasesErrorCode.PARTICIPANTS_ON_APPROVAL, _(
            "只有“通过”需要选择其他参与人员并由其确认；不予通过或退回由办理人%(who)s本人负责，请不要选择参与人员。")
            % {"who": actor.display_name}, field="participants")
    participants = [_participant_entry(actor)] + [_participant_entry(user) for user in others]
    before = snapshot(case)
    if decision.decision == Decision.APPROVE:
        min_people = int(stage.get("min_people", 1) or 1)
        if len(participants) < min_people:
            raise ValidationFailed(CasesErrorCode.TOO_FEW_PEOPLE, _(
                "“%(s)s”须至少%(n)d人参与（含办理人%(who)s），请再选择%(m)d名参与人员的账号；每位参与人须用自己的账号确认参与。")
                % {"s": stage["name"], "n": min_people, "who": actor.display_name,
                   "m": min_people - len(participants)}, field="participants")
        if stage.get("commitment"):
            details = decision.details
            if not (details.get("commitment_signed") and details.get("data_authorised")):
                raise ValidationFailed(CasesErrorCode.COMMITMENT_MISSING, _("须确认农户已签署承诺书和数据授权书。"),
                                       field="details")
            kinds = {kind for kind, _file in decision.attachments}
            if AttachmentKind.COMMITMENT not in kinds and not case.attachments.filter(
                    kind=AttachmentKind.COMMITMENT).exists():
                raise ValidationFailed(CasesErrorCode.COMMITMENT_FILE_MISSING, _("请上传农户签字的承诺授权书。"),
                                       field="attachments")
        if case.stage_index + 1 == len(case.stages):
            check_outcome_possible(case)
        record = record_stage(case, actor=actor, decision=Decision.APPROVE, reason=reason, participants=participants,
                         details=decision.details, today=today)
        attach_files(case, decision.attachments, actor=actor, record=record)
        for person in others:
            confirmation = Confirmation.objects.create(case=case, record=record, person=person)
            log_change(confirmation, ChangeLog.Action.CREATE, actor=actor)
        if not others:
            move_on(case, actor=actor, today=today)
    elif decision.decision == Decision.REJECT:
        if not reason:
            raise ValidationFailed(CoreErrorCode.REASON_MISSING, _("不予通过必须说明理由。"), field="reason")
        record = record_stage(case, actor=actor, decision=Decision.REJECT, reason=reason, participants=participants,
                         details=decision.details, today=today)
        attach_files(case, decision.attachments, actor=actor, record=record)
        close_rejected(case, actor=actor, reason=reason)
    elif decision.decision == Decision.RETURN:
        if not reason:
            raise ValidationFailed(CoreErrorCode.REASON_MISSING, _("退回必须说明理由。"), field="reason")
        target = decision.return_to
        if target is None or not 0 <= target < case.stage_index or \
                case.stages[target]["kind"] != StageKind.DECISION:
            raise ValidationFailed(CasesErrorCode.RETURN_TARGET, _("只能退回到本环节之前的审核环节。"), field="return_to")
        record = record_stage(case, actor=actor, decision=Decision.RETURN, reason=reason, return_to=target,
                         participants=participants, details=decision.details, today=today)
        attach_files(case, decision.attachments, actor=actor, record=record)
        enter_stage(case, target, today, calendar_of(case))
    else:
        raise ValidationFailed(CasesErrorCode.DECISION_INVALID, _("请选择通过、不予通过或退回。"), field="decision")
    return save_case(case, actor=actor, before=before, reason=reason)


# ---------------------------------------------------------------- participants confirm


def _answerable(actor, confirmation: Confirmation, expected_version: int) -> tuple[Case, Confirmation]:
    """Lock the case and the confirmation; refuse another area, a person not named, an answer already
    given and a page older than the case."""
    case = Case.objects.unrestricted().select_for_update().select_related("household__place").get(pk=confirmation.case_id)
    if not case.area_code.startswith(actor.area_prefix):
        raise PermissionDenied(CoreErrorCode.OUT_OF_AREA, _("本案件的农户不在%(who)s的辖区内，%(who)s不能确认参与。")
                               % {"who": actor.display_name})
    actor.require(Perm.VIEW_CASES)
    confirmation = (Confirmation.objects.unrestricted().select_for_update(of=("self",)).select_related("record__actor", "person")
                    .get(pk=confirmation.pk))
    record = confirmation.record
    if confirmation.person_id != actor.pk:
        raise PermissionDenied(CasesErrorCode.NOT_PARTICIPANT, _(
            "%(who)s没有被%(by)s列为本案件“%(s)s”的参与人员，不能代替%(p)s确认：每位参与人须用自己的账号确认。")
            % {"who": actor.display_name, "by": record.actor.display_name, "s": record.stage_name,
               "p": confirmation.person.display_name})
    if confirmation.status != ConfirmationStatus.PENDING:
        raise Conflict(CasesErrorCode.CONFIRMATION_ANSWERED, _("%(who)s对本案件“%(s)s”的参与确认已是“%(st)s”，每人只能答复一次。")
                       % {"who": actor.display_name, "s": record.stage_name,
                          "st": confirmation.get_status_display()})
    lock_case(case, expected_version=expected_version)
    return case, confirmation


@transaction.atomic
def participation_confirm(*, actor, confirmation: Confirmation, expected_version: int, today=None) -> Confirmation:
    """A participant named on a stage confirms on their own login that they took part. When the last one
    named has confirmed, the stage is done and the case moves on."""
    today = resolve_today(today)
    case, confirmation = _answerable(actor, confirmation, expected_version)
    before = snapshot(confirmation)
    confirmation.status, confirmation.answered_at = ConfirmationStatus.CONFIRMED, timezone.now()
    confirmation.save()
    log_change(confirmation, ChangeLog.Action.UPDATE, actor=actor, before=before)
    if not case.confirmations.filter(record=confirmation.record, status=ConfirmationStatus.PENDING).exists():
        before = snapshot(case)
        if case.stage_index + 1 == len(case.stages):
            check_outcome_possible(case)
        move_on(case, actor=actor, today=today)
        save_case(case, actor=actor, before=before, reason=_("参与人员均已确认“%(s)s”") % {
            "s": confirmation.record.stage_name})
    return confirmation


@transaction.atomic
def participation_decline(*, actor, confirmation: Confirmation, expected_version: int, reason: str,
                          today=None) -> Confirmation:
    """A participant named on a stage says they did not take part (or the facts are wrong): the stage is
    returned to be done again, and the other requests of that submission are withdrawn."""
    today = resolve_today(today)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(CoreErrorCode.REASON_MISSING, _("不确认参与须说明理由。"), field="reason")
    case, confirmation = _answerable(actor, confirmation, expected_version)
    now = timezone.now()
    before = snapshot(confirmation)
    confirmation.status, confirmation.answered_at, confirmation.reason = ConfirmationStatus.DECLINED, now, reason
    confirmation.save()
    log_change(confirmation, ChangeLog.Action.UPDATE, actor=actor, before=before, reason=reason)
    for other in case.confirmations.select_for_update().filter(record=confirmation.record,
                                                               status=ConfirmationStatus.PENDING):
        other_before = snapshot(other)
        other.status, other.answered_at = ConfirmationStatus.WITHDRAWN, now
        other.save()
        log_change(other, ChangeLog.Action.UPDATE, actor=actor, before=other_before, reason=reason)
    before = snapshot(case)
    record_stage(case, actor=actor, decision=Decision.DECLINED, reason=reason, return_to=case.stage_index,
            details={"declined_record": confirmation.record_id}, today=today)
    enter_stage(case, case.stage_index, today, calendar_of(case))
    save_case(case, actor=actor, before=before, reason=reason)
    return confirmation


# ---------------------------------------------------------------- announcement


@transaction.atomic
def case_announce(*, actor, case: Case, expected_version: int, text: str = "", today=None) -> Case:
    """Publish the county announcement: the last stage; the outcome takes effect."""
    today = resolve_today(today)
    case = lock_case(case, actor, Perm.VIEW_CASES, expected_version)
    if not case.is_open or case.stage["kind"] != StageKind.ANNOUNCEMENT:
        raise ValidationFailed(CasesErrorCode.NOT_AT_ANNOUNCEMENT, _("案件%(n)s不在公告环节。") % {"n": case})
    ensure_in_area(actor, case, case.stage["perm"])
    before = snapshot(case)
    record_stage(case, actor=actor, decision=Decision.PUBLISHED, reason=(text or "").strip(), today=today)
    move_on(case, actor=actor, today=today)
    return save_case(case, actor=actor, before=before)


# ---------------------------------------------------------------- elimination


@transaction.atomic
def case_open_elimination(*, actor, household, method: str, summary: str = "", today=None) -> Case:
    """Open a risk-elimination case after the eligibility check passes on every criterion."""
    today = resolve_today(today)
    ensure_in_area(actor, household, Perm.OPEN_CASE)
    if method not in EliminationMethod.values:
        raise ValidationFailed(CasesErrorCode.METHOD, _("请选择消除方式（帮扶消除或自然消除）。"), field="method")
    monitoring = Monitoring.objects.unrestricted().select_for_update().filter(
        household=household, status=MonitoringStatus.MONITORED).first()
    if monitoring is None:
        raise ValidationFailed(CasesErrorCode.NOT_MONITORED, _("农户%(h)s不是监测对象。") % {"h": household.number})
    check = check_elimination(household, today=today, monitoring=monitoring)
    if check.no_labour:
        raise ValidationFailed(CasesErrorCode.NO_LABOUR, _("整户无劳动力的农户纳入兜底保障，不作风险消除。"))
    if not check.passed:
        failed = "；".join(f"{c.label}（{c.detail}）" for c in check.criteria if not c.passed)
        raise ValidationFailed(CasesErrorCode.CRITERIA_UNMET, _("尚不符合风险消除条件：%(f)s") % {"f": failed})
    return _new_case(actor=actor, household=household, kind=CaseKind.ELIMINATION, today=today,
                     calendar=calendar_of(household), monitoring=monitoring, category=monitoring.category,
                     risk_types=monitoring.risk_types, disaster_subtype=monitoring.disaster_subtype,
                     method=method, summary=(summary or "")[:500], eligibility=check.as_json())
