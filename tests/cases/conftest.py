"""People who walk a case through the default procedure, and a household with an accepted lead."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fangpin.cases import notices, services
from fangpin.cases.choices import AttachmentKind, Decision
from fangpin.cases.services import StageInput
from fangpin.core.roles import Role
from fangpin.monitoring import services as monitoring_services
from fangpin.monitoring.choices import Channel, MonitoredCategory, RiskType

from ..factories import make_household, make_user

# A Monday in an ordinary working week (no holiday within the default limits).
MONDAY = datetime.date(2026, 6, 1)


@pytest.fixture
def helper(places):
    return make_user(Role.HELPER, places["t1v1"], "helper_a")


@pytest.fixture
def grid_worker(places):
    """The village's grid worker: the second person at household verification."""
    return make_user(Role.GRID_WORKER, places["t1v1"], "grid_a")


@pytest.fixture
def walkers(helper, grid_worker, village_cadre, township_officer, county_officer, county_admin):
    """Who decides each default identification stage (never the same person twice; the cadre who
    opens the case decides only village stages)."""
    return {"verification": helper, "data_comparison": county_officer, "village_review": village_cadre,
            "public_notice": village_cadre, "township_review": township_officer,
            "county_confirmation": county_admin, "announcement": county_officer}


@pytest.fixture
def household(county_admin, places):
    return make_household(county_admin, places["t1v1g1"], members=3, house_grade="A", water_safe=True)


@pytest.fixture
def accepted_lead(household, township_officer, helper):
    lead = monitoring_services.lead_raise(actor=helper, channel=Channel.HELPER_VISIT, risk_types=[RiskType.ILLNESS],
                                          household=household, summary="户主住院，自付医疗费较高").lead
    return monitoring_services.lead_accept(actor=township_officer, lead=lead)


@pytest.fixture
def case(accepted_lead, village_cadre):
    return services.case_open_identification(
        actor=village_cadre, household=accepted_lead.household, lead=accepted_lead,
        category=MonitoredCategory.SUDDEN_HARDSHIP, risk_types=[RiskType.ILLNESS], summary="大病支出",
        today=MONDAY)


def commitment_file(name="承诺授权书.jpg"):
    return SimpleUploadedFile(name, b"\xff\xd8\xff\xe0 signed commitment", content_type="image/jpeg")


def verification_input(*partners):
    return StageInput(decision=Decision.APPROVE, reason="入户核实属实", participants=list(partners),
                      details={"commitment_signed": True, "data_authorised": True},
                      attachments=[(AttachmentKind.COMMITMENT, commitment_file())])


def partner_for(case, actor):
    """Someone besides `actor` who may take part in the household verification: the grid worker when
    there is one."""
    candidates = services.participant_candidates(case).exclude(pk=actor.pk)
    return candidates.filter(role=Role.GRID_WORKER).first() or candidates.first()


def confirm_all(case, today):
    """Every participant still to confirm confirms on their own account."""
    for confirmation in services.pending_confirmations(case):
        case.refresh_from_db()
        services.participation_confirm(actor=confirmation.person, confirmation=confirmation,
                                       expected_version=case.version, today=today)
    case.refresh_from_db()
    return case


def approve(case, actor, today, partner=None, **kwargs):
    """Approve the current stage; at household verification a second account takes part and confirms."""
    if case.stage["code"] == "verification":
        stage_input = verification_input(partner or partner_for(case, actor))
    else:
        stage_input = StageInput(decision=Decision.APPROVE, reason="同意", **kwargs)
    case = services.case_decide(actor=actor, case=case, expected_version=case.version, decision=stage_input,
                                today=today)
    return confirm_all(case, today)


def walk_to(case, stage_code, walkers, today=MONDAY):
    """Advance a case with the default stages until it waits at `stage_code`; the notice is published on
    `today` and its period left to run out. Returns (case, the day it reached the stage)."""
    while case.stage["code"] != stage_code:
        stage = case.stage
        if stage["kind"] == "notice":
            notice = notices.notice_publish(actor=walkers["public_notice"], cases=[case], today=today,
                                             objection_phone="0816-1234567")
            today = notice.ends_on + datetime.timedelta(days=1)
            assert notices.notice_conclude(case=case, today=today)
        elif stage["kind"] == "announcement":
            raise AssertionError("walk_to cannot pass the announcement")
        else:
            approve(case, walkers[stage["code"]], today)
        case.refresh_from_db()
    return case, today
