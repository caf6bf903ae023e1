"""Every write to the registry goes through these functions. Each runs in one transaction,
checks permission and area, keeps the invariants, and writes the change log."""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangpin.core.areas import county_of
from fangpin.core.audit import log_change, snapshot, update_logged
from fangpin.core.errors import Conflict, CoreErrorCode, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.roles import Perm, Role
from fangpin.core.scoping import ensure_in_area
from fangpin.regions.models import Level, Place
from fangpin.registry.errors import RegistryErrorCode

from .choices import EDITABLE_HOUSEHOLD_STATUSES, EndReason, HouseholdStatus, HouseholdType, Relation
from .idnumber import check_sex, normalise_text, parse_id_number
from .models import Household, Income, Member
from .phone import normalise_phone

HOUSEHOLD_FIELDS = {
    "address", "phone", "household_type", "exit_year", "relocated", "relocation_site", "house_grade",
    "house_area", "water_safe", "water_quantity_ok", "water_quality_ok", "water_convenient_ok",
    "water_supply_ok", "cultivated_land_mu", "forest_land_mu", "cooperative_member", "industries",
    "helper", "grid_worker", "place",
}
MEMBER_FIELDS = {
    "name", "id_number", "relation", "sex", "ethnicity", "education", "schooling", "health",
    "disability_grade", "labour_capacity", "work_place", "work_months", "medical_insurance",
    "critical_illness_insurance", "pension_insurance", "supplementary_insurance", "dibao", "tekun",
    "welfare_post", "welfare_post_months", "joined_on",
}
EXIT_YEARS = range(2014, 2021)


# ---------------------------------------------------------------- validation helpers


def _check_version(obj, version: int | None) -> None:
    if version is not None and int(version) != obj.version:
        raise Conflict(
            CoreErrorCode.STALE_VERSION,
            _("“%(obj)s”已被他人修改，请刷新后重新填写。") % {"obj": obj},
        )


def _unknown(fields: dict, allowed: set) -> None:
    extra = set(fields) - allowed
    if extra:
        raise ValidationFailed(CoreErrorCode.UNKNOWN_FIELD, _("不能修改这些字段：%(f)s") % {"f": ", ".join(sorted(extra))})


def validate_household_fields(data: dict) -> dict:
    """Normalise and check household fields; raises ValidationFailed naming the field."""
    data = dict(data)
    if "phone" in data:
        data["phone"] = normalise_phone(data["phone"] or "", field="phone")
    htype = data.get("household_type")
    if htype is not None and htype not in HouseholdType.values:
        raise ValidationFailed(RegistryErrorCode.HOUSEHOLD_TYPE, _("户类型必须是脱贫户或一般农户。"), field="household_type")
    if htype == HouseholdType.EXITED:
        if data.get("exit_year") in (None, ""):
            raise ValidationFailed(RegistryErrorCode.EXIT_YEAR_MISSING, _("脱贫户必须填写脱贫年度（2014-2020）。"), field="exit_year")
    if data.get("exit_year") not in (None, ""):
        try:
            year = int(normalise_text(str(data["exit_year"])))
        except ValueError:
            raise ValidationFailed(
                RegistryErrorCode.EXIT_YEAR_FORMAT, _("脱贫年度必须是年份：“%(y)s”") % {"y": data["exit_year"]}, field="exit_year"
            ) from None
        if year not in EXIT_YEARS:
            raise ValidationFailed(
                RegistryErrorCode.EXIT_YEAR_RANGE, _("脱贫年度%(y)s不在2014-2020之间。") % {"y": year}, field="exit_year"
            )
        if htype == HouseholdType.ORDINARY:
            raise ValidationFailed(RegistryErrorCode.EXIT_YEAR_ORDINARY, _("一般农户不能有脱贫年度。"), field="exit_year")
        data["exit_year"] = year
    elif "exit_year" in data:
        data["exit_year"] = None
    for field in ("house_area", "cultivated_land_mu", "forest_land_mu"):
        if field in data and data[field] not in (None, ""):
            data[field] = parse_money(data[field], field=field)
        elif field in data:
            data[field] = None
    details = [data.get(k) for k in ("water_quantity_ok", "water_quality_ok", "water_convenient_ok",
                                     "water_supply_ok")]
    if any(d is False for d in details):
        data["water_safe"] = False
    elif all(d is True for d in details):
        data["water_safe"] = True
    place = data.get("place")
    if place is not None and place.level not in (Level.VILLAGE, Level.GROUP):
        raise ValidationFailed(CoreErrorCode.PLACE_LEVEL, _("农户必须属于村或村民小组。"), field="place")
    return data


