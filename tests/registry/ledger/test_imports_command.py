"""`fangpin imports list|clean`: what is listed, what is stale, files removed with their imports,
every removal in the change log, merged imports kept."""

import datetime
import io
import shutil
import socket

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from fangpin.core.models import ChangeLog
from fangpin.registry.ledger.models import LedgerImport
from fangpin.registry.ledger.services import ledger_merge, ledger_stage

from .ledgerfiles import household, write_ledger
from .test_race import dead_pid, killed_mid_merge

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


def run(*args):
    out = io.StringIO()
    call_command("imports", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def upload(settings, tmp_path, rows, actor, name) -> LedgerImport:
    """Stored where the web keeps uploads (MEDIA_ROOT/ledger/<folder>/)."""
    source = write_ledger(tmp_path / f"{name}.csv", rows)
    folder = settings.MEDIA_ROOT / "ledger" / f"20261101-{name}"
    folder.mkdir(parents=True)
    stored = folder / "ledger.csv"
    shutil.copy(source, stored)
    return ledger_stage(stored, actor=actor, original_name=f"{name}.csv")


def age(item: LedgerImport, days: int) -> None:
    then = timezone.now() - datetime.timedelta(days=days)
    LedgerImport.objects.filter(pk=item.pk).update(created_at=then, validated_at=then)


def test_list_shows_status_age_and_file_and_ends_a_dead_merge(settings, tmp_path, county_admin, places):
    good = upload(settings, tmp_path, household("1001"), county_admin, "good")
    bad_rows = household("1002")
    bad_rows[0]["证件号码"] = "123"
    bad = upload(settings, tmp_path, bad_rows, county_admin, "bad")
    killed_mid_merge(good, holder=f"{socket.gethostname()}:{dead_pid()}")
    age(bad, 3)
    out = run("list")
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("#")}
    assert "导入失败" in lines[f"#{good.pk}"] and "中断" in lines[f"#{good.pk}"]
    assert "good.csv" in lines[f"#{good.pk}"] and str(good.file_path) in lines[f"#{good.pk}"]
    assert "有错误" in lines[f"#{bad.pk}"] and "3天前" in lines[f"#{bad.pk}"]
    assert "共 2 个" in out
    assert LedgerImport.objects.get(pk=good.pk).status == LedgerImport.Status.FAILED


def test_clean_removes_stale_imports_and_their_files_only(settings, tmp_path, county_admin, places,
                                                          django_capture_on_commit_callbacks):
    bad_rows = household("1002")
    bad_rows[0]["证件号码"] = "123"
    invalid_old = upload(settings, tmp_path, bad_rows, county_admin, "invalid_old")
    abandoned = upload(settings, tmp_path, household("1003"), county_admin, "abandoned")
    recent = upload(settings, tmp_path, household("1004"), county_admin, "recent")
    merged = upload(settings, tmp_path, household("1005"), county_admin, "merged")
    ledger_merge(merged, actor=county_admin)
    failed = upload(settings, tmp_path, household("1006"), county_admin, "failed")
    killed_mid_merge(failed, holder=f"{socket.gethostname()}:{dead_pid()}")
    # A command-line import reads the user's own file where it lies: never removed.
    own_file = write_ledger(tmp_path / "own.csv", household("1007"))
    command_line = ledger_stage(own_file, actor=None)
    for item in (invalid_old, abandoned, merged, failed, command_line):
        age(item, 40)
    LedgerImport.objects.filter(pk=failed.pk).update(merge_started_at=timezone.now() - datetime.timedelta(days=40))
    stale = {invalid_old.pk, abandoned.pk, failed.pk, command_line.pk}

    out = run("clean", "--dry-run")
    assert "将清理 4 个" in out
    assert LedgerImport.objects.count() == 6 and not ChangeLog.objects.filter(action=ChangeLog.Action.END).exists()

    with django_capture_on_commit_callbacks(execute=True):  # files go once the removal is committed
        out = run("clean", "--older-than", "30")
    assert "已清理 4 个" in out
    assert set(LedgerImport.objects.values_list("pk", flat=True)) == {recent.pk, merged.pk}
    for item in (invalid_old, abandoned, failed):
        assert not (settings.MEDIA_ROOT / "ledger" / f"20261101-{item.original_name[:-4]}").exists()
    assert own_file.exists()
    assert (settings.MEDIA_ROOT / "ledger" / "20261101-recent" / "ledger.csv").exists()
    logged = ChangeLog.objects.filter(object_type="registry.ledgerimport", action=ChangeLog.Action.END)
    assert set(logged.values_list("object_id", flat=True)) == stale
    entry = logged.get(object_id=abandoned.pk)
    assert entry.before["original_name"] == "abandoned.csv" and entry.before["status"] == "validated"
    assert entry.after is None and entry.source == "cli" and "30天" in entry.reason


def test_clean_with_nothing_stale_and_a_bad_age(settings, tmp_path, county_admin, places):
    upload(settings, tmp_path, household("1001"), county_admin, "fresh")
    assert "已清理 0 个" in run("clean")
    assert LedgerImport.objects.count() == 1
    with pytest.raises(CommandError):
        run("clean", "--older-than", "-1")
