"""Segregation of duties: the procedure's rules (one decision per person, the opener kept off township and
county stages), their validation and versioning, and household verification by accounts that each
confirm on their own login."""

import datetime

import pytest

from fangpin.cases import services
from fangpin.cases.choices import ConfirmationStatus, Decision
from fangpin.cases.procedure import DEFAULT_DUTIES, DEFAULT_STAGES, validate_duties
from fangpin.cases.services import StageInput
from fangpin.core.errors import Conflict, PermissionDenied, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.roles import Role
from fangpin.monitoring.choices import RiskType

from ..factories import make_household, make_user
from .conftest import MONDAY, approve, verification_input, walk_to


def adopt(admin, places, duties, stages=None, kind="identification"):
    return services.procedure_adopt(actor=admin, county=places["county"], kind=kind,
                                    stages=stages or DEFAULT_STAGES[kind], total_limit_days=15, notice_days=5,
                                    objection_phone="0816-1234567", duties=duties,
                                    effective_from=datetime.date(2026, 1, 1))


def open_by(actor, household):
    return services.case_open_identification(actor=actor, household=household, category="marginal",
                                             risk_types=[RiskType.INCOME], today=MONDAY)


@pytest.fixture
def opened_by_township(household, township_officer):
    """A case the township officer opened: by default they may not then decide its township review."""
    return open_by(township_officer, household)


# ---------------------------------------------------------------- the rules


def test_opener_may_not_decide_the_township_stage(opened_by_township, walkers, township_officer, places):
    other_township = make_user(Role.TOWNSHIP_OFFICER, places["t1"], "township_b")
    case, day = walk_to(opened_by_township, "township_review", walkers)
    with pytest.raises(PermissionDenied) as error:
        approve(case, township_officer, day)
    assert error.value.code == "opener_excluded"
    message = error.value.message
    assert "township1" in message and "发起人" in message and "乡镇级" in message and "乡镇审核" in message
    assert not case.records.filter(actor=township_officer).exists()
    case = approve(case, other_township, day)   # someone else from the township: allowed
    assert case.stage["code"] == "county_confirmation"


def test_opener_may_not_decide_county_stages_but_may_decide_village_ones(household, county_officer, county_admin,
                                                                        helper):
    case = open_by(county_admin, household)
    case = approve(case, helper, MONDAY)
    with pytest.raises(PermissionDenied) as error:   # data comparison is a county stage
        approve(case, county_admin, MONDAY)
    assert error.value.code == "opener_excluded" and "县级" in error.value.message
    case = approve(case, county_officer, MONDAY)
    assert case.stage["code"] == "village_review"
    case = approve(case, county_admin, MONDAY)   # the village review: not barred to the opener
    assert case.stage["code"] == "public_notice"


def test_the_cadre_who_opened_decides_the_village_review(case, walkers, village_cadre):
    assert case.opened_by == village_cadre
    case, day = walk_to(case, "public_notice", walkers)
    assert case.records.get(stage_code="village_review").actor == village_cadre


def test_one_decision_per_person_names_the_person_and_the_rule(case, helper, grid_worker, county_admin):
    case = approve(case, helper, MONDAY, partner=grid_worker)
    case = approve(case, county_admin, MONDAY)
    with pytest.raises(PermissionDenied) as error:   # the county admin may not also hold the village review
        services.case_decide(actor=county_admin, case=case, expected_version=case.version, today=MONDAY,
                             decision=StageInput(decision=Decision.APPROVE, reason="同意"))
    assert error.value.code == "same_person"
    message = error.value.message
    assert "county_admin" in message and "同一人不能办理同一案件的两个审核环节" in message
    assert "信息比对" in message and "村民主评议" in message


def test_a_county_may_let_the_opener_decide_and_running_cases_keep_their_rules(
        household, walkers, township_officer, county_admin, places):
    lenient = [{"rule": "one_decision_per_person"}]
    adopt(county_admin, places, lenient)
    case = open_by(township_officer, household)
    assert case.duties == lenient
    adopt(county_admin, places, DEFAULT_DUTIES)        # stricter again: the running case keeps its rules
    case, day = walk_to(case, "township_review", walkers)
    case = approve(case, township_officer, day)
    assert case.stage["code"] == "county_confirmation"
    later = open_by(township_officer, make_household(county_admin, places["t1v1g1"]))
    assert later.duties == DEFAULT_DUTIES


