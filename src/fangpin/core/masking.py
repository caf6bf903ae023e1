"""Masking of personal data for roles that do not need it in full."""

from .roles import Perm


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    return f"{value[:6]}********{value[-4:]}" if len(value) >= 10 else "*" * len(value)


def mask_phone(value: str) -> str:
    if not value:
        return ""
    return f"{value[:3]}****{value[-4:]}" if len(value) >= 7 else "*" * len(value)


def shown_id_number(user, value: str, *, unmasked: bool = False) -> str:
    if unmasked and user.has_perm_named(Perm.UNMASK_ID_NUMBER):
        return value
    return mask_id_number(value)


def shown_phone(user, value: str, *, unmasked: bool = False) -> str:
    if unmasked and user.has_perm_named(Perm.UNMASK_PHONE):
        return value
    return mask_phone(value)
