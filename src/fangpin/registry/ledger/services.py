"""The household ledger: stage (read + validate + preview), merge, export, error sheet.

`actor=None` is the command-line system context: full access to every area; change-log rows carry
no person and the source "import"; exports are logged under the inactive account `fangpin-cli`."""

from __future__ import annotations

import datetime
import hashlib
import logging
from contextlib import suppress
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from fangpin.core.audit import change_entry
from fangpin.core.context import current_request_id, new_request_id, request_id_var, source_var
from fangpin.core.errors import Conflict, CoreErrorCode, PermissionDenied, ValidationFailed
from fangpin.core.locks import county_lock_try, county_locks, holder_is_gone, lock_holder
from fangpin.core.models import ChangeLog
from fangpin.core.roles import Perm
from fangpin.registry.errors import RegistryErrorCode

from .merge import write_plan
from .models import LedgerImport
from .plan import MergePlan, build_plan
from .reader import LedgerFile, read_ledger

logger = logging.getLogger(__name__)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_actor(actor) -> None:
    if actor is not None:
        actor.require(Perm.IMPORT_LEDGER)


# The file as the last validation in this process read it, for a merge that follows in the same
# process (the command line): (import id, file SHA-256, LedgerFile). One entry at most; the web
# does not keep it, so that a server process never holds a county's file between requests.
_kept: list[tuple[int, str, LedgerFile]] = []


def _read(ledger_import: LedgerImport, progress) -> LedgerFile:
    while _kept:
        pk, digest, ledger = _kept.pop()
        if pk == ledger_import.pk and digest == ledger_import.file_sha256:
            return ledger
    return read_ledger(ledger_import.file_path, progress=progress)


def _plan(ledger_import: LedgerImport, *, actor, progress=None) -> MergePlan | None:
    """Read and check the file; on a whole-file problem record it and return None."""
    try:
        ledger = _read(ledger_import, progress)
    except ValidationFailed as exc:
        details = exc.details or [{"row": None, "column": "", "value": "", "reason": exc.message, "code": exc.code}]
        ledger_import.errors = details
        ledger_import.warnings = []
        return None
    plan = build_plan(ledger, actor=actor)
    ledger_import.errors = plan.errors
    ledger_import.warnings = plan.warnings
    for name, value in vars(plan.counts).items():
        setattr(ledger_import, name, value)
    counties = sorted({plan.places[d.county_id].code[:6] for d in ledger.households if d.county_id})
    ledger_import.county_codes = counties
    if actor is None and not ledger_import.area_code:
        ledger_import.area_code = counties[0] if len(counties) == 1 else ""
    return plan


def ledger_stage(path, *, actor, original_name: str | None = None, progress=None,
                 keep_for_merge: bool = False) -> LedgerImport:
    """Record an uploaded file and validate it: the import is then `validated` (ready to merge,
    with counts of what would change) or `invalid` (with every error).

    `keep_for_merge` keeps the file as read in this process, so that a `ledger_merge` that follows
    in the same process (the command line) skips reading it again; the merge still checks the
    file's SHA-256 and re-checks everything against the registry inside its transaction."""
    _check_actor(actor)
    path = Path(path).resolve()
    ledger_import = LedgerImport.objects.create(
        file_path=str(path), original_name=(original_name or path.name)[:200], file_sha256=file_sha256(path),
        uploaded_by=actor, area_code=actor.place.code if actor is not None and actor.place_id else "",
    )
    return ledger_validate(ledger_import, actor=actor, progress=progress, keep_for_merge=keep_for_merge)


