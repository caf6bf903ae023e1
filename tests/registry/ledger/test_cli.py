"""`fangpin import places|ledger` and `fangpin export ledger`: exit codes, every error printed, the error
sheet beside the input, nothing merged on error."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from python_calamine import CalamineWorkbook

from fangpin.core.models import AccessLog, ChangeLog
from fangpin.regions.models import Place
from fangpin.registry.ledger.models import LedgerImport
from fangpin.registry.models import Household, Member

from .ledgerfiles import household, write_ledger

SAMPLES = Path(__file__).parent / "samples"


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_places_then_ledger(db, tmp_path):
    out, _err = run("import", "places", str(SAMPLES / "places.csv"))
    assert "新增 8" in out
    assert Place.objects.count() == 8
    out, _err = run("import", "ledger", str(SAMPLES / "messy.xlsx"))
    assert "已导入" in out
    assert Household.objects.count() == 2 and Member.objects.count() == 5
    assert LedgerImport.objects.get().status == LedgerImport.Status.MERGED


def test_invalid_ledger_prints_every_error_writes_the_sheet_and_merges_nothing(tmp_path, places):
    rows = household("1001") + household("1002")
    rows[0]["工资性收入"] = rows[1]["工资性收入"] = "-3"
    rows[3]["证件号码"] = "123456"
    path = write_ledger(tmp_path / "county.xlsx", rows, titles=["示范县台账"])
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import", "ledger", str(path), stdout=out, stderr=io.StringIO())
    assert caught.value.returncode == 1
    printed = out.getvalue()
    assert "第3行 工资性收入 “-3”" in printed and "第4行 工资性收入 “-3”" in printed
    assert "第6行 证件号码 “123456”" in printed
    sheet = tmp_path / "county.errors.xlsx"
    rows_in_sheet = CalamineWorkbook.from_path(str(sheet)).get_sheet_by_index(0).to_python()
    assert rows_in_sheet[0] == ["行号", "列", "值", "问题"]
    assert [(r[0], r[1]) for r in rows_in_sheet[1:]] == [(3.0, "工资性收入"), (4.0, "工资性收入"), (6.0, "证件号码")]
    assert Household.objects.count() == 0 and ChangeLog.objects.count() == 0


def test_whole_file_error_is_listed_too(tmp_path, places):
    path = tmp_path / "notes.csv"
    path.write_text("说明\n这不是台账\n", encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import", "ledger", str(path), stdout=out, stderr=io.StringIO())
    assert "找不到表头行" in out.getvalue()
    assert (tmp_path / "notes.errors.xlsx").exists()


def test_invalid_places_file(tmp_path, db):
    path = tmp_path / "places.csv"
    path.write_text("代码,名称,级别,上级代码\n510101,示范县,县,\n510101001001,一村,村,510101001000\n",
                    encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import", "places", str(path), stdout=out, stderr=io.StringIO())
    assert caught.value.returncode == 1
    assert "第3行 上级代码 “510101001000”" in out.getvalue()
    assert (tmp_path / "places.errors.xlsx").exists()
    assert Place.objects.count() == 0


def test_check_only(tmp_path, places):
    path = write_ledger(tmp_path / "l.csv", household("1001"))
    out, _err = run("import", "ledger", str(path), "--check")
    assert "校验通过" in out and Household.objects.count() == 0


def test_as_user_without_permission(tmp_path, village_cadre):
    path = write_ledger(tmp_path / "l.csv", household("1001"))
    with pytest.raises(CommandError) as caught:
        run("import", "ledger", str(path), "--as", village_cadre.username)
    assert "导入户成员台账" in str(caught.value)


def test_as_user_outside_the_area(tmp_path, other_village_cadre, places):
    from fangpin.core.roles import Role

    from ...factories import make_user

    make_user(Role.COUNTY_OFFICER, places["t2"], "t2_officer")
    path = write_ledger(tmp_path / "l.csv", household("1001"))
    with pytest.raises(CommandError):
        run("import", "ledger", str(path), "--as", "t2_officer")
    assert Household.objects.count() == 0


def test_unknown_user(tmp_path, places):
    with pytest.raises(CommandError):
        run("import", "ledger", str(SAMPLES / "utf8.csv"), "--as", "nobody")


def test_export_then_import_round_trip(tmp_path, county_admin, places):
    run("import", "ledger", str(SAMPLES / "gbk.csv"), "--as", county_admin.username)
    out_file = tmp_path / "export.xlsx"
    out, _err = run("export", "ledger", "--out", str(out_file), "--place", "510101001001")
    assert "2 户 5 人" in out
    assert AccessLog.objects.get().actor.username == "fangpin-cli"
    logged = ChangeLog.objects.count()
    out, _err = run("import", "ledger", str(out_file))
    assert "未变 2" in out and ChangeLog.objects.count() == logged


def test_exit_codes_of_the_real_command(tmp_path):
    """The installed `fangpin` script, in a data dir of its own: 0 on success, 1 on invalid input."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env["FANGPIN_DATA_DIR"] = str(tmp_path / "var")
    fangpin = [sys.executable, "-c", "from fangpin.cli import main; main()"]

    def fangpin_run(*args):
        return subprocess.run([*fangpin, *args], env=env, capture_output=True, text=True, cwd=tmp_path, timeout=120)

    assert fangpin_run("init").returncode == 0
    assert fangpin_run("import", "places", str(SAMPLES / "places.csv")).returncode == 0
    bad = write_ledger(tmp_path / "bad.csv", [{**r, "户类型": "贫困户"} for r in household("1001")])
    result = fangpin_run("import", "ledger", str(bad))
    assert result.returncode == 1
    assert "第2行 户类型 “贫困户”" in result.stdout
    assert (tmp_path / "bad.errors.xlsx").exists()
    good = fangpin_run("import", "ledger", str(SAMPLES / "utf8_bom.csv"))
    assert good.returncode == 0, good.stderr
    exported = fangpin_run("export", "ledger", "--out", str(tmp_path / "all.csv"))
    assert exported.returncode == 0 and (tmp_path / "all.csv").exists()
