"""Exporting the ledger: same format, area-bound, access-logged, and it reads back unchanged."""

from pathlib import Path

import pytest
from django.utils import timezone

from fangpin.core.audit import CLI_ACCOUNT
from fangpin.core.errors import MissingPermission, PermissionDenied
from fangpin.core.models import AccessLog, ChangeLog
from fangpin.core.roles import Role
from fangpin.core.tabular import read_table
from fangpin.registry import services
from fangpin.registry.ledger.columns import MARKERS
from fangpin.registry.ledger.export import EXPORT_HEADER, export_ledger
from fangpin.registry.ledger.services import ledger_merge, ledger_stage
from fangpin.registry.models import Household, Member

from ...factories import make_household, make_user
from .ledgerfiles import household, write_ledger

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture
def registry(tmp_path, county_admin, places):
    """Households made through the services (one with an income, one without), plus an imported sample."""
    first = make_household(county_admin, places["t1v1g1"], number="5001", members=3, household_type="exited",
                           exit_year=2017, phone="0816-1234567", house_grade="none", water_safe=False)
    services.income_set(actor=county_admin, household=first, year=2024, wage_income="18000.5", medical_spending="300")
    services.income_set(actor=county_admin, household=first, year=2025, wage_income="20000")
    make_household(county_admin, places["t2v1"], number="5002", members=2)
    staged = ledger_stage(SAMPLES / "messy.xlsx", actor=county_admin)
    ledger_merge(staged, actor=county_admin)


def read_back(path):
    table = read_table(path, markers=MARKERS)
    index = table.index()
    return table, [{name: values[i] for name, i in index.items()} for _n, values in table.rows()]


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_export_then_import_changes_nothing(tmp_path, county_admin, registry, suffix):
    out = tmp_path / f"out.{suffix}"
    result = export_ledger(county_admin, out)
    assert (result.households, result.members) == (4, 10)
    table, rows = read_back(out)
    assert table.columns == EXPORT_HEADER
    logged = ChangeLog.objects.count()
    staged = ledger_stage(out, actor=county_admin)
    assert staged.errors == [] and staged.warnings == []
    assert (staged.households_unchanged, staged.members_unchanged, staged.incomes_unchanged) == (4, 10, 3)
    ledger_merge(staged, actor=county_admin)
    assert ChangeLog.objects.count() == logged


def test_export_values(tmp_path, county_admin, registry):
    _table, rows = read_back(export_ledger(county_admin, tmp_path / "out.xlsx").path)
    first = [r for r in rows if r["户编号"] == "5001"]
    assert [r["与户主关系"] for r in first] == ["户主", "配偶", "之女"]
    head = first[0]
    assert (head["县"], head["乡镇"], head["行政村"], head["村民小组"], head["村代码"]) == (
        "示范县", "第1镇", "第1镇1村", "一组", "510101001001")
    assert (head["户类型"], head["脱贫年度"], head["危房等级"], head["是否饮水安全"]) == ("脱贫户", 2017, "无", "否")
    assert head["年度"] == 2025 and head["工资性收入"] == 20000  # the latest year
    assert head["证件号码"] == Household.objects.get(number="5001").head.id_number
    assert head["性别"] == "男" and head["联系电话"] == "0816-1234567"
    without_income = [r for r in rows if r["户编号"] == "5002"][0]
    assert without_income["工资性收入"] == "" and without_income["年度"] == timezone.localdate().year


def test_export_of_a_given_year(tmp_path, county_admin, registry):
    _table, rows = read_back(export_ledger(county_admin, tmp_path / "out.csv", year=2024).path)
    head = [r for r in rows if r["户编号"] == "5001"][0]
    assert (head["年度"], head["工资性收入"], head["医疗自付支出"]) == ("2024", "18000.50", "300.00")


def test_export_is_access_logged(tmp_path, county_admin, registry):
    export_ledger(county_admin, tmp_path / "out.csv")
    entry = AccessLog.objects.get()
    assert entry.actor == county_admin and entry.kind == AccessLog.Kind.EXPORT
    assert entry.area_code == county_admin.place.code
    assert entry.detail["households"] == 4 and entry.detail["full_id_numbers"] is True


def test_export_is_limited_to_the_area(tmp_path, places, registry):
    officer = make_user(Role.TOWNSHIP_OFFICER, places["t2"], "t2_officer")
    result = export_ledger(officer, tmp_path / "t2.csv")
    _table, rows = read_back(result.path)
    assert {r["户编号"] for r in rows} == {"5002"}
    with pytest.raises(PermissionDenied):
        export_ledger(officer, tmp_path / "t1.csv", places["t1"])


def test_export_of_one_place(tmp_path, county_admin, places, registry):
    result = export_ledger(county_admin, tmp_path / "t2.xlsx", "510101002000")
    assert result.households == 1
    assert AccessLog.objects.get().detail["place"] == "510101002000"


def test_export_needs_full_id_permission_too(tmp_path, places, registry):
    auditor = make_user(Role.AUDITOR, places["county"], "auditor")
    with pytest.raises(MissingPermission):
        export_ledger(auditor, tmp_path / "out.csv")
    assert AccessLog.objects.count() == 0


def test_export_needs_the_permission(tmp_path, village_cadre, registry):
    with pytest.raises(MissingPermission):
        export_ledger(village_cadre, tmp_path / "out.csv")


def test_system_context_export_is_logged_under_the_cli_account(tmp_path, registry):
    export_ledger(None, tmp_path / "all.csv")
    entry = AccessLog.objects.get()
    assert entry.actor.username == CLI_ACCOUNT and not entry.actor.is_active
    assert not entry.actor.has_usable_password()
    assert entry.area_code == "510101"


def test_ended_members_are_not_exported(tmp_path, county_admin, registry):
    member = Member.objects.get(household__number="5001", relation="daughter")
    services.member_end(actor=county_admin, member=member, reason="moved_out")
    result = export_ledger(county_admin, tmp_path / "out.csv")
    assert result.members == 9


def test_rows_written_by_hand_and_export_agree(tmp_path, county_admin, places):
    path = write_ledger(tmp_path / "in.csv", household("1001", members=4))
    ledger_merge(ledger_stage(path, actor=county_admin), actor=county_admin)
    _table, rows = read_back(export_ledger(county_admin, tmp_path / "out.csv").path)
    assert [r["姓名"] for r in rows] == ["张大山", "李秀英", "张小明", "张小红"]
    assert rows[0]["转移性收入"] == "1200.50"
