"""Two officers act on one case at the same moment: exactly one transition happens, the other person
gets a clear message. Needs a server database with row locks (PostgreSQL)."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from fangpin.cases import services
from fangpin.cases.models import Case
from fangpin.core.errors import Conflict
from fangpin.core.roles import Role

from ..factories import make_user
from .conftest import MONDAY, verification_input

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row-lock race needs PostgreSQL"),
]


def _run_in_threads(*targets):
    outcomes = [None] * len(targets)

    def runner(index, target):
        try:
            outcomes[index] = target()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test inspects
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_second_officer_waits_for_the_lock_then_gets_a_conflict(case, helper, places):
    grid = make_user(Role.GRID_WORKER, places["t1v1"], "grid_race")
    seen_version = case.version
    first_decided = threading.Event()

    def first():
        with transaction.atomic():   # hold the row lock a while after deciding
            services.case_decide(actor=helper, case=case, expected_version=seen_version,
                                 decision=verification_input(grid), today=MONDAY)
            first_decided.set()
            time.sleep(0.5)
        return "decided"

    def second():
        first_decided.wait(10)
        started = time.monotonic()
        try:
            services.case_decide(actor=grid, case=case, expected_version=seen_version,
                                 decision=verification_input(helper), today=MONDAY)
        finally:
            second.waited = time.monotonic() - started
        return "decided"

    outcomes = _run_in_threads(first, second)
    assert outcomes[0] == "decided"
    assert isinstance(outcomes[1], Conflict) and outcomes[1].code == "case_changed"
    assert "helper_a" in outcomes[1].message and "入户核实" in outcomes[1].message
    assert second.waited >= 0.3   # it really waited for the first transaction's lock
    fresh = Case.objects.get(pk=case.pk)
    # One submission, waiting for the grid worker it named to confirm.
    assert fresh.records.count() == 1 and fresh.stage["code"] == "verification"
    assert [c.person_id for c in fresh.confirmations.all()] == [grid.pk]
    assert fresh.version == seen_version + 1


@pytest.mark.parametrize("attempt", range(5))
def test_simultaneous_decisions_make_exactly_one_transition(case, helper, places, attempt):
    grid = make_user(Role.GRID_WORKER, places["t1v1"], f"grid_race_{attempt}")
    seen_version = case.version
    barrier = threading.Barrier(2)

    def decide(actor, partner):
        def target():
            barrier.wait(10)
            services.case_decide(actor=actor, case=case, expected_version=seen_version,
                                 decision=verification_input(partner), today=MONDAY)
            return "decided"
        return target

    outcomes = _run_in_threads(decide(helper, grid), decide(grid, helper))
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "str"]
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.records.count() == 1 and fresh.confirmations.count() == 1 and fresh.version == seen_version + 1
    # The one who lost names nobody; the one named confirms and the case moves on once.
    confirmation = fresh.confirmations.get()
    services.participation_confirm(actor=confirmation.person, confirmation=confirmation,
                                   expected_version=fresh.version, today=MONDAY)
    assert Case.objects.get(pk=case.pk).stage_index == 1


@pytest.mark.parametrize("attempt", range(3))
def test_two_participants_confirming_at_once_move_the_case_on_once(case, helper, village_cadre, county_admin,
                                                                    places, attempt):
    from fangpin.cases.procedure import DEFAULT_STAGES

    grid = make_user(Role.GRID_WORKER, places["t1v1"], f"grid_both_{attempt}")
    Case.objects.filter(pk=case.pk).update(stages=[dict(s, min_people=3) if s["code"] == "verification" else s
                                                   for s in DEFAULT_STAGES["identification"]])
    case = Case.objects.get(pk=case.pk)
    case = services.case_decide(actor=helper, case=case, expected_version=case.version,
                                decision=verification_input(grid, village_cadre), today=MONDAY)
    barrier = threading.Barrier(2)

    def confirm(confirmation):
        def target():
            barrier.wait(10)
            services.participation_confirm(actor=confirmation.person, confirmation=confirmation,
                                           expected_version=case.version, today=MONDAY)
            return "confirmed"
        return target

    outcomes = _run_in_threads(*(confirm(c) for c in case.confirmations.order_by("pk")))
    assert outcomes == ["confirmed", "confirmed"]
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.stage["code"] == "data_comparison" and fresh.version == case.version + 1
    assert {c.status for c in fresh.confirmations.all()} == {"confirmed"}
