import datetime
from decimal import Decimal

import pytest

from fangpin.core.errors import Conflict, MissingPermission, PermissionDenied, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.roles import Role
from fangpin.registry import services
from fangpin.registry.choices import EndReason, HouseholdStatus, Relation, Sex
from fangpin.registry.models import Household, Income, Member

from ..factories import id_number, make_household, make_user


@pytest.fixture
def household(county_admin, places):
    return make_household(county_admin, places["t1v1g1"], members=3)


def error_code(call, **kwargs):
    with pytest.raises(ValidationFailed) as caught:
        call(**kwargs)
    return caught.value.code


# ---------------------------------------------------------------- creation and invariants


def test_create_writes_household_members_and_change_log(household):
    assert household.size == 3
    assert household.head.relation == Relation.HEAD
    entries = ChangeLog.objects.filter(household_id=household.pk)
    assert entries.filter(action="create", object_type="registry.household").count() == 1
    assert entries.filter(action="create", object_type="registry.member").count() == 3
    assert all(e.area_code == household.place.code for e in entries)


def test_household_number_must_be_digits_and_unique(county_admin, places, household):
    assert error_code(make_household, actor=county_admin, place=places["t1v1"], number="12A4") == "household_number"
    assert error_code(make_household, actor=county_admin, place=places["t1v2"],
                      number=household.number) == "household_number_taken"


def test_household_belongs_to_village_or_group(county_admin, places):
    assert error_code(make_household, actor=county_admin, place=places["t1"]) == "place_level"


def test_exited_household_needs_exit_year_in_range(county_admin, places):
    assert error_code(make_household, actor=county_admin, place=places["t1v1"],
                      household_type="exited") == "exit_year_missing"
    assert error_code(make_household, actor=county_admin, place=places["t1v1"],
                      household_type="exited", exit_year=2022) == "exit_year_range"
    household = make_household(county_admin, places["t1v1"], household_type="exited", exit_year=2018)
    assert household.exit_year == 2018


def test_person_is_in_at_most_one_active_household(county_admin, places, household):
    taken = household.head.id_number
    code = error_code(services.member_add, actor=county_admin, household=make_household(county_admin, places["t1v2"]),
                      name="重复", id_number=taken, relation=Relation.SON)
    assert code == "person_in_other_household"


def test_exactly_one_head(county_admin, household):
    assert error_code(services.member_add, actor=county_admin, household=household, name="第二户主",
                      id_number=id_number(), relation=Relation.HEAD) == "head_exists"
    head = household.head
    assert error_code(services.member_end, actor=county_admin, member=head,
                      reason=EndReason.MOVED_OUT) == "head_leaving"
    assert error_code(services.member_update, actor=county_admin, member=head,
                      relation=Relation.FATHER) == "head_count"


def test_changing_head_steps_the_old_head_down(county_admin, household):
    old_head = household.head
    spouse = household.members.get(relation=Relation.SPOUSE)
    services.member_update(actor=county_admin, member=spouse, relation=Relation.HEAD, reason="户主去世前变更")
    old_head.refresh_from_db()
    assert old_head.relation == Relation.OTHER
    assert household.head.pk == spouse.pk
    assert household.members.filter(ended_on__isnull=True, relation=Relation.HEAD).count() == 1


def test_size_counts_active_members_only(county_admin, household):
    daughter = household.members.get(relation=Relation.DAUGHTER)
    services.member_end(actor=county_admin, member=daughter, reason=EndReason.MOVED_OUT,
                        on=datetime.date(2026, 3, 1))
    assert household.size == 2
    daughter.refresh_from_db()
    assert daughter.ended_on == datetime.date(2026, 3, 1) and daughter.end_reason == EndReason.MOVED_OUT
    assert Member.objects.filter(pk=daughter.pk).exists()  # history stays


def test_member_sex_must_match_id_number(county_admin, household):
    code = error_code(services.member_add, actor=county_admin, household=household, name="张三",
                      id_number=id_number(Sex.MALE), relation=Relation.SON, sex=Sex.FEMALE)
    assert code == "id_sex_mismatch"


