"""Masking of personal data for roles that do not need it in full.

A model field that holds an ID number or a phone says so by its class (`IdNumberField`,
`PhoneField`): pages, exports, histories and the API read that declaration through
`personal_kind(field)` / `personal_fields(model)`, so a new such field is masked everywhere
without anyone keeping a list of field names.
"""

import re

from django.db import models

from .roles import Perm

ID_NUMBER = "id_number"
PHONE = "phone"

# The permission that lets a role see each kind of personal value in full.
UNMASK_PERMS: dict[str, str] = {ID_NUMBER: Perm.UNMASK_ID_NUMBER, PHONE: Perm.UNMASK_PHONE}


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    return f"{value[:6]}********{value[-4:]}" if len(value) >= 10 else "*" * len(value)


def mask_phone(value: str) -> str:
    if not value:
        return ""
    return f"{value[:3]}****{value[-4:]}" if len(value) >= 7 else "*" * len(value)


MASKERS = {ID_NUMBER: mask_id_number, PHONE: mask_phone}


def mask(kind: str, value) -> str:
    """`value` masked the way values of `kind` are."""
    return MASKERS[kind](str(value)) if value not in (None, "") else ""


# ID numbers, mobile numbers and fixed lines with an area code, as they appear inside free text such
# as an import's error messages. An ID number is told from other long digit strings (household
# numbers, place codes) by the birth date it carries: 18 characters with 19xx/20xx and a month and
# day, or the old 15 digits with a 1920-1999 year (two digits), month and day.
_ID_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9]{6}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"
    r"|[0-9]{6}[2-9][0-9](?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3})(?![0-9A-Za-z])")
_PHONE_IN_TEXT = re.compile(r"(?<![0-9])(?:1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})(?![0-9])")


def mask_text(text: str) -> str:
    """Free text with every ID number and phone number in it masked: for messages that quote the
    values they are about (an import's "“…” 校验位不正确")."""
    if not text:
        return text
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group()), str(text))
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group()), text)


def may_unmask(user, kind: str) -> bool:
    return user.has_perm_named(UNMASK_PERMS[kind])


def shown_id_number(user, value: str, *, unmasked: bool = False) -> str:
    if unmasked and user.has_perm_named(Perm.UNMASK_ID_NUMBER):
        return value
    return mask_id_number(value)


def shown_phone(user, value: str, *, unmasked: bool = False) -> str:
    if unmasked and user.has_perm_named(Perm.UNMASK_PHONE):
        return value
    return mask_phone(value)


# ---------------------------------------------------------------- declaring personal fields


class PersonalDataField(models.CharField):
    """A text column holding personal data of kind `personal_kind`. It is stored exactly like a
    CharField (and deconstructs as one, so declaring a field personal needs no migration)."""

    personal_kind = ""

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


class IdNumberField(PersonalDataField):
    """A resident ID number (居民身份证号码)."""

    personal_kind = ID_NUMBER


class PhoneField(PersonalDataField):
    """A person's phone number."""

    personal_kind = PHONE


def personal_kind(field) -> str | None:
    """The kind of personal data a model field holds, or None."""
    return getattr(field, "personal_kind", None) or None


def personal_fields(model) -> dict[str, str]:
    """{attname: kind} of every field of `model` that holds personal data."""
    return {field.attname: field.personal_kind for field in model._meta.get_fields()
            if personal_kind(field) and getattr(field, "concrete", False)}


def personal_models() -> dict:
    """Every installed model with personal fields: {model: {attname: kind}}."""
    from django.apps import apps

    found = {}
    for model in apps.get_models():
        fields = personal_fields(model)
        if fields:
            found[model] = fields
    return found
