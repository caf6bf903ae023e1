"""The synthetic county: places, households, members and three years of income and spending.

`generate_county(households, seed)` fills an empty, migrated database and returns the county. The
same seed and size give the same data (one `random.Random(seed)` drawn in a fixed order). Rows are
generated a chunk of households at a time and written in bulk (`writers.FastWriter`: executemany on
SQLite, COPY on PostgreSQL), so memory stays bounded at any size. The data is seed data, not user
edits: one change-log row records the generation, not one per record.

Calibration targets and measured values: docs/synthetic-county.md. Deliberate data-quality oddities
(`ODDITIES`) are planted at small rates so that the national sanity rules have something to find;
their counts and sample household numbers are in the change-log row's `after`.
"""

import contextlib
import dataclasses
import datetime
import math
import queue
import random
import threading
from collections.abc import Iterator

from django.db import connection, transaction
from django.db.models import Max

from fangpin.core.models import ChangeLog
from fangpin.regions.models import Level, Place
from fangpin.registry import choices
from fangpin.registry.models import Household, Income, Member

from . import names
from .economy import INCOME_YEARS, LATEST_YEAR, HouseholdEconomy, YearBlock
from .names import WeightedChoice, plain
from .people import (
    BIRTH_AREAS,
    DATA_AS_OF,
    SIZE_EXITED,
    SIZE_ORDINARY,
    F,
    Health,
    IdAllocator,
    LabourCapacity,
    M,
    Person,
    Relation,
    WorkPlace,
    compose_household,
    joined_date,
    set_birth_date,
    set_health,
    set_insurance,
    set_labour,
    set_schooling,
    set_work,
)
from .writers import FastWriter, Table

GENERATOR_VERSION = 1
COUNTY_CODE = "513921000000"
COUNTY_NAME = "青岚县"
CHUNK_HOUSEHOLDS = 2000
DEFER_INDEXES_FROM = 20_000  # households; see _deferred_indexes

HouseholdType, HouseholdStatus = plain(choices.HouseholdType), plain(choices.HouseholdStatus)
HouseGrade, EndReason = plain(choices.HouseGrade), plain(choices.EndReason)
DisabilityGrade = plain(choices.DisabilityGrade)

EXIT_YEARS = WeightedChoice([(2014, 8), (2015, 12), (2016, 18), (2017, 20), (2018, 20), (2019, 15), (2020, 7)])
HOUSE_GRADES = {
    True: WeightedChoice([(HouseGrade.A, 84.0), (HouseGrade.B, 13.4), (HouseGrade.C, 2.0), (HouseGrade.D, 0.5),
                          (HouseGrade.NONE, 0.1)]),
    False: WeightedChoice([(HouseGrade.A, 77.6), (HouseGrade.B, 19.3), (HouseGrade.C, 2.2), (HouseGrade.D, 0.6),
                           (HouseGrade.NONE, 0.3)]),
}
INDUSTRY_COUNT = {
    True: WeightedChoice([(0, 10), (1, 40), (2, 35), (3, 15)]),
    False: WeightedChoice([(0, 35), (1, 40), (2, 20), (3, 5)]),
}
COUNTY_INDUSTRIES = ("水稻", "玉米", "油菜", "茶叶", "猕猴桃", "柑橘", "花椒", "中药材", "食用菌", "蔬菜", "魔芋",
                     "核桃", "生猪养殖", "肉牛养殖", "山羊养殖", "家禽养殖", "稻渔综合种养", "蜜蜂养殖", "乡村旅游",
                     "农村电商")
WATER_CRITERIA = WeightedChoice([(0, 30), (1, 30), (2, 20), (3, 20)])  # quantity, quality, convenience, supply

# Deliberate data-quality oddities the national sanity rules (DOMAIN §10) should flag.
ODDITIES = {
    "serious_illness_zero_medical": "患大病成员所在户当年医疗自付支出为0",
    "dibao_zero_transfer": "享受低保的农户当年转移性收入为0",
    "lost_labour_but_working": "丧失劳动力的成员登记了务工月数",
    "wage_extra_digit": "工资性收入多录一位数（约为上年的10倍）",
}
ODDITY_RATES = {  # share of the households where the oddity can occur
    "serious_illness_zero_medical": 0.05,
    "dibao_zero_transfer": 0.02,
    "lost_labour_but_working": 0.03,
    "wage_extra_digit": 0.001,
}

