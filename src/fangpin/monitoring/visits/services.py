"""Visits with the monitoring card, the visit policy and cadre sweeps: every write goes through
these functions."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangpin.core.areas import county_of
from fangpin.core.audit import change_entry, log_change, snapshot
from fangpin.core.errors import ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.periods import parse_period
from fangpin.core.policy import policy_adopt
from fangpin.core.roles import Perm
from fangpin.core.scoping import ensure_in_area
from fangpin.monitoring.errors import MonitoringErrorCode
from fangpin.regions.models import Level, Place
from fangpin.registry import services as registry
from fangpin.registry.choices import HouseholdStatus
from fangpin.registry.models import Household

from .. import services as monitoring
from ..choices import Channel, RiskType
from ..models import SweepChecklist, SweepItem, Thresholds, Visit, VisitPolicy
from . import card as cards
from .sweeps import group_conditions

LATE_ENTRY_DAYS = 90  # a visit can be entered up to this long after it happened (offline phones)
MAX_INTERVAL_DAYS = 366


# ---------------------------------------------------------------- visits


@transaction.atomic
def visit_record(*, actor, household: Household, visited_on: datetime.date, changes: dict, risk_types=(),
                 note: str = "", seconds_spent: int | None = None, kind: str = Visit.Kind.HELPER_VISIT,
                 visit_key: str = "", disaster_subtype: str = "", sweep_item: SweepItem | None = None) -> Visit:
    """Record a visit with the monitoring card. The card is prefilled from the registry and the last
    visit; `changes` holds only what the visitor changed. Changes to registry fields are written to
    the registry (change-logged there); reported risks raise a lead. A resubmission carrying the
    same `visit_key` (a phone that lost signal and tried again) returns the visit already recorded."""
    household = Household.objects.unrestricted().select_for_update().select_related("place", "county").get(pk=household.pk)
    ensure_in_area(actor, household, Perm.RECORD_VISIT)
    visit_key = (visit_key or "").strip()[:64]
    if visit_key:
        existing = Visit.objects.unrestricted().filter(household=household, card__visit_key=visit_key).first()
        if existing is not None:
            return existing
    if household.status != HouseholdStatus.ACTIVE:
        raise ValidationFailed(MonitoringErrorCode.HOUSEHOLD_NOT_ACTIVE, _("农户%(n)s已%(s)s，不能走访登记。") % {
            "n": household.number, "s": household.get_status_display()})
    if kind not in Visit.Kind.values:
        raise ValidationFailed(MonitoringErrorCode.VISIT_KIND, _("未知的走访类型。"), field="kind")
    today = timezone.localdate()
    if visited_on > today:
        raise ValidationFailed(MonitoringErrorCode.VISIT_IN_FUTURE, _("走访日期不能晚于今天。"), field="visited_on")
    if visited_on < today - datetime.timedelta(days=LATE_ENTRY_DAYS):
        raise ValidationFailed(MonitoringErrorCode.VISIT_TOO_OLD, _("只能补录%(n)d天内的走访。") % {"n": LATE_ENTRY_DAYS},
                               field="visited_on")
    if seconds_spent is not None and seconds_spent < 0:
        seconds_spent = None
    risk_types = list(dict.fromkeys(risk_types or ()))
    if sweep_item is not None:
        sweep_item = _lock_sweep_item(sweep_item, household)
        kind = Visit.Kind.CADRE_SWEEP

    last = household.visits.order_by("-visited_on", "-id").first()
    members = cards.card_members(household)
    prefilled = cards.build_card(household, last_card=last.card if last else None, members=members,
                                 today=visited_on)
    changed = cards.clean_changes(prefilled, changes)
    _write_to_registry(actor, household, members, changed, visited_on)

    # The confirmed card reads the registry again: its services may have normalised what was written.
    household.refresh_from_db()
    confirmed = cards.build_card(household, last_card=cards.apply_changes(prefilled, changed), today=visited_on)
    _name_members(changed, prefilled)
    confirmed["items"][cards.RISKS] = {"risk_types": risk_types}
    confirmed["visit_key"] = visit_key
    confirmed["assigned"] = actor.pk in (household.helper_id, household.grid_worker_id)

    lead = None
    if risk_types:
        lead = _raise_lead(actor, household, kind, risk_types, note, disaster_subtype, changed, visited_on)
    visit = Visit.objects.create(
        household=household, visitor=actor, kind=kind, visited_on=visited_on, card=confirmed, changes=changed,
        risk_found=bool(risk_types), risk_types=risk_types, note=(note or "").strip()[:500], lead=lead,
        seconds_spent=seconds_spent,
    )
    log_change(visit, ChangeLog.Action.CREATE, actor=actor)
    if sweep_item is not None:
        _finish_sweep_item(actor, sweep_item, visit)
    return visit


def _write_to_registry(actor, household, members, changed: dict, visited_on: datetime.date) -> None:
    household_fields, member_fields = cards.registry_updates(changed)
    reason = _("走访监测卡（%(d)s）") % {"d": visited_on.isoformat()}
    by_id = {str(m.pk): m for m in members}
    for member_id, fields in member_fields.items():
        try:
            registry.member_update(actor=actor, member=by_id[member_id], reason=reason, **fields)
        except ValidationFailed as error:
            item = next((code for code, values in changed.items()
                         if member_id in values.get("members", {}) and error.field in cards.ITEMS_BY_CODE[code].fields),
                        None)
            if item is None:
                raise
            raise ValidationFailed(error.code, error.message,
                                   field=cards.field_key(item, error.field, member_id)) from None
    if household_fields:
        try:
            registry.household_update(actor=actor, household=household, reason=reason, **household_fields)
        except ValidationFailed as error:
            item = next((code for code, values in changed.items() if error.field in values), None)
            if item is None:
                raise
            raise ValidationFailed(error.code, error.message, field=cards.field_key(item, error.field)) from None


def _name_members(changed: dict, prefilled: dict) -> None:
    """Changes about people keep the person's name, so the record reads on its own later."""
    for code, values in changed.items():
        for member_id, member_values in values.get("members", {}).items():
            member_values["name"] = prefilled["items"][code]["members"][member_id]["name"]