def parse_money(value, *, field: str) -> Decimal:
    """Yuan amount ≥ 0 with at most two decimals; tolerates thousands separators and a trailing 元."""
    if isinstance(value, Decimal):
        amount = value
    else:
        text = normalise_text(str(value)).replace(",", "").replace("，", "").removesuffix("元").strip()
        if text == "":
            return Decimal("0.00")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValidationFailed(CoreErrorCode.MONEY_FORMAT, _("“%(v)s”不是金额。") % {"v": value}, field=field) from None
    if not amount.is_finite():
        raise ValidationFailed(CoreErrorCode.MONEY_FORMAT, _("“%(v)s”不是金额。") % {"v": value}, field=field)
    if amount < 0:
        raise ValidationFailed(CoreErrorCode.MONEY_NEGATIVE, _("金额不能为负数：%(v)s") % {"v": value}, field=field)
    if amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed(CoreErrorCode.MONEY_DECIMALS, _("金额最多两位小数：%(v)s") % {"v": value}, field=field)
    if amount >= Decimal("10000000000"):
        raise ValidationFailed(CoreErrorCode.MONEY_TOO_LARGE, _("金额过大：%(v)s") % {"v": value}, field=field)
    return amount.quantize(Decimal("0.01"))


def validate_member_fields(data: dict) -> dict:
    data = dict(data)
    if "name" in data:
        name = normalise_text(data["name"] or "").replace(" ", "")
        if not name:
            raise ValidationFailed(RegistryErrorCode.NAME_MISSING, _("姓名不能为空。"), field="name")
        data["name"] = name
    if "id_number" in data:
        resident = parse_id_number(data["id_number"], field="id_number")
        check_sex(resident, data.get("sex"), field="sex")
        data["id_number"] = resident.number
        data["sex"] = resident.sex
        data["birth_date"] = resident.birth_date
    if data.get("health") == "disabled" and not data.get("disability_grade"):
        raise ValidationFailed(RegistryErrorCode.DISABILITY_GRADE_MISSING, _("残疾成员必须填写残疾等级。"), field="disability_grade")
    if data.get("health") not in (None, "disabled") and data.get("disability_grade"):
        data["disability_grade"] = ""
    for field in ("work_months", "welfare_post_months"):
        if field in data:
            try:
                months = int(data[field] or 0)
            except (TypeError, ValueError):
                raise ValidationFailed(RegistryErrorCode.MONTHS_FORMAT, _("月数必须是0-12的整数。"), field=field) from None
            if not 0 <= months <= 12:
                raise ValidationFailed(RegistryErrorCode.MONTHS_RANGE, _("月数必须在0-12之间：%(v)s") % {"v": months}, field=field)
            data[field] = months
    return data


def _guard_head_count(household: Household) -> None:
    heads = household.members.filter(ended_on__isnull=True, relation=Relation.HEAD).count()
    active = household.members.filter(ended_on__isnull=True).count()
    if active and heads != 1:
        raise ValidationFailed(
            RegistryErrorCode.HEAD_COUNT,
            _("农户%(n)s必须恰有一名户主，现有%(h)d名。") % {"n": household.number, "h": heads},
            field="relation",
        )


def _guard_person_free(id_number: str, *, actor, except_member: Member | None = None) -> None:
    clash = Member.objects.unrestricted().filter(id_number=id_number, ended_on__isnull=True)
    if except_member is not None:
        clash = clash.exclude(pk=except_member.pk)
    other = clash.select_related("household__place").first()
    if other is None:
        return
    if other.household.place.code.startswith(actor.area_prefix):
        raise ValidationFailed(RegistryErrorCode.PERSON_IN_OTHER_HOUSEHOLD, _("证件号码%(id)s的成员已在农户%(n)s中；请先办理迁出或转户。") % {
            "id": id_number, "n": other.household.number}, field="id_number")
    # The other household lies outside the actor's area: the answer must not tell that the person is
    # in the registry at all (an existence oracle), so it is the refusal of any number this user may
    # not register here.
    raise id_number_refused(id_number)


