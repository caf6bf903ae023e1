"""The elimination check reads the county's elimination criteria in force on the day of the check and
records the version it used; a new version changes the outcome from its effective date only."""

import datetime

import pytest

from fangpin.cases.eligibility import check_elimination
from fangpin.cases.models import EliminationCriteria
from fangpin.core.errors import PermissionDenied, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.policy import policy_adopt, policy_in_force

from .test_elimination import monitored, standard  # noqa: F401 - fixtures


def _criterion(check, code):
    return next(c for c in check.criteria if c.code == code)


def test_months_monitored_follow_the_version_in_force(monitored, standard, county_admin, places):  # noqa: F811
    county = places["county"]
    identified = monitored.identified_on
    day = identified + datetime.timedelta(days=45)
    before = check_elimination(monitored.household, today=day)
    assert before.criteria_version == 1 and before.as_json()["criteria_version"] == 1
    months = _criterion(before, "months_monitored")
    assert not months.passed and "6" in months.label
    assert not EliminationCriteria.objects.exists()  # the defaults are read, not written

    switch = identified + datetime.timedelta(days=40)
    second = policy_adopt(EliminationCriteria, actor=county_admin, county=county, effective_from=switch,
                          note="试行", min_months_monitored=1, income_quarters=2, safe_house_grades=["A", "B", "C"],
                          min_measures_in_place=1)
    assert second.version == 2  # the defaults, in force until now, became version 1
    first = EliminationCriteria.objects.get(county=county, version=1)
    after = check_elimination(monitored.household, today=day)
    assert after.criteria_version == 2 and _criterion(after, "months_monitored").passed
    assert "1" in _criterion(after, "months_monitored").label
    earlier = check_elimination(monitored.household, today=switch - datetime.timedelta(days=1))
    assert earlier.criteria_version == 1 and not _criterion(earlier, "months_monitored").passed
    first.refresh_from_db()
    assert (first.version, first.min_months_monitored, first.safe_house_grades) == (1, 6, ["A", "B"])
    assert ChangeLog.objects.filter(object_type="cases.eliminationcriteria", object_id=second.pk,
                                    actor=county_admin, reason="试行").exists()


def test_house_grades_counted_safe_come_from_the_criteria(monitored, standard, county_admin, places):  # noqa: F811
    household = monitored.household
    household.house_grade = "C"
    household.save(update_fields=["house_grade"])
    day = monitored.identified_on + datetime.timedelta(days=10)
    assert not _criterion(check_elimination(household, today=day), "housing").passed
    policy_adopt(EliminationCriteria, actor=county_admin, county=places["county"], effective_from=day,
                 min_months_monitored=6, income_quarters=2, safe_house_grades=["A", "B", "C"],
                 min_measures_in_place=1)
    assert _criterion(check_elimination(household, today=day), "housing").passed


def test_bad_criteria_are_refused_and_write_nothing(places, county_admin, village_cadre):
    county = places["county"]
    with pytest.raises(ValidationFailed) as error:
        policy_adopt(EliminationCriteria, actor=county_admin, county=county, min_months_monitored=0,
                     income_quarters=2, safe_house_grades=["A"], min_measures_in_place=1)
    assert error.value.field == "min_months_monitored"
    with pytest.raises(ValidationFailed) as error:
        policy_adopt(EliminationCriteria, actor=county_admin, county=county, min_months_monitored=6,
                     income_quarters=2, safe_house_grades=["none"], min_measures_in_place=1)
    assert error.value.field == "safe_house_grades"
    with pytest.raises(PermissionDenied):
        policy_adopt(EliminationCriteria, actor=village_cadre, county=county, min_months_monitored=3,
                     income_quarters=2, safe_house_grades=["A"], min_measures_in_place=1)
    assert not EliminationCriteria.objects.exists()
    assert policy_in_force(EliminationCriteria, county).version == 1   # a county without one starts from v1
