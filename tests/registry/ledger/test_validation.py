"""Every rule of the ledger format is checked, and every broken one is reported with the sheet's own
row number, the column, the value and the reason — all of them, not just the first."""

from pathlib import Path

import pytest

from fangpin.registry.ledger.models import LedgerImport
from fangpin.registry.ledger.services import ledger_stage
from fangpin.registry.models import Household

from ...factories import make_household
from .ledgerfiles import HEADER, household, person_id, write_ledger

SAMPLES = Path(__file__).parent / "samples"


def stage(tmp_path, rows, actor, name="ledger.csv", **kwargs) -> LedgerImport:
    return ledger_stage(write_ledger(tmp_path / name, rows, **kwargs), actor=actor)


def codes(staged: LedgerImport) -> list[tuple]:
    return [(e["row"], e["column"], e["code"]) for e in staged.errors]


@pytest.fixture
def admin(county_admin):
    return county_admin


def test_clean_file_validates_with_counts(tmp_path, admin):
    staged = stage(tmp_path, household("1001") + household("1002", members=4), admin)
    assert staged.status == LedgerImport.Status.VALIDATED
    assert staged.errors == []
    assert (staged.rows, staged.households_new, staged.members_new, staged.incomes_new) == (6, 2, 6, 2)
    assert Household.objects.count() == 0  # staging writes nothing to the registry


@pytest.mark.parametrize("name", ["messy.xlsx", "utf8.csv", "utf8_bom.csv", "gbk.csv"])
def test_messy_samples_validate(name, admin):
    staged = ledger_stage(SAMPLES / name, actor=admin)
    assert staged.errors == []
    assert (staged.households_new, staged.members_new) == (2, 5)


def test_missing_required_column_is_a_whole_file_error(tmp_path, admin):
    header = [c for c in HEADER if c not in ("与户主关系", "工资性收入")]
    staged = stage(tmp_path, household("1001"), admin, header=header)
    assert staged.status == LedgerImport.Status.INVALID
    assert {(e["column"], e["code"]) for e in staged.errors} == {("与户主关系", "missing_column"),
                                                                 ("工资性收入", "missing_column")}
    assert all(e["row"] == 1 for e in staged.errors)


def test_place_columns_or_village_code_are_required(tmp_path, admin):
    header = [c for c in HEADER if c != "乡镇"]
    staged = stage(tmp_path, household("1001"), admin, header=header)
    assert [(e["column"], e["code"]) for e in staged.errors] == [("乡镇", "missing_column")]
    rows = [{**r, "村代码": "510101001001"} for r in household("1001")]
    header = [c for c in HEADER if c not in ("县", "乡镇", "行政村")] + ["村代码"]
    staged = stage(tmp_path, rows, admin, header=header)
    assert staged.errors == []


def test_unknown_columns_are_warnings(tmp_path, admin):
    rows = [{**r, "备注": "无"} for r in household("1001")]
    staged = stage(tmp_path, rows, admin, header=HEADER + ["备注"])
    assert staged.status == LedgerImport.Status.VALIDATED
    assert [(w["column"], w["code"]) for w in staged.warnings] == [("备注", "unknown_column")]


def test_two_heads(tmp_path, admin):
    rows = household("1001", members=3)
    rows[2]["与户主关系"] = "户主"
    staged = stage(tmp_path, rows, admin)
    assert codes(staged) == [(4, "与户主关系", "two_heads")]


def test_no_head(tmp_path, admin):
    rows = household("1001", members=2)
    rows[0]["与户主关系"] = "之子"
    staged = stage(tmp_path, rows, admin)
    assert codes(staged) == [(2, "与户主关系", "no_head")]


