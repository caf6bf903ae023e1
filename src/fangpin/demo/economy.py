"""Yearly income and spending of a synthetic household, built up from its members.

Wages come from the members who work (place, months, skill), farm and business income from land,
industries and who is at home to work it, transfers from the policies each member enjoys (pension,
低保, 特困, disability allowances, grants), property income from land rent and dividends. Spending
follows each member's health and schooling and the village's disasters, with heavy tails.

Levels are tuned so that the county matches DOMAIN.md §9 (see docs/synthetic-county.md for the
measured values): exited households' per-capita net income about 15-17 thousand yuan in 2023-2025,
wages about two thirds of it and farm/business about a fifth, and a low tail of 2-3 % of people under
a monitoring line of 8,500 yuan. The tail is made of households that really are weak (old, ill, no
labour, no migrant worker): most such ordinary households have support that the exited ones lack
(`RESCUE_SHARE`), and 低保, granted by means test once the rest of the income is known, lifts many of
the others (`DIBAO_SHARE`).
"""

import math
import random

from .people import ABLE, DisabilityGrade, Health, LabourCapacity, Person, Schooling, WorkPlace

INCOME_YEARS = (2023, 2024, 2025)
LATEST_YEAR = INCOME_YEARS[-1]
WAGE_GROWTH = {2023: 1.0, 2024: 1.075, 2025: 1.15}
STANDARD_GROWTH = {2023: 1.0, 2024: 1.05, 2025: 1.10}  # pension, 低保 and 特困 standards

# Wage income counted per month worked in 2023, by work place (yuan).
MONTHLY_WAGE = {WorkPlace.OUT_OF_PROVINCE: 3200.0, WorkPlace.IN_PROVINCE: 2900.0, WorkPlace.IN_COUNTY: 2350.0}
SKILL_FACTOR = {LabourCapacity.SKILLED: 1.35, LabourCapacity.ORDINARY: 1.0, LabourCapacity.WEAK: 0.62}
WELFARE_POST_MONTHLY = 650.0
FARM_GROSS_PER_MU = 1500.0
INDUSTRY_GROSS_MEDIAN = 6000.0
# Households whose able members all stay at home farm more land (rented in) and keep more livestock.
FULL_TIME_FARMING = 1.9
LAND_RENT_PER_MU = 420.0
BASIC_PENSION = 1680.0  # yuan per year for people aged 60 and over, 2023
DIBAO_MONTHLY = (260.0, 460.0)  # difference paid per 低保 member per month, 2023
TEKUN_YEARLY = 9200.0
FARMLAND_SUBSIDY_PER_MU = 108.0
FOREST_COMPENSATION_PER_MU = 14.75

# Earned income (wages, farm and business) of households below the typical level is pulled towards
# it: per-capita income x becomes TYPICAL * (x / TYPICAL) ** COMPRESSION. Summing members' wages and
# plots gives a far wider spread than the registry shows (more odd jobs and help than anyone records);
# the exponent narrows it without changing who is poorer than whom. MAX_EARNED_FACTOR keeps
# households with (almost) no earned income where they are: their low income is real.
TYPICAL_PER_CAPITA = {True: 13500.0, False: 14000.0}  # by exited, latest year
COMPRESSION = {True: 0.6, False: 0.35}
MAX_EARNED_FACTOR = 3.0
# Households still under RESCUE_LINE get, with this probability, support that lifts them (children's
# remittances, odd jobs, a relative's help): the others form the low tail.
RESCUE_LINE = 9000.0
RESCUE_SHARE = {True: 0.0, False: 0.85}  # by exited

# 低保 (see HouseholdEconomy._social_assistance): chance by exited of (income without it under
# DIBAO_LINE, under DIBAO_NEAR_LINE with no labour or a serious illness, anyone else).
DIBAO_LINE = 10000.0
DIBAO_NEAR_LINE = 13000.0
DIBAO_SHARE = {True: (0.85, 0.5, 0.01), False: (0.38, 0.1, 0.001)}
SEVERE_GRADES = (DisabilityGrade.GRADE1, DisabilityGrade.GRADE2)