def id_number_refused(id_number: str) -> ValidationFailed:
    """The refusal of an ID number a user may not register, worded alike whatever the cause that
    lies outside their area (the person is in a household elsewhere, or a concurrent write put them
    there first): it says neither whether nor where the person is registered."""
    return ValidationFailed(
        RegistryErrorCode.ID_NUMBER_REFUSED,
        _("证件号码%(id)s不能在此登记。请核对号码；号码无误的，请联系县级管理员核实后办理。") % {"id": id_number},
        field="id_number")


def _lock(model, pk):
    return model.objects.unrestricted().select_for_update().select_related("place" if model is Household else "household__place").get(pk=pk)


# ---------------------------------------------------------------- households


@transaction.atomic
def household_create(*, actor, place: Place, number: str, head: dict, members: list[dict] = (), **fields) -> Household:
    """Register a household with its head (and optionally other members)."""
    ensure_in_area(actor, place, Perm.EDIT_REGISTRY)
    number = normalise_text(str(number or ""))
    if not number.isdigit():
        raise ValidationFailed(RegistryErrorCode.HOUSEHOLD_NUMBER, _("户编号只能是数字：“%(v)s”") % {"v": number}, field="number")
    _unknown(fields, HOUSEHOLD_FIELDS - {"place"})
    fields = validate_household_fields({**fields, "place": place})
    _check_assignees(fields, place=place)
    county = county_of(place)
    if Household.objects.unrestricted().filter(county=county, number=number).exists():
        raise ValidationFailed(RegistryErrorCode.HOUSEHOLD_NUMBER_TAKEN, _("户编号%(n)s已存在。") % {"n": number}, field="number")
    household = Household.objects.create(county=county, number=number, **fields)
    log_change(household, ChangeLog.Action.CREATE, actor=actor)
    member_add(actor=actor, household=household, **{**head, "relation": Relation.HEAD}, _defer_head_check=True)
    for member in members:
        member_add(actor=actor, household=household, **member, _defer_head_check=True)
    _guard_head_count(household)
    return household


@transaction.atomic
def household_update(*, actor, household: Household, version: int | None = None, reason: str = "", **fields) -> Household:
    household = _lock(Household, household.pk)
    ensure_in_area(actor, household, Perm.EDIT_REGISTRY)
    _require_active(household)
    _check_version(household, version)
    _unknown(fields, HOUSEHOLD_FIELDS)
    merged = validate_household_fields({
        "household_type": household.household_type,
        "exit_year": household.exit_year,
        **{k: getattr(household, k) for k in ("water_quantity_ok", "water_quality_ok",
                                              "water_convenient_ok", "water_supply_ok")},
        **fields,
    })
    if "place" in fields:
        ensure_in_area(actor, fields["place"], Perm.EDIT_REGISTRY)
    _check_assignees(fields, place=fields.get("place") or household.place)
    update_logged(household, merged, actor=actor, reason=reason)
    return household


ASSIGNEE_ROLES = {
    "helper": {Role.HELPER, Role.VILLAGE_CADRE, Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER},
    "grid_worker": {Role.GRID_WORKER, Role.VILLAGE_CADRE},
}


def _check_assignees(fields: dict, *, place: Place) -> None:
    """A helper or grid worker must hold a fitting role and work in an area that covers the household."""
    for field, roles in ASSIGNEE_ROLES.items():
        user = fields.get(field)
        if user is None:
            continue
        label = Household._meta.get_field(field).verbose_name
        if not user.is_active or user.role not in roles:
            raise ValidationFailed(RegistryErrorCode.ASSIGNEE_ROLE, _("%(u)s不能担任%(f)s。") % {"u": user.display_name, "f": label},
                                   field=field)
        if not place.code.startswith(user.area_prefix):
            raise ValidationFailed(RegistryErrorCode.ASSIGNEE_AREA, _("%(u)s的辖区不包括该农户，不能担任%(f)s。") % {
                "u": user.display_name, "f": label}, field=field)


