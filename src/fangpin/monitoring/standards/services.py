"""Monitoring standards, warning-line calibration and the monthly suggested list: the writes.

The monthly suggested list (月度预警名单): on a set day (settings.FANGPIN_MONTHLY_LIST_DAY, default the
8th, so that it reaches the townships before the 10th) the county builds one list per township of the
households worth checking this month, ranked (see ranking.py), and sends it. Townships act on each line;
a line is overdue when it is still pending FANGPIN_MONTHLY_LIST_ACT_DAYS (default 15) days after the
10th of the month.
"""

import calendar
import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangpin.core.audit import change_entry, log_change, snapshot
from fangpin.core.errors import CoreErrorCode, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.periods import parse_period
from fangpin.core.roles import Perm
from fangpin.core.scoping import ensure_in_area
from fangpin.monitoring.errors import MonitoringErrorCode
from fangpin.regions.models import Level, Place
from fangpin.registry.choices import HouseholdStatus

from .. import services as monitoring_services
from ..choices import OPEN_LEAD_STATUSES, Channel, LeadStatus, RiskTier, RiskType
from ..models import HouseholdTier, Lead, MonthlyList, MonthlyListLine, Thresholds
from ..screening.rules import RULES_BY_CODE
from . import calibration, ranking

LIST_REACHES_TOWNSHIPS_BY = 10  # day of the month (national practice: "before the 10th")
Status = MonthlyListLine.Status


def list_day() -> int:
    return int(getattr(settings, "FANGPIN_MONTHLY_LIST_DAY", 8))


def act_days() -> int:
    return int(getattr(settings, "FANGPIN_MONTHLY_LIST_ACT_DAYS", 15))


def send_due_on(period: str) -> datetime.date:
    first = parse_period(period)
    last_day = calendar.monthrange(first.year, first.month)[1]
    return first.replace(day=max(1, min(list_day(), last_day)))


def act_deadline(period: str) -> datetime.date:
    return parse_period(period).replace(day=LIST_REACHES_TOWNSHIPS_BY) + datetime.timedelta(days=act_days())


# ---------------------------------------------------------------- standards


def thresholds_carry_over(thresholds: Thresholds) -> dict:
    """The fields of a version that a new version carries over unless changed (thresholds_adopt's
    keyword arguments)."""
    return {name: getattr(thresholds, name) for name in sorted(monitoring_services.THRESHOLD_FIELDS)}


@transaction.atomic
def warning_line_adopt(*, actor, county: Place, measure: str, percentile, dimension: str, segment: str,
                       effective_from: datetime.date, nonzero: bool = False) -> Thresholds:
    """Adopt a calibration candidate as a new version: the version in force on `effective_from` with
    one warning amount replaced by the segment's percentile, rounded to hundreds of yuan. The figure is
    recomputed here from the data, never taken from the page."""
    ensure_in_area(actor, county, Perm.MANAGE_THRESHOLDS)
    current = monitoring_services.thresholds_in_force(county, effective_from)
    question = calibration.Question(measure=measure, basis="household", dimension=dimension,
                                    percentiles=(percentile,), nonzero=nonzero)
    result = calibration.calibrate(county, question)
    stats = result.segment(segment)
    if stats is None:
        raise ValidationFailed(MonitoringErrorCode.SEGMENT_EMPTY, _("所选分组没有收支数据。"), field="segment")
    per_mille = question.per_mille[0]
    value = stats.percentiles[per_mille]
    line = calibration.round_line(value)
    if line <= 0:
        raise ValidationFailed(MonitoringErrorCode.LINE_ZERO, _("该分位数为0，不能作为预警线。"), field="percentile")
    measure_label, target = calibration.MEASURES[measure][1], calibration.MEASURES[measure][2]
    note = _("预警线测算：%(years)s年%(segment)s户均%(measure)s%(p)s为%(value)s元，取整为%(line)s元%(nz)s") % {
        "years": f"{result.years[0]}-{result.years[-1]}", "segment": calibration.describe_segment(question, result, segment),
        "measure": measure_label, "p": calibration.percentile_label(per_mille), "value": value, "line": line,
        "nz": _("（仅计有支出的户）") if nonzero else "",
    }
    fields = {**thresholds_carry_over(current), target: line}
    return monitoring_services.thresholds_adopt(
        actor=actor, county=county, effective_from=effective_from, year=current.year,
        line_method=current.line_method, line_parameters=current.line_parameters, note=note[:300], **fields)


