"""Rule screening of a county for a month: evaluate every rule, raise the leads, recompute tiers."""

import calendar
import datetime
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fangpin.core.audit import log_change
from fangpin.core.errors import CoreErrorCode, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.periods import parse_period
from fangpin.core.roles import Perm
from fangpin.core.scoping import ensure_in_area
from fangpin.monitoring.models import ScreeningRun
from fangpin.monitoring.services import thresholds_in_force
from fangpin.regions.models import Level, Place

from .engines import check_engine, evaluate_rules, open_engine
from .leads import Candidate, raise_screening_leads
from .parameters import Parameters
from .rules import RULES, Rule, lead_figures, lead_summary
from .tiers import profile, tiers_recompute


def _last_day(first: datetime.date) -> datetime.date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def candidates_of(rule: Rule, rows: list[dict], parameters: Parameters) -> list[Candidate]:
    """Rows of a rule as leads would record them. Summaries are stored in the county's language,
    whatever language the person who started the screening uses."""
    with translation.override(settings.LANGUAGE_CODE):
        candidates = []
        for row in rows:
            figures = lead_figures(rule, row, parameters)
            candidates.append(Candidate(row["household_id"], figures, lead_summary(rule, figures)))
        return candidates


@transaction.atomic
def screening_run(*, actor, county: Place, period: str, engine: str = "db",
                  rules: tuple[Rule, ...] = RULES) -> ScreeningRun:
    """Screen every household of `county` with every rule for the month `period` ("YYYY-MM") under
    the thresholds in force in that month. `actor` None is the system (the scheduled/CLI run).
    Re-running a month adds no lead: each rule raises a household at most once a month."""
    check_engine(engine)
    first_day = parse_period(period)
    if actor is not None:
        ensure_in_area(actor, county, Perm.RUN_SCREENING)
    if county.level != Level.COUNTY:
        raise ValidationFailed(CoreErrorCode.COUNTY_LEVEL, _("系统筛查按县执行。"), field="county")
    county = Place.objects.unrestricted().select_for_update().get(pk=county.pk)  # one screening of a county at a time
    thresholds = thresholds_in_force(county, _last_day(first_day))
    parameters = Parameters.from_thresholds(thresholds, period)
    run = ScreeningRun.objects.create(county=county, period=parameters.period, engine=engine, thresholds=thresholds,
                                      started_by=actor if getattr(actor, "pk", None) else None)

    clock = time.perf_counter()
    timings = {}

    def lap(name):
        nonlocal clock
        timings[name] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()

    evaluator = open_engine(engine, county.pk)
    lap("snapshot")
    try:
        rule_rows = evaluate_rules(evaluator, rules, parameters)
        lap("rules")
        profile_rows = evaluator.columns(profile(evaluator.tables, parameters))
        lap("profile")
    finally:
        evaluator.close()

    run.counts = raise_screening_leads(
        actor=actor, run=run,
        rule_candidates=[(rule, candidates_of(rule, rule_rows[rule.code], parameters)) for rule in rules])
    lap("leads")
    tiers = tiers_recompute(run=run, profile_rows=profile_rows, rule_rows=rule_rows, parameters=parameters)
    lap("tiers")
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "finished_at"])
    run.tier_counts, run.timings = tiers, timings  # for the CLI and the benchmark; not stored
    log_change(run, ChangeLog.Action.CREATE, actor=actor,
               reason=_("系统筛查%(p)s：新增线索%(n)d条，并入已有线索%(m)d条") % {
                   "p": run.period, "n": sum(c["new"] for c in run.counts.values()),
                   "m": sum(c["merged"] for c in run.counts.values())})
    return run