def ledger_validate(ledger_import: LedgerImport, *, actor, progress=None, keep_for_merge: bool = False) -> LedgerImport:
    """(Re)check a staged file against the registry as it is now."""
    _check_actor(actor)
    _require_visible(ledger_import, actor)
    ledger_import = ledger_recover(ledger_import, actor=actor)
    if ledger_import.status == LedgerImport.Status.MERGED:
        raise Conflict(RegistryErrorCode.LEDGER_MERGED, _("该文件已导入，不能重新校验。"))
    if ledger_import.status == LedgerImport.Status.MERGING:
        raise Conflict(RegistryErrorCode.LEDGER_MERGING, _("该文件正在导入，不能重新校验。"))
    ledger_import.status_reason = ""
    plan = _plan(ledger_import, actor=actor, progress=progress)
    if keep_for_merge and plan is not None and not plan.errors:
        _kept.append((ledger_import.pk, ledger_import.file_sha256, plan.ledger))
    ledger_import.status = (LedgerImport.Status.VALIDATED if plan is not None and not plan.errors
                            else LedgerImport.Status.INVALID)
    ledger_import.validated_at = timezone.now()
    ledger_import.save()
    return ledger_import


def _require_visible(ledger_import: LedgerImport, actor) -> None:
    if actor is None:
        return
    if not ledger_import.area_code.startswith(actor.area_prefix):
        raise PermissionDenied(CoreErrorCode.OUT_OF_AREA, _("该导入不在您的辖区内。"))


# Merges of one county run one at a time: each takes the county's lock for this purpose.
MERGE_LOCK = "ledger_merge"
# A merge records its start, reads the file and then waits for the county's lock. A merge whose
# process cannot be checked from here (another host) counts as on its way for this long after it
# started; after that, if no merge holds the county's lock, it was interrupted.
MERGE_START_GRACE = datetime.timedelta(minutes=10)
# A process on this host still running under the recorded pid counts as the merge for this long
# (a county's file merges in minutes; after hours the pid may belong to another program).
MERGE_LONGEST = datetime.timedelta(hours=6)


class _Failed(Exception):
    """The merge cannot go on: roll back and end the import `failed` with this reason."""

    def __init__(self, reason: str, errors: list | None = None):
        super().__init__(reason)
        self.reason = reason
        self.errors = errors


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i:s") if moment else ""


def _merge_state(ledger_import: LedgerImport) -> dict:
    return {"status": ledger_import.status, "status_reason": ledger_import.status_reason,
            "merge_started_at": ledger_import.merge_started_at.isoformat() if ledger_import.merge_started_at else None,
            "merge_holder": ledger_import.merge_holder}


def _log_import(ledger_import: LedgerImport, action: str, *, actor, before: dict | None, after: dict | None,
                reason: str) -> None:
    """A change-log row for the import itself, with the few fields that say what happened to it
    (not its error list, which quotes the file)."""
    entry = change_entry(ledger_import, action, actor=actor, reason=reason)
    entry.before, entry.after = before, after
    entry.save()


def _merge_may_have_died(ledger_import: LedgerImport, now) -> bool:
    started = ledger_import.merge_started_at
    if started is None:
        return True
    gone = holder_is_gone(ledger_import.merge_holder)
    if gone is True:
        return True
    if gone is False:
        return now - started > MERGE_LONGEST
    return now - started > MERGE_START_GRACE


def ledger_recover(ledger_import: LedgerImport, *, actor) -> LedgerImport:
    """Every look at an import (its page, the import list, the command line, another merge) calls
    this. An import left `merging` by a process that is gone, while no merge holds the county's
    lock, was interrupted: its transaction rolled back and nothing was written. It ends `failed`
    with that reason, in the change log. Returns the import as it now is."""
    if ledger_import.status != LedgerImport.Status.MERGING:
        return ledger_import
    if not _merge_may_have_died(ledger_import, timezone.now()):
        return ledger_import
    try:
        with transaction.atomic():
            current = LedgerImport.objects.unrestricted().select_for_update().get(pk=ledger_import.pk)
            if (current.status != LedgerImport.Status.MERGING
                    or current.merge_started_at != ledger_import.merge_started_at):
                return current
            if not all(county_lock_try(code, MERGE_LOCK) for code in current.county_codes):
                return current  # a merge of the county runs: it may be this one, on another host
            before = _merge_state(current)
            current.status = LedgerImport.Status.FAILED
            current.status_reason = _("导入于%(when)s开始后中断（导入进程已不在运行），未写入任何数据。请重新上传文件后导入。") % {
                "when": _when(current.merge_started_at)}
            current.save(update_fields=["status", "status_reason"])
            _log_import(current, ChangeLog.Action.UPDATE, actor=actor, before=before, after=_merge_state(current),
                        reason=_("导入中断"))
    except OperationalError:
        # SQLite: another merge keeps the database's write lock beyond the busy timeout, so a merge
        # is running; the next look decides.
        return ledger_import
    return current