# ---------------------------------------------------------------- the monthly list


@dataclass
class Suggestion:
    household_id: int
    township_code: str
    number: str
    categories: list
    reasons: dict  # (rule or lead, category) → reason
    lead_ids: list
    risk_tier: str | None = None

    @property
    def score(self):
        return ranking.score(self.categories, self.risk_tier)


def _reason_text(lead: Lead, category) -> str:
    channel = Channel(lead.channel).label
    return f"{category.label}：{lead.summary}（{channel}）"


def suggestions(county: Place, period: str) -> list[Suggestion]:
    """Households of the county worth a check this month, best first: open leads of every channel,
    the screening leads of the month and households in the key or warning tier."""
    by_household: dict[int, Suggestion] = {}

    def entry(household) -> Suggestion:
        if household.pk not in by_household:
            by_household[household.pk] = Suggestion(household.pk, household.place.code[:9], household.number,
                                                    [], {}, [])
        return by_household[household.pk]

    active = {"household__county": county, "household__status": HouseholdStatus.ACTIVE}
    leads = (Lead.objects.unrestricted().filter(**active).filter(status__in=OPEN_LEAD_STATUSES)
             | Lead.objects.unrestricted().filter(**active).filter(channel=Channel.SCREENING, period=period,
                                                   status=LeadStatus.MERGED))
    for lead in leads.select_related("household__place").order_by("raised_at", "id"):
        rule = RULES_BY_CODE.get(lead.rule_code)
        if rule is not None and rule.data_quality:
            continue
        item = entry(lead.household)
        for category in ranking.lead_categories(lead.rule_code, lead.risk_types):
            item.categories.append(category)
            # One reason per rule: a later month's lead of the same rule brings the newer figures.
            key = (lead.rule_code, category.code) if lead.rule_code else (f"lead{lead.pk}", category.code)
            item.reasons[key] = {"code": lead.rule_code or f"{lead.channel}", "category": category.code,
                                 "text": _reason_text(lead, category), "lead": lead.pk,
                                 "risk_types": list(lead.risk_types)}
        item.lead_ids.append(lead.pk)
    tiers = HouseholdTier.objects.unrestricted().filter(**active, risk_tier__in=[RiskTier.KEY, RiskTier.WARNING])
    for tier in tiers.select_related("household__place"):
        item = entry(tier.household)
        item.risk_tier = tier.risk_tier
        item.reasons[("tier", "tier")] = {"code": f"tier_{tier.risk_tier}", "category": "tier",
                                          "text": _("风险等级：%(t)s") % {"t": RiskTier(tier.risk_tier).label},
                                          "risk_types": []}
        if not item.categories:
            item.categories.append(ranking.OTHER)
    return sorted(by_household.values(), key=lambda s: (-s.score, s.number))


@dataclass
class BuildResult:
    lists: list
    created: int
    refreshed: int
    unchanged: int  # already sent: left as the townships received them
    lines: int


