"""How every assistance write parses and checks what it is given, and how it starts and ends: the
field parsers (text, dates, money, whole numbers, choices, risk types) that name the field in their
refusal, the area and version checks, and the logged create and update."""

import datetime
from functools import partial
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from fangpin.assistance.errors import AssistanceErrorCode
from fangpin.core.areas import county_of
from fangpin.core.audit import log_change, update_logged
from fangpin.core.errors import Conflict, CoreErrorCode, PermissionDenied, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.policy import policy_in_force
from fangpin.core.roles import Perm
from fangpin.core.scoping import ensure_in_area
from fangpin.monitoring.choices import RiskType
from fangpin.monitoring.errors import MonitoringErrorCode
from fangpin.regions.models import Level, Place
from fangpin.registry.choices import HouseholdStatus
from fangpin.registry.errors import RegistryErrorCode

from .models import RegisterLimits

CENT = Decimal("0.01")
MAX_MONEY = Decimal(10000000000)


def field_label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def parse_text(value, *, model, field: str, required: bool = True) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        raise ValidationFailed(CoreErrorCode.REQUIRED, _("请填写%(f)s。") % {"f": field_label(model, field)}, field=field)
    limit = model._meta.get_field(field).max_length
    if limit and len(text) > limit:
        raise ValidationFailed(AssistanceErrorCode.TOO_LONG, _("%(f)s最多%(n)d个字。") % {"f": field_label(model, field), "n": limit},
                               field=field)
    return text


def parse_date(value, *, model, field: str, required: bool = True) -> datetime.date | None:
    if value in (None, ""):
        if required:
            raise ValidationFailed(CoreErrorCode.REQUIRED, _("请填写%(f)s。") % {"f": field_label(model, field)}, field=field)
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationFailed(AssistanceErrorCode.DATE_FORMAT, _("%(f)s“%(v)s”不是有效日期，请按2026-01-31的格式填写。") % {
            "f": field_label(model, field), "v": value}, field=field) from None


def parse_money(value, *, model, field: str, required: bool = True) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise ValidationFailed(CoreErrorCode.REQUIRED, _("请填写%(f)s。") % {"f": field_label(model, field)}, field=field)
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(
            str(value).replace(",", "").replace("，", "").removesuffix("元").strip())
    except InvalidOperation:
        raise ValidationFailed(CoreErrorCode.MONEY_FORMAT, _("%(f)s“%(v)s”不是金额。") % {
            "f": field_label(model, field), "v": value}, field=field) from None
    if not amount.is_finite():
        raise ValidationFailed(CoreErrorCode.MONEY_FORMAT, _("%(f)s“%(v)s”不是金额。") % {
            "f": field_label(model, field), "v": value}, field=field)
    if amount < 0:
        raise ValidationFailed(CoreErrorCode.MONEY_NEGATIVE, _("%(f)s不能为负数。") % {"f": field_label(model, field)}, field=field)
    if amount != amount.quantize(CENT):
        raise ValidationFailed(CoreErrorCode.MONEY_DECIMALS, _("%(f)s最多两位小数。") % {"f": field_label(model, field)}, field=field)
    if amount >= MAX_MONEY:
        raise ValidationFailed(CoreErrorCode.MONEY_TOO_LARGE, _("%(f)s过大。") % {"f": field_label(model, field)}, field=field)
    return amount.quantize(CENT)