def test_member_gets_sex_and_birth_date_from_id(county_admin, household):
    number = id_number(Sex.FEMALE, datetime.date(2012, 9, 1))
    member = services.member_add(actor=county_admin, household=household, name="李小花", id_number=number.lower(),
                                 relation=Relation.GRANDDAUGHTER)
    assert member.sex == Sex.FEMALE and member.birth_date == datetime.date(2012, 9, 1)


def test_disabled_member_needs_grade(county_admin, household):
    member = household.members.get(relation=Relation.SPOUSE)
    assert error_code(services.member_update, actor=county_admin, member=member,
                      health="disabled") == "disability_grade_missing"
    services.member_update(actor=county_admin, member=member, health="disabled", disability_grade="2")


def test_work_months_within_a_year(county_admin, household):
    assert error_code(services.member_update, actor=county_admin, member=household.head,
                      work_months=13) == "months_range"


# ---------------------------------------------------------------- moves, dissolving, merging


def test_move_member_keeps_both_histories(county_admin, places, household):
    other = make_household(county_admin, places["t1v2"])
    daughter = household.members.get(relation=Relation.DAUGHTER)
    moved = services.member_move(actor=county_admin, member=daughter, to=other, relation=Relation.DAUGHTER_IN_LAW)
    daughter.refresh_from_db()
    assert daughter.end_reason == EndReason.MOVED_TO_HOUSEHOLD and daughter.ended_on
    assert moved.household == other and moved.id_number == daughter.id_number
    assert household.size == 2 and other.size == 3


def test_dissolve_ends_members_and_keeps_rows(county_admin, household):
    services.household_dissolve(actor=county_admin, household=household, reason="全户迁出本县")
    household.refresh_from_db()
    assert household.status == HouseholdStatus.DISSOLVED
    assert household.size == 0
    assert household.members.count() == 3
    assert error_code(services.household_update, actor=county_admin, household=household,
                      address="新地址") == "household_ended"


def test_merge_moves_members_and_ends_source(county_admin, places, household):
    target = make_household(county_admin, places["t1v1"], members=2)
    services.household_merge(actor=county_admin, source=household, target=target, reason="分户后合户")
    household.refresh_from_db()
    assert household.status == HouseholdStatus.MERGED and household.merged_into == target
    assert target.size == 5
    assert target.members.filter(ended_on__isnull=True, relation=Relation.HEAD).count() == 1


# ---------------------------------------------------------------- incomes


def test_income_per_capita_is_derived(county_admin, household):
    income = services.income_set(actor=county_admin, household=household, year=2025, wage_income="24,000.00元",
                                 operating_income="6000", property_income="300.5", transfer_income="1200",
                                 operating_costs="1500", medical_spending="3000", insurance_payout="1000")
    income = Income.objects.with_member_count().get(pk=income.pk)
    assert income.net_income == Decimal("30000.50")
    assert income.size == 3
    assert income.per_capita_net_income == Decimal("10000.17")
    assert income.per_capita_after_rigid_spending == Decimal("9333.50")


def test_income_of_past_year_counts_members_of_that_year(county_admin, household):
    daughter = household.members.get(relation=Relation.DAUGHTER)
    services.income_set(actor=county_admin, household=household, year=2024, wage_income="9000")
    services.member_end(actor=county_admin, member=daughter, reason=EndReason.MOVED_OUT, on=datetime.date(2025, 6, 1))
    assert Income.objects.with_member_count().get(household=household, year=2024).size == 3


@pytest.mark.parametrize("value,code", [("-1", "money_negative"), ("12.345", "money_decimals"),
                                        ("abc", "money_format"), ("NaN", "money_format")])
def test_bad_money_is_refused_and_nothing_written(county_admin, household, value, code):
    assert error_code(services.income_set, actor=county_admin, household=household, year=2025,
                      wage_income=value) == code
    assert not Income.objects.filter(household=household).exists()


def test_income_year_and_quarter_checked(county_admin, household):
    assert error_code(services.income_set, actor=county_admin, household=household, year=2013) == "year_range"
    assert error_code(services.income_set, actor=county_admin, household=household, year=2025,
                      quarter=5) == "quarter_range"
    yearly = services.income_set(actor=county_admin, household=household, year=2025, wage_income="100")
    quarterly = services.income_set(actor=county_admin, household=household, year=2025, quarter=2, wage_income="30")
    assert yearly.pk != quarterly.pk