@transaction.atomic
def monthly_list_build(*, actor, county: Place, period: str) -> BuildResult:
    """Build (or, before it is sent, refresh) each township's list for the month. Running it again
    for the same month gives the same lists and lines; a list already sent is left untouched.
    `actor` None is the system (the scheduled run)."""
    if actor is not None:
        ensure_in_area(actor, county, Perm.SEND_MONTHLY_LIST)
    if county.level != Level.COUNTY:
        raise ValidationFailed(CoreErrorCode.COUNTY_LEVEL, _("月度预警名单按县生成。"), field="county")
    period = f"{parse_period(period):%Y-%m}"
    townships = list(Place.objects.unrestricted().filter(parent=county, level=Level.TOWNSHIP).order_by("code"))
    per_township = defaultdict(list)
    for suggestion in suggestions(county, period):
        per_township[suggestion.township_code].append(suggestion)
    result = BuildResult([], 0, 0, 0, 0)
    for township in townships:
        monthly_list = MonthlyList.objects.unrestricted().select_for_update().filter(township=township, period=period).first()
        if monthly_list is not None and monthly_list.sent_at is not None:
            result.unchanged += 1
            result.lists.append(monthly_list)
            continue
        created = monthly_list is None
        if created:
            monthly_list = MonthlyList.objects.create(county=county, township=township, period=period,
                                                      due_on=send_due_on(period))
        lines = _write_lines(monthly_list, per_township[township.scope_prefix])
        log_change(monthly_list, ChangeLog.Action.CREATE if created else ChangeLog.Action.UPDATE, actor=actor,
                   reason=_("生成%(p)s月度预警名单：%(n)d户") % {"p": period, "n": lines})
        result.created += created
        result.refreshed += not created
        result.lines += lines
        result.lists.append(monthly_list)
    return result


def _write_lines(monthly_list: MonthlyList, ranked: list[Suggestion]) -> int:
    """Lines of an unsent list: existing lines keep their row, new households get one, households no
    longer suggested leave the draft."""
    existing = {line.household_id: line for line in monthly_list.lines.all()}
    wanted = {s.household_id for s in ranked}
    stale = [line.pk for hid, line in existing.items() if hid not in wanted]
    if stale:
        MonthlyListLine.leads.through.objects.filter(monthlylistline_id__in=stale).delete()
        MonthlyListLine.objects.unrestricted().filter(pk__in=stale).delete()
    new, changed = [], []
    for rank, suggestion in enumerate(ranked, start=1):
        line = existing.get(suggestion.household_id) or MonthlyListLine(monthly_list=monthly_list,
                                                                        household_id=suggestion.household_id)
        line.rank, line.score, line.reasons = rank, suggestion.score, list(suggestion.reasons.values())
        (changed if line.pk else new).append(line)
    MonthlyListLine.objects.unrestricted().bulk_update(changed, ["rank", "score", "reasons"])
    MonthlyListLine.objects.bulk_create(new)
    lines = {line.household_id: line for line in monthly_list.lines.all()}
    through = MonthlyListLine.leads.through
    through.objects.filter(monthlylistline_id__in=[line.pk for line in lines.values()]).delete()
    through.objects.bulk_create([through(monthlylistline_id=lines[s.household_id].pk, lead_id=lead_id)
                                 for s in ranked for lead_id in dict.fromkeys(s.lead_ids)])
    return len(ranked)


@transaction.atomic
def monthly_list_send(*, actor, monthly_list: MonthlyList) -> MonthlyList:
    monthly_list = MonthlyList.objects.unrestricted().select_for_update().select_related("township").get(pk=monthly_list.pk)
    if actor is not None:
        ensure_in_area(actor, monthly_list, Perm.SEND_MONTHLY_LIST)
    if monthly_list.sent_at is not None:
        raise ValidationFailed(MonitoringErrorCode.LIST_SENT, _("%(t)s%(p)s的名单已于%(d)s下发。") % {
            "t": monthly_list.township.name, "p": monthly_list.period,
            "d": timezone.localtime(monthly_list.sent_at).strftime("%Y-%m-%d %H:%M")})
    before = snapshot(monthly_list)
    monthly_list.sent_at, monthly_list.sent_by = timezone.now(), actor if getattr(actor, "pk", None) else None
    monthly_list.save(update_fields=["sent_at", "sent_by"])
    log_change(monthly_list, ChangeLog.Action.UPDATE, actor=actor, before=before, reason=_("下发月度预警名单"))
    return monthly_list