def parse_int(value, *, model, field: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(CoreErrorCode.NUMBER_FORMAT, _("请按整数填写%(f)s。") % {"f": field_label(model, field)},
                               field=field) from None
    if not low <= number <= high:
        raise ValidationFailed(CoreErrorCode.NUMBER_RANGE, _("%(f)s须在%(lo)d到%(hi)d之间。") % {
            "f": field_label(model, field), "lo": low, "hi": high}, field=field)
    return number


def parse_choice(value, choices, *, model, field: str) -> str:
    if value not in choices.values:
        raise ValidationFailed(AssistanceErrorCode.CHOICE_UNKNOWN, _("请选择%(f)s。") % {"f": field_label(model, field)}, field=field)
    return value


def parse_risk_types(values, field: str = "risk_types") -> list[str]:
    cleaned = list(dict.fromkeys(values or []))
    unknown = [r for r in cleaned if r not in RiskType.values]
    if unknown:
        raise ValidationFailed(MonitoringErrorCode.RISK_TYPE_UNKNOWN, _("未知的风险类型：%(r)s") % {"r": "、".join(unknown)},
                               field=field)
    return cleaned


def check_not_before(later, earlier, *, model, later_field: str, earlier_field: str) -> None:
    if later is not None and earlier is not None and later < earlier:
        raise ValidationFailed(AssistanceErrorCode.DATE_ORDER, _("%(a)s不能早于%(b)s。") % {
            "a": field_label(model, later_field), "b": field_label(model, earlier_field)}, field=later_field)


def check_version(obj, version) -> None:
    if version not in (None, "") and int(version) != obj.version:
        raise Conflict(CoreErrorCode.STALE_VERSION, _("“%(obj)s”已被他人修改，请刷新后重新填写。") % {"obj": obj})


def refuse_unknown(fields: dict, allowed: set) -> None:
    extra = set(fields) - allowed
    if extra:
        raise ValidationFailed(CoreErrorCode.UNKNOWN_FIELD, _("不能修改这些字段：%(f)s") % {"f": ", ".join(sorted(extra))})


def save_update(obj, values: dict, *, actor, reason: str = ""):
    """Set fields; save and log only when something changed."""
    update_logged(obj, values, actor=actor, reason=reason)
    return obj


def create_logged(model, *, actor, reason: str = "", **values):
    obj = model.objects.create(**values)
    log_change(obj, ChangeLog.Action.CREATE, actor=actor, reason=reason)
    return obj


def recorded_by(actor):
    return actor if getattr(actor, "pk", None) else None


def ensure_visible(actor, obj, perm: str) -> None:
    """For rows that serve the places under them (a county project, a township course): the actor
    must hold `perm` and see the row."""
    actor.require(perm)
    if not type(obj).objects.restrict(actor, perm).filter(pk=obj.pk).exists():
        raise PermissionDenied(CoreErrorCode.OUT_OF_AREA, _("该记录不在您的辖区内。"))


def lock_row(obj):
    """The row again, locked for the change: the caller reached it through the user's area."""
    return type(obj).objects.unrestricted().select_for_update().get(pk=obj.pk)


def active_member(member, *, field: str):
    if member is None:
        raise ValidationFailed(CoreErrorCode.REQUIRED, _("请选择人员。"), field=field)
    if member.ended_on is not None:
        raise ValidationFailed(RegistryErrorCode.MEMBER_ENDED, _("%(n)s已离户，不能登记。") % {"n": member.name}, field=field)
    if member.household.status not in (HouseholdStatus.ACTIVE, HouseholdStatus.PROVISIONAL):
        raise ValidationFailed(RegistryErrorCode.HOUSEHOLD_ENDED, _("%(n)s所在农户已销户。") % {"n": member.name}, field=field)
    return member


def measure_of_household(measure, household, *, field: str = "measure"):
    if measure is None:
        return None
    if measure.household_id != household.pk:
        raise ValidationFailed(AssistanceErrorCode.MEASURE_OTHER_HOUSEHOLD, _("所选帮扶措施不属于该户。"), field=field)
    return measure


def place_of_level(place, *, levels, field: str = "place") -> Place:
    if place is None:
        raise ValidationFailed(CoreErrorCode.REQUIRED, _("请选择地点。"), field=field)
    if place.level not in levels:
        names = "、".join(str(Level(level).label) for level in levels)
        raise ValidationFailed(CoreErrorCode.PLACE_LEVEL, _("地点须为%(l)s。") % {"l": names}, field=field)
    return place



def begin_update(obj, fields: dict, allowed: set, *, actor, version, perm: str = Perm.MANAGE_REGISTERS):
    """How every edit starts: refuse fields that cannot change, lock the row, check the actor's area
    and that nobody changed the row since the form was read. Returns the locked row."""
    refuse_unknown(fields, allowed)
    obj = lock_row(obj)
    ensure_in_area(actor, obj, perm)
    check_version(obj, version)
    return obj


# ---------------------------------------------------------------- declared field parsers


def parse_fields(model, values: dict, parsers: dict) -> dict:
    """Each field of `values` that `parsers` names, parsed by its parser in the order declared. A
    parser is called with the value and `model=`, `field=`, so that its refusal names the field."""
    return {name: parse(values[name], model=model, field=name) for name, parse in parsers.items() if name in values}


optional_text = partial(parse_text, required=False)
optional_date = partial(parse_date, required=False)


def place_in(*levels):
    """A parser for a place at one of `levels`."""
    return lambda value, *, model, field: place_of_level(value, levels=levels, field=field)


def whole_number(low: int, high: int):
    return partial(parse_int, low=low, high=high)


def one_of(choices):
    return lambda value, *, model, field: parse_choice(value, choices, model=model, field=field)


def flag(value, *, model, field) -> bool:
    return bool(value)


def long_text(value, *, model, field) -> str:
    """Free text with its blanks folded, cut at the field's limit."""
    return " ".join(str(value or "").split())[:2000]


optional_money = partial(parse_money, required=False)


def risk_list(value, *, model, field) -> list[str]:
    return parse_risk_types(value, field)


def with_measure(data: dict, fields: dict, household) -> dict:
    """An edit that names the measure a row carries out: the measure must be the household's."""
    if "measure" in fields:
        data["measure"] = measure_of_household(fields["measure"], household)
    return data


def placed_in_area(actor, data: dict) -> dict:
    """An edit that moves a row to another place: that place must lie in the actor's area too."""
    if "place" in data:
        ensure_in_area(actor, data["place"], Perm.MANAGE_REGISTERS)
    return data


def member_in_area(actor, member, *, field: str):
    """The member a new register row names: still in an active household of the actor's area."""
    member = active_member(member, field=field)
    ensure_in_area(actor, member.household, Perm.MANAGE_REGISTERS)
    return member


def create_row(model, *, actor, household, measure=None, **values):
    """A new register row for `household`, linked to one of its own measures if one is named; logged."""
    return create_logged(model, actor=actor, household=household, measure=measure_of_household(measure, household),
                         created_by=recorded_by(actor), **values)


# ---------------------------------------------------------------- register limits


def register_limits(place: Place, on: datetime.date) -> RegisterLimits:
    """The register limits in force on `on` in the county of `place`."""
    return policy_in_force(RegisterLimits, county_of(place), on)


def with_limits(reason: str, limits: RegisterLimits) -> str:
    """The change-log reason of a write that a register limit allowed: it names the version."""
    return "；".join(filter(None, [(reason or "").strip(), _("依据%(p)s") % {"p": limits}]))[:200]


def welfare_months_allowed(place: Place, starts_on: datetime.date, months: int) -> RegisterLimits:
    """The longest public-welfare post of the county's register limits in force on the day it starts."""
    limits = register_limits(place, starts_on)
    if months > limits.welfare_post_max_months:
        raise ValidationFailed(AssistanceErrorCode.WELFARE_POST_MONTHS_LIMIT, _("公益岗位聘期最长%(m)d个月（%(p)s），填写的是%(n)d个月。") % {
            "m": limits.welfare_post_max_months, "p": limits, "n": months}, field="months")
    return limits


def loan_within_limits(household, issued_on: datetime.date, amount, term: int) -> RegisterLimits:
    """The loan cap and the longest term of the county's register limits in force on the day the loan
    was issued; the refusal names the version it used."""
    limits = register_limits(household.place, issued_on)
    if amount > limits.loan_max_amount:
        raise ValidationFailed(AssistanceErrorCode.LOAN_AMOUNT_LIMIT, _("小额信贷每户最多%(m)s元（%(p)s），填写的是%(a)s元。") % {
            "m": f"{limits.loan_max_amount:,.2f}", "p": limits, "a": f"{amount:,.2f}"}, field="amount")
    if term > limits.loan_max_months:
        raise ValidationFailed(AssistanceErrorCode.LOAN_TERM_LIMIT, _("小额信贷期限最长%(m)d个月（%(p)s），填写的是%(n)d个月。") % {
            "m": limits.loan_max_months, "p": limits, "n": term}, field="term_months")
    return limits
