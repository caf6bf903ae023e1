"""Resident identity numbers (GB 11643, 18 characters with a check digit).

python-stdnum's `cn.ric` supplies the check digit and birth date. Its `validate()` also insists that
the first six digits named a county that existed in the holder's birth year; counties are renamed and
recoded, so that test rejects real people and is deliberately not applied here.
"""

import datetime
import unicodedata
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from fangpin.core.errors import ValidationFailed
from fangpin.registry.errors import RegistryErrorCode

from .choices import Sex


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: datetime.date
    sex: str


def normalise_text(value: str) -> str:
    """Full-width digits, letters and spaces to their ASCII forms; surrounding blanks removed."""
    return unicodedata.normalize("NFKC", value).strip()


def parse_id_number(raw: str, *, field: str = "id_number") -> ResidentId:
    """Validate and normalise an ID number, or raise ValidationFailed saying exactly why."""
    number = "".join(normalise_text(str(raw or "")).split()).upper()
    if not number:
        raise ValidationFailed(RegistryErrorCode.ID_MISSING, _("证件号码不能为空。"), field=field)
    if len(number) == 15 and number.isdigit():
        raise ValidationFailed(
            RegistryErrorCode.ID_LEGACY_15,
            _("“%(number)s”是15位旧身份证号码，请换成18位居民身份证号码。") % {"number": number},
            field=field,
        )
    if len(number) != 18:
        raise ValidationFailed(RegistryErrorCode.ID_LENGTH, _("“%(number)s”应为18位，实际%(length)d位。") % {"number": number, "length": len(number)}, field=field)
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationFailed(RegistryErrorCode.ID_FORMAT, _("“%(number)s”只能由17位数字和1位数字或X组成。") % {"number": number}, field=field)
    if number[17] != ric.calc_check_digit(number):
        raise ValidationFailed(RegistryErrorCode.ID_CHECKSUM, _("“%(number)s”校验位不正确，请核对号码。") % {"number": number}, field=field)
    try:
        birth_date = ric.get_birth_date(number)
    except StdnumError:
        raise ValidationFailed(
            RegistryErrorCode.ID_BIRTH_DATE, _("“%(number)s”中的出生日期%(date)s不是真实日期。") % {"number": number, "date": number[6:14]}, field=field
        ) from None
    if birth_date > timezone.localdate() or birth_date.year < 1880:
        raise ValidationFailed(
            RegistryErrorCode.ID_BIRTH_DATE, _("“%(number)s”中的出生日期%(date)s晚于今天或早于1880年。") % {"number": number, "date": birth_date.isoformat()}, field=field
        )
    sex = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
    return ResidentId(number=number, birth_date=birth_date, sex=sex)


def check_sex(resident: ResidentId, sex: str | None, *, field: str = "sex") -> None:
    """A stated sex must match the one the number encodes (17th digit odd: male)."""
    if sex and sex != resident.sex:
        raise ValidationFailed(
            RegistryErrorCode.ID_SEX_MISMATCH,
            _("性别“%(sex)s”与证件号码“%(number)s”不符（号码表示%(coded)s）。")
            % {"sex": Sex(sex).label, "number": resident.number, "coded": Sex(resident.sex).label},
            field=field,
        )


def compose_id_number(area_code: str, birth_date: datetime.date, sequence: int, sex: str) -> str:
    """Build a valid number: 6-digit area, birth date, 3-digit sequence whose last digit is odd for
    men and even for women, and the check digit. Used for synthetic people."""
    sequence = sequence % 500 * 2 + (1 if sex == Sex.MALE else 0)
    body = f"{area_code[:6]}{birth_date:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")