def _raise_lead(actor, household, kind, risk_types, note, disaster_subtype, changed, visited_on):
    channel = Channel.CADRE_SWEEP if kind == Visit.Kind.CADRE_SWEEP else Channel.HELPER_VISIT
    labels = "、".join(str(RiskType(r).label) if r in RiskType.values else r for r in risk_types)
    summary = (note or "").strip() or _("走访发现风险：%(r)s") % {"r": labels}
    outcome = monitoring.lead_raise(
        actor=actor, channel=channel, risk_types=risk_types, household=household, summary=summary,
        disaster_subtype=disaster_subtype,
        evidence={"visited_on": visited_on.isoformat(), "visitor": actor.display_name, "changes": changed},
    )
    return outcome.lead


# ---------------------------------------------------------------- visit policy


@transaction.atomic
def visit_policy_adopt(*, actor, county: Place, effective_from: datetime.date, warning_interval_days: int,
                       key_interval_days: int, general_interval_days: int) -> VisitPolicy:
    """Adopt a new version of the county's visit schedule. Earlier versions stay as they were."""
    ensure_in_area(actor, county, Perm.MANAGE_THRESHOLDS)
    intervals = {"warning_interval_days": warning_interval_days, "key_interval_days": key_interval_days,
                 "general_interval_days": general_interval_days}
    for name, days in intervals.items():
        try:
            intervals[name] = int(days)
        except (TypeError, ValueError):
            raise ValidationFailed(MonitoringErrorCode.INTERVAL_FORMAT, _("间隔天数必须是整数。"), field=name) from None
        if not 1 <= intervals[name] <= MAX_INTERVAL_DAYS:
            raise ValidationFailed(MonitoringErrorCode.INTERVAL_RANGE, _("间隔天数必须在1-%(n)d之间。") % {"n": MAX_INTERVAL_DAYS},
                                   field=name)
    if not intervals["warning_interval_days"] <= intervals["key_interval_days"] <= intervals["general_interval_days"]:
        raise ValidationFailed(MonitoringErrorCode.INTERVAL_ORDER, _("风险越高走访应越勤：红色间隔不能长于黄色，黄色不能长于绿色。"),
                               field="key_interval_days")
    return policy_adopt(VisitPolicy, actor=actor, county=county, effective_from=effective_from, **intervals)


