"""The cases API: reads scoped to the area, and the decide, announce and open actions."""

import pytest
from rest_framework.test import APIClient

from fangpin.cases import services
from fangpin.cases.choices import CaseStatus
from fangpin.cases.models import Case
from fangpin.cases.steps import attach_files
from fangpin.core.roles import Role
from fangpin.monitoring import services as monitoring_services
from fangpin.monitoring.choices import Channel, MonitoredCategory, RiskType

from ..factories import make_household, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def verifier(places):
    return make_user(Role.HELPER, places["t1v1"], "verifier_api")


@pytest.fixture
def cases(places, county_admin, village_cadre, other_village_cadre):
    mine = services.case_open_identification(
        actor=village_cadre, household=make_household(county_admin, places["t1v1"]),
        category=MonitoredCategory.MARGINAL, risk_types=[RiskType.ILLNESS])
    theirs = services.case_open_identification(
        actor=other_village_cadre, household=make_household(county_admin, places["t2v1"]),
        category=MonitoredCategory.MARGINAL, risk_types=[RiskType.INCOME])
    return mine, theirs


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_lists_are_scoped(cases, village_cadre, township_officer, county_officer, places):
    mine, theirs = cases
    numbers = {row["number"] for row in api(village_cadre).get("/api/cases/").json()["results"]}
    assert numbers == {mine.number}
    assert {row["number"] for row in api(county_officer).get("/api/cases/").json()["results"]} == {
        mine.number, theirs.number}
    assert api(village_cadre).get(f"/api/cases/{theirs.pk}/").status_code == 404
    detail = api(village_cadre).get(f"/api/cases/{mine.pk}/").json()
    assert detail["stage_code"] == "verification" and detail["records"] == []
    assert api(village_cadre).get("/api/monitorings/").json()["results"] == []
    assert api(village_cadre).get("/api/notices/").status_code == 200
    clerk = make_user(Role.DEPARTMENT_CLERK, places["county"], "clerk_api")
    refused = api(clerk).get("/api/cases/")
    assert refused.status_code == 403 and refused.json()["details"] == ["cases.view"]


def test_decide_action(cases, verifier, places, other_village_cadre):
    mine, _theirs = cases
    url = f"/api/cases/{mine.pk}/decide/"
    typed = api(verifier).post(url, {"expected_version": mine.version, "decision": "reject", "reason": "x",
                                     "participants": ["甲", "乙"]}, format="json")
    assert typed.status_code == 400 and not mine.records.exists()   # names are not accounts
    body = {"expected_version": mine.version, "decision": "reject"}
    missing = api(verifier).post(url, body, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "reason_missing"
    assert api(other_village_cadre).post(url, {**body, "reason": "x"}, format="json").status_code == 404
    auditor = make_user(Role.AUDITOR, places["county"], "auditor_api")
    wrong_perm = api(auditor).post(url, {**body, "reason": "x"}, format="json")
    assert wrong_perm.status_code == 403 and wrong_perm.json()["details"] == ["cases.verify"]
    unknown = api(verifier).post(url, {**body, "reason": "x", "colour": "red"}, format="json")
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_field"
    done = api(verifier).post(url, {**body, "reason": "经核实收入稳定"}, format="json")
    assert done.status_code == 200
    data = done.json()
    assert data["status"] == CaseStatus.REJECTED and data["records"][0]["decision"] == "reject"
    assert data["records"][0]["participants"] == [{"user": verifier.pk, "name": "verifier_api"}]
    stale = api(verifier).post(url, {**body, "reason": "again"}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "case_changed"


def test_open_action(places, county_admin, village_cadre, township_officer, verifier):
    household = make_household(county_admin, places["t1v1"])
    lead = monitoring_services.lead_raise(actor=verifier, channel=Channel.HELPER_VISIT, risk_types=[RiskType.ACCIDENT],
                                          household=household, summary="车祸").lead
    lead = monitoring_services.lead_accept(actor=township_officer, lead=lead)
    body = {"household": household.pk, "lead": lead.pk, "category": MonitoredCategory.SUDDEN_HARDSHIP,
            "risk_types": [RiskType.ACCIDENT], "green_channel": True}
    refused = api(village_cadre).post("/api/cases/open/", body, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "green_channel_reason"
    assert not Case.objects.exists()
    assert api(verifier).post("/api/cases/open/", {**body, "green_channel_reason": "车祸致残"},
                              format="json").status_code == 403
    created = api(village_cadre).post("/api/cases/open/", {**body, "green_channel_reason": "车祸致残"}, format="json")
    assert created.status_code == 201
    data = created.json()
    assert data["lead"] == lead.pk and data["green_channel"] and data["records"][0]["decision"] == "green_channel"


def test_announce_action_checks_the_stage(cases, county_officer):
    mine, _theirs = cases
    response = api(county_officer).post(f"/api/cases/{mine.pk}/announce/", {"expected_version": mine.version},
                                        format="json")
    assert response.status_code == 400 and response.json()["code"] == "not_at_announcement"


def test_participation_action(cases, verifier, village_cadre, county_admin):
    from fangpin.cases.choices import AttachmentKind

    from .conftest import commitment_file

    mine, _theirs = cases
    url = f"/api/cases/{mine.pk}/decide/"
    body = {"expected_version": mine.version, "decision": "approve", "reason": "属实", "participants": [village_cadre.pk],
            "details": {"commitment_signed": True, "data_authorised": True}}
    # The commitment file comes from the web form; here it is already on the case.
    attach_files(mine, [(AttachmentKind.COMMITMENT, commitment_file())], actor=verifier)
    submitted = api(verifier).post(url, body, format="json")
    assert submitted.status_code == 200 and submitted.json()["stage_code"] == "verification"
    version = submitted.json()["version"]
    record = submitted.json()["records"][0]
    assert record["confirmations"][0]["name"] == "cadre_a" and record["confirmations"][0]["status"] == "pending"
    answer = f"/api/cases/{mine.pk}/participation/"
    stranger = api(county_admin).post(answer, {"expected_version": version, "confirmed": True}, format="json")
    assert stranger.status_code == 403 and stranger.json()["code"] == "not_participant"
    done = api(village_cadre).post(answer, {"expected_version": version, "confirmed": True}, format="json")
    assert done.status_code == 200 and done.json()["stage_code"] == "data_comparison"
    again = api(village_cadre).post(answer, {"expected_version": done.json()["version"], "confirmed": False,
                                             "reason": "x"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "confirmation_answered"