def _log_line(line: MonthlyListLine, *, actor, before: dict, reason: str) -> None:
    """Change-log row of a list line, filed under its household and place."""
    entry = change_entry(line.monthly_list, ChangeLog.Action.UPDATE, actor=actor, reason=reason)
    entry.object_type, entry.object_id, entry.object_repr = (MonthlyListLine._meta.label_lower, line.pk,
                                                             f"{line.monthly_list.period} {line.household.number}")
    entry.household_id, entry.area_code = line.household_id, line.household.place.code
    entry.before, entry.after = before, snapshot(line)
    entry.save()


@transaction.atomic
def monthly_list_line_act(*, actor, line: MonthlyListLine, status: str, note: str = "") -> MonthlyListLine:
    """A township's answer on one line: no risk found (with a note), accepted as a lead (the line's
    new leads are accepted; when it has no open lead a cadre-screening lead is raised and accepted),
    or already monitored. An answer can be corrected later; every answer is in the change log."""
    line = (MonthlyListLine.objects.unrestricted().select_for_update().select_related("monthly_list", "household__place")
            .get(pk=line.pk))
    ensure_in_area(actor, line.household, Perm.HANDLE_LEADS)
    if line.monthly_list.sent_at is None:
        raise ValidationFailed(MonitoringErrorCode.LIST_NOT_SENT, _("名单尚未下发。"))
    if status not in Status.values or status == Status.PENDING:
        raise ValidationFailed(MonitoringErrorCode.LINE_STATUS, _("请选择处理结果。"), field="status")
    note = (note or "").strip()
    if status == Status.NO_RISK and not note:
        raise ValidationFailed(MonitoringErrorCode.NOTE_MISSING, _("核实无风险时请写明核实情况。"), field="note")
    if status == Status.LEAD_ACCEPTED:
        _accept_leads(line, actor=actor, note=note)
    before = snapshot(line)
    line.status, line.note, line.acted_by, line.acted_at = status, note[:300], actor, timezone.now()
    line.save(update_fields=["status", "note", "acted_by", "acted_at"])
    _log_line(line, actor=actor, before=before, reason=Status(status).label)
    return line


def _accept_leads(line: MonthlyListLine, *, actor, note: str) -> None:
    leads = list(line.leads.filter(status__in=OPEN_LEAD_STATUSES).order_by("id"))
    if not leads:
        risks = list(dict.fromkeys(r for reason in line.reasons for r in reason.get("risk_types", [])))
        outcome = monitoring_services.lead_raise(
            actor=actor, channel=Channel.CADRE_SWEEP, household=line.household,
            risk_types=risks[:5] or [RiskType.OTHER],
            summary=_("月度预警名单核实发现风险：%(n)s") % {"n": note or _("见名单理由")},
            evidence={"monthly_list": line.monthly_list_id, "line": line.pk},
        )
        lead = outcome.lead.merged_into if outcome.merged else outcome.lead
        line.leads.add(lead)
        leads = [lead]
    for lead in leads:
        if lead.status == LeadStatus.NEW:
            monitoring_services.lead_accept(actor=actor, lead=lead)


@dataclass
class Progress:
    monthly_list: MonthlyList
    total: int
    done: int
    deadline: datetime.date
    overdue: bool

    send_late: bool = False  # not sent although its send day has passed

    @property
    def pending(self) -> int:
        return self.total - self.done


def progress(lists, today: datetime.date | None = None) -> list[Progress]:
    """Lines done / total per list; a sent list with pending lines after its deadline is overdue, an
    unsent one past its send day is late."""
    today = today or timezone.localdate()
    rows = lists.annotate(total=Count("lines"), done=Count("lines", filter=~Q(lines__status=Status.PENDING)))
    found = []
    for monthly_list in rows.select_related("township", "sent_by"):
        deadline = act_deadline(monthly_list.period)
        overdue = (monthly_list.sent_at is not None and monthly_list.done < monthly_list.total
                   and today > deadline)
        send_late = monthly_list.sent_at is None and today > monthly_list.due_on
        found.append(Progress(monthly_list, monthly_list.total, monthly_list.done, deadline, overdue, send_late))
    return found