# Education spending per student per year (yuan, uniform range) by stage.
SCHOOL_COSTS = {
    Schooling.PRESCHOOL: (1800, 4500), Schooling.PRIMARY: (400, 1600), Schooling.GRADE7: (800, 2600),
    Schooling.GRADE8: (800, 2600), Schooling.GRADE9: (800, 2600), Schooling.SENIOR: (3500, 7500),
    Schooling.SECONDARY_VOCATIONAL: (2500, 6000), Schooling.HIGHER_VOCATIONAL: (9000, 16000),
    Schooling.UNDERGRADUATE: (11000, 22000),
}
COLLEGE = {Schooling.HIGHER_VOCATIONAL, Schooling.UNDERGRADUATE}
SENIOR_STAGE = {Schooling.SENIOR, Schooling.SECONDARY_VOCATIONAL}
VOCATIONAL = {Schooling.SECONDARY_VOCATIONAL, Schooling.HIGHER_VOCATIONAL}


class YearBlock:
    """Amounts of one income year, in yuan (floats until written)."""

    __slots__ = ("year", "wage", "operating", "property", "transfer", "costs", "medical", "education",
                 "disaster", "payout", "members")

    def __init__(self, year: int):
        self.year = year
        self.wage = self.operating = self.property = self.transfer = self.costs = 0.0
        self.medical = self.education = self.disaster = self.payout = 0.0
        self.members = 0

    @property
    def net(self) -> float:
        return self.wage + self.operating + self.property + self.transfer - self.costs

    def per_capita(self) -> float | None:
        return self.net / self.members if self.members else None


def present_in(person: Person, year: int) -> bool:
    """Member of the household at the end of `year` (as the national forms count members)."""
    if person.ended is not None and person.ended.year <= year:
        return False
    return person.joined is None or person.joined.year <= year


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def _uniform(rng: random.Random, bounds) -> float:
    return bounds[0] + (bounds[1] - bounds[0]) * rng.random()


