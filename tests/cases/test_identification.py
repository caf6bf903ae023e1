"""Every transition of the identification procedure and each refusal."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fangpin.cases import daily, notices, services
from fangpin.cases.choices import AttachmentKind, CaseStatus, Decision
from fangpin.cases.models import Case
from fangpin.cases.services import StageInput
from fangpin.core.errors import Conflict, PermissionDenied, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.roles import Role
from fangpin.monitoring.choices import LeadStatus, MonitoredCategory, MonitoringStatus, RiskType
from fangpin.monitoring.models import Monitoring

from ..factories import make_household, make_user
from .conftest import MONDAY, approve, verification_input, walk_to

D = datetime.date


def test_open_from_lead_sets_the_clock(case, accepted_lead):
    assert case.number.startswith("RD2026") and case.status == CaseStatus.OPEN
    assert case.stage["code"] == "verification"
    assert case.stage_due_on == D(2026, 6, 4)           # 3 working days
    assert case.due_on == D(2026, 6, 23)                # 15 working days (Dragon Boat Festival 19 June)
    assert case.lead == accepted_lead
    assert ChangeLog.objects.filter(object_type="cases.case", object_id=case.pk, action="create").exists()


def test_walk_to_confirmation(case, walkers, accepted_lead):
    case, day = walk_to(case, "announcement", walkers)
    services.case_announce(actor=walkers["announcement"], case=case, expected_version=case.version, today=day)
    case.refresh_from_db()
    assert case.status == CaseStatus.CONFIRMED and case.closed_at
    monitoring = Monitoring.objects.get(household=case.household)
    assert monitoring.status == MonitoringStatus.MONITORED
    assert monitoring.category == MonitoredCategory.SUDDEN_HARDSHIP and monitoring.risk_types == [RiskType.ILLNESS]
    assert monitoring.identified_on == day and monitoring.identification_case == case
    accepted_lead.refresh_from_db()
    assert accepted_lead.status == LeadStatus.IDENTIFIED and case.number in accepted_lead.close_reason
    decisions = list(case.records.values_list("stage_code", "decision"))
    assert decisions == [("verification", "approve"), ("data_comparison", "approve"), ("village_review", "approve"),
                         ("public_notice", "notice_ended"), ("township_review", "approve"),
                         ("county_confirmation", "approve"), ("announcement", "published")]
    notice_record = case.records.get(stage_code="public_notice")
    assert notice_record.actor is None and "未收到异议" in notice_record.reason
    assert case.attachments.filter(kind=AttachmentKind.COMMITMENT).count() == 1


def test_wrong_role_refused(case, walkers, village_cadre):
    case, day = walk_to(case, "data_comparison", walkers)
    with pytest.raises(PermissionDenied) as error:
        approve(case, village_cadre, day)
    assert error.value.code == "missing_permission"
    assert case.records.count() == 1


def test_wrong_area_refused(case, walkers, other_village_cadre):
    case, day = walk_to(case, "village_review", walkers)
    with pytest.raises(PermissionDenied) as error:
        approve(case, other_village_cadre, day)
    assert error.value.code == "out_of_area"


def test_same_person_may_not_decide_two_stages(case, county_admin):
    approve(case, county_admin, MONDAY)
    case.refresh_from_db()
    with pytest.raises(PermissionDenied) as error:
        approve(case, county_admin, MONDAY)
    assert error.value.code == "same_person" and "入户核实" in error.value.message
    assert case.records.count() == 1


def test_same_person_may_redo_a_returned_stage(case, walkers, helper):
    case, day = walk_to(case, "village_review", walkers)
    services.case_decide(actor=walkers["village_review"], case=case, expected_version=case.version, today=day,
                         decision=StageInput(decision=Decision.RETURN, reason="收入核实不清", return_to=0))
    case.refresh_from_db()
    assert case.stage["code"] == "verification" and case.stage_started_on == day
    approve(case, helper, day)   # the same helper verifies again: same stage, allowed
    case.refresh_from_db()
    assert case.stage["code"] == "data_comparison"


def test_stale_version_gets_a_clear_conflict(case, helper, county_admin):
    stale = case.version
    approve(case, helper, MONDAY)
    with pytest.raises(Conflict) as error:
        services.case_decide(actor=county_admin, case=case, expected_version=stale, today=MONDAY,
                             decision=StageInput(decision=Decision.REJECT, reason="不符合"))
    assert error.value.code == "case_changed" and "入户核实" in error.value.message


def test_verification_needs_two_people_commitment_and_signed_form(case, helper, grid_worker, other_village_cadre):
    base = verification_input(grid_worker)
    for change, code in [({"participants": []}, "too_few_people"),
                         ({"participants": [helper, str(helper.pk)]}, "too_few_people"),   # only the helper
                         ({"participants": ["帮扶人甲"]}, "participant_not_account"),   # a typed name
                         ({"participants": [other_village_cadre]}, "participant_not_allowed"),
                         ({"details": {"commitment_signed": True}}, "commitment_missing"),
                         ({"attachments": []}, "commitment_file_missing")]:
        stage_input = StageInput(**{**base.__dict__, **change})
        with pytest.raises(ValidationFailed) as error:
            services.case_decide(actor=helper, case=case, expected_version=case.version, decision=stage_input,
                                 today=MONDAY)
        assert error.value.code == code
    case.refresh_from_db()
    assert case.records.count() == 0 and case.attachments.count() == 0 and case.stage_index == 0
    assert not case.confirmations.exists()


def test_oversized_attachment_leaves_nothing(case, helper, grid_worker, settings):
    settings.FANGPIN_UPLOAD_MAX_MB = 1
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff\xe0" + b"x" * (1024 * 1024))
    stage_input = verification_input(grid_worker)
    stage_input.attachments.append((AttachmentKind.PHOTO, big))
    with pytest.raises(ValidationFailed) as error:
        services.case_decide(actor=helper, case=case, expected_version=case.version, decision=stage_input,
                             today=MONDAY)
    assert error.value.code == "file_too_large" and "big.jpg" in error.value.message
    case.refresh_from_db()
    assert case.records.count() == 0 and case.stage_index == 0 and not case.confirmations.exists()


def test_reject_needs_reason_and_closes_the_lead(case, helper, grid_worker, accepted_lead):
    with pytest.raises(ValidationFailed):
        services.case_decide(actor=helper, case=case, expected_version=case.version, today=MONDAY,
                             decision=StageInput(decision=Decision.REJECT, reason=" "))
    services.case_decide(actor=helper, case=case, expected_version=case.version, today=MONDAY,
                         decision=StageInput(decision=Decision.REJECT, reason="已获医保报销，自付很少"))
    case.refresh_from_db()
    accepted_lead.refresh_from_db()
    assert case.status == CaseStatus.REJECTED and case.outcome_reason == "已获医保报销，自付很少"
    assert accepted_lead.status == LeadStatus.DISMISSED and "已获医保报销" in accepted_lead.close_reason
    assert not Monitoring.objects.filter(household=case.household).exists()
    with pytest.raises(ValidationFailed) as error:
        services.case_decide(actor=helper, case=case, expected_version=case.version,
                             decision=verification_input(grid_worker), today=MONDAY)
    assert error.value.code == "case_closed"


def test_return_only_to_an_earlier_decision_stage(case, walkers):
    case, day = walk_to(case, "township_review", walkers)
    officer = walkers["township_review"]
    for target in (None, 4, 5, 3):   # missing, itself, later, the notice stage
        with pytest.raises(ValidationFailed) as error:
            services.case_decide(actor=officer, case=case, expected_version=case.version, today=day,
                                 decision=StageInput(decision=Decision.RETURN, reason="补充材料", return_to=target))
        assert error.value.code == "return_target"
    services.case_decide(actor=officer, case=case, expected_version=case.version, today=day,
                         decision=StageInput(decision=Decision.RETURN, reason="评议记录不全", return_to=2))
    case.refresh_from_db()
    assert case.stage["code"] == "village_review"


def test_out_of_order_actions_refused(case, walkers):
    with pytest.raises(ValidationFailed) as error:
        services.case_announce(actor=walkers["announcement"], case=case, expected_version=case.version)
    assert error.value.code == "not_at_announcement"
    with pytest.raises(ValidationFailed) as error:
        notices.notice_publish(actor=walkers["public_notice"], cases=[case], today=MONDAY)
    assert error.value.code == "not_at_notice"
    with pytest.raises(ValidationFailed) as error:
        notices.objection_record(actor=walkers["public_notice"], case=case, content="有异议", today=MONDAY)
    assert error.value.code == "not_at_notice"
    case, day = walk_to(case, "public_notice", walkers)
    with pytest.raises(ValidationFailed) as error:
        approve(case, walkers["village_review"], day)
    assert error.value.code == "stage_not_decision"
    assert not notices.notice_conclude(case=case, today=day)   # no notice published yet


def test_notice_period_in_calendar_days(case, walkers):
    case, day = walk_to(case, "public_notice", walkers)
    with pytest.raises(ValidationFailed) as error:   # the default procedure has no phone yet
        notices.notice_publish(actor=walkers["public_notice"], cases=[case], today=day)
    assert error.value.code == "objection_phone"
    notice = notices.notice_publish(actor=walkers["public_notice"], cases=[case], today=day,
                                     objection_phone="0816-1234567")
    assert notice.ends_on - notice.starts_on == datetime.timedelta(days=4)   # 5 calendar days, both counted
    assert not notices.notice_conclude(case=case, today=notice.ends_on)     # still running on the last day
    with pytest.raises(ValidationFailed) as error:
        notices.notice_publish(actor=walkers["public_notice"], cases=[case], today=day, objection_phone="1")
    assert error.value.code == "already_on_notice"
    assert daily.notices_conclude_due(today=notice.ends_on + datetime.timedelta(days=1)) == 1
    case.refresh_from_db()
    assert case.stage["code"] == "township_review"


def test_objection_sends_the_case_back_to_verification(case, walkers, helper):
    case, day = walk_to(case, "public_notice", walkers)
    notice = notices.notice_publish(actor=walkers["public_notice"], cases=[case], today=day,
                                     objection_phone="0816-1234567")
    proof = SimpleUploadedFile("举报材料.jpg", b"\xff\xd8\xff\xe0 photo")
    with pytest.raises(ValidationFailed) as error:
        notices.objection_record(actor=walkers["public_notice"], case=case, content="家中有车",
                                  received_on=notice.ends_on + datetime.timedelta(days=1),
                                  today=notice.ends_on + datetime.timedelta(days=1))
    assert error.value.code == "objection_outside_period"
    objection = notices.objection_record(actor=walkers["public_notice"], case=case, content="该户新购小轿车一辆",
                                          objector_name="村民丙", received_on=day + datetime.timedelta(days=2),
                                          attachments=[proof], today=day + datetime.timedelta(days=2))
    case.refresh_from_db()
    assert case.stage["code"] == "verification" and case.is_open
    record = case.records.order_by("-pk").first()
    assert record.decision == Decision.OBJECTION and record.return_to == 0 and record.stage_code == "public_notice"
    assert objection.attachments.get().kind == AttachmentKind.OBJECTION
    # The old notice no longer holds the case: after verification again it needs a new notice.
    assert notices.current_notice(case) is None
    assert not notices.notice_conclude(case=case, today=notice.ends_on + datetime.timedelta(days=3))
    approve(case, helper, day + datetime.timedelta(days=3))
    case.refresh_from_db()
    assert case.stage["code"] == "data_comparison"


def test_back_at_notice_on_the_day_of_the_objection_needs_a_new_notice(case, walkers, helper, places):
    case, day = walk_to(case, "public_notice", walkers)
    first = notices.notice_publish(actor=walkers["public_notice"], cases=[case], today=day, objection_phone="1")
    notices.objection_record(actor=walkers["public_notice"], case=case, content="收入有隐瞒", today=day)
    case.refresh_from_db()
    # Verified again, compared and reviewed the same day by the same people (same stages: allowed).
    case, same_day = walk_to(case, "public_notice", walkers, today=day)
    assert same_day == day and notices.current_notice(case) is None
    assert not notices.notice_conclude(case=case, today=first.ends_on + datetime.timedelta(days=1))
    second = notices.notice_publish(actor=walkers["public_notice"], cases=[case], today=day, objection_phone="1")
    assert notices.current_notice(case) == second and second != first


def test_open_refusals(case, household, village_cadre, other_village_cadre, helper, places, county_admin):
    with pytest.raises(Conflict):
        services.case_open_identification(actor=village_cadre, household=household, category="marginal",
                                          risk_types=["illness"])
    other = make_household(county_admin, places["t1v1"])
    for kwargs, code in [({"category": "rich"}, "category"), ({"risk_types": []}, "risk_types_count"),
                         ({"risk_types": ["a", "b", "c", "d", "e", "f"]}, "risk_types_count"),
                         ({"risk_types": ["nope"]}, "risk_types_unknown"),
                         ({"risk_types": ["disaster"]}, "disaster_subtype")]:
        values = {"category": "marginal", "risk_types": ["illness"], **kwargs}
        with pytest.raises(ValidationFailed) as error:
            services.case_open_identification(actor=village_cadre, household=other, **values)
        assert error.value.code == code
    with pytest.raises(PermissionDenied):
        services.case_open_identification(actor=other_village_cadre, household=other, category="marginal",
                                          risk_types=["illness"])
    with pytest.raises(PermissionDenied):   # helpers verify, they do not open cases
        services.case_open_identification(actor=helper, household=other, category="marginal",
                                          risk_types=["illness"])
    assert not Case.objects.filter(household=other).exists()


def test_new_lead_must_be_accepted_first(household, helper, village_cadre, places, county_admin):
    from fangpin.monitoring import services as monitoring_services
    lead = monitoring_services.lead_raise(actor=helper, channel="helper_visit", risk_types=["illness"],
                                          household=household, summary="住院").lead
    with pytest.raises(ValidationFailed) as error:
        services.case_open_identification(actor=village_cadre, household=household, lead=lead,
                                          category="marginal", risk_types=["illness"])
    assert error.value.code == "lead_not_accepted"


def test_monitored_household_cannot_be_identified_again_until_eliminated(case, walkers, village_cadre):
    case, day = walk_to(case, "announcement", walkers)
    services.case_announce(actor=walkers["announcement"], case=case, expected_version=case.version, today=day)
    with pytest.raises(ValidationFailed) as error:
        services.case_open_identification(actor=village_cadre, household=case.household, category="marginal",
                                          risk_types=["income"])
    assert error.value.code == "already_monitored"


def test_green_channel(household, village_cadre, places, county_admin):
    with pytest.raises(ValidationFailed) as error:
        services.case_open_identification(actor=village_cadre, household=household, category="sudden_hardship",
                                          risk_types=["illness"], green_channel=True, green_channel_reason="急")
    assert error.value.code == "green_channel_risk"
    with pytest.raises(ValidationFailed) as error:
        services.case_open_identification(actor=village_cadre, household=household, category="sudden_hardship",
                                          risk_types=["disaster"], disaster_subtype="flood", green_channel=True)
    assert error.value.code == "green_channel_reason"
    case = services.case_open_identification(
        actor=village_cadre, household=household, category="sudden_hardship", risk_types=["disaster"],
        disaster_subtype="flood", green_channel=True, green_channel_reason="山洪冲毁房屋，需立即安置", today=MONDAY)
    assert case.green_channel
    assert case.records.get().decision == Decision.GREEN_CHANNEL
    # The green-channel note is not a stage decision: the same cadre may still decide a stage.
    case = approve(case, village_cadre, MONDAY)
    assert case.stage["code"] == "data_comparison"


def test_overdue_and_escalation(case, helper):
    assert list(daily.overdue_cases(today=case.stage_due_on)) == []
    late = case.stage_due_on + datetime.timedelta(days=1)
    assert list(daily.overdue_cases(today=late)) == [case]
    assert daily.cases_escalate_overdue(today=late) == 1
    assert daily.cases_escalate_overdue(today=late) == 0
    case.refresh_from_db()
    assert case.escalated_at is not None
    approve(case, helper, late)
    case.refresh_from_db()
    record = case.records.get()
    assert record.overdue and case.escalated_at is None   # the next stage starts its own clock


def test_running_case_keeps_its_procedure_version(case, county_admin, places, walkers):
    from fangpin.cases.procedure import DEFAULT_STAGES
    stages = [dict(s) for s in DEFAULT_STAGES["identification"] if s["code"] != "data_comparison"]
    config = services.procedure_adopt(actor=county_admin, county=places["county"], kind="identification",
                                      stages=stages, total_limit_days=12, notice_days=7, objection_phone="12317")
    assert config.version == 2
    case.refresh_from_db()
    assert len(case.stages) == 7
    approve(case, walkers["verification"], MONDAY)
    case.refresh_from_db()
    assert case.stage["code"] == "data_comparison"


def test_procedure_adopt_lists_every_problem(county_admin, places, village_cadre):
    bad = [{"code": "x", "name": "", "kind": "odd", "level": "moon", "perm": "nope", "limit_days": 0}]
    with pytest.raises(ValidationFailed) as error:
        services.procedure_adopt(actor=county_admin, county=places["county"], kind="identification", stages=bad,
                                 total_limit_days=15, notice_days=5, objection_phone="1")
    message = error.value.message
    for part in ("缺少代码或名称", "类型", "层级", "办理权限", "时限"):
        assert part in message
    from fangpin.cases.procedure import DEFAULT_STAGES
    with pytest.raises(ValidationFailed) as error:
        services.procedure_adopt(actor=county_admin, county=places["county"], kind="elimination",
                                 stages=DEFAULT_STAGES["elimination"], total_limit_days=15, notice_days=8,
                                 objection_phone="1")
    assert error.value.code == "notice_days"
    with pytest.raises(PermissionDenied):
        services.procedure_adopt(actor=village_cadre, county=places["county"], kind="identification",
                                 stages=DEFAULT_STAGES["identification"], total_limit_days=15, notice_days=5,
                                 objection_phone="1")


def test_grid_worker_may_verify(case, places):
    grid = make_user(Role.GRID_WORKER, places["t1v1"], "grid_a")
    approve(case, grid, MONDAY)
    case.refresh_from_db()
    assert case.stage["code"] == "data_comparison"