def test_income_update_is_logged_with_before_and_after(county_admin, household):
    income = services.income_set(actor=county_admin, household=household, year=2025, wage_income="100")
    services.income_set(actor=county_admin, household=household, year=2025, wage_income="250.00",
                        version=income.version, reason="补录工资")
    entry = ChangeLog.objects.filter(object_type="registry.income", action="update").get()
    assert entry.before["wage_income"] == "100.00" and entry.after["wage_income"] == "250.00"
    assert entry.actor == county_admin and entry.reason == "补录工资"
    assert entry.changed_fields() == [("wage_income", "100.00", "250.00")]


def test_update_that_changes_nothing_leaves_no_entry(county_admin, household):
    income = services.income_set(actor=county_admin, household=household, year=2025, wage_income="100")
    before = ChangeLog.objects.count()
    again = services.income_set(actor=county_admin, household=household, year=2025, wage_income="100.00")
    assert ChangeLog.objects.count() == before and again.version == income.version


def test_stale_version_is_a_conflict(county_admin, household):
    services.household_update(actor=county_admin, household=household, version=household.version, address="一组5号")
    with pytest.raises(Conflict):
        services.household_update(actor=county_admin, household=household, version=1, address="一组6号")


# ---------------------------------------------------------------- permission and area


def test_edit_outside_area_is_refused(other_village_cadre, household):
    with pytest.raises(PermissionDenied) as caught:
        services.household_update(actor=other_village_cadre, household=household, address="x")
    assert caught.value.code == "out_of_area"


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.INSURER, Role.DEPARTMENT_CLERK])
def test_read_only_roles_cannot_edit(places, household, role):
    user = make_user(role, places["county"])
    with pytest.raises(MissingPermission):
        services.income_set(actor=user, household=household, year=2025, wage_income="1")


def test_scoped_reads(places, county_admin, village_cadre, household):
    make_household(county_admin, places["t2v1"])
    assert Household.objects.restrict(county_admin).count() == 2
    assert list(Household.objects.restrict(village_cadre)) == [household]
    assert Member.objects.restrict(village_cadre).count() == 3
    auditor = make_user(Role.AUDITOR, places["t2"])
    assert Household.objects.restrict(auditor, "registry.edit").count() == 0


def test_clash_outside_area_does_not_name_the_other_household(county_admin, places, village_cadre):
    foreign = make_household(county_admin, places["t2v1"])
    own = make_household(county_admin, places["t1v1"])
    with pytest.raises(ValidationFailed) as caught:
        services.member_add(actor=village_cadre, household=own, name="重复", id_number=foreign.head.id_number,
                            relation=Relation.SON)
    assert caught.value.code == "id_number_refused"
    assert foreign.number not in caught.value.message and "农户" not in caught.value.message


def test_exit_year_must_be_a_year(county_admin, places):
    assert error_code(make_household, actor=county_admin, place=places["t1v1"], household_type="exited",
                      exit_year="二〇一八") == "exit_year_format"


def test_helper_must_fit_role_and_area(county_admin, places, household):
    auditor = make_user(Role.AUDITOR, places["county"])
    far_helper = make_user(Role.HELPER, places["t2v1"])
    near_helper = make_user(Role.HELPER, places["t1v1"])
    assert error_code(services.household_update, actor=county_admin, household=household,
                      helper=auditor) == "assignee_role"
    assert error_code(services.household_update, actor=county_admin, household=household,
                      helper=far_helper) == "assignee_area"
    services.household_update(actor=county_admin, household=household, helper=near_helper)
    household.refresh_from_db()
    assert household.helper == near_helper


def test_user_without_place_sees_nothing(places, county_admin, household):
    from fangpin.core.models import User

    nowhere = User.objects.create_user(username="nowhere", password="x-Test-pass-1", role=Role.COUNTY_ADMIN)
    assert Household.objects.restrict(nowhere).count() == 0
    assert Household.objects.in_area(nowhere.area_prefix).count() == 0
