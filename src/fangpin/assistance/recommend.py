"""Which catalogue measures suit a household, and what its plan still lacks.

Principles (DOMAIN §6): one risk, one matching measure; households with labour get at least one
industry or employment measure; households without labour get protection (兜底) first."""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from fangpin.monitoring.choices import RiskType

from .choices import DEVELOPMENT_CATEGORIES, LIVE_STATUSES
from .choices import MeasureCategory as C
from .models import Measure, MeasureCatalogueItem
from .selectors import (
    MEASURE_WITHIN,
    current_monitoring,
    household_has_labour,
    household_risk_types,
    measures_in_place,
)

# Categories that answer each risk, best first.
RISK_CATEGORIES: dict[str, tuple[str, ...]] = {
    RiskType.ILLNESS: (C.HEALTH, C.PROTECTION),
    RiskType.DISABILITY: (C.PROTECTION, C.HEALTH, C.WELFARE_POST),
    RiskType.SCHOOLING: (C.OTHER_EDUCATION, C.COMPULSORY_EDUCATION),
    RiskType.DISASTER: (C.HOUSING, C.PROTECTION, C.INDUSTRY, C.INFRASTRUCTURE),
    RiskType.ACCIDENT: (C.PROTECTION, C.HEALTH, C.SOCIAL_HELP),
    RiskType.PROJECT_FAILURE: (C.INDUSTRY, C.FINANCE),
    RiskType.UNSTABLE_EMPLOYMENT: (C.EMPLOYMENT, C.WELFARE_POST),
    RiskType.LACK_OF_LABOUR: (C.PROTECTION, C.WELFARE_POST),
    RiskType.HOUSING: (C.HOUSING,),
    RiskType.WATER: (C.WATER,),
    RiskType.MEDICAL_INSURANCE: (C.HEALTH,),
    RiskType.DROPOUT: (C.COMPULSORY_EDUCATION,),
    RiskType.INCOME: (C.INDUSTRY, C.EMPLOYMENT, C.FINANCE, C.PROTECTION),
    RiskType.OTHER: (C.SOCIAL_HELP, C.PROTECTION),
}
# Measures that need someone able to work; not offered to a household without labour.
NEEDS_LABOUR = (C.INDUSTRY, C.EMPLOYMENT, C.WELFARE_POST, C.FINANCE)


@dataclass
class Recommendation:
    item: MeasureCatalogueItem
    reason: str
    risk_type: str = ""


def _risk_label(code: str) -> str:
    return str(dict(RiskType.choices).get(code, code))


def measure_answers(measure, risk: str) -> bool:
    """A measure answers a risk when it names it, or its catalogue item does."""
    if risk in (measure.risk_types or []):
        return True
    return measure.catalogue_item_id is not None and risk in (measure.catalogue_item.risk_types or [])


def _rank(item: MeasureCatalogueItem, risk: str) -> tuple:
    """Items that name the risk first, then by the risk's category order, then those that name it
    earliest, then catalogue order."""
    categories = RISK_CATEGORIES.get(risk, ())
    risks = item.risk_types or []
    position = categories.index(item.category) if item.category in categories else len(categories)
    return (risk not in risks, position, risks.index(risk) if risk in risks else len(risks), item.pk)


