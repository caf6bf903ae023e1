"""The monitoring card (监测卡): its ten items, how it is prefilled, and how a visitor's changes are
checked against it.

A card is plain JSON. Each item holds household-level values under their field names and, where
the item is about people, `members`: {member id: {"name": ..., field: value}}. Changes have the same
shape and hold only the values that differ from the prefilled card. Fields bound to the registry
(`registry=True`) are prefilled from it and written back to it; the others live only on the card and
are carried forward from the household's last visit.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy

from fangpin.core.errors import ValidationFailed
from fangpin.monitoring.errors import MonitoringErrorCode
from fangpin.registry.choices import DisabilityGrade, Health, HouseGrade, LabourCapacity, MedicalInsurance, Schooling, WorkPlace
from fangpin.registry.models import Household, Income, Member

CHOICE, BOOL, MONTHS, MONEY, TEXT = "choice", "bool", "months", "money", "text"


class Trend:
    CHOICES = [("stable", gettext_lazy("基本稳定")), ("up", gettext_lazy("增加")),
               ("down", gettext_lazy("减少")), ("sharp_down", gettext_lazy("大幅减少"))]


@dataclass(frozen=True)
class CardField:
    name: str
    label: str
    kind: str
    choices: tuple = ()
    registry: bool = False  # bound to the Household/Member field of the same name

    def parse(self, value, *, key: str):
        """A submitted value in the card's JSON form, or ValidationFailed naming `key`."""
        if self.kind == BOOL:
            if value in (True, "true", "True", "1", "on", "yes"):
                return True
            if value in (False, "false", "False", "0", "no"):
                return False
            if value in (None, "", "unknown"):
                return None
            raise ValidationFailed(MonitoringErrorCode.CARD_VALUE, _("“%(v)s”不是有效的选项。") % {"v": value}, field=key)
        if self.kind == CHOICE:
            value = "" if value is None else str(value)
            if value and value not in dict(self.choices):
                raise ValidationFailed(MonitoringErrorCode.CARD_VALUE, _("“%(v)s”不是有效的选项。") % {"v": value}, field=key)
            return value
        if self.kind == MONTHS:
            try:
                months = int(value or 0)
            except (TypeError, ValueError):
                raise ValidationFailed(MonitoringErrorCode.CARD_MONTHS, _("月数必须是0-12的整数。"), field=key) from None
            if not 0 <= months <= 12:
                raise ValidationFailed(MonitoringErrorCode.CARD_MONTHS, _("月数必须在0-12之间。"), field=key)
            return months
        if self.kind == MONEY:
            if value in (None, ""):
                return ""
            try:
                amount = Decimal(str(value).replace(",", "").strip())
            except InvalidOperation:
                raise ValidationFailed(MonitoringErrorCode.CARD_MONEY, _("“%(v)s”不是金额。") % {"v": value}, field=key) from None
            if not amount.is_finite() or amount < 0 or amount >= Decimal("1e9"):
                raise ValidationFailed(MonitoringErrorCode.CARD_MONEY, _("金额必须是非负数：%(v)s") % {"v": value}, field=key)
            return f"{amount.quantize(Decimal('0.01'))}"
        return str(value or "").strip()[:300]

    def shown(self, value) -> str:
        if value in (None, ""):
            return "—"
        if self.kind == BOOL:
            return _("是") if value else _("否")
        if self.kind == CHOICE:
            return str(dict(self.choices).get(value, value))
        if self.kind == MONTHS:
            return _("%(n)s个月") % {"n": value}
        if self.kind == MONEY:
            return _("%(v)s元") % {"v": value}
        return str(value)


def _choices(text_choices) -> tuple:
    return tuple(text_choices.choices)


@dataclass(frozen=True)
class CardItem:
    code: str
    label: str
    household_fields: tuple[CardField, ...] = ()
    member_fields: tuple[CardField, ...] = ()
    # Which members the item asks about (all by default): a card stays short on a phone.
    member_filter: object = field(default=None, compare=False)

    @property
    def fields(self) -> dict[str, CardField]:
        return {f.name: f for f in (*self.household_fields, *self.member_fields)}


def _of_school_age(member: Member, today: datetime.date) -> bool:
    return member.age_on(today) <= 25 or member.schooling not in ("", Schooling.NOT_IN_SCHOOL)


def _of_working_age(member: Member, today: datetime.date) -> bool:
    return 16 <= member.age_on(today) <= 65 or member.work_months > 0