class HouseholdEconomy:
    """The money side of one household for INCOME_YEARS. Call `build()` once."""

    def __init__(self, rng: random.Random, *, exited: bool, people: list[Person], land_mu: float,
                 forest_mu: float, industries: int, cooperative: bool, village_factor: float,
                 disasters: dict[int, tuple[float, float]]):
        self.rng, self.exited, self.people = rng, exited, people
        self.land_mu, self.forest_mu, self.industries = land_mu, forest_mu, industries
        self.cooperative, self.village_factor, self.disasters = cooperative, village_factor, disasters
        self.prosperity = _lognormal(rng, 0.93 if exited else 1.05, 0.28)
        self.blocks = {year: YearBlock(year) for year in INCOME_YEARS}

    # ------------------------------------------------------------------ income

    def build(self) -> list[YearBlock]:
        for block in self.blocks.values():
            block.members = sum(1 for p in self.people if present_in(p, block.year))
        self._wages()
        self._farm_and_business()
        self._property()
        self._transfers()
        self._compress()
        self._rescue_if_weak()
        self._social_assistance()
        self._shocks()
        self._medical()
        self._education()
        self._disasters()
        return [self.blocks[y] for y in INCOME_YEARS]

    def _home_labour(self) -> float:
        """How much of the land the people at home can work (1 = all of it)."""
        at_home = [p for p in self.people if p.ended is None and p.able and p.work_months < 9 and 16 <= p.age < 75]
        if any(p.labour != LabourCapacity.WEAK for p in at_home):
            return 1.0
        return 0.55 if at_home else 0.15

    def _wages(self):
        rng = self.rng
        for person in self.people:
            person_factor = _lognormal(rng, 1.0, 0.25)
            for year in INCOME_YEARS:
                if not present_in(person, year):
                    continue
                months, place = self._months_worked(person, year)
                if months:
                    skill = SKILL_FACTOR.get(person.labour, 0.62)
                    self.blocks[year].wage += (months * MONTHLY_WAGE[place] * skill * person_factor
                                               * self.prosperity * WAGE_GROWTH[year])
            if person.welfare:
                start = INCOME_YEARS[0] if rng.random() < 0.8 else rng.choice(INCOME_YEARS[1:])
                for year in INCOME_YEARS:
                    if year >= start:
                        months = person.welfare_months if year == LATEST_YEAR else 12
                        self.blocks[year].wage += months * WELFARE_POST_MONTHLY * STANDARD_GROWTH[year]

    def _months_worked(self, person: Person, year: int) -> tuple[int, str]:
        if year == LATEST_YEAR:
            return person.work_months, person.work_place
        rng = self.rng
        age_then = person.age - (LATEST_YEAR - year)
        if person.work_months:
            if rng.random() < 0.06:
                return 0, ""  # started working away only recently
            return max(1, min(12, person.work_months + rng.randint(-1, 1))), person.work_place
        if (person.labour in ABLE or person.ended is not None) and 17 <= age_then < 62 and rng.random() < 0.07:
            # Worked before, stopped this year (illness, care duties, lost job): an income drop.
            return rng.randint(6, 12), (WorkPlace.IN_PROVINCE if rng.random() < 0.5 else WorkPlace.OUT_OF_PROVINCE)
        return 0, ""

    def _farm_and_business(self):
        rng = self.rng
        home = self._home_labour()
        active = [p for p in self.people if p.ended is None]
        full_time = home == 1.0 and not any(p.work_months >= 6 for p in active)
        intensity = FULL_TIME_FARMING if full_time else 1.0
        farm = (self.land_mu * FARM_GROSS_PER_MU * self.village_factor * (0.8 + 0.4 * rng.random()) * home
                * intensity)
        industry = sum(_lognormal(rng, INDUSTRY_GROSS_MEDIAN, 0.65) for _ in range(self.industries))
        industry *= self.prosperity * home * intensity
        business = 0.0
        if rng.random() < (0.015 if self.exited else 0.03) and home >= 0.55:
            business = 30000 + 60000 * rng.random()
        farm_cost, industry_cost = 0.30 + 0.12 * rng.random(), 0.35 + 0.15 * rng.random()
        for i, year in enumerate(INCOME_YEARS):
            swing = (0.88 + 0.24 * rng.random()) * (1.05 ** i)
            if rng.random() < 0.03:
                swing *= 0.5  # a bad season: prices fell or the crop failed
            block = self.blocks[year]
            block.operating += (farm + industry + business) * swing
            block.costs += (farm * farm_cost + industry * industry_cost + business * 0.62) * swing

    def _property(self):
        rng = self.rng
        rented_mu = self.land_mu * (1 - self._home_labour()) * 0.8
        dividend = (200 + 700 * rng.random() if rng.random() < 0.8 else 0.0) if self.exited else (
            30 + 270 * rng.random() if rng.random() < 0.5 else 0.0)
        coop = 150 + 1350 * rng.random() if self.cooperative else 0.0
        house_rent = 2000 + 6000 * rng.random() if rng.random() < 0.01 else 0.0
        for year in INCOME_YEARS:
            self.blocks[year].property += rented_mu * LAND_RENT_PER_MU + dividend + coop + house_rent

    def _transfers(self):
        rng = self.rng
        working = any(p.work_months >= 6 for p in self.people if p.ended is None)
        elderly_household = not working and all(p.age >= 55 or p.age < 16 for p in self.people if p.ended is None)
        support = 0.0
        supported = not any(p.tekun for p in self.people)  # 特困 means no one is obliged to support them
        if elderly_household and supported and rng.random() < (0.7 if self.exited else 0.85):
            support = (1500 + 6500 * rng.random()) * (1.0 if self.exited else 1.4)
        land = self.land_mu * FARMLAND_SUBSIDY_PER_MU + self.forest_mu * FOREST_COMPENSATION_PER_MU
        for year in INCOME_YEARS:
            growth, block = STANDARD_GROWTH[year], self.blocks[year]
            block.transfer += land + support
            for person in self.people:
                if not present_in(person, year):
                    continue
                age_then = person.age - (LATEST_YEAR - year)
                if age_then >= 60:
                    block.transfer += BASIC_PENSION * growth + (hash_fraction(person) * 720)
                if person.tekun:
                    block.transfer += TEKUN_YEARLY * growth
                if person.health == Health.DISABLED:
                    if person.grade in (DisabilityGrade.GRADE1, DisabilityGrade.GRADE2):
                        block.transfer += 1200 * growth
                    if self.exited:
                        block.transfer += 960 * growth  # 困难残疾人生活补贴 (低保 households: see below)
                if self.exited and person.schooling in VOCATIONAL:
                    block.transfer += 3000  # 雨露计划
                elif self.exited and person.student and person.schooling != Schooling.PRESCHOOL:
                    block.transfer += 625
            if rng.random() < 0.01:
                block.transfer += 500 + 2500 * rng.random()  # temporary relief

    def _compress(self):
        latest = self.blocks[LATEST_YEAR]
        per_capita = latest.per_capita()
        typical = TYPICAL_PER_CAPITA[self.exited]
        if per_capita is None or per_capita >= typical:
            return
        earned = latest.wage + latest.operating - latest.costs
        if earned <= 0:
            return
        wanted = typical * (max(per_capita, 1.0) / typical) ** COMPRESSION[self.exited]
        factor = min(MAX_EARNED_FACTOR, 1 + (wanted - per_capita) * latest.members / earned)
        for block in self.blocks.values():
            block.wage *= factor
            block.operating *= factor
            block.costs *= factor

    def _rescue_if_weak(self):
        rng = self.rng
        latest = self.blocks[LATEST_YEAR]
        per_capita = latest.per_capita()
        if per_capita is None or per_capita >= RESCUE_LINE:
            return
        missed = 1 - RESCUE_SHARE[self.exited]
        if latest.members >= 5:
            missed *= 0.35  # big households have more people who can send money or take odd jobs
        if rng.random() < missed:
            return
        lift = (9200 + 4800 * rng.random() - per_capita) * latest.members
        earners = [p for p in self.people if p.ended is None and p.work_months]
        if not earners:
            idle = [p for p in self.people if p.ended is None and p.able and 16 <= p.age < 65 and not p.student]
            if idle:
                worker = idle[0]
                worker.work_place = WorkPlace.IN_COUNTY
                worker.work_months = rng.randint(4, 10)
                earners = [worker]
        for i, year in enumerate(INCOME_YEARS):
            amount = lift * (WAGE_GROWTH[year] / WAGE_GROWTH[LATEST_YEAR]) * (0.92 + 0.08 * rng.random())
            if earners:
                self.blocks[year].wage += amount
            else:
                self.blocks[year].transfer += amount

    def _social_assistance(self):
        """低保 by means test: mostly households whose income without it is under DIBAO_LINE, some near
        it with no labour or a serious illness, a few others (单人保 for a sick member, or a case
        whose income has risen since: the 错保 that audits find)."""
        rng = self.rng
        active = [p for p in self.people if p.ended is None]
        per_capita = self.blocks[LATEST_YEAR].per_capita()
        if per_capita is None or any(p.tekun for p in active):
            return
        severe = any(p.health == Health.SERIOUS or (p.health == Health.DISABLED and p.grade in SEVERE_GRADES)
                     for p in active)
        under, near, other = DIBAO_SHARE[self.exited]
        if per_capita < DIBAO_LINE:
            chance = under
        elif per_capita < DIBAO_NEAR_LINE and (severe or not any(p.able for p in active)):
            chance = near
        else:
            chance = other
        if rng.random() >= chance:
            return
        if rng.random() < 0.78:
            covered = active
        else:
            covered = [p for p in active if p.health != Health.HEALTHY or p.age >= 60] or active[:1]
        monthly = _uniform(rng, DIBAO_MONTHLY)
        for person in covered:
            person.dibao = True
            person.supplementary = person.insurance != "none"
        for year in INCOME_YEARS:
            growth, block = STANDARD_GROWTH[year], self.blocks[year]
            for person in covered:
                if present_in(person, year):
                    block.transfer += monthly * 12 * growth
                    if person.health == Health.DISABLED and not self.exited:
                        block.transfer += 960 * growth

    def _shocks(self):
        """Now and then a year of lost work: the 'sharp fall' the screening looks for."""
        rng = self.rng
        for year in INCOME_YEARS:
            if rng.random() < 0.025:
                self.blocks[year].wage *= 0.3 + 0.35 * rng.random()

    # ------------------------------------------------------------------ spending

    def _medical(self):
        rng = self.rng
        relief = 0.7 if self.exited else 1.0  # exited people's higher reimbursement and 先诊疗后付费
        for year in INCOME_YEARS:
            block = self.blocks[year]
            for person in self.people:
                if not present_in(person, year):
                    continue
                age, health, cost = person.age, person.health, 0.0
                if health == Health.SERIOUS:
                    cost += _lognormal(rng, 8000, 0.85) * relief
                elif health == Health.CHRONIC:
                    cost += _lognormal(rng, 1800, 0.7) * relief
                elif health == Health.DISABLED:
                    if rng.random() < 0.55:
                        cost += _lognormal(rng, 900, 0.9)
                elif rng.random() < 0.32 + age / 250:
                    cost += _lognormal(rng, 350, 0.8)
                if rng.random() < 0.03 + age / 1000:
                    cost += _lognormal(rng, 3200, 1.0) * relief  # a hospital stay
                if rng.random() < 0.002:
                    cost += _lognormal(rng, 45000, 0.7) * relief  # cancer, stroke, a bad accident
                block.medical += cost
            if block.medical > 10000 and rng.random() < (0.6 if self.exited else 0.45):
                block.payout += min(200000.0, (block.medical - 5000) * (0.3 + 0.4 * rng.random()))

    def _education(self):
        rng = self.rng
        for person in self.people:
            if person.ended is not None:
                continue
            for year in INCOME_YEARS:
                stage = _stage_in(person, year)
                if stage:
                    cost = _uniform(rng, SCHOOL_COSTS[stage])
                    if self.exited and stage in VOCATIONAL:
                        cost *= 0.6  # tuition waived for registered-poor students
                    self.blocks[year].education += cost

    def _disasters(self):
        rng = self.rng
        for year in INCOME_YEARS:
            block, loss = self.blocks[year], 0.0
            event = self.disasters.get(year)
            if event and rng.random() < event[0]:
                loss += _lognormal(rng, event[1], 1.0)
            if rng.random() < 0.008:
                loss += _lognormal(rng, 8000, 0.8)  # a house fire, sick livestock
            if loss:
                block.disaster += loss
                if loss > 3000 and rng.random() < 0.35:
                    block.payout += loss * (0.2 + 0.3 * rng.random())


def _stage_in(person: Person, year: int) -> str:
    """The school stage a member was at in `year`, judged from age and where they are now."""
    back = LATEST_YEAR - year
    if back == 0:
        return person.schooling if person.student else ""
    age = person.age - back
    now = person.schooling
    if age < 3:
        return ""
    if age < 6:
        return Schooling.PRESCHOOL if now != Schooling.NOT_IN_SCHOOL or person.age >= 6 else ""
    if age < 12:
        return Schooling.PRIMARY
    if age < 15:
        return (Schooling.GRADE7, Schooling.GRADE8, Schooling.GRADE9)[age - 12]
    if age < 18:
        if now in SENIOR_STAGE:
            return now
        if now in COLLEGE:
            return Schooling.SENIOR
        return Schooling.SENIOR if person.age <= 18 and now != Schooling.NOT_IN_SCHOOL else ""
    if now in COLLEGE and age < 23:
        return now
    return ""


def hash_fraction(person: Person) -> float:
    """A stable per-person fraction (the individual pension account top-up) without drawing."""
    return (person.birth.toordinal() * 2654435761 % 1000) / 1000
