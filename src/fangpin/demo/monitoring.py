"""Monitoring for the demo county: a standard in force, then a few months of shocks and screening, so
that leads, tiers and the monthly list have something to show right after `fangpin demo`."""

import datetime

from django.utils import timezone

from fangpin.core.roles import Role
from fangpin.monitoring.choices import LineMethod
from fangpin.monitoring.models import Thresholds
from fangpin.monitoring.screening.services import screening_run
from fangpin.monitoring.services import thresholds_adopt
from fangpin.monitoring.standards.services import monthly_list_build
from fangpin.regions.models import Place

from .economy import LATEST_YEAR
from .shocks import apply_shocks

# DOMAIN.md §3 and §9: Gansu's 2025 line, the usual 10 % watch band and 30 % drop, medical warning at
# 10,000 yuan and at 50 % (exited) / 100 % (others) of the 2024 rural disposable income of former poor
# counties (17,522 yuan), schooling and disaster at 10,000.
DEFAULT_STANDARD = {
    "line_method": LineMethod.FIXED, "line_parameters": {"amount": "8600"},
    "watch_band_ratio": "0.10", "income_drop_ratio": "0.30", "reference_income": "17522",
    "medical_warning_amount": "10000", "medical_warning_reference_share_exited": "0.50",
    "medical_warning_reference_share_other": "1.00", "education_warning_amount": "10000",
    "disaster_warning_amount": "10000", "stable_employment_months": 6,
}
SIMULATED_MONTHS = 3


def adopt_default_thresholds(county: Place) -> Thresholds:
    """Version 1 of the demo county's standard, adopted by its county admin, in force from the first
    day after the generated income years (so every screening month of the demo has it)."""
    existing = Thresholds.objects.filter(county=county).order_by("version").first()
    if existing is not None:
        return existing
    admin = county.users.filter(role=Role.COUNTY_ADMIN).order_by("id").first()
    return thresholds_adopt(actor=admin, county=county, effective_from=datetime.date(LATEST_YEAR + 1, 1, 1),
                            year=LATEST_YEAR + 1, note="演示县默认监测标准（甘肃2025年监测线，医疗预警参考2024年收入）",
                            **DEFAULT_STANDARD)


def recent_periods(today: datetime.date, months: int = SIMULATED_MONTHS) -> list[str]:
    """The `months` months up to and including today's, oldest first ("YYYY-MM")."""
    periods, year, month = [], today.year, today.month
    for _ in range(months):
        periods.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return periods[::-1]


def simulate_months(county: Place, seed: int, today: datetime.date | None = None) -> list[dict]:
    """Shocks for each of the last months, each followed by that month's screening. Returns one
    summary per month: the shocks and, when screening ran, its lead counts."""
    summaries = []
    for period in recent_periods(today or timezone.localdate()):
        shocks = apply_shocks(county, period, seed)
        run = screening_run(actor=None, county=county, period=period)
        summaries.append({"period": period, "shocks": shocks, "leads": {
            "new": sum(c["new"] for c in run.counts.values()),
            "merged": sum(c["merged"] for c in run.counts.values())}})
    return summaries


def draft_monthly_list(county: Place, today: datetime.date | None = None):
    """This month's suggested lists, built by the system and left unsent for the county to review and
    send."""
    return monthly_list_build(actor=None, county=county, period=recent_periods(today or timezone.localdate())[-1])
