"""The household ledger: stage (read + validate + preview), merge, export, error sheet.

`actor=None` is the command-line system context: full access to every area; change-log rows carry
no person and the source "import"; exports are logged under the inactive account `fangpin-cli`."""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangpin.core.context import current_request_id, new_request_id, request_id_var, source_var
from fangpin.core.errors import Conflict, PermissionDenied, ValidationFailed
from fangpin.core.roles import Perm

from .merge import write_plan
from .models import LedgerImport
from .plan import MergePlan, build_plan
from .reader import LedgerFile, read_ledger

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
    if actor is None and not ledger_import.area_code:
        counties = {plan.places[d.county_id].code[:6] for d in ledger.households if d.county_id}
        ledger_import.area_code = counties.pop() if len(counties) == 1 else ""
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
    if ledger_import.status == LedgerImport.Status.MERGED:
        raise Conflict("ledger_merged", _("该文件已导入，不能重新校验。"))
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
        raise PermissionDenied("out_of_area", _("该导入不在您的辖区内。"))


def ledger_merge(ledger_import: LedgerImport, *, actor, progress=None) -> LedgerImport:
    """Write a validated file into the registry: all of it or nothing.

    The file is read and checked again inside the transaction; if the registry changed since the
    preview and the file no longer fits, nothing is written and the import turns `invalid`."""
    _check_actor(actor)
    _require_visible(ledger_import, actor)
    if ledger_import.status == LedgerImport.Status.MERGED:
        raise Conflict("ledger_merged", _("该文件已导入。"))
    if ledger_import.status != LedgerImport.Status.VALIDATED:
        raise ValidationFailed("ledger_not_validated", _("文件尚未通过校验，不能导入。"),
                               details=ledger_import.errors)
    if file_sha256(Path(ledger_import.file_path)) != ledger_import.file_sha256:
        raise ValidationFailed("ledger_file_changed", _("文件在校验后被改动，请重新上传。"))
    source_token = source_var.set("import")
    request_token = request_id_var.set(current_request_id() or new_request_id())
    try:
        failed = None
        try:
            with transaction.atomic():
                locked = LedgerImport.objects.select_for_update().get(pk=ledger_import.pk)
                if locked.status != LedgerImport.Status.VALIDATED:
                    raise Conflict("ledger_merged", _("该文件已导入或正在导入。"))
                plan = _plan(ledger_import, actor=actor, progress=progress)
                if plan is None or plan.errors:
                    raise _Invalid()
                reason = _("户成员台账导入 #%(id)d %(name)s") % {"id": ledger_import.pk,
                                                               "name": ledger_import.original_name}
                write_plan(plan, actor=actor, reason=reason[:200], progress=progress)
                ledger_import.status = LedgerImport.Status.MERGED
                ledger_import.merged_by = actor
                ledger_import.merged_at = timezone.now()
                ledger_import.save()
        except _Invalid:
            failed = _("登记系统在校验后发生了变化，文件现有%(n)d处错误，未导入任何数据。") % {
                "n": len(ledger_import.errors)}
        except IntegrityError as exc:
            ledger_import.errors = [{"row": None, "column": "", "value": "", "code": "merge_conflict",
                                     "reason": _("导入时与他人同时修改的数据冲突，未导入任何数据：%(e)s") % {"e": exc}}]
            failed = _("导入时发生数据冲突，未导入任何数据。")
        if failed:
            ledger_import.status = LedgerImport.Status.INVALID
            ledger_import.validated_at = timezone.now()
            ledger_import.save()
            raise ValidationFailed("ledger_invalid", failed, details=ledger_import.errors)
    finally:
        request_id_var.reset(request_token)
        source_var.reset(source_token)
    return ledger_import


class _Invalid(Exception):
    """The re-check inside the merge found errors: roll back."""


def error_sheet_path(source: Path) -> Path:
    """`ledger.xlsx` → `ledger.errors.xlsx` next to it."""
    source = Path(source)
    return source.with_name(f"{source.stem}.errors.xlsx")
