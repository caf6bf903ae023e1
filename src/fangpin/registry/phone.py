"""Phone numbers as the ledger allows them: an 11-digit mobile, or a landline with area code."""

import re

from django.utils.translation import gettext as _

from fangpin.core.errors import ValidationFailed
from fangpin.registry.errors import RegistryErrorCode

from .idnumber import normalise_text

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    text = normalise_text(str(raw or "")).replace(" ", "").replace("—", "-").replace("－", "-")
    if not text:
        return ""
    if MOBILE.match(text) or LANDLINE.match(text):
        return text
    raise ValidationFailed(
        RegistryErrorCode.PHONE_FORMAT, _("“%(v)s”不是11位手机号，也不是带区号的固定电话。") % {"v": raw}, field=field
    )
