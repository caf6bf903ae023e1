"""The elimination check (every criterion with its figures), its refusals, and the elimination case."""

import datetime
from decimal import Decimal

import pytest

from fangpin.cases import services
from fangpin.cases.choices import CaseStatus
from fangpin.cases.eligibility import check_elimination
from fangpin.core.errors import ValidationFailed
from fangpin.demo.monitoring import DEFAULT_STANDARD
from fangpin.monitoring.choices import MonitoringStatus
from fangpin.monitoring.models import Monitoring
from fangpin.monitoring.services import thresholds_adopt
from fangpin.registry.models import Member
from fangpin.registry.services import income_set

from .conftest import approve, walk_to

ELIMINATION_DAY = datetime.date(2026, 12, 21)   # last completed quarters: 2026 Q3 and Q2


@pytest.fixture
def standard(places, county_admin):
    return thresholds_adopt(actor=county_admin, county=places["county"], effective_from=datetime.date(2026, 1, 1),
                            year=2026, **DEFAULT_STANDARD)   # monitoring line 8,600 yuan


@pytest.fixture
def monitored(case, walkers):
    case, day = walk_to(case, "announcement", walkers)
    services.case_announce(actor=walkers["announcement"], case=case, expected_version=case.version, today=day)
    return Monitoring.objects.get(household=case.household)


def _make_eligible(household, county_admin):
    from fangpin.assistance.models import Measure
    Member.objects.filter(household=household).update(medical_insurance="resident")
    for quarter in (2, 3):   # 3 people, 2,400 yuan net a quarter each → 9,600 a year > 8,600
        income_set(actor=county_admin, household=household, year=2026, quarter=quarter,
                   wage_income=Decimal("7200"), medical_spending=Decimal("300"))
    Measure.objects.create(household=household, category="employment", name="就业帮扶：推荐到县城务工",
                           responsible_unit="县人社局", starts_on=datetime.date(2026, 7, 1), status="in_progress")


def _criteria(check):
    return {c.code: c for c in check.criteria}


def test_check_lists_every_criterion_with_figures(monitored, standard, county_admin):
    household = monitored.household
    early = check_elimination(household, today=monitored.identified_on + datetime.timedelta(days=30))
    criteria = _criteria(early)
    assert set(criteria) == {"months_monitored", "income_stable", "rigid_spending", "housing", "education",
                             "medical_insurance", "water", "measure"}
    assert not early.passed and not criteria["months_monitored"].passed
    assert "缺少认定以来的收入数据" in criteria["income_stable"].detail
    assert not criteria["medical_insurance"].passed and "未参保" in criteria["medical_insurance"].detail
    assert not criteria["measure"].passed
    assert criteria["housing"].passed and criteria["water"].passed and criteria["education"].passed

    _make_eligible(household, county_admin)
    check = check_elimination(household, today=ELIMINATION_DAY)
    assert check.passed, [(c.code, c.detail) for c in check.criteria if not c.passed]
    income = _criteria(check)["income_stable"]
    assert "2026Q2：9600.00" in income.detail and "8600" in income.detail
    assert "2026Q3：9200.00" in _criteria(check)["rigid_spending"].detail   # (7,200 − 300) × 4 / 3


def test_income_below_the_line_fails_with_its_figures(monitored, standard, county_admin):
    household = monitored.household
    _make_eligible(household, county_admin)
    income_set(actor=county_admin, household=household, year=2026, quarter=3, wage_income=Decimal("6000"))
    check = check_elimination(household, today=ELIMINATION_DAY)
    income = _criteria(check)["income_stable"]
    assert not income.passed and "2026Q3：8000.00" in income.detail
    with pytest.raises(ValidationFailed) as error:
        services.case_open_elimination(actor=monitored.identification_case.opened_by, household=household,
                                       method="assistance", today=ELIMINATION_DAY)
    assert error.value.code == "criteria_unmet" and "收入稳定超过监测线" in error.value.message


def test_before_six_months_refused(monitored, standard, county_admin, village_cadre):
    _make_eligible(monitored.household, county_admin)
    too_early = monitored.identified_on + datetime.timedelta(days=150)
    with pytest.raises(ValidationFailed) as error:
        services.case_open_elimination(actor=village_cadre, household=monitored.household, method="assistance",
                                       today=too_early)
    assert error.value.code == "criteria_unmet" and "满6个月" in error.value.message


def test_no_labour_household_refused_with_reason(monitored, standard, county_admin, village_cadre):
    _make_eligible(monitored.household, county_admin)
    Member.objects.filter(household=monitored.household).update(labour_capacity="lost")
    check = check_elimination(monitored.household, today=ELIMINATION_DAY)
    assert check.no_labour and not check.passed
    with pytest.raises(ValidationFailed) as error:
        services.case_open_elimination(actor=village_cadre, household=monitored.household, method="natural",
                                       today=ELIMINATION_DAY)
    assert error.value.code == "no_labour" and "兜底" in error.value.message


