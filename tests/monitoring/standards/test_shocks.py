import datetime
from decimal import Decimal

import pytest
from django.db import transaction

from fangpin.core.models import ChangeLog
from fangpin.demo import shocks
from fangpin.demo.generator import generate_county
from fangpin.demo.monitoring import adopt_default_thresholds, recent_periods
from fangpin.demo.users import create_demo_users
from fangpin.monitoring.services import thresholds_in_force
from fangpin.registry.models import Household, Income, Member

pytestmark = pytest.mark.django_db


@pytest.fixture
def county():
    return generate_county(households=400, seed=11)


def state():
    quarters = sorted(Income.objects.filter(quarter__isnull=False).values_list(
        "household_id", "year", "quarter", "wage_income", "medical_spending", "disaster_loss", "insurance_payout"))
    members = sorted(Member.objects.filter(health="serious").values_list("id", flat=True))
    return quarters, members


def test_same_seed_same_shocks_and_other_seeds_differ(county, monkeypatch):
    monkeypatch.setattr(shocks, "ILLNESS_RATE", 0.03)
    monkeypatch.setattr(shocks, "JOB_LOSS_RATE", 0.03)
    runs = []
    for seed in (5, 5, 6):
        saved = transaction.savepoint()
        summary = shocks.apply_shocks(county, "2026-07", seed)
        runs.append((summary, state()))
        transaction.savepoint_rollback(saved)
    assert runs[0] == runs[1]
    assert runs[0][0]["illness"] != runs[2][0]["illness"]


def test_shocks_change_the_registry_as_described(county, monkeypatch):
    monkeypatch.setattr(shocks, "ILLNESS_RATE", 0.03)
    monkeypatch.setattr(shocks, "JOB_LOSS_RATE", 0.03)
    monkeypatch.setattr(shocks, "DISASTER_MONTH_CHANCE", 1.0)
    serious_before = set(Member.objects.filter(health="serious").values_list("id", flat=True))
    summary = shocks.apply_shocks(county, "2026-07", 3)
    number = dict(Household.objects.values_list("number", "id"))
    ill = [number[n] for n in summary["illness"]["sample"]]
    jobless = [number[n] for n in summary["job_loss"]["sample"]]
    struck = [number[n] for n in summary["disaster"]["sample"]]
    assert ill and jobless and len(struck) >= 3
    assert summary["quarter"] == "2026Q3" and summary["disaster"]["subtype"] in ("flood", "geological")
    for household_id in ill:
        assert Member.objects.filter(household_id=household_id, health="serious").exclude(
            pk__in=serious_before).exists()
        block = Income.objects.get(household_id=household_id, year=2026, quarter=3)
        baseline = Income.objects.get(household_id=household_id, year=2025, quarter__isnull=True)
        assert block.medical_spending > baseline.medical_spending / 4 + Decimal("1000")
    for household_id in jobless:
        block = Income.objects.get(household_id=household_id, year=2026, quarter=3)
        baseline = Income.objects.get(household_id=household_id, year=2025, quarter__isnull=True)
        assert block.wage_income <= (baseline.wage_income / 4) * Decimal("0.46")
        assert Member.objects.filter(household_id=household_id, ended_on__isnull=True, work_months__lte=2).exists()
    townships = {Household.objects.get(pk=h).place.code[:9] for h in struck}
    assert len(townships) == 1
    # a rolling year of quarters ends with the shock's quarter, so the screening can read it
    for household_id in ill + jobless + struck:
        assert set(Income.objects.filter(household_id=household_id, quarter__isnull=False).values_list(
            "year", "quarter")) >= {(2025, 4), (2026, 1), (2026, 2), (2026, 3)}
    log = ChangeLog.objects.filter(source="demo", reason="演示冲击：2026-07")
    assert log.count() == 1 and log.get().after == summary
    before = state()
    assert shocks.apply_shocks(county, "2026-07", 3) == summary
    assert state() == before and log.count() == 1


def test_default_rates_strike_a_small_share(county):
    summaries = [shocks.apply_shocks(county, period, 2026) for period in ("2026-05", "2026-06", "2026-07")]
    struck = sum(s[kind]["households"] for s in summaries for kind in ("illness", "job_loss", "disaster"))
    assert 0 < struck < 400 * 0.05


def test_the_demo_county_gets_a_standard_in_force(county):
    create_demo_users(county)
    standard = adopt_default_thresholds(county)
    assert adopt_default_thresholds(county) == standard
    assert standard.monitoring_line == Decimal("8600.00") and standard.watch_band_ratio == Decimal("0.1000")
    assert standard.medical_warning_amount == Decimal("10000.00")
    assert standard.medical_warning_reference_share_exited == Decimal("0.5000")
    assert standard.reference_income == Decimal("17522.00")
    assert thresholds_in_force(county, datetime.date(2026, 9, 1)) == standard
    assert standard.created_by.username == "admin"


def test_recent_periods():
    assert recent_periods(datetime.date(2026, 2, 3)) == ["2025-12", "2026-01", "2026-02"]


def test_demo_months_screen_and_draft_the_list(county):
    from fangpin.demo.monitoring import draft_monthly_list, simulate_months
    from fangpin.monitoring.models import Lead, MonthlyList

    create_demo_users(county)
    adopt_default_thresholds(county)
    months = simulate_months(county, 2026, today=datetime.date(2026, 8, 15))
    assert [m["period"] for m in months] == ["2026-06", "2026-07", "2026-08"]
    assert months[0]["leads"]["new"] > 0 and Lead.objects.filter(channel="screening").exists()
    lists = draft_monthly_list(county, today=datetime.date(2026, 8, 15))
    assert lists.lines > 0 and not MonthlyList.objects.filter(period="2026-08", sent_at__isnull=False).exists()


def test_a_pupil_drops_out_each_month(county_admin, places):
    import datetime

    from fangpin.demo.shocks import apply_shocks
    from fangpin.registry import services as registry_services
    from fangpin.registry.choices import Relation, Schooling, Sex
    from fangpin.registry.models import Member

    from ...factories import id_number, make_household

    household = make_household(county_admin, places["t1v1"])
    pupil = registry_services.member_add(
        actor=county_admin, household=household, name="李小明", relation=Relation.SON,
        id_number=id_number(Sex.MALE, datetime.date(2012, 3, 1)), schooling=Schooling.GRADE8)
    summary = apply_shocks(places["county"], "2026-10", seed=7)
    assert summary["dropout"]["households"] == 1
    assert Member.objects.get(pk=pupil.pk).schooling == Schooling.DROPOUT