def _require_active(household: Household) -> None:
    if household.status not in EDITABLE_HOUSEHOLD_STATUSES:
        raise ValidationFailed(
            RegistryErrorCode.HOUSEHOLD_ENDED, _("农户%(n)s已%(s)s，不能再修改。") % {"n": household.number, "s": household.get_status_display()}
        )


@transaction.atomic
def household_dissolve(*, actor, household: Household, on: datetime.date | None = None, reason: str) -> Household:
    """End a household whose members have all left or died. History stays."""
    household = _lock(Household, household.pk)
    ensure_in_area(actor, household, Perm.EDIT_REGISTRY)
    _require_active(household)
    if not reason:
        raise ValidationFailed(CoreErrorCode.REASON_MISSING, _("请填写销户原因。"), field="reason")
    on = on or timezone.localdate()
    for member in household.members.filter(ended_on__isnull=True):
        member_end(actor=actor, member=member, on=on, reason=EndReason.HOUSEHOLD_DISSOLVED, _allow_headless=True)
    before = snapshot(household)
    household.status, household.ended_on = HouseholdStatus.DISSOLVED, on
    household.version += 1
    household.save()
    log_change(household, ChangeLog.Action.END, actor=actor, before=before, reason=reason)
    return household


@transaction.atomic
def household_merge(*, actor, source: Household, target: Household, on: datetime.date | None = None, reason: str) -> Household:
    """Move every active member of `source` into `target` (not as head) and end `source`."""
    first, second = sorted([source.pk, target.pk])
    locked = {pk: _lock(Household, pk) for pk in (first, second)}
    source, target = locked[source.pk], locked[target.pk]
    if source.pk == target.pk:
        raise ValidationFailed(RegistryErrorCode.MERGE_SAME, _("不能与自身合户。"))
    for household in (source, target):
        ensure_in_area(actor, household, Perm.EDIT_REGISTRY)
        _require_active(household)
    if not reason:
        raise ValidationFailed(CoreErrorCode.REASON_MISSING, _("请填写合户原因。"), field="reason")
    on = on or timezone.localdate()
    for member in source.members.filter(ended_on__isnull=True).order_by("id"):
        relation = Relation.OTHER if member.relation == Relation.HEAD else member.relation
        member_move(actor=actor, member=member, to=target, relation=relation, on=on, _allow_headless=True)
    before = snapshot(source)
    source.status, source.ended_on, source.merged_into = HouseholdStatus.MERGED, on, target
    source.version += 1
    source.save()
    log_change(source, ChangeLog.Action.END, actor=actor, before=before, reason=reason)
    return target


PROVISIONAL_NUMBER_PREFIX = "9"


@transaction.atomic
def household_open_provisional(*, actor, place: Place, head_name: str, id_number: str, phone: str = "",
                               reason: str) -> Household:
    """Open a household for a person a lead names who is not in the registry. It stays provisional
    until verification confirms it (`household_confirm_provisional`) or dissolves it. `actor` is None
    when the lead came through a public channel."""
    if actor is not None:
        ensure_in_area(actor, place, Perm.RAISE_LEAD)
    if place.level not in (Level.VILLAGE, Level.GROUP):
        raise ValidationFailed(CoreErrorCode.PLACE_LEVEL, _("农户必须属于村或村民小组。"), field="place")
    head = validate_member_fields({"name": head_name, "id_number": id_number})
    county = county_of(place)
    # Provisional numbers are 9 0000 and a sequence: a shape county household numbers do not take.
    taken = Household.objects.unrestricted().filter(county=county, number__startswith=PROVISIONAL_NUMBER_PREFIX + "0000")
    last = taken.order_by("-number").values_list("number", flat=True).first()
    sequence = int(last[5:]) + 1 if last else 1
    household = Household.objects.create(
        county=county, number=f"{PROVISIONAL_NUMBER_PREFIX}0000{sequence:08d}", place=place,
        phone=normalise_phone(phone or "", field="phone"), household_type=HouseholdType.ORDINARY,
        status=HouseholdStatus.PROVISIONAL,
    )
    log_change(household, ChangeLog.Action.CREATE, actor=actor, reason=reason)
    try:
        with transaction.atomic():
            member = Member.objects.create(household=household, relation=Relation.HEAD, **head)
    except IntegrityError:
        raise id_number_refused(head["id_number"]) from None
    log_change(member, ChangeLog.Action.CREATE, actor=actor, reason=reason)
    return household


