"""Monitoring standards and risk leads: every write goes through these functions."""

import datetime
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangpin.core.areas import county_of
from fangpin.core.audit import log_change, snapshot
from fangpin.core.errors import CoreErrorCode, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.policy import policy_adopt, policy_recorded
from fangpin.core.roles import Perm
from fangpin.core.scoping import ensure_in_area
from fangpin.monitoring.errors import MonitoringErrorCode
from fangpin.regions.models import Level, Place
from fangpin.registry.errors import RegistryErrorCode
from fangpin.registry.idnumber import parse_id_number
from fangpin.registry.models import Member
from fangpin.registry.services import household_open_provisional, id_number_refused

from .choices import MAX_RISK_TYPES, OPEN_LEAD_STATUSES, Channel, DisasterSubtype, LeadStatus, LineMethod, RiskType
from .models import IntakePolicy, Lead, Thresholds

ACK_PREFIX = {Channel.SELF_DECLARATION: "SB", Channel.TIP: "JB"}


# ---------------------------------------------------------------- monitoring standards


def _decimal(value, *, field: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed(CoreErrorCode.NUMBER_FORMAT, _("“%(v)s”不是数字。") % {"v": value}, field=field) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationFailed(CoreErrorCode.NUMBER_RANGE, _("“%(v)s”必须是非负数。") % {"v": value}, field=field)
    return amount


def compute_monitoring_line(method: str, parameters: dict) -> Decimal:
    """Yuan per person per year from a method and its parameters:
    fixed {amount}; poverty_multiple {standard, multiple}; last_year_plus {last_year, percent};
    dibao_multiple {dibao_monthly, multiple} (12 months of the rural 低保 standard times k)."""
    needed = {
        LineMethod.FIXED: ("amount",),
        LineMethod.POVERTY_STANDARD_MULTIPLE: ("standard", "multiple"),
        LineMethod.LAST_YEAR_PLUS: ("last_year", "percent"),
        LineMethod.DIBAO_MULTIPLE: ("dibao_monthly", "multiple"),
    }
    if method not in needed:
        raise ValidationFailed(MonitoringErrorCode.LINE_METHOD, _("未知的监测线测算方法：%(m)s") % {"m": method}, field="line_method")
    missing = [key for key in needed[method] if parameters.get(key) in (None, "")]
    if missing:
        raise ValidationFailed(MonitoringErrorCode.LINE_PARAMETERS_MISSING, _("缺少测算参数：%(k)s") % {"k": "、".join(missing)},
                               field=missing[0])
    p = {key: _decimal(parameters[key], field=key) for key in needed[method]}
    if method == LineMethod.FIXED:
        line = p["amount"]
    elif method == LineMethod.POVERTY_STANDARD_MULTIPLE:
        line = p["standard"] * p["multiple"]
    elif method == LineMethod.LAST_YEAR_PLUS:
        line = p["last_year"] * (1 + p["percent"] / 100)
    else:
        line = p["dibao_monthly"] * 12 * p["multiple"]
    if line <= 0:
        raise ValidationFailed(MonitoringErrorCode.LINE_ZERO, _("监测线必须大于0。"), field="line_parameters")
    return line.quantize(Decimal("0.01"))


THRESHOLD_FIELDS = {
    "watch_band_ratio", "income_drop_ratio", "reference_income", "medical_warning_amount",
    "medical_warning_income_share", "medical_warning_reference_share_exited",
    "medical_warning_reference_share_other", "education_warning_amount", "education_warning_income_share",
    "disaster_warning_amount", "disaster_warning_income_share", "stable_employment_months",
}
RATIO_FIELDS = {f for f in THRESHOLD_FIELDS if f.endswith(("_ratio", "_share", "_exited", "_other"))}


@transaction.atomic
def thresholds_adopt(*, actor, county: Place, effective_from: datetime.date, year: int, line_method: str,
                     line_parameters: dict, note: str = "", **fields) -> Thresholds:
    """Adopt a new version of the county's monitoring standard. Earlier versions stay as they were."""
    ensure_in_area(actor, county, Perm.MANAGE_THRESHOLDS)
    extra = set(fields) - THRESHOLD_FIELDS
    if extra:
        raise ValidationFailed(CoreErrorCode.UNKNOWN_FIELD, _("未知字段：%(f)s") % {"f": ", ".join(sorted(extra))})
    values = {}
    for key, value in fields.items():
        if value in (None, ""):
            values[key] = None
            continue
        if key == "stable_employment_months":
            values[key] = int(_decimal(value, field=key))
            if values[key] > 12:
                raise ValidationFailed(RegistryErrorCode.MONTHS_RANGE, _("月数必须在0-12之间。"), field=key)
            continue
        values[key] = _decimal(value, field=key)
        if key in RATIO_FIELDS and values[key] > 10:
            raise ValidationFailed(MonitoringErrorCode.RATIO_RANGE, _("比例请填小数，例如0.3表示30%%：%(v)s") % {"v": value}, field=key)
    for key in ("watch_band_ratio", "income_drop_ratio", "stable_employment_months"):
        if key in values and values[key] is None:
            del values[key]  # these have defaults
    line = compute_monitoring_line(line_method, line_parameters or {})
    return policy_adopt(Thresholds, actor=actor, county=county, effective_from=effective_from, note=note,
                        year=int(year), line_method=line_method, monitoring_line=line,
                        line_parameters={k: str(v) for k, v in (line_parameters or {}).items()}, **values)


def thresholds_in_force(county: Place, on: datetime.date | None = None) -> Thresholds:
    on = on or timezone.localdate()
    thresholds = Thresholds.objects.in_force(county, on)
    if thresholds is None:
        raise ValidationFailed(MonitoringErrorCode.NO_THRESHOLDS, _("%(c)s在%(d)s尚无生效的监测标准，请县级管理员先制定。") % {
            "c": county.name, "d": on.isoformat()})
    return thresholds


# ---------------------------------------------------------------- leads


def acceptance_due(place: Place, at: datetime.datetime) -> tuple[datetime.datetime, IntakePolicy]:
    """When a lead raised at `at` in `place` must be accepted by, and the version of the county's
    intake policy (in force on that day) the deadline comes from; the lead keeps both."""
    policy = policy_recorded(IntakePolicy, county_of(place), timezone.localdate(at))
    return at + datetime.timedelta(days=policy.accept_within_days), policy


@dataclass(frozen=True)
class LeadOutcome:
    lead: Lead
    created: bool  # False: the same screening lead already existed, nothing was added
    merged: bool  # True: an open lead for the household and risk existed; this one was merged into it


def _clean_risk_types(risk_types) -> list[str]:
    cleaned = list(dict.fromkeys(risk_types or []))
    if not cleaned:
        raise ValidationFailed(MonitoringErrorCode.RISK_TYPES_MISSING, _("请至少选择一种风险类型。"), field="risk_types")
    unknown = [r for r in cleaned if r not in RiskType.values]
    if unknown:
        raise ValidationFailed(MonitoringErrorCode.RISK_TYPE_UNKNOWN, _("未知的风险类型：%(r)s") % {"r": ", ".join(unknown)},
                               field="risk_types")
    if len(cleaned) > MAX_RISK_TYPES:
        raise ValidationFailed(MonitoringErrorCode.RISK_TYPES_TOO_MANY, _("风险类型最多%(n)d种。") % {"n": MAX_RISK_TYPES},
                               field="risk_types")
    return cleaned


def _new_ack_number(channel: str) -> str:
    prefix = ACK_PREFIX.get(channel, "XS")
    today = timezone.localdate()
    while True:
        number = f"{prefix}{today:%Y%m%d}{secrets.randbelow(10**6):06d}"
        if not Lead.objects.unrestricted().filter(ack_number=number).exists():
            return number


@transaction.atomic
def lead_raise(*, actor, channel: str, risk_types, summary: str, household=None, place: Place | None = None,
               evidence: dict | None = None, disaster_subtype: str = "", rule_code: str = "",
               rule_version: int | None = None, thresholds: Thresholds | None = None, period: str = "",
               figures: dict | None = None, screening_run=None, reporter_name: str = "",
               reporter_phone: str = "", reporter_id_number: str = "", anonymous: bool = False) -> LeadOutcome:
    """Record a lead from any channel. `actor` is None for the public channels (self-declaration,
    anonymous tips); otherwise the actor must hold RAISE_LEAD (or RUN_SCREENING) in the place's area.
    A lead for a household that already has an open lead for one of the same risks is merged into it."""
    if channel not in Channel.values:
        raise ValidationFailed(MonitoringErrorCode.CHANNEL_UNKNOWN, _("未知的线索来源：%(c)s") % {"c": channel}, field="channel")
    if household is not None:
        place = household.place
    if place is None:
        raise ValidationFailed(MonitoringErrorCode.PLACE_MISSING, _("请选择所在村组。"), field="place")
    if place.level not in (Level.VILLAGE, Level.GROUP):
        raise ValidationFailed(CoreErrorCode.PLACE_LEVEL, _("线索必须落到村或村民小组。"), field="place")
    if actor is not None:
        ensure_in_area(actor, place, Perm.RUN_SCREENING if channel == Channel.SCREENING else Perm.RAISE_LEAD)
    elif channel not in (Channel.SELF_DECLARATION, Channel.TIP):
        raise ValidationFailed(MonitoringErrorCode.ACTOR_MISSING, _("该来源的线索必须由登记人提交。"))
    summary = (summary or "").strip()
    if not summary:
        raise ValidationFailed(MonitoringErrorCode.SUMMARY_MISSING, _("请说明情况。"), field="summary")
    if disaster_subtype and disaster_subtype not in DisasterSubtype.values:
        raise ValidationFailed(MonitoringErrorCode.DISASTER_SUBTYPE, _("未知的灾害类型。"), field="disaster_subtype")
    risk_types = _clean_risk_types(risk_types)

    if channel == Channel.SCREENING:
        if not (rule_code and period and household is not None):
            raise ValidationFailed(MonitoringErrorCode.SCREENING_LEAD_INCOMPLETE, _("筛查线索须有规则、月份和农户。"))
        existing = Lead.objects.unrestricted().filter(channel=channel, rule_code=rule_code, household=household,
                                       period=period).first()
        if existing is not None:
            return LeadOutcome(existing, created=False, merged=existing.status == LeadStatus.MERGED)

    open_lead = None
    if household is not None:
        open_leads = Lead.objects.unrestricted().select_for_update().filter(household=household, status__in=OPEN_LEAD_STATUSES)
        open_lead = next((lead for lead in open_leads.order_by("raised_at", "id")
                          if set(lead.risk_types) & set(risk_types)), None)

    lead = Lead(
        household=household, place=place, channel=channel, risk_types=risk_types, summary=summary[:500],
        evidence=evidence or {}, disaster_subtype=disaster_subtype, rule_code=rule_code, rule_version=rule_version,
        thresholds=thresholds, period=period, figures=figures or {}, screening_run=screening_run,
        reporter_name=reporter_name, reporter_phone=reporter_phone, reporter_id_number=reporter_id_number,
        anonymous=anonymous, raised_by=actor if getattr(actor, "pk", None) else None,
    )
    if channel in ACK_PREFIX:
        lead.ack_number = _new_ack_number(channel)
    if open_lead is not None:
        lead.status, lead.merged_into = LeadStatus.MERGED, open_lead
        lead.closed_at = timezone.now()
    else:
        lead.accept_due, lead.intake_policy = acceptance_due(place, timezone.now())
    try:
        with transaction.atomic():
            lead.save()
    except IntegrityError:
        raise ValidationFailed(MonitoringErrorCode.LEAD_DUPLICATE, _("同一规则本月已对该户生成线索。")) from None
    log_change(lead, ChangeLog.Action.CREATE, actor=actor)
    if open_lead is not None:
        added = [r for r in risk_types if r not in open_lead.risk_types]
        room = MAX_RISK_TYPES - len(open_lead.risk_types)
        if added and room > 0:
            _update_lead(open_lead, actor=actor, risk_types=open_lead.risk_types + added[:room],
                         reason=_("合并线索%(n)s") % {"n": lead})
    return LeadOutcome(lead, created=True, merged=open_lead is not None)


@transaction.atomic
def lead_raise_for_person(*, actor, channel: str, place: Place, person_name: str, id_number: str,
                          phone: str = "", **lead_fields) -> LeadOutcome:
    """A lead that names a person rather than a household (self-declarations, tips, pushed lists).
    The person's active household gets the lead; someone not in the registry gets a provisional
    household, opened for verification."""
    resident = parse_id_number(id_number)
    member = Member.objects.unrestricted().filter(id_number=resident.number, ended_on__isnull=True).select_related(
        "household__place").first()
    if member is not None and actor is not None and not member.household.place.code.startswith(actor.area_prefix):
        # Said like any number this user may not register: not whether or where the person is registered.
        raise id_number_refused(resident.number)
    if member is not None:
        household = member.household
    else:
        household = household_open_provisional(actor=actor, place=place, head_name=person_name,
                                               id_number=resident.number, phone=phone,
                                               reason=_("线索所涉人员不在档案中，新建待核实农户"))
    return lead_raise(actor=actor, channel=channel, household=household, **lead_fields)


def _update_lead(lead: Lead, *, actor, reason: str = "", **values) -> Lead:
    before = snapshot(lead)
    for key, value in values.items():
        setattr(lead, key, value)
    lead.version += 1
    lead.save()
    log_change(lead, ChangeLog.Action.UPDATE, actor=actor, before=before, reason=reason)
    return lead


def _lock_lead(lead: Lead, actor) -> Lead:
    lead = Lead.objects.unrestricted().select_for_update().select_related("place").get(pk=lead.pk)
    ensure_in_area(actor, lead, Perm.HANDLE_LEADS)
    return lead


@transaction.atomic
def lead_accept(*, actor, lead: Lead) -> Lead:
    lead = _lock_lead(lead, actor)
    if lead.status != LeadStatus.NEW:
        raise ValidationFailed(MonitoringErrorCode.LEAD_NOT_NEW, _("线索%(n)s当前为“%(s)s”，不能受理。") % {
            "n": lead, "s": lead.get_status_display()})
    return _update_lead(lead, actor=actor, status=LeadStatus.ACCEPTED, accepted_by=actor,
                        accepted_at=timezone.now())


@transaction.atomic
def lead_dismiss(*, actor, lead: Lead, reason: str) -> Lead:
    lead = _lock_lead(lead, actor)
    if not lead.is_open:
        raise ValidationFailed(MonitoringErrorCode.LEAD_CLOSED, _("线索%(n)s已办结。") % {"n": lead})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(CoreErrorCode.REASON_MISSING, _("排除线索必须说明理由。"), field="reason")
    return _update_lead(lead, actor=actor, status=LeadStatus.DISMISSED, closed_by=actor, closed_at=timezone.now(),
                        close_reason=reason[:300], reason=reason)


@transaction.atomic
def lead_merge(*, actor, lead: Lead, into: Lead) -> Lead:
    """Merge a lead into another open lead of the same household by hand."""
    first, second = sorted([lead, into], key=lambda x: x.pk)
    locked = {x.pk: _lock_lead(x, actor) for x in (first, second)}  # fixed order: no deadlock
    lead, into = locked[lead.pk], locked[into.pk]
    if lead.pk == into.pk or not lead.is_open or not into.is_open:
        raise ValidationFailed(MonitoringErrorCode.MERGE_INVALID, _("只能把未办结的线索并入另一条未办结的线索。"))
    if lead.household_id is None or lead.household_id != into.household_id:
        raise ValidationFailed(MonitoringErrorCode.MERGE_OTHER_HOUSEHOLD, _("只能合并同一农户的线索。"))
    combined = list(dict.fromkeys(into.risk_types + lead.risk_types))[:MAX_RISK_TYPES]
    _update_lead(into, actor=actor, risk_types=combined, reason=_("合并线索%(n)s") % {"n": lead})
    return _update_lead(lead, actor=actor, status=LeadStatus.MERGED, merged_into=into, closed_by=actor,
                        closed_at=timezone.now())


def overdue_leads(queryset=None, now=None):
    """Leads not accepted within their acceptance period."""
    now = now or timezone.now()
    queryset = Lead.objects.unrestricted().all() if queryset is None else queryset
    return queryset.filter(status=LeadStatus.NEW, accept_due__lt=now)
