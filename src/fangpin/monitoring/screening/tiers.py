"""Stability and risk tiers (分类分级), recomputed for every household of the county after a screening.

Stability tier, exited households only (seed 002):
- no labour: no member present can work (`conditions.ABLE_TO_WORK_MEMBER`: skilled, ordinary or weak
  labour, aged 16-64);
- weak labour / easy to return: only weak labour, or per-capita income missing or below the watch line;
- high quality: per-capita income at least HIGH_QUALITY_LINE_MULTIPLE x the monitoring line, full
  labour (`conditions.FULL_LABOUR_MEMBER`), and no member seriously ill;
- stable: at least STABLE_LINE_MULTIPLE x the line and no member seriously ill;
- general: the rest.

Risk tier, all households (seed 000):
- warning: an open lead, and income below the line or rigid spending that takes per-capita income
  below the line (severe);
- key monitoring: any other open lead, or income in the watch band;
- general: the rest.

The household profile the stability tier needs is one Ibis expression run on the screening's
engine; the tiers are written with one upsert statement executed for all rows.
"""

import json
from collections import Counter
from decimal import Decimal

import ibis.expr.types as ir
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangpin.monitoring.choices import OPEN_LEAD_STATUSES, RiskTier, StabilityTier
from fangpin.monitoring.models import HouseholdTier, Lead
from fangpin.registry import conditions as c

from .parameters import Parameters
from .rules import income_basis, member_flags, present_members
from .tables import Tables

HIGH_QUALITY_LINE_MULTIPLE = Decimal("2.0")
STABLE_LINE_MULTIPLE = Decimal("1.5")
RIGID_SPENDING_RULES = ("medical_spending_high", "education_spending_high", "disaster_loss_high")
UPSERT_BATCH = 10_000

# Reason codes stored in HouseholdTier.reasons.
REASONS = {
    "open_lead": _("有未办结风险线索"),
    "income_below_line": _("收入低于监测线"),
    "severe_rigid_spending": _("刚性支出致收入低于监测线"),
    "income_watch_band": _("收入处于关注区间"),
    "no_labour": _("无劳动能力成员"),
    "weak_labour_only": _("仅有弱劳动力"),
    "income_near_line": _("收入缺失或低于关注线"),
    "serious_illness": _("有大病成员"),
    "income_high": _("收入达到高质量稳定线"),
    "income_stable": _("收入达到稳定线"),
}


def profile(t: Tables, p: Parameters) -> ir.Table:
    """Per household: exited flag, per-capita income of the basis and labour/illness counts."""
    present, day = present_members(t, p), p.screening_ymd
    flags = member_flags(
        present,
        able_members=c.ABLE_TO_WORK_MEMBER.ibis(present, day),
        strong_members=c.FULL_LABOUR_MEMBER.ibis(present, day),
        seriously_ill=c.SERIOUSLY_ILL_MEMBER.ibis(present, day),
    )
    income = income_basis(t, p).select("household_id", "per_capita_fen")
    h = t.households.select("household_id", "exited")
    j = (h.left_join(flags, "household_id").drop("household_id_right")
         .left_join(income, "household_id").drop("household_id_right"))
    return j.select("household_id", "exited", "per_capita_fen",
                    able_members=j.able_members.fill_null(0), strong_members=j.strong_members.fill_null(0),
                    seriously_ill=j.seriously_ill.fill_null(0)).order_by("household_id")


def stability_tier(row: dict, p: Parameters) -> tuple[str, list[str]]:
    if not row["exited"]:
        return "", []
    if row["able_members"] == 0:
        return StabilityTier.NO_LABOUR, ["no_labour"]
    income = row["per_capita_fen"]
    if row["strong_members"] == 0:
        return StabilityTier.WEAK_LABOUR, ["weak_labour_only"]
    if income is None or income < p.watch_line_fen:
        return StabilityTier.WEAK_LABOUR, ["income_near_line"]
    ill = row["seriously_ill"] > 0
    if not ill and income >= p.line_fen * HIGH_QUALITY_LINE_MULTIPLE:
        return StabilityTier.HIGH_QUALITY, ["income_high"]
    if not ill and income >= p.line_fen * STABLE_LINE_MULTIPLE:
        return StabilityTier.STABLE, ["income_stable"]
    return StabilityTier.GENERAL, ["serious_illness"] if ill else []


def risk_tier(household_id: int, *, open_lead: set, below: set, severe: set, watch: set) -> tuple[str, list[str]]:
    if household_id in open_lead:
        reasons = ["open_lead"]
        if household_id in below:
            reasons.append("income_below_line")
        if household_id in severe:
            reasons.append("severe_rigid_spending")
        if len(reasons) > 1:
            return RiskTier.WARNING, reasons
        if household_id in watch:
            reasons.append("income_watch_band")
        return RiskTier.KEY, reasons
    if household_id in watch:
        return RiskTier.KEY, ["income_watch_band"]
    return RiskTier.GENERAL, []


def _upsert_sql() -> str:
    reasons = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    table = HouseholdTier._meta.db_table
    return (f"INSERT INTO {table} (household_id, stability_tier, risk_tier, reasons, computed_at, screening_run_id) "
            f"VALUES (%s, %s, %s, {reasons}, %s, %s) ON CONFLICT (household_id) DO UPDATE SET "
            "stability_tier = excluded.stability_tier, risk_tier = excluded.risk_tier, reasons = excluded.reasons, "
            "computed_at = excluded.computed_at, screening_run_id = excluded.screening_run_id")


def tiers_recompute(*, run, profile_rows: dict[str, list], rule_rows: dict[str, list[dict]],
                    parameters: Parameters) -> dict[str, dict[str, int]]:
    """Write the tiers of every household in `profile_rows` (columns of `profile`); returns how many
    households fell in each tier."""
    open_lead = set(Lead.objects.unrestricted().filter(household__county=run.county, status__in=OPEN_LEAD_STATUSES)
                    .values_list("household_id", flat=True))

    def households(code, condition=lambda row: True):
        return {row["household_id"] for row in rule_rows.get(code, ()) if condition(row)}

    below, watch = households("income_below_line"), households("income_watch_band")
    severe = set().union(*(households(code, lambda row: row["severe"]) for code in RIGID_SPENDING_RULES))
    computed_at = connection.ops.adapt_datetimefield_value(timezone.now())
    columns = list(profile_rows)
    stability_counts, risk_counts = Counter(), Counter()
    sql = _upsert_sql()
    batch = []
    with connection.cursor() as cursor:
        for values in zip(*profile_rows.values()):
            row = dict(zip(columns, values))
            stability, stability_reasons = stability_tier(row, parameters)
            risk, risk_reasons = risk_tier(row["household_id"], open_lead=open_lead, below=below, severe=severe,
                                           watch=watch)
            stability_counts[str(stability) or "-"] += 1
            risk_counts[str(risk)] += 1
            batch.append((row["household_id"], stability, risk, json.dumps(risk_reasons + stability_reasons),
                          computed_at, run.pk))
            if len(batch) >= UPSERT_BATCH:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
    return {"stability": dict(stability_counts), "risk": dict(risk_counts)}