@transaction.atomic
def household_confirm_provisional(*, actor, household: Household, number: str, reason: str = "") -> Household:
    """Verification found the household real: it gets its registry number and becomes active."""
    household = _lock(Household, household.pk)
    ensure_in_area(actor, household, Perm.EDIT_REGISTRY)
    if household.status != HouseholdStatus.PROVISIONAL:
        raise ValidationFailed(RegistryErrorCode.NOT_PROVISIONAL, _("农户%(n)s不是待核实农户。") % {"n": household.number})
    number = normalise_text(str(number or ""))
    if not number.isdigit():
        raise ValidationFailed(RegistryErrorCode.HOUSEHOLD_NUMBER, _("户编号只能是数字：“%(v)s”") % {"v": number}, field="number")
    if Household.objects.unrestricted().filter(county=household.county, number=number).exclude(pk=household.pk).exists():
        raise ValidationFailed(RegistryErrorCode.HOUSEHOLD_NUMBER_TAKEN, _("户编号%(n)s已存在。") % {"n": number}, field="number")
    before = snapshot(household)
    household.number, household.status = number, HouseholdStatus.ACTIVE
    household.version += 1
    household.save()
    log_change(household, ChangeLog.Action.UPDATE, actor=actor, before=before, reason=reason or _("核实后转为在册农户"))
    return household


# ---------------------------------------------------------------- members


@transaction.atomic
def member_add(*, actor, household: Household, _defer_head_check: bool = False, **fields) -> Member:
    household = _lock(Household, household.pk)
    ensure_in_area(actor, household, Perm.EDIT_REGISTRY)
    _require_active(household)
    _unknown(fields, MEMBER_FIELDS)
    for required, code in (("name", RegistryErrorCode.NAME_MISSING), ("id_number", RegistryErrorCode.ID_NUMBER_MISSING),
                           ("relation", RegistryErrorCode.RELATION_MISSING)):
        if not fields.get(required):
            raise ValidationFailed(code, _("缺少必填项：%(f)s") % {
                "f": Member._meta.get_field(required).verbose_name}, field=required)
    data = validate_member_fields(fields)
    _guard_person_free(data["id_number"], actor=actor)
    if data["relation"] == Relation.HEAD and household.members.filter(
            ended_on__isnull=True, relation=Relation.HEAD).exists():
        raise ValidationFailed(RegistryErrorCode.HEAD_EXISTS, _("该户已有户主；请先变更户主。"), field="relation")
    member = Member(household=household, **data)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        raise id_number_refused(data["id_number"]) from None
    log_change(member, ChangeLog.Action.CREATE, actor=actor)
    if not _defer_head_check:
        _guard_head_count(household)
    return member


@transaction.atomic
def member_update(*, actor, member: Member, version: int | None = None, reason: str = "", **fields) -> Member:
    member = _lock(Member, member.pk)
    ensure_in_area(actor, member, Perm.EDIT_REGISTRY)
    if not member.is_active:
        raise ValidationFailed(RegistryErrorCode.MEMBER_ENDED, _("该成员已离户，不能修改。"))
    _check_version(member, version)
    _unknown(fields, MEMBER_FIELDS)
    current = {k: getattr(member, k) for k in ("health", "disability_grade")}
    data = validate_member_fields({**current, **fields})
    if "id_number" in data:
        _guard_person_free(data["id_number"], actor=actor, except_member=member)
    if data.get("relation") == Relation.HEAD and member.relation != Relation.HEAD:
        # The former head steps down in the same transaction: a household always has exactly one.
        for old in member.household.members.filter(ended_on__isnull=True, relation=Relation.HEAD):
            update_logged(old, {"relation": Relation.OTHER}, actor=actor, reason=_("变更户主"))
    update_logged(member, data, actor=actor, reason=reason)
    _guard_head_count(member.household)
    return member


