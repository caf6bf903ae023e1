"""Back up and restore the whole platform: the database and the uploaded files, in one archive.

The archive is a gzip-compressed tar file:

    manifest.json          format, time, database kind and method, rows per table, uploaded files
    database/<file>        the database: an SQLite file (SQLite's online backup API, a consistent copy
                           while the platform runs), a `pg_dump` custom-format dump (PostgreSQL, one
                           snapshot), or a Django-level dump (PostgreSQL without pg_dump on PATH, or `--portable`)
    media/...              every file under MEDIA_ROOT

The database is copied first and the uploads after it: an upload that arrives in between is in the
archive without a row pointing at it (harmless), never the other way round — except for files
removed in between (`fangpin imports clean`), which the platform does not need to find.

A restore checks the archive against its manifest, says what it will replace, refuses a database
that holds data unless forced, replaces the database and then the uploads, and checks the row counts
against the manifest."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import CoreErrorCode, ValidationFailed

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database/fangpin.sqlite3"
PG_DUMP_FILE = "database/fangpin.pgdump"
DJANGO_DUMP_FILE = "database/fangpin.xml.gz"
# Rows that a freshly migrated database already has: they do not make it "hold data".
SCAFFOLD_TABLES = {"django_migrations", "django_content_type", "auth_permission", "django_session",
                   "core_countylock"}


@dataclass
class Summary:
    path: Path
    vendor: str
    method: str
    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0
    file_bytes: int = 0

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


# ---------------------------------------------------------------- what the database holds


def table_rows() -> dict[str, int]:
    """Rows in every table of the database (tables the models know and any other)."""
    counts = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def media_files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


def _table_labels() -> dict[str, str]:
    from django.apps import apps

    return {m._meta.db_table: str(m._meta.verbose_name_plural) for m in apps.get_models()}


def describe_current() -> tuple[bool, str]:
    """(whether the database or the upload folder holds data, what a restore would replace)."""
    rows = {t: n for t, n in table_rows().items() if n and t not in SCAFFOLD_TABLES}
    files = media_files()
    name = connection.settings_dict["NAME"]
    if not rows and not files:
        return False, _("数据库 %(name)s 和上传文件夹 %(media)s 都是空的。") % {"name": name, "media": settings.MEDIA_ROOT}
    labels = _table_labels()
    largest = sorted(rows.items(), key=lambda item: -item[1])[:8]
    listed = "、".join(f"{labels.get(t, t)} {n}" for t, n in largest)
    return True, _("将替换数据库 %(name)s（%(tables)d 张表共 %(rows)d 行：%(listed)s%(more)s）和上传文件夹 %(media)s 中的 "
                   "%(files)d 个文件。") % {
        "name": name, "tables": len(rows), "rows": sum(rows.values()), "listed": listed,
        "more": _("等") if len(rows) > len(largest) else "", "media": settings.MEDIA_ROOT, "files": len(files)}


# ---------------------------------------------------------------- backup


def _method(portable: bool) -> str:
    if connection.vendor == "sqlite" and not portable:
        return "sqlite-backup"
    if connection.vendor == "postgresql" and not portable and shutil.which("pg_dump"):
        return "pg_dump"
    return "django-dump"


def _pg_command(program: str, *args: str) -> tuple[list[str], dict]:
    db = connection.settings_dict
    command = [program, "--no-owner", "--no-privileges", *args]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command += [flag, str(db[key])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return command, env


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise ValidationFailed(CoreErrorCode.BACKUP_TOOL_FAILED, _("%(tool)s 执行失败：%(error)s") % {
            "tool": Path(command[0]).name, "error": (done.stderr or done.stdout).strip()[-2000:]})


def _dump_database(method: str, folder: Path) -> str:
    if method == "sqlite-backup":
        target_path = folder / SQLITE_FILE
        target_path.parent.mkdir(parents=True, exist_ok=True)
        import sqlite3

        connection.ensure_connection()
        target = sqlite3.connect(target_path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        return SQLITE_FILE
    if method == "pg_dump":
        (folder / PG_DUMP_FILE).parent.mkdir(parents=True, exist_ok=True)
        command, env = _pg_command("pg_dump", "--format=custom", "--file", str(folder / PG_DUMP_FILE),
                                   "--dbname", connection.settings_dict["NAME"])
        _run(command, env)
        return PG_DUMP_FILE
    (folder / DJANGO_DUMP_FILE).parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / DJANGO_DUMP_FILE, "wt", encoding="utf-8") as handle:
        # XML keeps times to the microsecond (the JSON encoder cuts them to milliseconds).
        call_command("dumpdata", all=True, format="xml", stdout=handle, verbosity=0)
    return DJANGO_DUMP_FILE


def backup(out: Path, *, portable: bool = False) -> Summary:
    """Write the archive to `out` (which must not exist yet); returns what it holds."""
    out = Path(out).resolve()
    if out.exists():
        raise ValidationFailed(CoreErrorCode.BACKUP_EXISTS, _("文件 %(path)s 已存在，不会覆盖。") % {"path": out})
    if connection.in_atomic_block:
        raise ValidationFailed(CoreErrorCode.BACKUP_IN_TRANSACTION, _("备份不能在事务中进行。"))
    method = _method(portable)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".backup-") as work:
        work = Path(work)
        summary = Summary(path=out, vendor=connection.vendor, method=method, tables=table_rows())
        database_file = _dump_database(method, work)
        files = media_files()
        summary.files, summary.file_bytes = len(files), sum(p.stat().st_size for p in files)
        manifest = {
            "format": FORMAT, "created_at": timezone.now().isoformat(), "vendor": summary.vendor,
            "method": method, "database_file": database_file, "tables": summary.tables,
            "media_files": summary.files, "media_bytes": summary.file_bytes,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        partial = work / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(work / MANIFEST, arcname=MANIFEST)
            archive.add(work / database_file, arcname=database_file)
            media_root = Path(settings.MEDIA_ROOT)
            for path in files:
                archive.add(path, arcname=f"media/{path.relative_to(media_root).as_posix()}", recursive=False)
        os.replace(partial, out)  # the archive appears whole or not at all
    return summary


# ---------------------------------------------------------------- restore


def read_manifest(path: Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(CoreErrorCode.BACKUP_MISSING, _("备份文件 %(path)s 不存在。") % {"path": path})
    try:
        with tarfile.open(path, "r:gz") as archive:
            member = archive.extractfile(MANIFEST)
            manifest = json.loads(member.read().decode("utf-8"))
            names = set(archive.getnames())
    except (tarfile.TarError, KeyError, OSError, ValueError) as exc:
        raise ValidationFailed(CoreErrorCode.BACKUP_UNREADABLE, _("%(path)s 不是本系统的备份文件：%(error)s") % {
            "path": path, "error": exc}) from None
    if manifest.get("format") != FORMAT or manifest.get("database_file") not in names:
        raise ValidationFailed(CoreErrorCode.BACKUP_UNREADABLE, _("%(path)s 不是本系统可读的备份文件（格式 %(format)s）。") % {
            "path": path, "format": manifest.get("format")})
    media = [n for n in names if n.startswith("media/") and n != "media/"]
    if len(media) != manifest.get("media_files"):
        raise ValidationFailed(CoreErrorCode.BACKUP_INCOMPLETE, _("备份文件不完整：应有 %(want)d 个上传文件，实有 %(have)d 个。") % {
            "want": manifest.get("media_files", 0), "have": len(media)})
    return manifest


def check_restorable(manifest: dict) -> None:
    method = manifest["method"]
    if method == "sqlite-backup" and connection.vendor != "sqlite":
        raise ValidationFailed(CoreErrorCode.BACKUP_WRONG_DATABASE, _("该备份来自 SQLite 数据库，只能恢复到 SQLite；"
                                                          "请在 SQLite 上恢复，或用 --portable 重新备份。"))
    if method == "pg_dump":
        if connection.vendor != "postgresql":
            raise ValidationFailed(CoreErrorCode.BACKUP_WRONG_DATABASE, _("该备份来自 PostgreSQL（pg_dump），只能恢复到 PostgreSQL；"
                                                              "或用 --portable 重新备份。"))
        if not shutil.which("pg_restore"):
            raise ValidationFailed(CoreErrorCode.BACKUP_TOOL_MISSING, _("恢复该备份需要 pg_restore，但 PATH 中没有找到。"))


def _restore_database(manifest: dict, folder: Path) -> None:
    method = manifest["method"]
    source = folder / manifest["database_file"]
    if method == "sqlite-backup":
        import sqlite3

        connection.ensure_connection()
        origin = sqlite3.connect(source)
        try:
            origin.backup(connection.connection)  # page by page over the live database, in one step
        finally:
            origin.close()
        connection.close()
        return
    if method == "pg_dump":
        connection.close()  # hold no locks while pg_restore drops and recreates the tables
        command, env = _pg_command("pg_restore", "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
                                   "--dbname", connection.settings_dict["NAME"], str(source))
        _run(command, env)
        return
    call_command("migrate", interactive=False, verbosity=0)
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    call_command("loaddata", str(source), verbosity=0)


def _swap_media(staged: Path) -> None:
    media_root = Path(settings.MEDIA_ROOT)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    old = media_root.with_name(f"{media_root.name}.before-restore")
    if old.exists():
        shutil.rmtree(old)
    if media_root.exists():
        media_root.rename(old)
    if staged.exists():
        staged.rename(media_root)
    else:
        media_root.mkdir()
    if old.exists():
        shutil.rmtree(old)


def restore(path: Path, *, force: bool = False, say=None) -> Summary:
    """Replace the database and the uploads with the archive's. `say(text)` is told what will be
    replaced before anything is."""
    path = Path(path).resolve()
    manifest = read_manifest(path)
    check_restorable(manifest)
    if connection.in_atomic_block:
        raise ValidationFailed(CoreErrorCode.BACKUP_IN_TRANSACTION, _("恢复不能在事务中进行。"))
    holds_data, replaced = describe_current()
    if say:
        say(replaced)
    if holds_data and not force:
        raise ValidationFailed(CoreErrorCode.RESTORE_NOT_EMPTY, _("%(what)s 数据库中已有数据，未作任何修改；确认要覆盖请加 --force。") % {
            "what": replaced})
    media_root = Path(settings.MEDIA_ROOT)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=media_root.parent, prefix=".restore-") as work:
        work = Path(work)
        with tarfile.open(path, "r:gz") as archive:
            archive.extractall(work, filter="data")
        _restore_database(manifest, work)
        _swap_media(work / "media")
    summary = Summary(path=path, vendor=connection.vendor, method=manifest["method"], tables=table_rows())
    summary.files = len(media_files())
    expected = {t: n for t, n in manifest["tables"].items()}
    differing = sorted(t for t in expected if summary.tables.get(t) != expected[t])
    if differing or summary.files != manifest["media_files"]:
        raise ValidationFailed(CoreErrorCode.RESTORE_MISMATCH, _("恢复后的数据与备份清单不一致：%(tables)s；上传文件 %(have)d 个，应为 %(want)d 个。") % {
            "tables": "、".join(f"{t} {summary.tables.get(t)}≠{expected[t]}" for t in differing) or _("各表行数一致"),
            "have": summary.files, "want": manifest["media_files"]})
    return summary
