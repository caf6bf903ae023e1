"""How the monthly suggested list ranks households.

Each lead of a household (open leads of every channel, and the screening leads of the month) is put
into one or more reason categories; the household's score is the sum of the weights of its distinct
categories plus a bonus for its risk tier. The weights are powers apart, so the category order always
wins over how many lower categories a household has:

    income below the monitoring line          1000
    rigid spending above a warning line        300   (medical, schooling, disaster, accident)
    sharp income drop                          100
    a guarantee failing                         30   (house C/D, water, medical insurance, dropout)
    anything else (watch band, labour, work)    10
    risk tier: warning (red) +5, key (yellow) +2

The lower categories together (300+100+30+10 = 440) never reach the one above (1000), and so on down.
Ties are broken by household number, so the same data always gives the same order.

Screening leads are classified by their rule code; leads from people (self-declaration, visits,
sweeps, tips, pushed lists) by their risk types. Leads of the data-quality rules (the national sanity
checks) ask for a correction, not a visit, and stay off the list.
"""

import dataclasses
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from ..choices import RiskTier, RiskType


@dataclasses.dataclass(frozen=True)
class Category:
    code: str
    weight: int
    label: str


BELOW_LINE = Category("below_line", 1000, _("收入低于监测线"))
RIGID_SPENDING = Category("rigid_spending", 300, _("刚性支出超过预警线"))
INCOME_DROP = Category("income_drop", 100, _("收入骤减"))
GUARANTEE = Category("guarantee", 30, _("“三保障”或饮水安全未保障"))
OTHER = Category("other", 10, _("其他风险"))
CATEGORIES = (BELOW_LINE, RIGID_SPENDING, INCOME_DROP, GUARANTEE, OTHER)
TIER_BONUS = {RiskTier.WARNING: 5, RiskTier.KEY: 2}

# Screening rules by code; rules not named here (added later) are placed by their risk types.
RULE_CATEGORY = {
    "income_below_line": BELOW_LINE,
    "medical_spending_high": RIGID_SPENDING, "education_spending_high": RIGID_SPENDING,
    "disaster_loss_high": RIGID_SPENDING,
    "income_sharp_drop": INCOME_DROP,
    "house_unsafe": GUARANTEE, "child_out_of_school": GUARANTEE, "water_unsafe": GUARANTEE,
    "medical_insurance_missing": GUARANTEE,
    "income_watch_band": OTHER, "labour_loss_unprotected": OTHER, "unstable_employment": OTHER,
}
RISK_CATEGORY = {
    RiskType.ILLNESS: RIGID_SPENDING, RiskType.SCHOOLING: RIGID_SPENDING, RiskType.DISASTER: RIGID_SPENDING,
    RiskType.ACCIDENT: RIGID_SPENDING, RiskType.INCOME: INCOME_DROP, RiskType.HOUSING: GUARANTEE,
    RiskType.WATER: GUARANTEE, RiskType.MEDICAL_INSURANCE: GUARANTEE, RiskType.DROPOUT: GUARANTEE,
}


def lead_categories(rule_code: str, risk_types) -> list[Category]:
    if rule_code in RULE_CATEGORY:
        return [RULE_CATEGORY[rule_code]]
    found = {RISK_CATEGORY.get(risk, OTHER) for risk in risk_types or []} or {OTHER}
    return sorted(found, key=lambda c: -c.weight)


def score(categories, risk_tier: str | None) -> Decimal:
    distinct = {c.code: c for c in categories}
    return Decimal(sum(c.weight for c in distinct.values()) + TIER_BONUS.get(risk_tier, 0))
