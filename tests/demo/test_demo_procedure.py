"""The demo's procedures and registers: cases in every state walked by different people through the
real services, measures for the confirmed households, one household ready for risk elimination, and
register rows on every register page."""

import pytest

from fangpin.assistance.models import (EnterprisePairing, MicroCredit, ProjectChoice, TrainingParticipant,
                                       WelfarePost, Workshop)
from fangpin.cases.eligibility import check_elimination
from fangpin.cases.models import Case, Confirmation
from fangpin.cases.procedure import DEFAULT_DUTIES
from fangpin.demo.assistance import seed_registers
from fangpin.demo.cases import PLAN, simulate_cases
from fangpin.demo.generator import generate_county
from fangpin.demo.monitoring import adopt_default_thresholds, simulate_months
from fangpin.demo.users import create_demo_users
from fangpin.monitoring.models import Monitoring

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_county(db):
    county = generate_county(households=3000, seed=2026)
    create_demo_users(county)
    adopt_default_thresholds(county)
    simulate_months(county, 2026)
    return county


def test_demo_cases_and_registers(demo_county):
    result = simulate_cases(demo_county)
    assert len(result.cases) == len(PLAN)
    states = {(c.status, c.stage["code"] if c.is_open else "") for c in Case.objects.all()}
    assert {("confirmed", ""), ("rejected", ""), ("open", "verification"), ("open", "public_notice"),
            ("open", "village_review"), ("open", "township_review")} <= states
    for case in Case.objects.all():
        decisions = case.records.filter(decision__in=["approve", "reject", "return"])
        deciders = [r.actor_id for r in decisions]
        assert len(deciders) == len(set(deciders))          # never the same person on two stages
        # The opener never decides a township or county stage (the default rules of the procedure).
        assert case.duties == DEFAULT_DUTIES
        assert not [r for r in decisions if r.actor_id == case.opened_by_id
                    and case.stages[r.stage_index]["level"] in ("township", "county")]
        opened = case.opened_at
        assert all(r.decided_at >= opened for r in case.records.all())
        # Household verification by two accounts: the second one confirmed on their own login.
        for record in decisions.filter(stage_code="verification", decision="approve"):
            confirmation = record.confirmations.get()
            assert confirmation.person_id != record.actor_id
            assert [p["user"] for p in record.participants] == [record.actor_id, confirmation.person_id]
            expected = "pending" if case.is_open and case.stage["code"] == "verification" else "confirmed"
            assert confirmation.status == expected
    assert Confirmation.objects.filter(status="pending").count() == 1   # one verification still to confirm
    assert Monitoring.objects.count() == 3 and result.measures >= 3
    assert result.ready_to_eliminate == 1
    assert sum(check_elimination(m.household).passed for m in Monitoring.objects.all()) == 1

    registers = seed_registers(demo_county)
    assert registers.workshop_employees == 11
    assert Workshop.objects.with_counts().get().sign_eligible
    assert WelfarePost.objects.count() == 2 and TrainingParticipant.objects.count() == 6
    assert [loan.overdue for loan in MicroCredit.objects.order_by("pk")] == [False, True]
    assert ProjectChoice.objects.count() == 2 and EnterprisePairing.objects.count() == 1
