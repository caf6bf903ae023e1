"""Synthetic shocks, month by month, so that the channels of monitoring have something real to find.

`apply_shocks(county, period, seed)` strikes a small, realistic share of the county's households in
one month:

- illness: a member falls seriously ill (health becomes 重病) and the household pays a large
  out-of-pocket medical bill (median about 18,000 yuan, less for exited households, whose
  reimbursement is higher), sometimes partly paid back by insurance;
- disaster: in one township a handful of households lose crops, livestock or house to a disaster
  whose kind follows the season (floods and landslides in summer, drought in spring, frost and snow
  in winter); loss median about 15,000 yuan;
- job loss: a migrant worker comes home (months worked fall to 0-2) and the household's wage income
  for the quarter falls to 10-45 % of what it was.

Money goes into the quarterly income block of the shock's quarter (the "quarterly update" a cadre
records after a shock). A shocked household gets the whole rolling year of quarters ending there, so
that the screening, which reads four quarters when it has them, sees the shock: missing quarters are
a quarter of that year's yearly block (or of the latest one before it). Members are updated in place. Everything is written in bulk, a handful of
queries per run whatever the county's size, and one change-log row summarises the run (counts,
affected household numbers, the disaster's township and kind). The same county, period and seed give
the same shocks; a period already shocked is not shocked again.
"""

import datetime
import math
import random
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F

from fangpin.core.models import ChangeLog
from fangpin.monitoring.choices import DisasterSubtype
from fangpin.core.periods import parse_period
from fangpin.regions.models import Level, Place
from fangpin.registry.choices import Health, HouseholdStatus, Schooling
from fangpin.registry.models import Household, Income, Member

ILLNESS_RATE = 0.0020  # share of households struck by serious illness per month
JOB_LOSS_RATE = 0.0030  # share of households with a migrant worker who loses the job per month
DROPOUT_RATE = 0.002  # share of pupils in grades 7-9 who leave school in a month (at least one a month)
DISASTER_MONTH_CHANCE = 0.6  # chance that a disaster strikes some township in a month
DISASTER_SHARE = (0.01, 0.03)  # share of the struck township's households that lose something
SEASONAL_DISASTERS = {
    (12, 1, 2): (DisasterSubtype.WEATHER, DisasterSubtype.WEATHER, DisasterSubtype.OTHER),
    (3, 4, 5): (DisasterSubtype.DROUGHT, DisasterSubtype.BIOLOGICAL, DisasterSubtype.WEATHER),
    (6, 7, 8, 9): (DisasterSubtype.FLOOD, DisasterSubtype.FLOOD, DisasterSubtype.GEOLOGICAL),
    (10, 11): (DisasterSubtype.DROUGHT, DisasterSubtype.WEATHER, DisasterSubtype.EARTHQUAKE),
}
CENT = Decimal("0.01")
SAMPLE = 30  # household numbers kept per shock kind in the change-log row


def _yuan(amount: float) -> Decimal:
    return Decimal(str(round(amount, 2))).quantize(CENT, rounding=ROUND_HALF_UP)


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def _summary_reason(period: str) -> str:
    return f"演示冲击：{period}"


def _pick(rng: random.Random, population: list, rate: float) -> list:
    count = sum(1 for _ in population if rng.random() < rate)
    return sorted(rng.sample(population, count)) if count else []