def test_adopting_without_rules_carries_the_last_ones_over(county_admin, places):
    first = adopt(county_admin, places, [{"rule": "one_decision_per_person"},
                                         {"rule": "opener_not_at_level", "level": "village"}])
    second = adopt(county_admin, places, None)
    assert second.version == first.version + 1 and second.duties == first.duties
    assert ChangeLog.objects.filter(object_type="cases.procedureconfig", object_id=second.pk,
                                    after__duties=first.duties).exists()


def test_rules_validation_lists_every_problem_at_once(county_admin, places):
    bad = [{"rule": "opener_not_at_level", "level": "moon"}, {"rule": "nobody_decides"}, "x",
           {"rule": "opener_not_at_level", "level": "county"}, {"rule": "opener_not_at_level", "level": "county"}]
    with pytest.raises(ValidationFailed) as error:
        adopt(county_admin, places, bad)
    message = error.value.message
    assert error.value.code == "duties_invalid" and error.value.field == "duties"
    for part in ("第1条规则的层级“moon”无效", "第2条规则的规则“nobody_decides”无效", "第3条规则格式不对",
                 "第5条规则与前面的规则重复", "是基本规则，不能去掉"):
        assert part in message
    with pytest.raises(ValidationFailed):
        validate_duties({"rule": "one_decision_per_person"})
    assert validate_duties([{"rule": "one_decision_per_person", "level": "x"}]) == [
        {"rule": "one_decision_per_person"}]


# ---------------------------------------------------------------- participants confirm


def submit(case, actor, *partners, today=MONDAY):
    return services.case_decide(actor=actor, case=case, expected_version=case.version, today=today,
                                decision=verification_input(*partners))


def test_verification_waits_for_the_participant_to_confirm(case, helper, grid_worker, county_admin):
    case = submit(case, helper, grid_worker)
    assert case.stage["code"] == "verification"
    confirmation = case.confirmations.get()
    assert confirmation.person == grid_worker and confirmation.status == ConfirmationStatus.PENDING
    record = case.records.get()
    assert record.participants == [{"user": helper.pk, "name": "helper_a"}, {"user": grid_worker.pk, "name": "grid_a"}]
    assert list(services.confirmations_waiting_for(grid_worker)) == [confirmation]
    assert list(services.confirmations_waiting_for(helper)) == []
    with pytest.raises(Conflict) as error:   # nobody decides the stage again meanwhile
        services.case_decide(actor=county_admin, case=case, expected_version=case.version, today=MONDAY,
                             decision=StageInput(decision=Decision.REJECT, reason="不符合"))
    assert error.value.code == "awaiting_confirmation" and "grid_a" in error.value.message

    services.participation_confirm(actor=grid_worker, confirmation=confirmation, expected_version=case.version,
                                   today=MONDAY)
    case.refresh_from_db()
    confirmation.refresh_from_db()
    assert case.stage["code"] == "data_comparison"
    assert confirmation.status == ConfirmationStatus.CONFIRMED and confirmation.answered_at
    assert ChangeLog.objects.filter(object_type="cases.confirmation", object_id=confirmation.pk, actor=grid_worker,
                                    action="update", after__status="confirmed").exists()
    with pytest.raises(Conflict) as error:   # a second answer
        services.participation_confirm(actor=grid_worker, confirmation=confirmation, expected_version=case.version)
    assert error.value.code == "confirmation_answered" and "grid_a" in error.value.message