def test_not_monitored_refused(household, village_cadre):
    with pytest.raises(ValidationFailed) as error:
        services.case_open_elimination(actor=village_cadre, household=household, method="assistance")
    assert error.value.code == "not_monitored"


def test_elimination_case_ends_the_monitoring_and_a_new_identification_starts_fresh(
        monitored, standard, county_admin, village_cadre, walkers):
    household = monitored.household
    _make_eligible(household, county_admin)
    with pytest.raises(ValidationFailed):
        services.case_open_elimination(actor=village_cadre, household=household, method="sometimes",
                                       today=ELIMINATION_DAY)
    case = services.case_open_elimination(actor=village_cadre, household=household, method="assistance",
                                          summary="务工收入稳定", today=ELIMINATION_DAY)
    assert case.number.startswith("XC") and case.eligibility["passed"] and case.monitoring == monitored
    assert [s["code"] for s in case.stages][0] == "verification"
    elimination_walkers = {**walkers, "data_comparison": None}
    case, day = walk_to(case, "announcement", elimination_walkers, today=ELIMINATION_DAY)
    notice = case.notices.get()
    assert (notice.ends_on - notice.starts_on).days + 1 == 5
    services.case_announce(actor=walkers["announcement"], case=case, expected_version=case.version, today=day)
    case.refresh_from_db()
    monitored.refresh_from_db()
    assert case.status == CaseStatus.ELIMINATED
    assert monitored.status == MonitoringStatus.ELIMINATED and monitored.elimination_method == "assistance"
    assert monitored.eliminated_on == day and monitored.elimination_case == case
    # Identified again later: a new case and a new monitoring period; the old ones stay.
    again = services.case_open_identification(actor=village_cadre, household=household, category="marginal",
                                              risk_types=["unstable_employment"], today=day)
    approve(again, walkers["verification"], day)
    assert household.cases.count() == 3
    assert Monitoring.objects.filter(household=household).count() == 1


def test_elimination_case_rejected_keeps_the_household_monitored(monitored, standard, county_admin,
                                                                 village_cadre, walkers):
    from fangpin.cases.choices import Decision
    from fangpin.cases.services import StageInput
    _make_eligible(monitored.household, county_admin)
    case = services.case_open_elimination(actor=village_cadre, household=monitored.household,
                                          method="natural", today=ELIMINATION_DAY)
    approve(case, walkers["verification"], ELIMINATION_DAY)
    case.refresh_from_db()
    services.case_decide(actor=walkers["village_review"], case=case, expected_version=case.version,
                         today=ELIMINATION_DAY, decision=StageInput(decision=Decision.REJECT, reason="收入尚不稳定"))
    monitored.refresh_from_db()
    assert monitored.status == MonitoringStatus.MONITORED


def test_guarantees_and_labour_are_the_registry_conditions(monitored, standard, county_admin):
    """The elimination check reads the same conditions as the screening: one failing water criterion
    fails the water guarantee, schooling counts at compulsory ages only (6-15) and "not in school"
    counts there, and labour means working age."""
    from fangpin.registry.models import Household

    household = monitored.household
    _make_eligible(household, county_admin)
    assert check_elimination(household, today=ELIMINATION_DAY).passed
    Household.objects.filter(pk=household.pk).update(water_safe=True, water_supply_ok=False)
    household.refresh_from_db()
    water = _criteria(check_elimination(household, today=ELIMINATION_DAY))["water"]
    assert not water.passed and "否" in water.detail
    Household.objects.filter(pk=household.pk).update(water_supply_ok=True)
    household.refresh_from_db()

    child = household.members.exclude(relation="head").first()
    Member.objects.filter(pk=child.pk).update(birth_date=datetime.date(2010, 12, 21), schooling="dropout")
    assert _criteria(check_elimination(household, today=ELIMINATION_DAY))["education"].passed  # turned 16
    Member.objects.filter(pk=child.pk).update(birth_date=datetime.date(2016, 1, 1), schooling="not_in_school")
    education = _criteria(check_elimination(household, today=ELIMINATION_DAY))["education"]
    assert not education.passed and child.name in education.detail

    Member.objects.filter(pk=child.pk).update(schooling="primary")
    Member.objects.filter(household=household).exclude(pk=child.pk).update(
        birth_date=datetime.date(1961, 12, 21), labour_capacity="ordinary")
    check = check_elimination(household, today=ELIMINATION_DAY)
    assert check.no_labour and not check.passed   # the only adults turned 65 that day