HOUSEHOLDS = Table(Household, (
    "id", "county_id", "number", "place_id", "address", "phone", "household_type", "exit_year", "relocated",
    "relocation_site", "house_grade", "house_area", "water_safe", "water_quantity_ok", "water_quality_ok",
    "water_convenient_ok", "water_supply_ok", "cultivated_land_mu", "forest_land_mu", "cooperative_member",
    "industries", "helper_id", "grid_worker_id", "status", "ended_on", "merged_into_id", "created_at",
    "updated_at", "version",
))
MEMBERS = Table(Member, (
    "household_id", "name", "id_number", "relation", "sex", "birth_date", "ethnicity", "education", "schooling",
    "health", "disability_grade", "labour_capacity", "work_place", "work_months", "medical_insurance",
    "critical_illness_insurance", "pension_insurance", "supplementary_insurance", "dibao", "tekun",
    "welfare_post", "welfare_post_months", "joined_on", "ended_on", "end_reason", "created_at", "updated_at",
    "version",
))
INCOMES = Table(Income, (
    "household_id", "year", "quarter", "wage_income", "operating_income", "property_income", "transfer_income",
    "operating_costs", "medical_spending", "education_spending", "disaster_loss", "insurance_payout",
    "created_at", "updated_at", "version",
))


def _cents(amount: float) -> str:
    cents = int(amount * 100 + 0.5)
    return f"{cents // 100}.{cents % 100:02d}"