def test_only_the_person_named_confirms_in_their_area_on_the_current_version(
        case, helper, grid_worker, village_cadre, places):
    case = submit(case, helper, grid_worker)
    confirmation = case.confirmations.get()
    with pytest.raises(PermissionDenied) as error:   # the cadre may see the case but was not named
        services.participation_confirm(actor=village_cadre, confirmation=confirmation,
                                       expected_version=case.version)
    assert error.value.code == "not_participant"
    assert "cadre_a" in error.value.message and "grid_a" in error.value.message
    with pytest.raises(PermissionDenied) as error:   # moved to another village since
        grid_worker.place = places["t2v1"]
        grid_worker.save()
        services.participation_confirm(actor=grid_worker, confirmation=confirmation,
                                       expected_version=case.version)
    assert error.value.code == "out_of_area" and "grid_a" in error.value.message
    grid_worker.place = places["t1v1"]
    grid_worker.save()
    with pytest.raises(Conflict) as error:   # a page older than the case
        services.participation_confirm(actor=grid_worker, confirmation=confirmation,
                                       expected_version=case.version - 1)
    assert error.value.code == "case_changed"
    confirmation.refresh_from_db()
    case.refresh_from_db()
    assert confirmation.status == ConfirmationStatus.PENDING and case.stage["code"] == "verification"


def test_decline_returns_the_stage_and_withdraws_the_other_requests(case, helper, grid_worker, village_cadre,
                                                                    county_admin, places):
    adopt_three = [dict(s, min_people=3) if s["code"] == "verification" else s
                   for s in DEFAULT_STAGES["identification"]]
    adopt(county_admin, places, DEFAULT_DUTIES, stages=adopt_three)
    household = make_household(county_admin, places["t1v1g1"])
    three = open_by(village_cadre, household)
    with pytest.raises(ValidationFailed) as error:   # three people needed: the helper and two more
        submit(three, helper, grid_worker)
    assert error.value.code == "too_few_people" and "至少3人" in error.value.message
    three = submit(three, helper, grid_worker, village_cadre)
    first, second = three.confirmations.order_by("pk")
    services.participation_confirm(actor=grid_worker, confirmation=first, expected_version=three.version)
    three.refresh_from_db()
    assert three.stage["code"] == "verification"   # one of two confirmed: not done yet
    with pytest.raises(ValidationFailed) as error:
        services.participation_decline(actor=village_cadre, confirmation=second, expected_version=three.version,
                                       reason=" ")
    assert error.value.code == "reason_missing"
    services.participation_decline(actor=village_cadre, confirmation=second, expected_version=three.version,
                                   reason="当天我在镇上开会，没有入户", today=MONDAY + datetime.timedelta(days=1))
    three.refresh_from_db()
    second.refresh_from_db()
    assert three.stage["code"] == "verification" and three.stage_started_on == MONDAY + datetime.timedelta(days=1)
    assert second.status == ConfirmationStatus.DECLINED and second.reason == "当天我在镇上开会，没有入户"
    declined = three.records.order_by("-pk").first()
    assert declined.decision == Decision.DECLINED and declined.actor == village_cadre and declined.return_to == 0
    assert not services.pending_confirmations(three).exists()
    # The helper verifies again and names two people, who both confirm.
    three = submit(three, helper, grid_worker, county_admin, today=MONDAY + datetime.timedelta(days=1))
    for confirmation in services.pending_confirmations(three):
        three.refresh_from_db()
        services.participation_confirm(actor=confirmation.person, confirmation=confirmation,
                                       expected_version=three.version)
    three.refresh_from_db()
    assert three.stage["code"] == "data_comparison"


def test_participants_are_accounts_of_the_village(case, helper, places):
    auditor = make_user(Role.AUDITOR, places["county"], "auditor")
    other_group = make_user(Role.GRID_WORKER, places["t1v2g1"], "grid_far")
    for partner, code in [("村干部乙", "participant_not_account"), (auditor, "participant_not_allowed"),
                          (other_group, "participant_not_allowed"), (999999, "participant_not_allowed")]:
        with pytest.raises(ValidationFailed) as error:
            submit(case, helper, partner)
        assert error.value.code == code
    assert "auditor" in error.value.message or "999999" in error.value.message
    candidates = set(services.participant_candidates(case).values_list("username", flat=True))
    assert "helper_a" in candidates and not {"auditor", "grid_far"} & candidates


def test_reject_names_no_participants(case, helper, grid_worker):
    with pytest.raises(ValidationFailed) as error:
        services.case_decide(actor=helper, case=case, expected_version=case.version, today=MONDAY,
                             decision=StageInput(decision=Decision.REJECT, reason="无风险", participants=[grid_worker]))
    assert error.value.code == "participants_on_approval"
    assert not case.records.exists()
