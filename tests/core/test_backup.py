"""`fangpin backup` / `fangpin restore`: a small demo county with uploaded files, backed up and restored
into a fresh database (another process, as an operator would run it), compared table by table and row
by row; a database holding data is not replaced without --force."""

import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from fangpin.core.backup import read_manifest
from fangpin.core.models import AccessLog, User
from fangpin.core.roles import Role
from fangpin.demo.generator import generate_county
from fangpin.demo.users import create_demo_users
from fangpin.registry.ledger.services import ledger_stage
from fangpin.registry.models import Household

from ..registry.ledger.ledgerfiles import household, write_ledger

pytestmark = pytest.mark.django_db(transaction=True)

UPLOADS = {"ledger/20261101-abc/台账.csv": None, "assistance/evidence/2026/11/photo.jpg": b"\xff\xd8\xff\xe0photo",
           "cases/attachments/notice.pdf": b"%PDF-1.4 notice"}


@pytest.fixture
def small_county(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    county = generate_county(households=40, seed=3)
    create_demo_users(county, field_staff=False)
    for name, content in UPLOADS.items():
        path = settings.MEDIA_ROOT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if content is None:
            write_ledger(path, household("1001"))
        else:
            path.write_bytes(content)
    ledger_stage(settings.MEDIA_ROOT / "ledger/20261101-abc/台账.csv", actor=None)
    return county


def every_row(wrapper) -> dict[str, list[tuple]]:
    """Every table of the database behind `wrapper`, every row, in one order."""
    tables = {}
    with wrapper.cursor() as cursor:
        for table in sorted(wrapper.introspection.table_names(cursor)):
            cursor.execute(f"SELECT * FROM {wrapper.ops.quote_name(table)}")
            tables[table] = sorted((tuple(row) for row in cursor.fetchall()), key=repr)
    return tables


def open_database(name: str):
    """A second connection, through the same backend, to another database."""
    settings_dict = {**connection.settings_dict, "NAME": name}
    return type(connections["default"])(settings_dict, alias=f"restored-{uuid.uuid4().hex[:6]}")


def fangpin(*args, env_updates: dict, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(env_updates)
    return subprocess.run([sys.executable, "-c", "from fangpin.cli import main; main()", *args], env=env,
                          capture_output=True, text=True, cwd=cwd, timeout=300)


def media_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_backup_then_restore_into_a_fresh_database_is_identical(small_county, settings, tmp_path):
    archive = tmp_path / "fangpin-backup.tar.gz"
    out = run("backup", str(archive))
    assert "已备份" in out
    assert AccessLog.objects.filter(kind=AccessLog.Kind.EXPORT, target__contains="整库备份").count() == 1
    original, original_media = every_row(connection), media_tree(settings.MEDIA_ROOT)
    assert len(original_media) == len(UPLOADS)
    manifest = read_manifest(archive)
    assert manifest["method"] == ("sqlite-backup" if connection.vendor == "sqlite" else "pg_dump")
    assert manifest["tables"]["registry_household"] == 40 == Household.objects.count()

    fresh = tmp_path / "fresh"
    env = {"FANGPIN_DATA_DIR": str(fresh)}
    fresh_database = None
    if connection.vendor == "postgresql":
        fresh_database = f"{connection.settings_dict['NAME']}_restored"
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {fresh_database}")
            cursor.execute(f"CREATE DATABASE {fresh_database}")
        db = connection.settings_dict
        env["DATABASE_URL"] = (f"postgres://{db['USER']}{':' + db['PASSWORD'] if db['PASSWORD'] else ''}@"
                               f"{db['HOST']}:{db['PORT']}/{fresh_database}")
    try:
        restored_run = fangpin("restore", str(archive), env_updates=env, cwd=tmp_path)
        assert restored_run.returncode == 0, restored_run.stderr
        assert "已恢复" in restored_run.stdout and "各表行数与备份清单一致" in restored_run.stdout
        restored = open_database(fresh_database or str(fresh / "fangpin.sqlite3"))
        try:
            restored_rows = every_row(restored)
        finally:
            restored.close()
        assert set(restored_rows) == set(original)
        for table, rows in original.items():
            assert restored_rows[table] == rows, table
        assert len(restored_rows["registry_household"]) == 40 and len(restored_rows["registry_member"]) > 40
        assert len(restored_rows["core_user"]) >= 10 and len(restored_rows["regions_place"]) > 40
        assert media_tree(fresh / "uploads") == original_media
    finally:
        if fresh_database:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {fresh_database} WITH (FORCE)")


def test_restore_refuses_a_database_with_data_unless_forced(small_county, settings, tmp_path):
    archive = tmp_path / "fangpin-backup.tar.gz"
    run("backup", str(archive))
    at_backup, media_at_backup = every_row(connection), media_tree(settings.MEDIA_ROOT)
    # Work goes on after the backup: a new account and a new upload.
    User.objects.create_user(username="after_backup", password="x-Secret-2026", role=Role.AUDITOR,
                             place=small_county)
    (settings.MEDIA_ROOT / "later.txt").write_text("later")
    with pytest.raises(CommandError) as refused:
        run("restore", str(archive))
    message = str(refused.value)
    assert "--force" in message and "已有数据" in message
    assert "农户 40" in message and str(settings.MEDIA_ROOT) in message
    assert User.objects.filter(username="after_backup").exists()  # nothing was touched

    out = run("restore", str(archive), "--force")
    assert "将替换数据库" in out and "已恢复" in out
    assert not User.objects.filter(username="after_backup").exists()
    assert every_row(connection) == at_backup
    assert media_tree(settings.MEDIA_ROOT) == media_at_backup


def test_backup_never_overwrites_and_restore_checks_the_archive(small_county, tmp_path):
    archive = tmp_path / "fangpin-backup.tar.gz"
    archive.write_bytes(b"something else")
    with pytest.raises(CommandError, match="已存在"):
        run("backup", str(archive))
    assert archive.read_bytes() == b"something else"
    with pytest.raises(CommandError, match="不是本系统的备份文件"):
        run("restore", str(archive), "--force")
    assert Household.objects.count() == 40


def test_portable_backup_restores_through_django(small_county, settings, tmp_path):
    archive = tmp_path / "portable.tar.gz"
    run("backup", str(archive), "--portable")
    assert read_manifest(archive)["method"] == "django-dump"
    at_backup = every_row(connection)
    Household.objects.filter(pk=Household.objects.order_by("pk").first().pk).update(phone="13000000000")
    run("restore", str(archive), "--force")
    restored = every_row(connection)
    assert restored == at_backup