# ---------------------------------------------------------------- cadre sweeps


@transaction.atomic
def sweep_checklist_generate(*, actor, village: Place, period: str) -> SweepChecklist:
    """Build (or bring up to date) the village's checklist of the eight must-visit groups for a
    month. Regenerating keeps every item already swept as it is; pending items get today's groups,
    and households that newly fall into a group are added."""
    ensure_in_area(actor, village, Perm.RECORD_VISIT)
    if village.level != Level.VILLAGE:
        raise ValidationFailed(MonitoringErrorCode.VILLAGE_LEVEL, _("排查清单按村生成。"), field="village")
    month = parse_period(period)
    if month > timezone.localdate().replace(day=1):
        raise ValidationFailed(MonitoringErrorCode.PERIOD_FUTURE, _("不能生成以后月份的排查清单。"), field="period")
    thresholds = Thresholds.objects.in_force(county_of(village), month)

    checklist, created = SweepChecklist.objects.unrestricted().select_for_update().get_or_create(
        village=village, period=month.strftime("%Y-%m"), defaults={"created_by": actor})
    if created:
        log_change(checklist, ChangeLog.Action.CREATE, actor=actor)
    households = Household.objects.unrestricted().filter(status=HouseholdStatus.ACTIVE, place__code__startswith=village.scope_prefix)
    groups: dict[int, list[str]] = {}
    for code, condition in group_conditions(month, thresholds).items():
        for household_id in households.filter(condition).values_list("pk", flat=True):
            groups.setdefault(household_id, []).append(code)

    current = SweepItem.objects.unrestricted().select_for_update().filter(checklist=checklist).select_related("checklist__village")
    existing = {item.household_id: item for item in current}
    refreshed = []
    for household_id, item in existing.items():
        if item.status == SweepItem.Status.PENDING and household_id in groups and item.groups != groups[household_id]:
            before = snapshot(item)
            item.groups = groups[household_id]
            refreshed.append((item, before))
    SweepItem.objects.unrestricted().bulk_update([item for item, _ in refreshed], ["groups"])
    added = SweepItem.objects.bulk_create([
        SweepItem(checklist=checklist, household_id=household_id, groups=codes)
        for household_id, codes in sorted(groups.items()) if household_id not in existing])
    ChangeLog.objects.bulk_create(
        [change_entry(item, ChangeLog.Action.CREATE, actor=actor)
         for item in added]
        + [change_entry(item, ChangeLog.Action.UPDATE, actor=actor,
                        before=before) for item, before in refreshed])
    return checklist


def _lock_sweep_item(item: SweepItem, household: Household) -> SweepItem:
    item = SweepItem.objects.unrestricted().select_for_update().get(pk=item.pk)
    if item.household_id != household.pk:
        raise ValidationFailed(MonitoringErrorCode.SWEEP_ITEM_HOUSEHOLD, _("排查对象与走访农户不一致。"), field="sweep_item")
    if item.status != SweepItem.Status.PENDING:
        raise ValidationFailed(MonitoringErrorCode.SWEEP_ITEM_DONE, _("该户本月已排查（%(s)s）。") % {"s": item.get_status_display()},
                               field="sweep_item")
    return item


def _finish_sweep_item(actor, item: SweepItem, visit: Visit) -> None:
    before = snapshot(item)
    item.status = SweepItem.Status.LEAD_RAISED if visit.risk_found else SweepItem.Status.NO_RISK
    item.visit = visit
    item.save(update_fields=["status", "visit"])
    log_change(item, ChangeLog.Action.UPDATE,
               actor=actor, before=before)