ITEMS: tuple[CardItem, ...] = (
    CardItem("members", gettext_lazy("家庭成员"),
             household_fields=(CardField("member_note", gettext_lazy("人员增减情况"), TEXT),),
             member_fields=(
                 CardField("health", gettext_lazy("健康状况"), CHOICE, _choices(Health), registry=True),
                 CardField("disability_grade", gettext_lazy("残疾等级"), CHOICE, _choices(DisabilityGrade), registry=True),
                 CardField("labour_capacity", gettext_lazy("劳动技能"), CHOICE, _choices(LabourCapacity), registry=True),
             )),
    CardItem("income", gettext_lazy("收入"),
             household_fields=(
                 CardField("income_trend", gettext_lazy("收入变化"), CHOICE, tuple(Trend.CHOICES)),
                 CardField("income_estimate", gettext_lazy("预计今年家庭纯收入"), MONEY),
             )),
    CardItem("medical", gettext_lazy("医疗"),
             household_fields=(CardField("medical_spending", gettext_lazy("今年医疗自付（估）"), MONEY),),
             member_fields=(
                 CardField("medical_insurance", gettext_lazy("基本医疗保险"), CHOICE, _choices(MedicalInsurance),
                           registry=True),
             )),
    CardItem("education", gettext_lazy("教育"),
             household_fields=(CardField("education_spending", gettext_lazy("今年教育支出（估）"), MONEY),),
             member_fields=(CardField("schooling", gettext_lazy("在校生情况"), CHOICE, _choices(Schooling), registry=True),),
             member_filter=_of_school_age),
    CardItem("housing", gettext_lazy("住房"),
             household_fields=(CardField("house_grade", gettext_lazy("危房等级"), CHOICE, _choices(HouseGrade), registry=True),)),
    CardItem("water", gettext_lazy("饮水"),
             household_fields=(
                 CardField("water_quantity_ok", gettext_lazy("水量达标"), BOOL, registry=True),
                 CardField("water_quality_ok", gettext_lazy("水质达标"), BOOL, registry=True),
                 CardField("water_convenient_ok", gettext_lazy("用水方便"), BOOL, registry=True),
                 CardField("water_supply_ok", gettext_lazy("供水保证率达标"), BOOL, registry=True),
             )),
    CardItem("employment", gettext_lazy("就业"),
             member_fields=(
                 CardField("work_place", gettext_lazy("务工所在地"), CHOICE, _choices(WorkPlace), registry=True),
                 CardField("work_months", gettext_lazy("务工时间（月）"), MONTHS, registry=True),
             ),
             member_filter=_of_working_age),
    CardItem("industry", gettext_lazy("产业"),
             household_fields=(
                 CardField("industries", gettext_lazy("发展产业"), TEXT, registry=True),
                 CardField("cooperative_member", gettext_lazy("加入农民专业合作社"), BOOL, registry=True),
             )),
    CardItem("policies", gettext_lazy("享受政策"),
             household_fields=(CardField("other_policies", gettext_lazy("其他帮扶政策"), TEXT),),
             member_fields=(
                 CardField("dibao", gettext_lazy("享受低保"), BOOL, registry=True),
                 CardField("tekun", gettext_lazy("特困供养"), BOOL, registry=True),
                 CardField("welfare_post", gettext_lazy("公益岗位"), BOOL, registry=True),
             )),
)
RISKS = "risks"  # the tenth item: risks found, recorded as risk types and raised as a lead
ITEMS_BY_CODE = {item.code: item for item in ITEMS}
ITEM_LABELS = {**{item.code: item.label for item in ITEMS}, RISKS: gettext_lazy("风险")}
# Member fields the registry keeps as plain booleans (no "unknown").
NOT_NULL_BOOLEANS = {"dibao", "tekun", "welfare_post", "cooperative_member"}


def field_key(item: str, name: str, member_id=None) -> str:
    """The name of a card value in forms and error messages: `housing__house_grade`,
    `members__m12__health`."""
    return f"{item}__m{member_id}__{name}" if member_id is not None else f"{item}__{name}"


def _registry_value(obj, name: str):
    value = getattr(obj, name)
    if value is None:
        return None if name not in NOT_NULL_BOOLEANS else False
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def card_members(household: Household) -> list[Member]:
    return list(household.members.filter(ended_on__isnull=True).order_by("id"))


def build_card(household: Household, *, last_card: dict | None = None, members: list[Member] | None = None,
               today: datetime.date | None = None) -> dict:
    """The prefilled card: registry values as they are now; card-only values from the last visit."""
    today = today or timezone.localdate()
    members = card_members(household) if members is None else members
    previous = (last_card or {}).get("items", {})
    items = {}
    for item in ITEMS:
        values = {}
        for f in item.household_fields:
            values[f.name] = (_registry_value(household, f.name) if f.registry
                              else previous.get(item.code, {}).get(f.name, "" if f.kind != BOOL else None))
        if item.member_fields:
            values["members"] = {
                str(m.pk): {"name": m.name, **{f.name: _registry_value(m, f.name) for f in item.member_fields}}
                for m in members if item.member_filter is None or item.member_filter(m, today)
            }
        items[item.code] = values
    items["income"][REGISTRY_INCOME] = _registry_income(household)
    items[RISKS] = {"risk_types": []}
    return {"items": items}


REGISTRY_INCOME = "registry_income"  # read-only context on the income item: the latest yearly account


def _registry_income(household: Household) -> dict | None:
    income = (Income.objects.unrestricted().with_member_count().filter(household=household, quarter__isnull=True)
              .order_by("-year").first())
    if income is None:
        return None
    per_capita = income.per_capita_net_income
    return {"year": income.year, "per_capita": f"{per_capita:.2f}" if per_capita is not None else None}