def _yuan(amount: float) -> str:
    return f"{int(amount + 0.5)}.00"


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def _random_day(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return datetime.date.fromordinal(first.toordinal() + int(rng.random() * (last.toordinal() - first.toordinal() + 1)))


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder), at least 1 each when possible."""
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    if total >= len(counts):
        for i, count in enumerate(counts):
            if count == 0:
                donor = max(range(len(counts)), key=lambda j: (counts[j], -j))
                counts[donor] -= 1
                counts[i] = 1
    return counts


@dataclasses.dataclass
class GroupPlan:
    place_id: int
    code: str
    name: str
    households: int = 0


@dataclasses.dataclass
class VillagePlan:
    place_id: int
    code: str
    name: str
    township_name: str
    relocation_site: str
    groups: list[GroupPlan]
    households: int
    exited_share: float
    farm_factor: float
    water_risk: float
    minority: str
    minority_share: float
    clan_surnames: tuple[str, str]
    featured_industries: tuple[str, ...]
    disasters: dict[int, tuple[float, float]]


@dataclasses.dataclass
class Summary:
    households: int = 0
    exited: int = 0
    dissolved: int = 0
    members: int = 0
    ended_members: int = 0
    incomes: int = 0
    oddities: dict = dataclasses.field(default_factory=lambda: {k: 0 for k in ODDITIES})
    oddity_samples: dict = dataclasses.field(default_factory=lambda: {k: [] for k in ODDITIES})

    @property
    def rows(self) -> int:
        return self.households + self.members + self.ended_members + self.incomes


@dataclasses.dataclass
class Chunk:
    households: list[tuple]
    members: list[tuple]
    incomes: list[tuple]


class CountyGenerator:
    """Builds one county. `run()` writes it; `plan_places()` and `chunks()` are the two halves."""

    def __init__(self, households: int, seed: int):
        if households < 1:
            raise ValueError("households must be at least 1")
        self.households, self.seed = households, seed
        self.rng = random.Random(seed)
        self.ids = IdAllocator()
        self.summary = Summary()
        self.county: Place | None = None
        self.villages: list[VillagePlan] = []
        self._oddity_candidates: dict[str, int] = {}

    # ------------------------------------------------------------------ places

    def _layout(self) -> list[int]:
        """Villages per township: 10-25 in a full-size county; fewer when the county is small, so
        that a village still has about 30 households."""
        rng, n = self.rng, self.households
        townships = 10 + min(10, n // 100_000)
        mean = min(17.5, max(2.0, n / (30 * townships)))
        low, high = max(2, round(mean * 0.6)), min(25, max(2, round(mean * 1.43)))
        return [rng.randint(low, high) for _ in range(townships)]

    def plan_places(self) -> Place:
        rng = self.rng
        county = Place.objects.create(code=COUNTY_CODE, name=COUNTY_NAME, level=Level.COUNTY)
        layout = self._layout()
        zhen = max(1, round(len(layout) * 0.65))
        taken: set[str] = set()
        townships = []
        for i in range(len(layout)):
            suffix = "镇" if i < zhen else "乡"
            number = 101 + i if i < zhen else 201 + (i - zhen)
            name = names.place_name(rng, names.TOWNSHIP_FIRST, names.TOWNSHIP_SECOND, taken) + suffix
            townships.append(Place(code=f"{COUNTY_CODE[:6]}{number:03d}000", name=name, level=Level.TOWNSHIP,
                                   parent=county))
        townships = Place.objects.bulk_create(townships)
        villages = []
        for township, count in zip(townships, layout):
            taken_here: set[str] = set()
            for j in range(count):
                name = names.place_name(rng, names.VILLAGE_FIRST, names.VILLAGE_SECOND, taken_here) + "村"
                villages.append(Place(code=f"{township.code[:9]}{200 + j:03d}", name=name, level=Level.VILLAGE,
                                      parent=township))
        villages = Place.objects.bulk_create(villages)
        group_counts = [rng.randint(3, 8) for _ in villages]
        groups = [Place(code=f"{v.code}{k:03d}", name=names.group_name(k), level=Level.GROUP, parent=v)
                  for v, count in zip(villages, group_counts) for k in range(1, count + 1)]
        groups = Place.objects.bulk_create(groups)
        self._plan_households(county, townships, villages, groups, group_counts)
        self.county = county
        return county

    def _plan_households(self, county, townships, villages, groups, group_counts):
        rng = self.rng
        township_by_id = {t.pk: t for t in townships}
        sites = {t.pk: t.name[:-1] + rng.choice(("集中安置点", "新村安置点", "易地搬迁安置小区")) for t in townships}
        per_village = _apportion(self.households, [_lognormal(rng, 1.0, 0.45) for _ in villages])
        cursor = 0
        for village, count, n_groups in zip(villages, per_village, group_counts):
            village_groups = groups[cursor: cursor + n_groups]
            cursor += n_groups
            per_group = _apportion(count, [_lognormal(rng, 1.0, 0.3) for _ in village_groups])
            plans = [GroupPlan(g.pk, g.code, g.name, c) for g, c in zip(village_groups, per_group)]
            minority_village = rng.random() < 0.06
            first, second = names.SURNAMES.pick(rng), names.SURNAMES.pick(rng)
            self.villages.append(VillagePlan(
                place_id=village.pk, code=village.code, name=village.name,
                township_name=township_by_id[village.parent_id].name,
                relocation_site=sites[village.parent_id], groups=plans, households=count,
                exited_share=min(0.6, _lognormal(rng, 0.235, 0.35)),
                farm_factor=_lognormal(rng, 1.0, 0.10),
                water_risk=_lognormal(rng, 0.025, 0.6),
                minority=names.MINORITY_CHOICE.pick(rng) if minority_village else "",
                minority_share=0.55 if minority_village else 0.0,
                clan_surnames=(first, second),
                featured_industries=tuple(rng.sample(COUNTY_INDUSTRIES, 5)),
                disasters={year: (0.15 + 0.35 * rng.random(), 1500 + 4500 * rng.random())
                           for year in INCOME_YEARS if rng.random() < 0.07},
            ))

    # ------------------------------------------------------------------ households

    def chunks(self, first_id: int, timestamp) -> Iterator[Chunk]:
        chunk = Chunk([], [], [])
        household_id = first_id
        for village in self.villages:
            width = max(4, len(str(village.households)))
            seq = 0
            for group in village.groups:
                house_no = 0
                for _ in range(group.households):
                    seq += 1
                    house_no += 1 + (self.rng.random() < 0.3)
                    number = f"{village.code}{seq:0{width}d}"
                    self._household(chunk, household_id, number, village, group, house_no, timestamp)
                    household_id += 1
                    if len(chunk.households) >= CHUNK_HOUSEHOLDS:
                        yield chunk
                        chunk = Chunk([], [], [])
        if chunk.households:
            yield chunk

    def _household(self, chunk: Chunk, household_id: int, number: str, village: VillagePlan, group: GroupPlan,
                   house_no: int, timestamp) -> None:
        rng, summary = self.rng, self.summary
        exited = rng.random() < village.exited_share
        size = (SIZE_EXITED if exited else SIZE_ORDINARY).pick(rng)
        people = compose_household(rng, size)
        exit_year = EXIT_YEARS.pick(rng) if exited else None
        if exited:
            year = 2014 if rng.random() < 0.85 else min(exit_year, rng.choice((2015, 2016)))
            registered = _random_day(rng, datetime.date(year, 1, 1), datetime.date(year, 12, 31))
        else:
            registered = _random_day(rng, datetime.date(2021, 3, 1), datetime.date(2022, 12, 31))
        for person in people:
            set_birth_date(rng, person)
        dissolved = size == 1 and people[0].age >= 70 and rng.random() < 0.05
        if dissolved:
            head = people[0]
            head.ended, head.end_reason = (_random_day(rng, datetime.date(2024, 1, 1), datetime.date(2025, 12, 20)),
                                           EndReason.DECEASED)
        else:
            people += self._former_members(people)
        self._name_people(people, village)
        for person in people:
            set_schooling(rng, person, exited)
            set_health(rng, person, exited)
            set_labour(rng, person)
            set_work(rng, person, 0.95 if exited else 1.0)
            set_insurance(rng, person, exited)
            person.joined = joined_date(person, registered)
        active = [p for p in people if p.ended is None]
        self._policies(active, exited)

        relocated = rng.random() < (0.09 if exited else 0.005)
        land = round(min(40.0, _lognormal(rng, 1.1, 0.45) * max(1, len(active)) ** 0.8), 2)
        forest = round(_lognormal(rng, 6.0, 0.9), 2) if rng.random() < 0.45 else 0.0
        cooperative = rng.random() < (0.38 if exited else 0.12)
        n_industries = INDUSTRY_COUNT[exited].pick(rng)
        industries = self._industries(village, n_industries)
        economy = HouseholdEconomy(
            rng, exited=exited, people=people, land_mu=land, forest_mu=forest, industries=n_industries,
            cooperative=cooperative, village_factor=village.farm_factor, disasters=village.disasters)
        blocks = [b for b in economy.build() if b.members]
        self._plant_oddities(number, people, blocks)

        grade = HouseGrade.A if relocated else HOUSE_GRADES[exited].pick(rng)
        area = None if grade == HouseGrade.NONE else round(
            _lognormal(rng, 38.0, 0.3) * max(1, len(active)) ** 0.7 + 30, 2)
        water = [True, True, True, True]
        if not relocated and rng.random() < village.water_risk:
            water[WATER_CRITERIA.pick(rng)] = False
        head = people[0]
        elderly_alone = len(active) == 1 and head.age >= 70
        phone = names.mobile(rng) if rng.random() < (0.8 if elderly_alone else 0.97) else ""
        if relocated:
            address = (f"{COUNTY_NAME}{village.relocation_site}{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元"
                       f"{rng.randint(1, 6)}0{rng.randint(1, 4)}号")
        else:
            address = f"{COUNTY_NAME}{village.township_name}{village.name}{group.name}{house_no}号"
        status = HouseholdStatus.DISSOLVED if dissolved else HouseholdStatus.ACTIVE
        chunk.households.append((
            household_id, self.county.pk, number, group.place_id, address, phone,
            HouseholdType.EXITED if exited else HouseholdType.ORDINARY, exit_year, relocated,
            village.relocation_site if relocated else "", grade, None if area is None else f"{area:.2f}",
            all(water), *water, f"{land:.2f}", f"{forest:.2f}", cooperative, industries, None, None, status,
            head.ended.isoformat() if dissolved else None, None, timestamp, timestamp, 1,
        ))
        for p in people:
            chunk.members.append((
                household_id, p.name, p.id_number, p.relation, p.sex, p.birth.isoformat(), p.ethnicity, p.education,
                p.schooling, p.health, p.grade, p.labour, p.work_place, p.work_months, p.insurance, p.critical,
                p.pension, p.supplementary, p.dibao, p.tekun, p.welfare, p.welfare_months, p.joined.isoformat(),
                p.ended.isoformat() if p.ended else None, p.end_reason, timestamp, timestamp, 1,
            ))
        for b in blocks:
            chunk.incomes.append((
                household_id, b.year, None, _yuan(b.wage), _yuan(b.operating), _yuan(b.property), _cents(b.transfer),
                _yuan(b.costs), _cents(b.medical), _yuan(b.education), _yuan(b.disaster), _cents(b.payout),
                timestamp, timestamp, 1,
            ))
        summary.households += 1
        summary.exited += exited
        summary.dissolved += dissolved
        summary.members += len(active)
        summary.ended_members += len(people) - len(active)
        summary.incomes += len(blocks)

    def _former_members(self, people: list[Person]) -> list[Person]:
        """Members who died or moved out during the income years: they stay on record, ended."""
        rng, head = self.rng, people[0]
        former = []
        has_spouse = any(p.relation == Relation.SPOUSE for p in people)
        if rng.random() < 0.012:
            if not has_spouse and head.age >= 50:
                sex = F if head.sex == M else M
                person = Person(Relation.SPOUSE, sex, min(97, head.age + rng.randint(-3, 8)), "R" if sex == F else "S")
            elif 30 <= head.age <= 65 and not any(p.relation in (Relation.FATHER, Relation.MOTHER) for p in people):
                sex = M if rng.random() < 0.45 else F
                person = Person(Relation.FATHER if sex == M else Relation.MOTHER, sex,
                                min(98, head.age + rng.randint(22, 34)), "H" if sex == M else "R")
            else:
                person = None
            if person is not None:
                set_birth_date(rng, person)
                person.ended = _random_day(rng, datetime.date(2023, 1, 1), datetime.date(2025, 12, 20))
                person.end_reason = EndReason.DECEASED
                former.append(person)
        if rng.random() < 0.010 and 45 <= head.age <= 70:
            person = Person(Relation.DAUGHTER, F, max(20, min(head.age - 20, rng.randint(20, 30))), "S")
            set_birth_date(rng, person)
            person.ended = _random_day(rng, datetime.date(2023, 1, 1), datetime.date(2025, 12, 20))
            person.end_reason = EndReason.MOVED_OUT
            former.append(person)
        return former

    def _name_people(self, people: list[Person], village: VillagePlan) -> None:
        rng = self.rng
        if village.minority and rng.random() < village.minority_share:
            ethnicity = village.minority
        elif rng.random() < 0.01:
            ethnicity = names.MINORITY_CHOICE.pick(rng)
        else:
            ethnicity = "汉族"
        yi = ethnicity == "彝族"

        def surname() -> str:
            return names.yi_surname(rng) if yi else names.SURNAMES.pick(rng)

        r = rng.random()
        if yi:
            family = names.yi_surname(rng)
        elif r < 0.21:
            family = village.clan_surnames[0]
        elif r < 0.35:
            family = village.clan_surnames[1]
        else:
            family = names.SURNAMES.pick(rng)
        head = people[0]
        head_line = family if head.kin == "S" else surname()
        generation: dict[tuple, str] = {}
        used: set[str] = set()
        county6 = COUNTY_CODE[:6]
        for person in people:
            own = ethnicity if person.kin != "R" else (
                ethnicity if ethnicity != "汉族" and rng.random() < 0.7 else "汉族")
            person.ethnicity = own
            if person.kin == "R" and rng.random() < 0.001:
                person.ethnicity, person.name = "维吾尔族", names.dot_name(rng, person.sex)
            else:
                for _ in range(4):
                    person.name = self._person_name(person, own, family, head_line, surname, generation)
                    if person.name not in used:
                        break
            used.add(person.name)
            born_here = rng.random() < (0.97 if person.kin != "R" else 0.6)
            area = county6 if born_here else BIRTH_AREAS.pick(rng)
            person.id_number = self.ids.allocate(area, person)

    def _person_name(self, person: Person, ethnicity: str, family: str, head_line: str, surname, generation) -> str:
        rng = self.rng
        if ethnicity == "藏族":
            return names.ethnic_full_name(rng, ethnicity, person.sex, "")
        last = family if person.kin == "S" else head_line if person.kin == "H" else surname()
        if ethnicity == "彝族":
            return names.ethnic_full_name(rng, ethnicity, person.sex, last)
        char = ""
        if person.relation in (Relation.SON, Relation.DAUGHTER, Relation.GRANDSON, Relation.GRANDDAUGHTER):
            key = (person.relation in (Relation.GRANDSON, Relation.GRANDDAUGHTER), person.sex)
            if key not in generation:
                generation[key] = names.generation_char(rng, person.sex, person.birth.year)
            char = generation[key]
        return last + names.given_name(rng, person.sex, person.birth.year, char)

    def _policies(self, active: list[Person], exited: bool) -> None:
        """特困 and public-welfare posts, household by household (低保 follows income: economy.py)."""
        rng = self.rng
        if not active:
            return
        head = active[0]
        severe = [p for p in active if p.health == Health.SERIOUS or
                  (p.health == Health.DISABLED and p.grade in (DisabilityGrade.GRADE1, DisabilityGrade.GRADE2))]
        if len(active) == 1 and not head.able and (head.age >= 60 or severe):
            if rng.random() < (0.45 if exited else 0.2):
                head.tekun = True
                head.supplementary = head.insurance != "none"
                return
        if rng.random() < (0.12 if exited else 0.015):
            candidates = [p for p in active if p.able and 30 <= p.age < 65 and not p.work_months and not p.student]
            if candidates:
                person = candidates[int(rng.random() * len(candidates))]
                person.welfare = True
                person.welfare_months = 12 if rng.random() < 0.75 else rng.randint(6, 11)

    def _industries(self, village: VillagePlan, count: int) -> str:
        rng = self.rng
        picked: list[str] = []
        while len(picked) < count:
            pool = village.featured_industries if rng.random() < 0.8 else COUNTY_INDUSTRIES
            item = pool[int(rng.random() * len(pool))]
            if item not in picked:
                picked.append(item)
        return "、".join(picked)

    def _plant_oddities(self, number: str, people: list[Person], blocks: list[YearBlock]) -> None:
        """Every n-th household where an oddity can occur gets it (n = 1 / rate, starting at n / 2), so
        even a small county has each kind."""
        latest = blocks[-1] if blocks and blocks[-1].year == LATEST_YEAR else None
        if latest is None:
            return
        active = [p for p in people if p.ended is None]
        lost = [p for p in active if p.labour == LabourCapacity.LOST and 25 <= p.age <= 60]
        eligible = {
            "serious_illness_zero_medical": any(p.health == Health.SERIOUS for p in active),
            "dibao_zero_transfer": any(p.dibao for p in active),
            "lost_labour_but_working": bool(lost),
            "wage_extra_digit": latest.wage > 0 and len(blocks) >= 2,
        }
        for kind, possible in eligible.items():
            if not possible:
                continue
            seen = self._oddity_candidates[kind] = self._oddity_candidates.get(kind, 0) + 1
            period = round(1 / ODDITY_RATES[kind])
            if seen % period != period // 2:
                continue
            if kind == "serious_illness_zero_medical":
                latest.medical = latest.payout = 0.0
            elif kind == "dibao_zero_transfer":
                latest.transfer = 0.0
            elif kind == "lost_labour_but_working":
                lost[0].work_place, lost[0].work_months = WorkPlace.IN_COUNTY, 8
            else:
                latest.wage = blocks[-2].wage * 10
            self.summary.oddities[kind] += 1
            if len(self.summary.oddity_samples[kind]) < 20:
                self.summary.oddity_samples[kind].append(number)

    # ------------------------------------------------------------------ writing

    def run(self, writer=None, progress: bool = False) -> Place:
        writer = writer or FastWriter()
        timestamp = writer.timestamp()
        with _progress(progress) as bar:
            places_task = bar.add_task("建立行政区划", total=1, rows=0)
            with transaction.atomic():
                county = self.plan_places()
            bar.update(places_task, completed=1)
            task = bar.add_task("生成并写入农户", total=self.households, rows=0)
            first_id = (Household.objects.aggregate(m=Max("id"))["m"] or 0) + 1
            with _deferred_indexes(self.households), _sink(writer) as sink:
                for chunk in self.chunks(first_id, timestamp):
                    sink.put(chunk)
                    bar.update(task, advance=len(chunk.households), rows=self.summary.rows)
            writer.finish([Household])
        ChangeLog.objects.create(
            source="demo", action=ChangeLog.Action.CREATE, object_type=Place._meta.label_lower,
            object_id=county.pk, object_repr=str(county), area_code=county.code,
            reason=f"生成演示县：{self.households}户，随机种子{self.seed}",
            before=None, after=self.describe(),
        )
        return county

    def describe(self) -> dict:
        s = self.summary
        return {
            "generator": "fangpin.demo", "version": GENERATOR_VERSION, "seed": self.seed,
            "data_as_of": DATA_AS_OF.isoformat(), "income_years": list(INCOME_YEARS),
            "townships": len({v.township_name for v in self.villages}), "villages": len(self.villages),
            "groups": sum(len(v.groups) for v in self.villages),
            "households": s.households, "exited_households": s.exited, "dissolved_households": s.dissolved,
            "members": s.members, "former_members": s.ended_members, "income_rows": s.incomes,
            "oddities": {kind: {"label": ODDITIES[kind], "count": s.oddities[kind],
                                "sample_households": s.oddity_samples[kind]} for kind in ODDITIES},
        }


def _write_chunk(writer, chunk: Chunk) -> None:
    writer.write(HOUSEHOLDS, chunk.households)
    writer.write(MEMBERS, chunk.members)
    writer.write(INCOMES, chunk.incomes)


class _InlineSink:
    """Writes each chunk in its own transaction (a savepoint when the caller holds one)."""

    def __init__(self, writer):
        self.writer = writer

    def put(self, chunk: Chunk) -> None:
        if not getattr(self.writer, "chunk_transactions", True):
            _write_chunk(self.writer, chunk)
            return
        with transaction.atomic():
            _write_chunk(self.writer, chunk)


class _BackgroundSink:
    """Writes chunks on a second thread, through the driver connection, while the main thread
    generates the next ones: the database driver releases the GIL while it works, so generation and
    writing overlap on two cores. At most `depth` chunks wait, which keeps memory bounded."""

    def __init__(self, writer, depth: int = 2):
        self.writer = writer
        self.queue: queue.Queue = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._loop, name="demo-writer", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while (chunk := self.queue.get()) is not None:
            if self.error is None:
                try:
                    with self.writer.own_transaction():
                        _write_chunk(self.writer, chunk)
                except BaseException as error:  # handed to the main thread, which re-raises it
                    self.error = error

    def put(self, chunk: Chunk) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(chunk)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


@contextlib.contextmanager
def _sink(writer):
    """The background sink when the writer can run its own transactions (outside any atomic block,
    i.e. not inside a test's transaction); otherwise chunk by chunk in this thread."""
    if getattr(writer, "can_write_in_background", lambda: False)():
        sink = _BackgroundSink(writer)
        try:
            yield sink
        finally:
            sink.close()
    else:
        yield _InlineSink(writer)


@contextlib.contextmanager
def _deferred_indexes(households: int):
    """On SQLite, building the registry tables' secondary indexes once at the end (a sort) is far
    cheaper than keeping them up to date row by row: the ID-number indexes take millions of random
    inserts. Only for a large county written outside a transaction into empty tables; the indexes
    are recreated from their own definitions even when writing fails. (Not on PostgreSQL: there a
    killed run would leave the indexes missing after the demo command's flush, while SQLite's demo
    database is deleted and migrated afresh.)"""
    tables = [t.model._meta.db_table for t in (HOUSEHOLDS, MEMBERS, INCOMES)]
    if (connection.vendor != "sqlite" or connection.in_atomic_block or households < DEFER_INDEXES_FROM
            or Household.objects.exists() or Member.objects.exists() or Income.objects.exists()):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (%s, %s, %s)"
            " ORDER BY name", tables)
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _, sql in indexes:
                cursor.execute(sql)


@contextlib.contextmanager
def _progress(enabled: bool):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
               TextColumn("{task.fields[rows]:,} 行", style="dim"), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, disable=not enabled) as bar:
        yield bar


def generate_county(households: int, seed: int, progress: bool = False) -> Place:
    """Build a complete synthetic county into an empty, migrated database; return the county."""
    return CountyGenerator(households, seed).run(progress=progress)