@transaction.atomic
def member_end(*, actor, member: Member, on: datetime.date | None = None, reason: str,
               _allow_headless: bool = False) -> Member:
    """A member moves out or dies. The head can only leave once another member is head."""
    member = _lock(Member, member.pk)
    ensure_in_area(actor, member, Perm.EDIT_REGISTRY)
    if not member.is_active:
        raise ValidationFailed(RegistryErrorCode.MEMBER_ENDED, _("该成员已离户。"))
    if reason not in EndReason.values:
        raise ValidationFailed(RegistryErrorCode.END_REASON, _("离户原因无效：%(r)s") % {"r": reason}, field="reason")
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationFailed(RegistryErrorCode.END_IN_FUTURE, _("离户日期不能晚于今天。"), field="on")
    if member.joined_on and on < member.joined_on:
        raise ValidationFailed(RegistryErrorCode.END_BEFORE_JOIN, _("离户日期不能早于入户日期。"), field="on")
    if (member.relation == Relation.HEAD and not _allow_headless
            and member.household.members.filter(ended_on__isnull=True).exclude(pk=member.pk).exists()):
        raise ValidationFailed(RegistryErrorCode.HEAD_LEAVING, _("户主离户前请先指定新户主。"), field="relation")
    before = snapshot(member)
    member.ended_on, member.end_reason = on, reason
    member.version += 1
    member.save()
    log_change(member, ChangeLog.Action.END, actor=actor, before=before, reason=EndReason(reason).label)
    return member


@transaction.atomic
def member_move(*, actor, member: Member, to: Household, relation: str, on: datetime.date | None = None,
                _allow_headless: bool = False) -> Member:
    """Move a person to another household: the old membership ends, a new one starts."""
    ensure_in_area(actor, to, Perm.EDIT_REGISTRY)
    if relation == Relation.HEAD:
        raise ValidationFailed(RegistryErrorCode.MOVE_AS_HEAD, _("转入成员不能直接成为户主；转入后再变更户主。"), field="relation")
    old = member_end(actor=actor, member=member, on=on, reason=EndReason.MOVED_TO_HOUSEHOLD,
                     _allow_headless=_allow_headless)
    fields = {k: getattr(old, k) for k in MEMBER_FIELDS if k not in ("joined_on",)}
    return member_add(actor=actor, household=to, **{**fields, "relation": relation, "joined_on": old.ended_on})


# ---------------------------------------------------------------- incomes


@transaction.atomic
def income_set(*, actor, household: Household, year: int, quarter: int | None = None,
               version: int | None = None, reason: str = "", **amounts) -> Income:
    """Create or update the income and spending of a household for a year (or a quarter)."""
    household = _lock(Household, household.pk)
    ensure_in_area(actor, household, Perm.EDIT_REGISTRY)
    _require_active(household)
    this_year = timezone.localdate().year
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationFailed(RegistryErrorCode.YEAR_FORMAT, _("年度必须是数字。"), field="year") from None
    if not 2014 <= year <= this_year:
        raise ValidationFailed(RegistryErrorCode.YEAR_RANGE, _("年度%(y)s不在2014-%(t)s之间。") % {"y": year, "t": this_year}, field="year")
    if quarter not in (None, "", 1, 2, 3, 4, "1", "2", "3", "4"):
        raise ValidationFailed(RegistryErrorCode.QUARTER_RANGE, _("季度必须是1-4。"), field="quarter")
    quarter = int(quarter) if quarter not in (None, "") else None
    _unknown(amounts, set(Income.MONEY_FIELDS))
    parsed = {k: parse_money(v, field=k) for k, v in amounts.items()}
    income = Income.objects.unrestricted().select_for_update().filter(household=household, year=year, quarter=quarter).first()
    if income is None:
        income = Income.objects.create(household=household, year=year, quarter=quarter, **parsed)
        log_change(income, ChangeLog.Action.CREATE, actor=actor, reason=reason)
        return income
    _check_version(income, version)
    update_logged(income, parsed, actor=actor, reason=reason)
    return income