def clean_changes(card: dict, changes: dict) -> dict:
    """Changes checked against the card: known items, fields and members, values parsed, and only
    values that really differ kept."""
    cleaned = {}
    for code, values in (changes or {}).items():
        item = ITEMS_BY_CODE.get(code)
        if item is None:
            raise ValidationFailed(MonitoringErrorCode.CARD_ITEM, _("监测卡没有“%(i)s”这一项。") % {"i": code}, field=code)
        current = card["items"][code]
        kept = {}
        for name, value in (values or {}).items():
            if name == "members":
                members = {}
                for member_id, member_values in (value or {}).items():
                    member_id = str(member_id)
                    if member_id not in current.get("members", {}):
                        raise ValidationFailed(MonitoringErrorCode.CARD_MEMBER, _("该成员不在本户在户成员中。"),
                                               field=field_key(code, "member", member_id))
                    differ = {}
                    for member_field, member_value in (member_values or {}).items():
                        spec = _field(item, member_field, code, member_id, member=True)
                        parsed = spec.parse(member_value, key=field_key(code, member_field, member_id))
                        if parsed != current["members"][member_id][member_field]:
                            differ[member_field] = parsed
                    if differ:
                        members[member_id] = differ
                if members:
                    kept["members"] = members
                continue
            spec = _field(item, name, code)
            parsed = spec.parse(value, key=field_key(code, name))
            if parsed != current[name]:
                kept[name] = parsed
        if kept:
            cleaned[code] = kept
    return cleaned


def _field(item: CardItem, name: str, code: str, member_id=None, *, member: bool = False) -> CardField:
    fields = item.member_fields if member else item.household_fields
    spec = next((f for f in fields if f.name == name), None)
    if spec is None:
        raise ValidationFailed(MonitoringErrorCode.CARD_FIELD, _("监测卡“%(i)s”没有“%(f)s”。") % {"i": item.label, "f": name},
                               field=field_key(code, name, member_id))
    return spec


def apply_changes(card: dict, changes: dict) -> dict:
    """The confirmed card: the prefilled card with the changes written in."""
    items = {code: {**values, **({"members": {mid: dict(mv) for mid, mv in values["members"].items()}}
                                 if "members" in values else {})}
             for code, values in card["items"].items()}
    for code, values in changes.items():
        for name, value in values.items():
            if name == "members":
                for member_id, member_values in value.items():
                    items[code]["members"][member_id].update(member_values)
            else:
                items[code][name] = value
    return {**card, "items": items}


def registry_updates(changes: dict) -> tuple[dict, dict[str, dict]]:
    """(household fields, {member id: member fields}) of the changes the registry keeps."""
    household, members = {}, {}
    for code, values in changes.items():
        item = ITEMS_BY_CODE[code]
        for name, value in values.items():
            if name == "members":
                for member_id, member_values in value.items():
                    bound = {k: v for k, v in member_values.items() if item.fields[k].registry}
                    if bound:
                        members.setdefault(member_id, {}).update(bound)
            elif item.fields[name].registry:
                household[name] = value
    return household, members


@dataclass
class ChangeLine:
    item: str
    label: str
    value: str


def describe_changes(changes: dict) -> list[ChangeLine]:
    """Changes as a person reads them: item, what changed (and whose), and the new value."""
    lines = []
    for code, values in (changes or {}).items():
        item = ITEMS_BY_CODE.get(code)
        if item is None:
            continue
        for name, value in values.items():
            if name == "members":
                for member_values in value.values():
                    who = member_values.get("name", "")
                    for member_field, member_value in member_values.items():
                        if member_field == "name":
                            continue
                        spec = item.fields[member_field]
                        lines.append(ChangeLine(str(item.label), f"{who} {spec.label}".strip(),
                                                spec.shown(member_value)))
            else:
                spec = item.fields[name]
                lines.append(ChangeLine(str(item.label), str(spec.label), spec.shown(value)))
    return lines


def summarise_item(item: CardItem, values: dict) -> str:
    """One line of current values for the card's "unchanged" state."""
    parts = []
    reference = values.get(REGISTRY_INCOME)
    if reference and reference.get("per_capita"):
        parts.append(_("%(y)s年人均纯收入%(v)s元（档案）") % {"y": reference["year"], "v": reference["per_capita"]})
    for f in item.household_fields:
        if values.get(f.name) not in (None, ""):
            parts.append(f"{f.label} {f.shown(values[f.name])}")
    for member in values.get("members", {}).values():
        shown = [str(f.label) if f.kind == BOOL else f.shown(member.get(f.name)) for f in item.member_fields
                 if member.get(f.name) not in (None, "", False, 0)]
        if shown:
            parts.append(f"{member['name']} {'·'.join(shown)}")
    if parts:
        return "；".join(parts)
    if item.member_fields and all(f.kind == BOOL for f in item.member_fields) and values.get("members"):
        return _("无")
    return _("未填写")
