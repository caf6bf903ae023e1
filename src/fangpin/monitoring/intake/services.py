"""The channels that bring leads in: self-declarations and tips from the public pages, lists pushed
down from the city or province, leads staff raise by hand; and what the inbox counts.

Every lead is written by `fangpin.monitoring.services` (lead_raise / lead_raise_for_person), which
merges it into an open lead of the same household and risk and opens a provisional household for a
person the registry does not know.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Min, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from fangpin.core.errors import PermissionDenied, ServiceError, ValidationFailed
from fangpin.core.roles import Perm, Role
from fangpin.core.tabular import InexactNumber, cell_error, read_table
from fangpin.monitoring.errors import MonitoringErrorCode
from fangpin.regions.models import SCOPE_PREFIX_LENGTH, Level, Place
from fangpin.registry.errors import RegistryErrorCode
from fangpin.registry.idnumber import normalise_text, parse_id_number
from fangpin.registry.phone import normalise_phone

from ..choices import MAX_RISK_TYPES, Channel, LeadStatus, RiskType
from ..models import Lead
from ..services import LeadOutcome, lead_raise, lead_raise_for_person
from . import ratelimit
from .words import PLAIN_STATUS, parse_risk_types, plain_risk_summary

NAME_MAX = 50
SUMMARY_MAX = 500


class TooManyRequests(ServiceError):
    status = 429


# ---------------------------------------------------------------- checks shared by the channels


def clean_person_name(value: str, *, field: str = "head_name", required: bool = True) -> str:
    name = "".join(normalise_text(str(value or "")).split())
    if not name and required:
        raise ValidationFailed(RegistryErrorCode.NAME_MISSING, _("请填写姓名。"), field=field)
    if len(name) > NAME_MAX:
        raise ValidationFailed(MonitoringErrorCode.NAME_TOO_LONG, _("姓名太长了（最多%(n)d个字）。") % {"n": NAME_MAX}, field=field)
    if name and any(ch.isdigit() for ch in name):
        raise ValidationFailed(MonitoringErrorCode.NAME_FORMAT, _("姓名里不能有数字。"), field=field)
    return name


def clean_phone(value: str, *, field: str = "phone", required: bool = True) -> str:
    phone = normalise_phone(value, field=field)
    if not phone and required:
        raise ValidationFailed(MonitoringErrorCode.PHONE_MISSING, _("请填写联系电话，查询办理进度时要用。"), field=field)
    return phone


def clean_risk_types(values, *, field: str = "risk_types") -> list[str]:
    chosen = list(dict.fromkeys(values or []))
    if not chosen:
        raise ValidationFailed(MonitoringErrorCode.RISK_TYPES_MISSING, _("请至少选一项遇到的困难。"), field=field)
    if any(value not in RiskType.values for value in chosen):
        raise ValidationFailed(MonitoringErrorCode.RISK_TYPE_UNKNOWN, _("选择的困难类型不对，请重新选择。"), field=field)
    if len(chosen) > MAX_RISK_TYPES:
        raise ValidationFailed(MonitoringErrorCode.RISK_TYPES_TOO_MANY, _("最多选%(n)d项。") % {"n": MAX_RISK_TYPES}, field=field)
    return chosen


def public_place(code: str, *, field: str = "village") -> Place:
    """A village (or group) the public pages may name: any that exists."""
    place = Place.objects.unrestricted().filter(code=normalise_text(str(code or "")), level__in=[Level.VILLAGE, Level.GROUP]).first()
    if place is None:
        raise ValidationFailed(MonitoringErrorCode.VILLAGE_UNKNOWN, _("请选择您所在的村。"), field=field)
    return place


def public_villages():
    """Every village, with its township and county, for the public place selects."""
    return (Place.objects.unrestricted().filter(level=Level.VILLAGE).select_related("parent__parent")
            .order_by("code"))


def intake_guard(kind: str, *, address: str, phone: str = "") -> None:
    """Refuse when this address (or phone) has already sent as much as the limits allow."""
    if ratelimit.Counter("refused_ip", address).exhausted():
        raise TooManyRequests(MonitoringErrorCode.TOO_MANY_REFUSED, _("提交不成功的次数太多，请一小时后再试，或拨打12317热线反映。"))
    for counter in ratelimit.counters(kind, address=address, phone=phone):
        if counter.exhausted():
            if counter.name.endswith("_phone"):
                raise TooManyRequests(MonitoringErrorCode.TOO_MANY_FOR_PHONE, _("这个电话号码今天已经提交过多次，不用重复提交。"
                                                              "需要补充情况请拨打12317热线。"), field="phone")
            raise TooManyRequests(MonitoringErrorCode.TOO_MANY_FROM_ADDRESS, _("提交次数太多，请一小时后再试，或拨打12317热线反映。"))


def intake_refused(*, address: str) -> None:
    """Count a refused submission (bad input, or the hidden field a robot fills in)."""
    ratelimit.Counter("refused_ip", address).hit()


def _count_accepted(kind: str, *, address: str, phone: str) -> None:
    for counter in ratelimit.counters(kind, address=address, phone=phone):
        counter.hit()


# ---------------------------------------------------------------- public channels


def declaration_submit(*, address: str, head_name: str, phone: str, id_number: str, place: Place,
                       risk_types, summary: str = "") -> Lead:
    """A farmer's self-declaration (农户自主申报) from the public page. Returns the lead, whose
    ack number the farmer keeps to check the status."""
    head_name = clean_person_name(head_name)
    phone = clean_phone(phone)
    resident = parse_id_number(id_number)
    risk_types = clean_risk_types(risk_types)
    intake_guard("declare", address=address, phone=phone)
    summary = (summary or "").strip()[:SUMMARY_MAX] or plain_risk_summary(risk_types)
    outcome = lead_raise_for_person(
        actor=None, channel=Channel.SELF_DECLARATION, place=place, person_name=head_name,
        id_number=resident.number, phone=phone, risk_types=risk_types, summary=summary,
        reporter_name=head_name, reporter_phone=phone, reporter_id_number=resident.number)
    _count_accepted("declare", address=address, phone=phone)
    return outcome.lead


def tip_submit(*, address: str, place: Place, risk_types, summary: str, person_name: str = "",
               id_number: str = "", reporter_name: str = "", reporter_phone: str = "",
               anonymous: bool = False) -> Lead:
    """A tip (社会监督举报) about a household, anonymous or not. With the person's ID number the lead
    goes to their household (or a provisional one); without it, to the place alone."""
    person_name = clean_person_name(person_name, field="person_name", required=False)
    number = parse_id_number(id_number, field="id_number").number if str(id_number or "").strip() else ""
    if anonymous:
        reporter_name, reporter_phone = "", ""
    reporter_name = clean_person_name(reporter_name, field="reporter_name", required=False)
    reporter_phone = clean_phone(reporter_phone, field="reporter_phone", required=False)
    risk_types = clean_risk_types(risk_types)
    summary = (summary or "").strip()[:SUMMARY_MAX]
    if not summary:
        raise ValidationFailed(MonitoringErrorCode.SUMMARY_MISSING, _("请写一写看到的情况。"), field="summary")
    if number and not person_name:
        raise ValidationFailed(RegistryErrorCode.NAME_MISSING, _("填了身份证号码，也请填上这个人的姓名。"), field="person_name")
    intake_guard("tip", address=address, phone=reporter_phone)
    fields = dict(actor=None, channel=Channel.TIP, risk_types=risk_types, summary=summary,
                  reporter_name=reporter_name, reporter_phone=reporter_phone, anonymous=anonymous)
    if number:
        outcome = lead_raise_for_person(place=place, person_name=person_name, id_number=number, **fields)
    else:
        outcome = lead_raise(place=place, evidence={"person_name": person_name} if person_name else {}, **fields)
    _count_accepted("tip", address=address, phone=reporter_phone)
    return outcome.lead


@dataclass(frozen=True)
class PublicStatus:
    """What the status page may show: the number, when it came in, and the status in plain words.
    Nothing else about the household."""

    ack_number: str
    raised_at: datetime.datetime
    status: str
    title: str
    text: str


def status_lookup(*, address: str, ack_number: str, phone: str) -> PublicStatus:
    """The status of a declaration or tip, for whoever holds both its ack number and the phone it
    was sent with. Every look-up counts against the address, so numbers cannot be guessed."""
    ack_number = "".join(normalise_text(str(ack_number or "")).split()).upper()
    if not ack_number:
        raise ValidationFailed(MonitoringErrorCode.ACK_MISSING, _("请填写受理编号。"), field="ack_number")
    phone = clean_phone(phone)
    counter = ratelimit.Counter("status_ip", address)
    if counter.exhausted():
        raise TooManyRequests(MonitoringErrorCode.TOO_MANY_LOOKUPS, _("查询次数太多，请一小时后再试。"))
    counter.hit()
    lead = Lead.objects.unrestricted().filter(ack_number=ack_number, reporter_phone=phone).first()
    if lead is None:
        raise ValidationFailed(MonitoringErrorCode.ACK_NOT_FOUND, _("没有找到这条申报。请核对受理编号和电话号码（要和申报时填的一样）。"))
    current, seen = lead, {lead.pk}
    while current.status == LeadStatus.MERGED and current.merged_into_id and current.merged_into_id not in seen:
        # A merged declaration is handled with the lead it joined: that one's status is the answer.
        current = Lead.objects.unrestricted().get(pk=current.merged_into_id)
        seen.add(current.pk)
    title, text = PLAIN_STATUS.get(current.status, PLAIN_STATUS[LeadStatus.NEW])
    return PublicStatus(ack_number=lead.ack_number, raised_at=lead.raised_at, status=current.status,
                        title=str(title), text=str(text))


# ---------------------------------------------------------------- staff


STAFF_CHANNELS = {
    Role.COUNTY_ADMIN: [Channel.CADRE_SWEEP, Channel.SELF_DECLARATION, Channel.TIP, Channel.PUSHED_LIST],
    Role.COUNTY_OFFICER: [Channel.CADRE_SWEEP, Channel.SELF_DECLARATION, Channel.TIP, Channel.PUSHED_LIST],
    Role.TOWNSHIP_OFFICER: [Channel.CADRE_SWEEP, Channel.SELF_DECLARATION, Channel.TIP],
    Role.VILLAGE_CADRE: [Channel.CADRE_SWEEP, Channel.SELF_DECLARATION, Channel.TIP],
    Role.GRID_WORKER: [Channel.CADRE_SWEEP, Channel.TIP],
    Role.HELPER: [Channel.HELPER_VISIT],
    Role.DEPARTMENT_CLERK: [Channel.DEPARTMENT],
}
"""The channels each role enters leads for by hand, its usual one first. A self-declaration keyed in
by staff is one taken by phone (12317) or in person: it gets an ack number to tell the farmer."""


def staff_channels(user) -> list[str]:
    if not user.has_perm_named(Perm.RAISE_LEAD):
        return []
    return list(STAFF_CHANNELS.get(user.role, []))


def lead_raise_by_staff(*, actor, channel: str, risk_types, summary: str, household=None, place: Place | None = None,
                        person_name: str = "", id_number: str = "", phone: str = "", reporter_name: str = "",
                        reporter_phone: str = "", disaster_subtype: str = "") -> LeadOutcome:
    """A lead staff enter by hand: for a household picked from the registry, for a person by ID
    number (their household, or a provisional one), or — tips only — for a place."""
    if channel not in staff_channels(actor):
        raise ValidationFailed(MonitoringErrorCode.CHANNEL_NOT_FOR_ROLE, _("您的角色不能登记这种来源的线索。"), field="channel")
    reporter_name = clean_person_name(reporter_name, field="reporter_name", required=False)
    reporter_phone = clean_phone(reporter_phone, field="reporter_phone", required=False)
    fields = dict(actor=actor, channel=channel, risk_types=risk_types, summary=summary,
                  disaster_subtype=disaster_subtype, reporter_name=reporter_name, reporter_phone=reporter_phone)
    if household is not None:
        return lead_raise(household=household, **fields)
    if place is None:
        raise ValidationFailed(MonitoringErrorCode.PLACE_MISSING, _("请选择所在村组。"), field="place")
    person_name = clean_person_name(person_name, field="person_name", required=bool(id_number))
    if str(id_number or "").strip():
        return lead_raise_for_person(place=place, person_name=person_name, id_number=id_number,
                                     phone=clean_phone(phone, required=False), **fields)
    if channel != Channel.TIP:
        raise ValidationFailed(RegistryErrorCode.ID_MISSING, _("请填写所涉人员的身份证号码（只有举报线索可以不填）。"),
                               field="id_number")
    return lead_raise(place=place, evidence={"person_name": person_name} if person_name else {}, **fields)


# ---------------------------------------------------------------- lists pushed from city or province

PUSHED_COLUMNS = {"id_number": "证件号码", "name": "姓名", "place_code": "区划代码", "risk_types": "风险类型",
                  "reason": "原因"}


@dataclass(frozen=True)
class PushedRow:
    row: int
    id_number: str
    name: str
    place: Place
    risk_types: list
    reason: str


@dataclass(frozen=True)
class PushedListResult:
    batch: str
    rows: int
    leads_new: int
    leads_merged: int


def can_upload_pushed_list(user) -> bool:
    return bool(user.has_perm_named(Perm.RAISE_LEAD) and user.place_id and user.place.level == Level.COUNTY)


def _require_county_uploader(actor) -> None:
    actor.require(Perm.RAISE_LEAD)
    if not can_upload_pushed_list(actor):
        raise PermissionDenied(MonitoringErrorCode.COUNTY_ONLY, _("上级推送名单由县级工作人员导入。"))


def _pushed_rows(path, actor) -> list[PushedRow]:
    """Every row checked; all problems raised together (row, column, value, reason)."""
    table = read_table(path, markers=list(PUSHED_COLUMNS.values()),
                       exact_columns=[PUSHED_COLUMNS["id_number"], PUSHED_COLUMNS["place_code"]])
    duplicates = table.duplicate_columns()
    if duplicates:
        raise ValidationFailed(MonitoringErrorCode.COLUMNS_DUPLICATE, _("表头中有重复的列：%(c)s") % {"c": "、".join(duplicates)})
    index = table.index()
    places = {p.code: p for p in Place.objects.restrict(actor).filter(level__in=[Level.VILLAGE, Level.GROUP])}
    rows, errors = [], []
    for number, values in table.rows():
        cell = {key: values[index[column]] for key, column in PUSHED_COLUMNS.items()}
        problems = []

        def refuse(key, reason, code):
            problems.append(cell_error(number, PUSHED_COLUMNS[key], cell[key], reason, code))

        resident = None
        if isinstance(cell["id_number"], InexactNumber):
            refuse("id_number", _("号码的后几位已丢失（Excel把长数字存成了科学计数法）。请把该列设为“文本”后重新填写。"),
                   "id_digits_lost")
        else:
            try:
                resident = parse_id_number(str(cell["id_number"]))
            except ValidationFailed as error:
                refuse("id_number", error.message, error.code)
        try:
            name = clean_person_name(str(cell["name"]), field="name")
        except ValidationFailed as error:
            name = ""
            refuse("name", error.message, error.code)
        place = places.get(normalise_text(str(cell["place_code"])))
        if place is None:
            refuse("place_code", _("不是本县的村或村民小组代码（12位村代码或15位组代码）。"), "place_unknown")
        try:
            risk_types = clean_risk_types(parse_risk_types(str(cell["risk_types"])))
        except ValidationFailed as error:
            risk_types = []
            refuse("risk_types", error.message, error.code)
        reason = str(cell["reason"]).strip()
        if not reason:
            refuse("reason", _("请写明推送原因。"), "reason_missing")
        elif len(reason) > SUMMARY_MAX:
            refuse("reason", _("原因太长（最多%(n)d字）。") % {"n": SUMMARY_MAX}, "reason_too_long")
        if problems:
            errors += problems
        else:
            rows.append(PushedRow(number, resident.number, name, place, risk_types, reason))
    if errors:
        raise ValidationFailed(MonitoringErrorCode.PUSHED_LIST_INVALID, _("名单有%(n)d处错误，没有写入任何数据。") % {"n": len(errors)},
                               details=errors)
    if not rows:
        raise ValidationFailed(MonitoringErrorCode.PUSHED_LIST_EMPTY, _("名单里没有数据行。"))
    return rows


@transaction.atomic
def pushed_list_import(path, *, actor, original_name: str, source: str) -> PushedListResult:
    """Leads from a list the city or province pushed down (上级推送), all or nothing: a list with any
    error writes no lead at all, and every error is reported."""
    _require_county_uploader(actor)
    source = (source or "").strip()
    if not source:
        raise ValidationFailed(MonitoringErrorCode.SOURCE_MISSING, _("请填写推送单位，例如“市乡村振兴局”。"), field="source")
    rows = _pushed_rows(path, actor)
    batch = uuid.uuid4().hex[:12]
    new = merged = 0
    errors = []
    for row in rows:
        evidence = {"source": source[:100], "file": original_name[:200], "row": row.row, "batch": batch}
        try:
            outcome = lead_raise_for_person(actor=actor, channel=Channel.PUSHED_LIST, place=row.place,
                                            person_name=row.name, id_number=row.id_number,
                                            risk_types=row.risk_types, summary=row.reason, evidence=evidence)
        except ServiceError as error:
            errors.append(cell_error(row.row, PUSHED_COLUMNS["id_number"], row.id_number, error.message, error.code))
            continue
        merged += outcome.merged
        new += not outcome.merged
    if errors:
        transaction.set_rollback(True)
        raise ValidationFailed(MonitoringErrorCode.PUSHED_LIST_INVALID, _("名单有%(n)d处错误，没有写入任何数据。") % {"n": len(errors)},
                               details=errors)
    return PushedListResult(batch=batch, rows=len(rows), leads_new=new, leads_merged=merged)


# ---------------------------------------------------------------- overdue acceptance


@dataclass
class TownshipOverdue:
    township: Place
    waiting: int
    overdue: int
    oldest_due: datetime.datetime | None


def overdue_by_township(leads, townships, now=None) -> list[TownshipOverdue]:
    """Per township: leads waiting for acceptance and those past their 2-day deadline. `leads` and
    `townships` are already restricted to the user's area; a township with nothing waiting is
    listed with zeros, so a quiet township shows as quiet rather than missing."""
    now = now or timezone.now()
    width = SCOPE_PREFIX_LENGTH[Level.TOWNSHIP]
    counts = (leads.filter(status=LeadStatus.NEW).annotate(township_prefix=Substr("place__code", 1, width))
              .order_by().values("township_prefix")
              .annotate(waiting=Count("pk"), overdue=Count("pk", filter=Q(accept_due__lt=now)),
                        oldest_due=Min("accept_due", filter=Q(accept_due__lt=now))))
    by_prefix = {row["township_prefix"]: row for row in counts}
    rows = []
    for township in townships:
        found = by_prefix.get(township.scope_prefix, {})
        rows.append(TownshipOverdue(township, found.get("waiting", 0), found.get("overdue", 0),
                                    found.get("oldest_due")))
    return sorted(rows, key=lambda r: (-r.overdue, -r.waiting, r.township.code))
