"""Merging a staged ledger: all-or-nothing, idempotent, change-logged, area-bound."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from fangpin.core.errors import Conflict, MissingPermission, PermissionDenied, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.roles import Role
from fangpin.registry import services
from fangpin.registry.choices import HouseholdType, MedicalInsurance, Relation
from fangpin.registry.ledger.models import LedgerImport
from fangpin.registry.ledger.services import ledger_merge, ledger_stage
from fangpin.registry.models import Household, Income, Member

from ...factories import make_household, make_user
from .ledgerfiles import HEADER, household, write_ledger
from .samples.make_samples import PEOPLE

SAMPLES = Path(__file__).parent / "samples"


def import_rows(tmp_path, rows, actor, name="ledger.csv", **kwargs) -> LedgerImport:
    staged = ledger_stage(write_ledger(tmp_path / name, rows, **kwargs), actor=actor)
    assert staged.errors == [], staged.errors
    return ledger_merge(staged, actor=actor)


def table_counts():
    return (Household.objects.count(), Member.objects.count(), Income.objects.count(), ChangeLog.objects.count())


def test_merge_creates_households_members_incomes_with_change_log(tmp_path, county_admin, places):
    merged = import_rows(tmp_path, household("1001") + household("1002", members=4, 户类型="脱贫户", 脱贫年度="2016"),
                         county_admin)
    assert merged.status == LedgerImport.Status.MERGED
    assert merged.merged_by == county_admin and merged.merged_at is not None
    first = Household.objects.get(number="1001")
    assert first.place == places["t1v1g1"] and first.county == places["county"]
    assert first.household_type == HouseholdType.ORDINARY and first.phone == "13800000000"
    assert first.head.name == "张大山" and first.size == 2
    second = Household.objects.get(number="1002")
    assert second.exit_year == 2016 and second.size == 4
    income = Income.objects.get(household=first)
    assert (income.year, income.quarter) == (2025, None)
    assert income.wage_income == Decimal("24000.00") and income.transfer_income == Decimal("1200.50")
    spouse = first.members.get(relation=Relation.SPOUSE)
    assert spouse.sex == "F" and spouse.birth_date == datetime.date(1982, 3, 9)
    assert spouse.medical_insurance == MedicalInsurance.RESIDENT and spouse.work_months == 6
    logs = ChangeLog.objects.filter(action=ChangeLog.Action.CREATE)
    assert logs.count() == 2 + 6 + 2
    assert set(logs.values_list("household_id", flat=True)) == {first.pk, second.pk}
    assert set(logs.values_list("area_code", flat=True)) == {places["t1v1g1"].code}
    assert set(logs.values_list("source", flat=True)) == {"import"}
    assert set(logs.values_list("actor", flat=True)) == {county_admin.pk}
    assert len(set(logs.values_list("request_id", flat=True))) == 1
    assert logs.filter(object_type="registry.member").count() == 6


def test_messy_sample_merges_to_clean_values(county_admin, places):
    staged = ledger_stage(SAMPLES / "messy.xlsx", actor=county_admin)
    ledger_merge(staged, actor=county_admin)
    exited = Household.objects.get(number="2001")  # written with full-width digits
    assert exited.exit_year == 2016 and exited.house_grade == "B"
    assert exited.incomes.get().wage_income == Decimal("31200.00")  # "31,200元"
    assert exited.head.name == "王德福"  # stray blanks around it
    spouse = exited.members.get(relation=Relation.SPOUSE)
    assert spouse.id_number == PEOPLE["2001"][1]["证件号码"]
    assert (spouse.health, spouse.disability_grade, spouse.medical_insurance) == ("disabled", "2", "employee")
    other = Household.objects.get(number="2002")
    assert other.phone == "0816-2345678"
    assert other.members.filter(id_number=PEOPLE["2002"][1]["证件号码"]).exists()  # the number-typed ID
    assert other.head.name == "阿依古丽·买买提" and other.head.ethnicity == "维吾尔族" and other.head.dibao


def test_one_bad_row_leaves_nothing(tmp_path, county_admin, places):
    rows = household("1001") + household("1002") + household("1003")
    rows[-1]["工资性收入"] = "-1"
    staged = ledger_stage(write_ledger(tmp_path / "l.csv", rows), actor=county_admin)
    before = table_counts()
    assert staged.status == LedgerImport.Status.INVALID
    with pytest.raises(ValidationFailed) as caught:
        ledger_merge(staged, actor=county_admin)
    assert caught.value.code == "ledger_not_validated"
    assert table_counts() == before == (0, 0, 0, 0)


def test_reimport_changes_nothing(tmp_path, county_admin, places):
    rows = household("1001") + household("1002", members=4)
    import_rows(tmp_path, rows, county_admin)
    versions = list(Member.objects.order_by("pk").values_list("version", "updated_at"))
    before = table_counts()
    again = import_rows(tmp_path, rows, county_admin, name="again.xlsx")
    assert table_counts() == before
    assert (again.households_unchanged, again.members_unchanged, again.incomes_unchanged) == (2, 6, 2)
    assert (again.households_new, again.households_updated, again.members_updated) == (0, 0, 0)
    assert list(Member.objects.order_by("pk").values_list("version", "updated_at")) == versions


def test_changed_values_are_updates_in_the_change_log(tmp_path, county_admin, places):
    rows = household("1001", members=3)
    import_rows(tmp_path, rows, county_admin)
    household_obj = Household.objects.get(number="1001")
    for row in rows:
        row["工资性收入"] = "30000"
        row["危房等级"] = "C"
        row["村民小组"] = ""  # moves from the group to the village itself
    rows[1]["健康状况"] = "长期慢性病"
    logged = ChangeLog.objects.count()
    updated = import_rows(tmp_path, rows, county_admin, name="changed.csv")
    assert (updated.households_updated, updated.members_updated, updated.incomes_updated) == (1, 1, 1)
    household_obj.refresh_from_db()
    assert household_obj.house_grade == "C" and household_obj.place == places["t1v1"]
    assert household_obj.version == 2
    assert household_obj.incomes.get().wage_income == Decimal("30000.00")
    entries = ChangeLog.objects.filter(action=ChangeLog.Action.UPDATE)
    assert ChangeLog.objects.count() == logged + 3 == logged + entries.count()
    changed = {e.object_type: dict((k, (b, a)) for k, b, a in e.changed_fields()) for e in entries}
    assert changed["registry.income"] == {"wage_income": ("24000.00", "30000.00")}
    assert changed["registry.member"] == {"health": ("healthy", "chronic")}
    assert changed["registry.household"] == {"house_grade": ("A", "C"),
                                             "place_id": (places["t1v1g1"].pk, places["t1v1"].pk)}
    assert all(e.household_id == household_obj.pk for e in entries)


def test_members_missing_from_the_file_are_warned_not_ended(tmp_path, county_admin, places):
    rows = household("1001", members=3)
    import_rows(tmp_path, rows, county_admin)
    staged = ledger_stage(write_ledger(tmp_path / "fewer.csv", rows[:2]), actor=county_admin)
    assert staged.status == LedgerImport.Status.VALIDATED
    assert staged.members_missing == 1
    assert [(w["row"], w["code"]) for w in staged.warnings] == [(2, "member_missing")]
    assert "张小明" in staged.warnings[0]["reason"]
    ledger_merge(staged, actor=county_admin)
    assert Member.objects.filter(ended_on__isnull=True).count() == 3


def test_new_member_joins_an_existing_household(tmp_path, county_admin, places):
    rows = household("1001", members=2)
    import_rows(tmp_path, rows, county_admin)
    merged = import_rows(tmp_path, household("1001", members=3), county_admin, name="more.csv")
    assert (merged.members_new, merged.members_unchanged, merged.households_updated) == (1, 2, 1)
    assert Household.objects.get(number="1001").size == 3


def test_head_can_change_when_both_people_are_in_the_file(tmp_path, county_admin, places):
    rows = household("1001", members=2)
    import_rows(tmp_path, rows, county_admin)
    rows[0]["与户主关系"], rows[1]["与户主关系"] = "配偶", "户主"
    import_rows(tmp_path, rows, county_admin, name="swap.csv")
    assert Household.objects.get(number="1001").head.name == "李秀英"


def test_head_missing_from_the_file_blocks_a_new_head(tmp_path, county_admin, places):
    rows = household("1001", members=2)
    import_rows(tmp_path, rows, county_admin)
    staged = ledger_stage(write_ledger(tmp_path / "nohead.csv", [{**rows[1], "与户主关系": "户主"}]),
                          actor=county_admin)
    assert [(e["row"], e["column"], e["code"]) for e in staged.errors] == [(2, "与户主关系", "head_conflict")]


def test_ended_household_cannot_be_imported_into(tmp_path, county_admin, places):
    rows = household("1001", members=1)
    import_rows(tmp_path, rows, county_admin)
    services.household_dissolve(actor=county_admin, household=Household.objects.get(number="1001"), reason="迁出")
    rows[0]["证件号码"] = household("1005", members=1)[0]["证件号码"]
    staged = ledger_stage(write_ledger(tmp_path / "ended.csv", rows), actor=county_admin)
    assert [e["code"] for e in staged.errors] == ["household_ended"]


def test_merge_rechecks_the_registry(tmp_path, county_admin, places):
    rows = household("1001")
    staged = ledger_stage(write_ledger(tmp_path / "l.csv", rows), actor=county_admin)
    assert staged.status == LedgerImport.Status.VALIDATED
    # Meanwhile someone registers the file's head in another household.
    other = make_household(county_admin, places["t1v2"], number="7001", members=1)
    services.member_add(actor=county_admin, household=other, name="张大山", id_number=rows[0]["证件号码"],
                        relation=Relation.SPOUSE)
    before = table_counts()
    with pytest.raises(ValidationFailed) as caught:
        ledger_merge(staged, actor=county_admin)
    assert caught.value.code == "ledger_invalid"
    assert table_counts() == before
    staged.refresh_from_db()
    assert staged.status == LedgerImport.Status.FAILED
    assert "发生了变化" in staged.status_reason
    assert [e["code"] for e in staged.errors] == ["person_in_other_household"]


def test_file_changed_after_validation_is_refused(tmp_path, county_admin, places):
    path = write_ledger(tmp_path / "l.csv", household("1001"))
    staged = ledger_stage(path, actor=county_admin)
    write_ledger(path, household("1001") + household("1002"))
    with pytest.raises(ValidationFailed) as caught:
        ledger_merge(staged, actor=county_admin)
    assert caught.value.code == "ledger_file_changed"
    assert Household.objects.count() == 0


def test_merged_import_cannot_merge_twice(tmp_path, county_admin, places):
    merged = import_rows(tmp_path, household("1001"), county_admin)
    with pytest.raises(Conflict):
        ledger_merge(merged, actor=county_admin)


def test_permission_is_required(tmp_path, village_cadre):
    with pytest.raises(MissingPermission):
        ledger_stage(write_ledger(tmp_path / "l.csv", household("1001")), actor=village_cadre)


def test_user_cannot_import_into_another_area(tmp_path, places):
    officer = make_user(Role.COUNTY_OFFICER, places["t2"], "t2_officer")
    rows = household("1001") + [{**r, "乡镇": "第2镇", "行政村": "第2镇1村"} for r in household("1002")]
    staged = ledger_stage(write_ledger(tmp_path / "l.csv", rows), actor=officer)
    assert [(e["row"], e["code"]) for e in staged.errors] == [(2, "out_of_area")]
    assert Household.objects.count() == 0


def test_user_cannot_merge_another_areas_import(tmp_path, county_admin, places):
    staged = ledger_stage(write_ledger(tmp_path / "l.csv", household("1001")), actor=county_admin)
    officer = make_user(Role.COUNTY_OFFICER, places["t2"], "t2_officer")
    assert not LedgerImport.objects.restrict(officer, "registry.import").filter(pk=staged.pk).exists()
    with pytest.raises(PermissionDenied):
        ledger_merge(staged, actor=officer)


def test_household_already_registered_outside_the_area(tmp_path, county_admin, places):
    make_household(county_admin, places["t2v1"], number="1001", members=1)
    officer = make_user(Role.COUNTY_OFFICER, places["t1"], "t1_officer")
    staged = ledger_stage(write_ledger(tmp_path / "l.csv", household("1001")), actor=officer)
    assert [e["code"] for e in staged.errors] == ["out_of_area"]


def test_system_context_imports_everywhere(tmp_path, places):
    staged = ledger_stage(write_ledger(tmp_path / "l.csv", household("1001")), actor=None)
    assert staged.area_code == "510101"
    ledger_merge(staged, actor=None)
    assert set(ChangeLog.objects.values_list("actor", flat=True)) == {None}
    assert Household.objects.count() == 1


def test_absent_optional_columns_leave_stored_values_alone(tmp_path, county_admin, places):
    rows = household("1001")
    import_rows(tmp_path, rows, county_admin)
    header = [c for c in HEADER if c not in ("民族", "文化程度", "联系电话", "医疗自付支出")]
    for row in rows:
        row["医疗自付支出"] = "999"
        row["民族"] = "彝族"
    merged = import_rows(tmp_path, rows, county_admin, name="fewer_columns.csv", header=header)
    assert merged.households_unchanged == 1
    household_obj = Household.objects.get(number="1001")
    assert household_obj.phone == "13800000000"
    assert household_obj.head.ethnicity == "汉族" and household_obj.head.education == "junior"


def test_blank_money_block_leaves_income_alone(tmp_path, county_admin, places):
    money = ["工资性收入", "生产经营性收入", "财产性收入", "转移性收入", "生产经营性支出", "医疗自付支出", "教育支出",
             "灾害损失", "理赔收入"]
    rows = [{**r, **dict.fromkeys(money, "")} for r in household("1001")]
    merged = import_rows(tmp_path, rows, county_admin)
    assert merged.incomes_new == 0 and Income.objects.count() == 0
    rows[0]["工资性收入"] = rows[1]["工资性收入"] = "100"
    merged = import_rows(tmp_path, rows, county_admin, name="some.csv")
    income = Income.objects.get()
    assert income.wage_income == Decimal("100.00") and income.operating_income == Decimal("0.00")


def test_command_line_merge_reuses_the_file_it_just_read(tmp_path, county_admin, places):
    from fangpin.registry.ledger import services as ledger_services

    path = write_ledger(tmp_path / "l.csv", household("1001"))
    staged = ledger_stage(path, actor=county_admin, keep_for_merge=True)
    assert [pk for pk, _digest, _ledger in ledger_services._kept] == [staged.pk]
    ledger_merge(staged, actor=county_admin)
    assert ledger_services._kept == [] and Household.objects.count() == 1
    # A web upload keeps nothing between requests.
    again = ledger_stage(write_ledger(tmp_path / "m.csv", household("1002")), actor=county_admin)
    assert ledger_services._kept == []
    ledger_merge(again, actor=county_admin)
    assert Household.objects.count() == 2