def recommend_measures(household, risk_types=None, *, on: datetime.date | None = None) -> list[Recommendation]:
    """Active catalogue items of the household's county for its risks, each with the reason.

    For each risk without a live measure answering it: the best item that suits the risk (and that
    the household can use: no development measures without labour). Then a household with labour
    and no industry or employment measure gets one; a household without labour and no protection
    measure gets protection, placed first."""
    on = on or timezone.localdate()
    if risk_types is None:
        risk_types = household_risk_types(household)
    labour = household_has_labour(household, on)
    catalogue = list(MeasureCatalogueItem.objects.unrestricted().filter(county_id=household.county_id, active=True))
    usable = [item for item in catalogue if labour or item.category not in NEEDS_LABOUR]
    live = list(Measure.objects.unrestricted().filter(household=household, status__in=LIVE_STATUSES)
                .select_related("catalogue_item"))
    taken = {m.catalogue_item_id for m in live if m.catalogue_item_id}
    chosen: list[Recommendation] = []

    def free(item) -> bool:
        return item.pk not in taken and all(r.item.pk != item.pk for r in chosen)

    for risk in dict.fromkeys(risk_types):
        if any(measure_answers(m, risk) for m in live):
            continue
        categories = RISK_CATEGORIES.get(risk, ())
        candidates = [item for item in usable if free(item)
                      and (risk in (item.risk_types or []) or item.category in categories)]
        if not candidates:
            continue
        best = min(candidates, key=lambda item: _rank(item, risk))
        chosen.append(Recommendation(best, _("针对风险“%(r)s”：一项风险至少一项对应措施。") % {
            "r": _risk_label(risk)}, risk))

    live_categories = {m.category for m in live}
    if labour:
        if not (live_categories | {r.item.category for r in chosen}) & set(DEVELOPMENT_CATEGORIES):
            development = sorted((item for item in usable if free(item) and item.category in DEVELOPMENT_CATEGORIES),
                                 key=lambda item: (not set(item.risk_types or []) & set(risk_types),
                                                   DEVELOPMENT_CATEGORIES.index(item.category), item.pk))
            if development:
                chosen.append(Recommendation(development[0], _(
                    "家中有劳动力：至少安排一项产业或就业帮扶措施。")))
    else:
        if C.PROTECTION not in live_categories and not any(r.item.category == C.PROTECTION for r in chosen):
            protection = sorted((item for item in usable if free(item) and item.category == C.PROTECTION),
                                key=lambda item: (not set(item.risk_types or []) & set(risk_types), item.pk))
            if protection:
                chosen.append(Recommendation(protection[0], _("家中无劳动力：优先落实综合保障（兜底）措施。")))
        # Protection first for a household without labour.
        chosen.sort(key=lambda r: r.item.category != C.PROTECTION)
    return chosen


@dataclass
class PlanWarning:
    code: str
    message: str


def plan_warnings(household, *, on: datetime.date | None = None) -> list[PlanWarning]:
    """Gaps in a household's plan: risks without a matching measure, a household with labour without
    a development measure, one without labour without protection, no measure a month after
    confirmation."""
    on = on or timezone.localdate()
    risk_types = household_risk_types(household)
    live = list(Measure.objects.unrestricted().filter(household=household, status__in=LIVE_STATUSES)
                .select_related("catalogue_item"))
    warnings = []
    for risk in risk_types:
        if not any(measure_answers(m, risk) for m in live):
            warnings.append(PlanWarning("risk_without_measure", _("风险“%(r)s”尚无对应的帮扶措施（一项风险至少一项措施）。") % {
                "r": _risk_label(risk)}))
    labour = household_has_labour(household, on)
    categories = {m.category for m in live}
    if labour and not categories & set(DEVELOPMENT_CATEGORIES):
        warnings.append(PlanWarning("labour_without_development",
                                    _("家中有劳动力，但尚无产业或就业帮扶措施。")))
    if not labour and risk_types and C.PROTECTION not in categories:
        warnings.append(PlanWarning("no_labour_without_protection",
                                    _("家中无劳动力，但尚无综合保障（兜底）措施。")))
    monitoring = current_monitoring(household)
    if (monitoring is not None and monitoring.identified_on < on - MEASURE_WITHIN
            and not measures_in_place(household, on).exists()):
        warnings.append(PlanWarning("no_measure_after_month", _(
            "%(d)s确认为监测对象已超过一个月，仍无落实到位的帮扶措施。") % {"d": monitoring.identified_on.isoformat()}))
    return warnings