def _merge_start(ledger_import: LedgerImport) -> datetime.datetime:
    """Record that this process merges the import (committed at once, so that a merge that dies is
    seen); refuse an import that is merged, being merged or not validated."""
    with transaction.atomic():
        current = LedgerImport.objects.unrestricted().select_for_update().get(pk=ledger_import.pk)
        if current.status == LedgerImport.Status.MERGED:
            raise Conflict(RegistryErrorCode.LEDGER_MERGED, _("该文件已导入。"))
        if current.status == LedgerImport.Status.MERGING:
            raise Conflict(RegistryErrorCode.LEDGER_MERGING, _("该文件已于%(when)s开始导入，请稍后刷新页面查看结果。") % {
                "when": _when(current.merge_started_at)})
        if current.status != LedgerImport.Status.VALIDATED:
            raise ValidationFailed(RegistryErrorCode.LEDGER_NOT_VALIDATED,
                                   current.status_reason or _("文件尚未通过校验，不能导入。"), details=current.errors)
        current.status = LedgerImport.Status.MERGING
        current.status_reason = ""
        current.merge_started_at = timezone.now()
        current.merge_holder = lock_holder()[:200]
        current.save(update_fields=["status", "status_reason", "merge_started_at", "merge_holder"])
    for name in ("status", "status_reason", "merge_started_at", "merge_holder"):
        setattr(ledger_import, name, getattr(current, name))
    return current.merge_started_at


def _merge_fail(ledger_import: LedgerImport, started, reason: str, errors: list | None) -> None:
    """End the import `failed` with the reason, unless someone else already ended it."""
    with transaction.atomic():
        current = LedgerImport.objects.unrestricted().select_for_update().get(pk=ledger_import.pk)
        if current.status != LedgerImport.Status.MERGING or current.merge_started_at != started:
            ledger_import.refresh_from_db()
            return
        ledger_import.status = LedgerImport.Status.FAILED
        ledger_import.status_reason = reason[:500]
        if errors is not None:
            ledger_import.errors = errors
        ledger_import.save()


def _unchanged_note(ledger_import: LedgerImport) -> str:
    twin = (LedgerImport.objects.unrestricted().filter(file_sha256=ledger_import.file_sha256, status=LedgerImport.Status.MERGED)
            .exclude(pk=ledger_import.pk).order_by("-merged_at").first())
    if twin is not None:
        return _("登记系统已包含本文件的全部内容（相同的文件已由导入 #%(id)d 于%(when)s导入），未作任何修改。") % {
            "id": twin.pk, "when": _when(twin.merged_at)}
    return _("登记系统已包含本文件的全部内容，未作任何修改。")


