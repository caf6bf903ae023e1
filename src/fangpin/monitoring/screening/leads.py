"""Screening leads written in bulk, with the same outcome as calling `lead_raise` once per row.

`lead_raise` decides, for one household and rule: nothing when the rule already raised a lead for
the household this month; otherwise a new lead, merged into the household's oldest open lead that
shares a risk type (which then gains the new lead's other risk types, up to five). A screening of a
large county yields tens of thousands of rows, so here the same decisions are taken in memory in
the same order (rule by rule, household by household) against the open leads read once, and the
leads are written with executemany (SQLite) or COPY (PostgreSQL) under reserved ids.

Change log: the run's own entry records the screening (rule counts); each lead points at its run.
Unlike `lead_raise`, no change-log row per new lead is written (a large county would add hundreds of
thousands of rows a month repeating the leads themselves). Changes to existing open leads (risk
types gained from a merge) are logged one by one, as `lead_raise` logs them.
"""

from dataclasses import dataclass, field

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fangpin.core.audit import change_entry, snapshot
from fangpin.core.models import ChangeLog
from fangpin.monitoring.choices import MAX_RISK_TYPES, OPEN_LEAD_STATUSES, Channel, LeadStatus
from fangpin.monitoring.models import Lead
from fangpin.monitoring.services import acceptance_due
from fangpin.registry.ledger.bulk import insert
from fangpin.registry.models import Household

BATCH = 2000
ID_CHUNK = 5000


@dataclass
class Candidate:
    """One row of one rule: a lead to raise unless the rule already raised it this month."""

    household_id: int
    figures: dict
    summary: str


@dataclass
class _OpenLead:
    lead_id: int | None  # None until a lead created in this run is saved
    risk_types: list[str]
    channel: str
    new_lead: Lead | None = None

    @property
    def pk(self) -> int:
        return self.lead_id if self.new_lead is None else self.new_lead.pk


@dataclass
class _RiskUpdate:
    target: _OpenLead
    merged_lead: Lead
    risk_types: list[str]


@dataclass
class RuleCounts:
    version: int
    new: int = 0
    merged: int = 0
    total: int = 0
    merged_into: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"version": self.version, "new": self.new, "merged": self.merged, "total": self.total,
                "merged_into": dict(sorted(self.merged_into.items()))}


def _places_of(household_ids) -> dict[int, int]:
    ids = sorted(set(household_ids))
    found = {}
    for start in range(0, len(ids), ID_CHUNK):
        found.update(Household.objects.unrestricted().filter(pk__in=ids[start:start + ID_CHUNK]).values_list("pk", "place_id"))
    return found


def _open_leads(county) -> dict[int, list[_OpenLead]]:
    rows = (Lead.objects.unrestricted().select_for_update().filter(household__county=county, status__in=OPEN_LEAD_STATUSES)
            .order_by("raised_at", "id").values_list("id", "household_id", "risk_types", "channel"))
    open_leads: dict[int, list[_OpenLead]] = {}
    for lead_id, household_id, risk_types, channel in rows:
        open_leads.setdefault(household_id, []).append(_OpenLead(lead_id, list(risk_types), channel))
    return open_leads


def raise_screening_leads(*, actor, run, rule_candidates) -> dict[str, dict]:
    """Raise the leads of `rule_candidates` ((rule, [Candidate, ...]) in rule order) for `run`;
    returns the counts per rule code: new, merged (into an open lead of any channel), total rows."""
    county, period = run.county, run.period
    already = set(Lead.objects.unrestricted().filter(channel=Channel.SCREENING, period=period, household__county=county)
                  .values_list("rule_code", "household_id"))
    open_leads = _open_leads(county)
    place_of = _places_of(c.household_id for _, candidates in rule_candidates for c in candidates)
    raised_by = actor if getattr(actor, "pk", None) else None
    now = timezone.now()
    accept_due, intake_policy = acceptance_due(county, now)

    new_leads, merged_leads, merge_targets, risk_updates = [], [], [], []
    counts = {}
    for rule, candidates in rule_candidates:
        tally = counts[rule.code] = RuleCounts(rule.version, total=len(candidates))
        risk_types = list(dict.fromkeys(rule.risk_types))
        for candidate in candidates:
            if (rule.code, candidate.household_id) in already or candidate.household_id not in place_of:
                continue
            lead = Lead(
                household_id=candidate.household_id, place_id=place_of[candidate.household_id],
                channel=Channel.SCREENING, risk_types=risk_types, summary=candidate.summary[:500], evidence={},
                rule_code=rule.code, rule_version=rule.version, thresholds=run.thresholds, screening_run=run,
                period=period, figures=candidate.figures, raised_by=raised_by,
            )
            household_open = open_leads.setdefault(candidate.household_id, [])
            target = next((o for o in household_open if set(o.risk_types) & set(risk_types)), None)
            if target is None:
                lead.accept_due, lead.intake_policy = accept_due, intake_policy
                new_leads.append(lead)
                household_open.append(_OpenLead(None, list(risk_types), Channel.SCREENING.value, new_lead=lead))
                tally.new += 1
                continue
            lead.status, lead.closed_at = LeadStatus.MERGED, now
            merged_leads.append(lead)
            merge_targets.append(target)
            tally.merged += 1
            tally.merged_into[target.channel] = tally.merged_into.get(target.channel, 0) + 1
            added = [r for r in risk_types if r not in target.risk_types]
            room = MAX_RISK_TYPES - len(target.risk_types)
            if added and room > 0:
                target.risk_types = target.risk_types + added[:room]
                risk_updates.append(_RiskUpdate(target, lead, list(target.risk_types)))

    insert(Lead, new_leads)
    for lead, target in zip(merged_leads, merge_targets):
        lead.merged_into_id = target.pk
    insert(Lead, merged_leads)
    _apply_risk_updates(risk_updates, actor=actor)
    return {code: tally.as_dict() for code, tally in counts.items()}


def _apply_risk_updates(updates: list[_RiskUpdate], *, actor) -> None:
    """Open leads that gained risk types from merged leads: one update (and change-log row) per
    merge, in the order they happened, as `lead_raise` writes them."""
    if not updates:
        return
    targets = Lead.objects.unrestricted().select_related("place").in_bulk({u.target.pk for u in updates})
    entries = []
    for update in updates:
        lead = targets[update.target.pk]
        before = snapshot(lead)
        lead.risk_types = update.risk_types
        lead.version += 1
        Lead.objects.unrestricted().filter(pk=lead.pk).update(risk_types=update.risk_types, version=F("version") + 1)
        entries.append(change_entry(lead, ChangeLog.Action.UPDATE, actor=actor, before=before,
                                    reason=_("合并线索%(n)s") % {"n": update.merged_lead}))
    ChangeLog.objects.bulk_create(entries, batch_size=BATCH)