def test_household_columns_must_agree(tmp_path, admin):
    rows = household("1001", members=3)
    rows[1]["户类型"] = "脱贫户"
    rows[1]["脱贫年度"] = "2018"
    rows[2]["工资性收入"] = "24,000元"  # the same amount written differently: agrees
    rows[2]["家庭住址"] = "二组2号"
    staged = stage(tmp_path, rows, admin)
    assert codes(staged) == [(3, "户类型", "household_disagrees"), (3, "脱贫年度", "household_disagrees"),
                             (4, "家庭住址", "household_disagrees")]
    assert "第2行" in staged.errors[0]["reason"]


def test_duplicate_id_in_file(tmp_path, admin):
    first = household("1001")
    second = household("1002")
    second[1]["证件号码"] = first[0]["证件号码"]
    staged = stage(tmp_path, first + second, admin)
    assert codes(staged) == [(5, "证件号码", "id_duplicate_in_file")]
    assert "第2行" in staged.errors[0]["reason"]


def test_id_active_in_another_household(tmp_path, admin, places):
    existing = make_household(admin, places["t1v1"], number="9001")
    taken = existing.head.id_number
    rows = household("1001")
    rows[1]["证件号码"] = taken
    staged = stage(tmp_path, rows, admin)
    assert codes(staged) == [(3, "证件号码", "person_in_other_household")]
    assert "9001" in staged.errors[0]["reason"]


def test_bad_checksum_and_15_digit_and_birth_date(tmp_path, admin):
    rows = household("1001", members=4)
    good = rows[0]["证件号码"]
    rows[0]["证件号码"] = good[:17] + ("0" if good[17] != "0" else "1")
    rows[1]["证件号码"] = "510101800517123"
    rows[2]["证件号码"] = "51010120991301001X"
    rows[3]["证件号码"] = rows[3]["证件号码"].lower()  # a lower-case x is read as X (valid either way)
    staged = stage(tmp_path, rows, admin)
    assert codes(staged) == [(2, "证件号码", "id_checksum"), (3, "证件号码", "id_legacy_15"),
                             (4, "证件号码", "id_checksum")]


def test_birth_place_code_is_not_checked(tmp_path, admin):
    """A number issued under a county code that no longer exists (or did not yet) is valid."""
    from stdnum.cn import ric

    body = "990101198005170" + "11"  # 990101 is no county code at all
    rows = household("1001", members=1)
    rows[0]["证件号码"] = body + ric.calc_check_digit(body + "0")
    staged = stage(tmp_path, rows, admin)
    assert staged.errors == []


def test_money_rules(tmp_path, admin):
    rows = household("1001", members=1) + household("1002", members=1) + household("1003", members=1) + \
        household("1004", members=1)
    rows[0]["工资性收入"] = "-100"
    rows[1]["财产性收入"] = "12.345"
    rows[2]["转移性收入"] = "三千"
    rows[3]["生产经营性收入"] = "1,234.50元"  # tolerated
    staged = stage(tmp_path, rows, admin)
    assert codes(staged) == [(2, "工资性收入", "money_negative"), (3, "财产性收入", "money_decimals"),
                             (4, "转移性收入", "money_format")]


def test_unknown_place_by_name_and_by_code(tmp_path, admin):
    rows = household("1001", members=1) + household("1002", members=1) + household("1003", members=1)
    rows[0]["行政村"] = "不存在村"
    rows[1]["村民小组"] = "九组"
    rows[2]["县"] = "别的县"
    staged = stage(tmp_path, rows, admin)
    assert codes(staged) == [(2, "行政村", "unknown_place"), (3, "村民小组", "unknown_place"),
                             (4, "县", "unknown_place")]
    coded = [{**r, "村代码": "510101009009"} for r in household("1004", members=1)]
    staged = stage(tmp_path, coded, admin, header=HEADER + ["村代码"])
    assert codes(staged) == [(2, "村代码", "unknown_place")]


def test_village_code_and_names_must_agree(tmp_path, admin):
    rows = [{**r, "村代码": "510101001002"} for r in household("1001", members=1)]  # 第1镇2村, names say 1村
    staged = stage(tmp_path, rows, admin, header=HEADER + ["村代码"])
    assert codes(staged) == [(2, "行政村", "unknown_place")]