def _merge_locked(ledger_import: LedgerImport, started, *, actor, progress) -> LedgerImport:
    try:
        ledger = _read(ledger_import, progress)
    except ValidationFailed as exc:
        raise _Failed(exc.message, exc.details or [
            {"row": None, "column": "", "value": "", "reason": exc.message, "code": exc.code}]) from None
    try:
        with transaction.atomic():
            locked = county_locks(ledger_import.county_codes, MERGE_LOCK)
            current = LedgerImport.objects.unrestricted().select_for_update().get(pk=ledger_import.pk)
            if current.status != LedgerImport.Status.MERGING or current.merge_started_at != started:
                raise Conflict(RegistryErrorCode.LEDGER_INTERRUPTED, current.status_reason or _("该导入已被他人结束，未写入任何数据。"))
            # Planned again against the registry as it is now that no other merge of the county runs.
            plan = build_plan(ledger, actor=actor)
            ledger_import.errors, ledger_import.warnings = plan.errors, plan.warnings
            for name, value in vars(plan.counts).items():
                setattr(ledger_import, name, value)
            if plan.errors:
                raise _Failed(_("登记系统在校验后发生了变化，文件现有%(n)d处错误，未导入任何数据。") % {
                    "n": len(plan.errors)}, plan.errors)
            changes = [c for c in plan.changes if c.changed]
            touched = {plan.places[c.draft.county_id].code[:6] for c in changes}
            if not touched <= set(locked):
                raise _Failed(_("文件涉及的县与校验时不同，未导入任何数据，请重新上传文件。"), [])
            if changes:
                reason = _("户成员台账导入 #%(id)d %(name)s") % {"id": ledger_import.pk,
                                                               "name": ledger_import.original_name}
                write_plan(plan, actor=actor, reason=reason[:200], progress=progress)
                ledger_import.status_reason = ""
            else:
                ledger_import.status_reason = _unchanged_note(ledger_import)[:500]
            ledger_import.status = LedgerImport.Status.MERGED
            ledger_import.merged_by = actor
            ledger_import.merged_at = timezone.now()
            ledger_import.save()
    except IntegrityError as exc:
        # The database's message can quote the clashing key (an ID number): it goes to the server
        # log; the page and the command line get the constraint's name.
        logger.warning("ledger import #%s: merge conflict: %s", ledger_import.pk, exc)
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) or ""
        raise _Failed(_("导入时发生数据冲突，未导入任何数据。"), [
            {"row": None, "column": "", "value": constraint, "code": "merge_conflict",
             "reason": _("写入时与他人刚登记的数据冲突（同一户编号或同一人），未导入任何数据；请重新上传文件校验后导入。")}]) from None
    return ledger_import


def ledger_merge(ledger_import: LedgerImport, *, actor, progress=None) -> LedgerImport:
    """Write a validated file into the registry: all of it or nothing.

    Merges of one county run one at a time (the county's lock). Inside the lock the file is planned
    again against the registry as it then is: if it no longer fits, nothing is written and the
    import ends `failed` with every error; if everything in it is already registered (the same file
    merged by another import a moment before), nothing is written and the import ends `merged` with
    a note saying so. The start is recorded first, so that a merge whose process dies is found by
    the next look (`ledger_recover`) instead of staying `merging`."""
    _check_actor(actor)
    _require_visible(ledger_import, actor)
    ledger_import = ledger_recover(ledger_import, actor=actor)
    if ledger_import.status == LedgerImport.Status.MERGED:
        raise Conflict(RegistryErrorCode.LEDGER_MERGED, _("该文件已导入。"))
    if ledger_import.status not in (LedgerImport.Status.VALIDATED, LedgerImport.Status.MERGING):
        raise ValidationFailed(RegistryErrorCode.LEDGER_NOT_VALIDATED,
                               ledger_import.status_reason or _("文件尚未通过校验，不能导入。"),
                               details=ledger_import.errors)
    if not ledger_import.county_codes and ledger_import.status == LedgerImport.Status.VALIDATED:
        raise ValidationFailed(RegistryErrorCode.LEDGER_NOT_VALIDATED, _("请重新上传文件校验后再导入。"))
    if file_sha256(Path(ledger_import.file_path)) != ledger_import.file_sha256:
        raise ValidationFailed(RegistryErrorCode.LEDGER_FILE_CHANGED, _("文件在校验后被改动，请重新上传。"))
    source_token = source_var.set("import")
    request_token = request_id_var.set(current_request_id() or new_request_id())
    try:
        started = _merge_start(ledger_import)
        try:
            return _merge_locked(ledger_import, started, actor=actor, progress=progress)
        except _Failed as failure:
            _merge_fail(ledger_import, started, failure.reason, failure.errors)
            raise ValidationFailed(RegistryErrorCode.LEDGER_INVALID, failure.reason, details=ledger_import.errors) from None
        except Conflict:
            raise
        except BaseException as exc:
            # The error's own text can quote a row (an ID number in a database message): the page gets
            # its kind, the server log the whole of it. The database itself may be what failed: then
            # the next look ends the import instead.
            logger.exception("ledger import #%s: merge stopped", ledger_import.pk)
            with suppress(DatabaseError):
                _merge_fail(ledger_import, started, _("导入意外中止，未写入任何数据（%(e)s，详情已记入服务器日志）") % {
                    "e": type(exc).__name__}, None)
            raise
    finally:
        request_id_var.reset(request_token)
        source_var.reset(source_token)


