"""The change log and the access log, written by services inside their transaction."""

import datetime
from decimal import Decimal

from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from .context import current_request_id, current_source
from .errors import CoreErrorCode, ValidationFailed
from .masking import UNMASK_PERMS
from .models import AccessLog, ChangeLog, User

# The account that command-line work (exports, backups) is logged under.
CLI_ACCOUNT = "fangpin-cli"


def _json_value(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, FieldFile):
        return value.name
    return value


# Bookkeeping columns that change on every save and say nothing about the record itself.
UNLOGGED_FIELDS = {"version", "created_at", "updated_at"}


def snapshot(obj: models.Model) -> dict:
    """Field values of a row as JSON-friendly data (foreign keys by id)."""
    data = {}
    for field in obj._meta.concrete_fields:
        if field.primary_key or field.attname in UNLOGGED_FIELDS:
            continue
        data[field.attname] = _json_value(getattr(obj, field.attname))
    return data


def change_entry(obj, action: str, *, actor, before: dict | None = None, reason: str = "") -> ChangeLog:
    """An unsaved change-log row for `obj` (for bulk writers that save many at once)."""
    return ChangeLog(
        actor=actor if getattr(actor, "pk", None) else None,
        request_id=current_request_id(),
        source=current_source(),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        household_id=getattr(obj, "household_ref_id", None),
        area_code=obj.area_code,
        reason=reason[:200],
        before=before,
        after=snapshot(obj),
    )


def log_change(obj, action: str, *, actor, before: dict | None = None, reason: str = "") -> ChangeLog:
    entry = change_entry(obj, action, actor=actor, before=before, reason=reason)
    entry.save()
    return entry


def update_logged(obj, values: dict, *, actor, reason: str = "") -> bool:
    """Set `values` on a versioned row; only when that really changes something, raise its version, save
    it and log the change. Returns whether it changed."""
    before = snapshot(obj)
    for key, value in values.items():
        setattr(obj, key, value)
    if snapshot(obj) == before:
        return False
    obj.version += 1
    obj.save()
    log_change(obj, ChangeLog.Action.UPDATE, actor=actor, before=before, reason=reason or "")
    return True


def log_access(*, actor, kind: str, area_code: str, target: str, detail: dict | None = None) -> AccessLog:
    return AccessLog.objects.create(
        actor=actor,
        request_id=current_request_id(),
        kind=kind,
        area_code=area_code,
        target=target[:200],
        detail=detail or {},
    )


def personal_data_unmask(*, actor, kind: str, value, area_code: str, target: str, reason: str,
                         detail: dict | None = None, log_kind: str = AccessLog.Kind.UNMASK):
    """Show personal data in full: the actor must hold the permission for its kind and give a
    reason; the reading is written to the access log (as an export when `log_kind` says the data
    leaves as a file). Returns `value`."""
    actor.require(UNMASK_PERMS[kind])
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationFailed(CoreErrorCode.UNMASK_REASON_MISSING, _("请填写查看完整信息的原因。"), field="reason")
    with transaction.atomic():
        log_access(actor=actor, kind=log_kind, area_code=area_code, target=target,
                   detail={**(detail or {}), "kind": kind, "reason": reason[:200], "unmasked": True})
    return value


def cli_account() -> User:
    """The account that command-line exports are logged under: inactive, no role, cannot sign in."""
    user, created = User.objects.get_or_create(
        username=CLI_ACCOUNT, defaults={"is_active": False, "first_name": _("命令行")})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