def test_household_type_and_exit_year(tmp_path, admin):
    rows = (household("1001", members=1, 户类型="脱贫户") + household("1002", members=1, 脱贫年度="2016")
            + household("1003", members=1, 户类型="脱贫户", 脱贫年度="2023") + household("1004", members=1, 户类型="贫困户"))
    staged = stage(tmp_path, rows, admin)
    assert codes(staged) == [(2, "脱贫年度", "exit_year_missing"), (3, "脱贫年度", "exit_year_ordinary"),
                             (4, "脱贫年度", "exit_year_range"), (5, "户类型", "code_value")]


def test_code_tables_phone_and_months(tmp_path, admin):
    rows = household("1001", members=3, 联系电话="12345")
    rows[0]["是否参加城乡居民基本医疗保险"] = "职工医保"
    rows[1]["文化程度"] = "硕士"
    rows[1]["务工时间(月)"] = 13
    rows[2]["健康状况"] = "残疾"
    rows[2]["是否享受低保"] = "有"
    staged = stage(tmp_path, rows, admin)
    # A bad household value is reported on every row that repeats it.
    assert codes(staged) == [(2, "联系电话", "phone_format"), (3, "联系电话", "phone_format"),
                             (3, "文化程度", "code_value"), (3, "务工时间(月)", "months_range"),
                             (4, "联系电话", "phone_format"), (4, "残疾等级", "disability_grade_missing"),
                             (4, "是否享受低保", "yes_no")]


def test_every_error_is_listed_with_title_rows_counted(tmp_path, admin):
    rows = household("1001", members=2) + household("1002", members=2)
    rows[0]["证件号码"] = "123"
    rows[1]["工资性收入"] = "abc"
    rows[2]["姓名"] = "123"
    rows[3]["与户主关系"] = "邻居"
    staged = stage(tmp_path, rows, admin, titles=["示范县户成员台账", "单位：元"])
    # Header in row 3: the first data row is row 4.
    assert codes(staged) == [(4, "证件号码", "id_length"), (5, "工资性收入", "money_format"),
                             (5, "工资性收入", "household_disagrees"), (6, "姓名", "name_format"),
                             (7, "与户主关系", "code_value")]
    assert staged.errors[0]["value"] == "123"


def test_digits_lost_samples(admin):
    staged = ledger_stage(SAMPLES / "digits_lost.xlsx", actor=admin)
    assert codes(staged) == [(2, "证件号码", "digits_lost"), (5, "证件号码", "digits_lost")]
    assert "数字丢失" in staged.errors[0]["reason"] and "数字丢失" in staged.errors[1]["reason"]
    staged = ledger_stage(SAMPLES / "digits_lost.csv", actor=admin)
    assert codes(staged) == [(2, "证件号码", "digits_lost")]


def test_sex_and_birth_date_columns_are_checked_against_the_id(tmp_path, admin):
    rows = household("1001", members=2)
    rows[0]["性别"], rows[0]["出生日期"] = "女", "1980-05-17"
    rows[1]["性别"], rows[1]["出生日期"] = "女", "1999-01-01"
    staged = stage(tmp_path, rows, admin, header=HEADER + ["性别", "出生日期"])
    assert codes(staged) == [(2, "性别", "id_sex_mismatch"), (3, "出生日期", "id_birth_mismatch")]


def test_out_of_area_rows_are_errors(tmp_path, places):
    from fangpin.core.roles import Role

    from ...factories import make_user

    officer = make_user(Role.COUNTY_OFFICER, places["t2"], "t2_officer")
    staged = stage(tmp_path, household("1001"), officer)
    assert codes(staged) == [(2, "行政村", "out_of_area")]


def test_person_id_helper_is_valid():
    from fangpin.registry.idnumber import parse_id_number

    assert parse_id_number(person_id(5)).number == person_id(5)