def error_sheet_path(source: Path) -> Path:
    """`ledger.xlsx` → `ledger.errors.xlsx` next to it."""
    source = Path(source)
    return source.with_name(f"{source.stem}.errors.xlsx")


# ---------------------------------------------------------------- stale imports

# Imports that never reached the registry: a file rejected, a merge failed, or an upload nobody merged.
STALE_STATUSES = (LedgerImport.Status.FAILED, LedgerImport.Status.INVALID, LedgerImport.Status.UPLOADED,
                  LedgerImport.Status.VALIDATED)


def ledger_imports_list(*, actor) -> list[LedgerImport]:
    """Every import visible to `actor` (all of them for the command line), newest first, with any
    merge whose process died ended first."""
    if actor is not None:
        _check_actor(actor)
        imports = LedgerImport.objects.restrict(actor, Perm.IMPORT_LEDGER)
    else:
        imports = LedgerImport.objects.unrestricted()
    return [ledger_recover(item, actor=actor) for item in imports]


def _last_activity(ledger_import: LedgerImport):
    return max(t for t in (ledger_import.created_at, ledger_import.validated_at, ledger_import.merge_started_at) if t)


def stored_upload(ledger_import: LedgerImport) -> Path | None:
    """The import's file when it is an upload this system stored (under MEDIA_ROOT/ledger), not a
    file the command line read where it lay."""
    folder = (Path(settings.MEDIA_ROOT) / "ledger").resolve()
    path = Path(ledger_import.file_path).resolve()
    return path if path.is_relative_to(folder) else None


def ledger_imports_clean(*, actor, older_than: datetime.timedelta, dry_run: bool = False) -> list[LedgerImport]:
    """Remove imports that never reached the registry (failed, invalid, or uploaded / validated and
    left) with no activity for `older_than`, and the uploaded files stored for them; each removal is
    in the change log. Merged imports stay: they are the record of what came into the registry.
    With `dry_run` nothing changes; returns the imports removed (or that would be)."""
    if actor is not None:
        _check_actor(actor)
    if older_than < datetime.timedelta(0):
        raise ValidationFailed(RegistryErrorCode.BAD_AGE, _("天数不能为负数。"), field="older_than")
    cutoff = timezone.now() - older_than
    candidates = [item for item in ledger_imports_list(actor=actor)
                  if item.status in STALE_STATUSES and _last_activity(item) < cutoff]
    if dry_run or not candidates:
        return candidates
    removed, files = [], []
    with transaction.atomic():
        for item in candidates:
            current = LedgerImport.objects.unrestricted().select_for_update().filter(pk=item.pk).first()
            if current is None or current.status not in STALE_STATUSES or _last_activity(current) >= cutoff:
                continue  # changed since it was listed
            before = {"status": current.status, "original_name": current.original_name,
                      "file_path": current.file_path, "file_sha256": current.file_sha256,
                      "rows": current.rows, "errors": len(current.errors or []),
                      "uploaded_by": current.uploaded_by_id, "created_at": current.created_at.isoformat(),
                      "status_reason": current.status_reason}
            _log_import(current, ChangeLog.Action.END, actor=actor, before=before, after=None,
                        reason=_("清理未导入的台账文件（%(days)d天无操作）") % {"days": older_than.days})
            upload = stored_upload(current)
            if upload is not None:
                files.append(upload)
            current.delete()
            removed.append(item)
        transaction.on_commit(lambda: _remove_files(files))
    return removed


def _remove_files(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
        with suppress(OSError):  # the folder holds only this upload; keep it if anything else is there
            path.parent.rmdir()