class _Blocks:
    """Quarterly income blocks of the shocked households, loaded and written in bulk.

    Each shocked household gets a complete rolling year of quarters ending with the shock's quarter
    (the window the screening reads): quarters it lacks are made from a quarter of that year's
    yearly block, or of the latest yearly block before it."""

    def __init__(self, household_ids: set[int], year: int, quarter: int):
        self.year, self.quarter = year, quarter
        self.index = year * 4 + quarter - 1
        window = range(self.index - 3, self.index + 1)
        years = {i // 4 for i in window}
        self.rows = {(i.household_id, i.year * 4 + i.quarter - 1): i for i in Income.objects.filter(
            household_id__in=household_ids, year__in=years, quarter__isnull=False)}
        yearly: dict[int, dict[int, Income]] = {}
        for income in Income.objects.filter(household_id__in=household_ids, quarter__isnull=True, year__lte=year):
            yearly.setdefault(income.household_id, {})[income.year] = income
        self.new = []
        for household_id in sorted(household_ids):
            for index in window:
                if (household_id, index) in self.rows:
                    continue
                block_year = index // 4
                known = [y for y in yearly.get(household_id, {}) if y <= block_year]
                base = yearly[household_id][max(known)] if known else None
                block = Income(household_id=household_id, year=block_year, quarter=index % 4 + 1)
                for name in Income.MONEY_FIELDS:
                    amount = getattr(base, name) / 4 if base is not None else Decimal("0")
                    setattr(block, name, amount.quantize(CENT, rounding=ROUND_HALF_UP))
                self.rows[(household_id, index)] = block
                self.new.append(block)
        self.touched = set()

    def __getitem__(self, household_id: int) -> Income:
        """The shock quarter's block of a household."""
        block = self.rows[(household_id, self.index)]
        self.touched.add(id(block))
        return block

    def save(self) -> None:
        Income.objects.bulk_create(self.new)
        changed = [row for row in self.rows.values() if row.pk and id(row) in self.touched]
        for row in changed:
            row.version += 1
        Income.objects.bulk_update(changed, [*Income.MONEY_FIELDS, "version"])


@transaction.atomic
def apply_shocks(county: Place, period: str, seed: int) -> dict:
    """Strike households of `county` in the month `period` ("YYYY-MM"); return the summary written to
    the change log. Deterministic for the same data, period and seed; a second run for the same period
    does nothing and returns the first run's summary."""
    first_day = parse_period(period)
    period = f"{first_day:%Y-%m}"
    done = ChangeLog.objects.filter(source="demo", object_type=Place._meta.label_lower, object_id=county.pk,
                                    reason=_summary_reason(period)).first()
    if done is not None:
        return done.after
    rng = random.Random(f"fangpin-shocks:{seed}:{county.code}:{period}")
    households = list(Household.objects.filter(county=county, status=HouseholdStatus.ACTIVE).order_by("id")
                      .values_list("id", "number", "household_type", "place__code"))
    number = {h[0]: h[1] for h in households}
    exited = {h[0] for h in households if h[2] == "exited"}

    ill = _pick(rng, [h[0] for h in households], ILLNESS_RATE)
    workers = dict(Member.objects.filter(household__in=[h[0] for h in households], ended_on__isnull=True,
                                         work_months__gte=6).exclude(household__in=ill)
                   .order_by("household_id", "id").values_list("household_id", "id").distinct())
    jobless = _pick(rng, sorted(workers), JOB_LOSS_RATE)
    disaster = _disaster(rng, county, first_day, [h for h in households if h[0] not in set(ill) | set(jobless)])
    struck = disaster["households"] if disaster else []

    blocks = _Blocks(set(ill) | set(jobless) | set(struck), first_day.year, (first_day.month - 1) // 3 + 1)
    patients = _sick_members(rng, ill)
    for household_id in ill:
        bill = _lognormal(rng, 18000, 0.5) * (0.6 if household_id in exited else 1.0)
        block = blocks[household_id]
        block.medical_spending += _yuan(bill)
        if rng.random() < 0.4:
            block.insurance_payout += _yuan(max(0.0, bill - 5000) * (0.3 + 0.3 * rng.random()))
    for household_id in jobless:
        block = blocks[household_id]
        block.wage_income = _yuan(float(block.wage_income) * (0.10 + 0.35 * rng.random()))
    for household_id in struck:
        loss = _lognormal(rng, 15000, 0.6)
        block = blocks[household_id]
        block.disaster_loss += _yuan(loss)
        if rng.random() < 0.3:
            block.insurance_payout += _yuan(loss * (0.2 + 0.3 * rng.random()))
    blocks.save()
    Member.objects.filter(pk__in=patients).update(health=Health.SERIOUS, version=F("version") + 1)
    months = {worker: rng.randint(0, 2) for worker in (workers[h] for h in jobless)}
    for months_left in set(months.values()):
        Member.objects.filter(pk__in=[m for m, left in months.items() if left == months_left]).update(
            work_months=months_left, version=F("version") + 1,
            **({"work_place": ""} if months_left == 0 else {}))

    dropouts = _dropouts(rng, [h[0] for h in households], first_day)
    Member.objects.filter(pk__in=[member_id for member_id, _ in dropouts]).update(
        schooling=Schooling.DROPOUT, version=F("version") + 1)

    summary = {
        "shocks": "fangpin.demo.shocks", "seed": seed, "period": period,
        "quarter": f"{blocks.year}Q{blocks.quarter}",
        "illness": {"households": len(ill), "sample": [number[h] for h in ill[:SAMPLE]]},
        "job_loss": {"households": len(jobless), "sample": [number[h] for h in jobless[:SAMPLE]]},
        "dropout": {"households": len(dropouts), "sample": [number[h] for _, h in dropouts[:SAMPLE]]},
        "disaster": {"households": len(struck), "sample": [number[h] for h in struck[:SAMPLE]],
                     "township": disaster["township"] if disaster else "",
                     "subtype": disaster["subtype"] if disaster else ""},
    }
    ChangeLog.objects.create(source="demo", action=ChangeLog.Action.UPDATE, object_type=Place._meta.label_lower,
                             object_id=county.pk, object_repr=str(county), area_code=county.code,
                             reason=_summary_reason(period), before=None, after=summary)
    return summary


def _dropouts(rng: random.Random, households: list[int], first_day: datetime.date) -> list[tuple[int, int]]:
    """(member, household) of pupils in grades 7-9, still of compulsory-school age, who leave school:
    rare, but at least one a month when there are such pupils, so the demo shows the rule at work."""
    youngest_birth = first_day.replace(year=first_day.year - 16)
    pupils = list(Member.objects.filter(
        household__in=households, ended_on__isnull=True, birth_date__gt=youngest_birth,
        schooling__in=[Schooling.GRADE7, Schooling.GRADE8, Schooling.GRADE9],
    ).order_by("id").values_list("id", "household_id"))
    chosen = _pick(rng, pupils, DROPOUT_RATE)
    return chosen or (rng.sample(pupils, 1) if pupils else [])


def _sick_members(rng: random.Random, households: list[int]) -> list[int]:
    """One member of each struck household who is not already seriously ill (the eldest adult more
    often than not)."""
    members: dict[int, list[tuple]] = {}
    for member_id, household_id, birth in (Member.objects.filter(household__in=households, ended_on__isnull=True)
                                           .exclude(health=Health.SERIOUS).order_by("household_id", "birth_date", "id")
                                           .values_list("id", "household_id", "birth_date")):
        members.setdefault(household_id, []).append((member_id, birth))
    chosen = []
    for household_id in households:
        candidates = members.get(household_id)
        if candidates:
            chosen.append(candidates[0][0] if rng.random() < 0.6 else rng.choice(candidates)[0])
    return chosen


def _disaster(rng: random.Random, county: Place, first_day: datetime.date, households: list[tuple]) -> dict | None:
    if rng.random() >= DISASTER_MONTH_CHANCE:
        return None
    townships = list(Place.objects.filter(parent=county, level=Level.TOWNSHIP).order_by("code"))
    if not townships:
        return None
    township = rng.choice(townships)
    local = [h[0] for h in households if h[3].startswith(township.scope_prefix)]
    if not local:
        return None
    share = DISASTER_SHARE[0] + (DISASTER_SHARE[1] - DISASTER_SHARE[0]) * rng.random()
    count = min(len(local), max(3, round(len(local) * share)))
    kinds = next(k for months, k in SEASONAL_DISASTERS.items() if first_day.month in months)
    return {"township": township.name, "subtype": rng.choice(kinds), "households": sorted(rng.sample(local, count))}
