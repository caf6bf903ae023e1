import datetime

import pytest

from fangpin.registry import quality, services
from fangpin.registry.choices import Relation, Sex
from fangpin.registry.models import Household, Member

from ..factories import id_number, make_household


@pytest.fixture
def check():
    return quality.Check.now()


def clean_household(actor, place, check, **income):
    """A household that breaks no rule: insured members, a full-year income with every figure plausible."""
    household = make_household(actor, place, members=2)
    Member.objects.filter(household=household).update(medical_insurance="resident")
    amounts = {"wage_income": "30000", "transfer_income": "600", "medical_spending": "300", **income}
    services.income_set(actor=actor, household=household, year=check.year, **amounts)
    return household


def flagged_numbers(rule_code, check):
    rule = quality.RULES_BY_CODE[rule_code]
    return set(quality.flagged(Household.objects.all(), rule, check).values_list("number", flat=True))


def update_member(household, relation=Relation.SPOUSE, **fields):
    Member.objects.filter(household=household, relation=relation, ended_on__isnull=True).update(**fields)


def _illness(actor, household, check):
    update_member(household, health="serious")
    services.income_set(actor=actor, household=household, year=check.year, medical_spending="0")


def _assisted_no_transfer(actor, household, check):
    update_member(household, dibao=True)
    services.income_set(actor=actor, household=household, year=check.year, transfer_income="0")


def _assisted_high_income(actor, household, check):
    update_member(household, tekun=True)
    services.income_set(actor=actor, household=household, year=check.year, wage_income="60000")


def _disabled(actor, household, check):
    update_member(household, health="disabled", disability_grade="")


def _child(actor, household, check):
    birth = check.today.replace(year=check.today.year - 10, day=1)
    services.member_add(actor=actor, household=household, name="小明", id_number=id_number(Sex.MALE, birth),
                        relation=Relation.SON, schooling="dropout", medical_insurance="resident")


def _uninsured(actor, household, check):
    update_member(household, medical_insurance="none")


def _works_without_labour(actor, household, check):
    update_member(household, labour_capacity="lost", work_months=6)


def _welfare_months(actor, household, check):
    update_member(household, welfare_post=True, welfare_post_months=0)


def _no_income(actor, household, check):
    household.incomes.all().delete()


def _exited_without_year(actor, household, check):
    Household.objects.filter(pk=household.pk).update(household_type="exited", exit_year=None)


def _no_members(actor, household, check):
    Member.objects.filter(household=household).update(ended_on=check.today, end_reason="moved_out")


def _no_head(actor, household, check):
    Member.objects.filter(household=household, relation=Relation.HEAD).update(relation=Relation.OTHER)


BREAKERS = {
    "illness_no_medical_spending": _illness,
    "assisted_no_transfer_income": _assisted_no_transfer,
    "assisted_high_income": _assisted_high_income,
    "disabled_without_grade": _disabled,
    "child_out_of_school": _child,
    "no_basic_medical_insurance": _uninsured,
    "works_without_labour_capacity": _works_without_labour,
    "welfare_post_months_mismatch": _welfare_months,
    "no_income_last_year": _no_income,
    "exited_without_exit_year": _exited_without_year,
    "no_active_members": _no_members,
    "no_head": _no_head,
}


def test_every_rule_has_a_crafted_case():
    assert set(BREAKERS) == set(quality.RULES_BY_CODE)


@pytest.mark.parametrize("code", sorted(BREAKERS))
def test_rule_flags_the_crafted_household_and_not_the_clean_one(code, county_admin, places, check):
    clean = clean_household(county_admin, places["t1v1"], check)
    broken = clean_household(county_admin, places["t1v2"], check)
    BREAKERS[code](county_admin, broken, check)

    assert flagged_numbers(code, check) == {broken.number}
    assert quality.counts(Household.objects.all(), check)[code] == 1
    assert quality.warnings_for(clean, check) == []
    assert quality.RULES_BY_CODE[code].describe(check) in quality.warnings_for(broken, check)


def test_a_clean_household_breaks_no_rule(county_admin, places, check):
    clean_household(county_admin, places["t1v1"], check)
    assert not quality.flagged_by_any(Household.objects.all(), check).exists()
    assert set(quality.counts(Household.objects.all(), check).values()) == {0}


def test_ended_households_and_members_are_not_checked(county_admin, places, check):
    household = clean_household(county_admin, places["t1v1"], check)
    _uninsured(county_admin, household, check)
    Member.objects.filter(household=household, relation=Relation.SPOUSE).update(
        ended_on=check.today, end_reason="deceased")
    assert flagged_numbers("no_basic_medical_insurance", check) == set()

    Member.objects.filter(household=household, relation=Relation.HEAD).update(medical_insurance="none")
    services.household_dissolve(actor=county_admin, household=household, reason="全户迁出")
    assert not quality.flagged_by_any(Household.objects.all(), check).exists()


def test_child_age_bounds(county_admin, places, check):
    """6 to 15 years old on the check day; a 16-year-old out of school is not a compulsory-school case."""
    household = clean_household(county_admin, places["t1v1"], check)
    sixteen = check.today.replace(year=check.today.year - 16) - datetime.timedelta(days=1)
    services.member_add(actor=county_admin, household=household, name="大明", id_number=id_number(Sex.MALE, sixteen),
                        relation=Relation.SON, schooling="not_in_school", medical_insurance="resident")
    assert flagged_numbers("child_out_of_school", check) == set()


def test_counts_and_lists_are_single_queries(county_admin, places, check, django_assert_num_queries):
    for place in ("t1v1", "t1v2", "t2v1"):
        _uninsured(county_admin, clean_household(county_admin, places[place], check), check)
    with django_assert_num_queries(1):
        assert quality.counts(Household.objects.all(), check)["no_basic_medical_insurance"] == 3
    with django_assert_num_queries(1):
        assert len(list(quality.flagged_by_any(Household.objects.all(), check))) == 3


def test_counts_respect_the_area_restriction(county_admin, village_cadre, places, check):
    _uninsured(county_admin, clean_household(county_admin, places["t1v1"], check), check)
    _uninsured(county_admin, clean_household(county_admin, places["t2v1"], check), check)
    mine = Household.objects.restrict(village_cadre, "registry.data_quality")
    assert quality.counts(mine, check)["no_basic_medical_insurance"] == 1
