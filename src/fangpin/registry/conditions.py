"""Household conditions, each defined once and rendered for every use.

A condition is written here once, with its meaning, and rendered three ways from that one
definition:

- `ibis`: an Ibis expression, for the screening (run on the app database or DuckDB). Member and
  household conditions read tables with the registry's column names as the screening's canonical
  tables hold them (`birth_ymd`, `labour_capacity`, `house_grade`, `water_safe`, ...); dates are
  integers YYYYMMDD and money whole fen.
- `q`: a Django `Q` over `Member` or `Household` (lists, sweeps, data quality, dashboards).
- `python`: plain Python over one model instance (eligibility, visits, recommendations).

Member conditions take the day they are judged on (ages change); `present_*` says who is in the
household on a day. Income conditions are written once as arithmetic on integer fen that Ibis
expressions and Python integers both understand (`income_below_line`, `income_sharp_drop`, ...),
over the income figures of a basis (`income_figures`, `IncomeFigures`, `income_basis`).

Where earlier copies disagreed, the definition chosen and the reason stand in the docstring.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import ibis
import ibis.expr.types as ir
from django.db.models import BigIntegerField, Case, Exists, F, FloatField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Floor, Mod, Round
from django.db.models.lookups import Exact, GreaterThan

from .choices import EndReason, HouseGrade, Health, LabourCapacity, MedicalInsurance, Relation, Schooling
from .models import Income, Member, members_at_year_end_count

# ---------------------------------------------------------------- code lists and fixed figures

FULL_LABOUR = (LabourCapacity.SKILLED.value, LabourCapacity.ORDINARY.value)
ABLE_TO_WORK = (*FULL_LABOUR, LabourCapacity.WEAK.value)
RECORDED_NO_LABOUR = (LabourCapacity.LOST.value, LabourCapacity.NONE.value)
# Working age, both ends included. 16 is the legal minimum age to work (Labour Law art. 15); from 65
# a rural person is not counted on to earn the household's living even when the card still records
# a labour capacity (the assistance rules' long-standing range).
WORKING_AGE = (16, 64)
# Compulsory education: primary and junior school, ages 6 to 15 (DOMAIN §3, 两不愁三保障).
COMPULSORY_SCHOOL_AGES = (6, 15)
OUT_OF_SCHOOL = (Schooling.NOT_IN_SCHOOL.value, Schooling.DROPOUT.value)
NON_COMPULSORY_SCHOOLING = (Schooling.SENIOR.value, Schooling.SECONDARY_VOCATIONAL.value,
                            Schooling.HIGHER_VOCATIONAL.value, Schooling.UNDERGRADUATE.value)
UNINSURED = (MedicalInsurance.NONE.value, "")
ILL = (Health.SERIOUS.value, Health.CHRONIC.value)
UNSAFE_HOUSE_GRADES = (HouseGrade.C.value, HouseGrade.D.value)
SAFE_HOUSE_GRADES = (HouseGrade.A.value, HouseGrade.B.value)
WATER_CRITERIA = ("water_quantity_ok", "water_quality_ok", "water_convenient_ok", "water_supply_ok")
# The national system questions a per-capita net income above this for households that receive
# minimum-living or extreme-poverty support (a national figure, not a county setting).
ASSISTED_INCOME_CEILING = Decimal("20000")
# A household "lives on wages" when wages are at least half of its gross income; then unstable work
# is what puts it at risk. A definition, not a county setting (basis points of 1/10000).
HIGH_WAGE_SHARE_BP = 5000


def ymd(day: datetime.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def to_fen(amount: Decimal | None) -> int | None:
    return None if amount is None else int((Decimal(amount) * 100).to_integral_value())


def to_bp(ratio: Decimal | None) -> int | None:
    """A ratio with four decimals as an integer of 1/10000."""
    return None if ratio is None else int((Decimal(ratio) * 10000).to_integral_value())


# ---------------------------------------------------------------- the three renderings


@dataclass(frozen=True)
class MemberCondition:
    """A condition on one member judged on a day. `ibis(members, day_ymd)`, `q(day)` over Member,
    `python(member, day)`. Combine with &, | and ~."""

    ibis: Callable[[ir.Table, int], ir.BooleanValue]
    q: Callable[[datetime.date], Q]
    python: Callable[[object, datetime.date], bool]

    def __and__(self, other: "MemberCondition") -> "MemberCondition":
        return MemberCondition(lambda m, d: self.ibis(m, d) & other.ibis(m, d), lambda d: self.q(d) & other.q(d),
                               lambda x, d: self.python(x, d) and other.python(x, d))

    def __or__(self, other: "MemberCondition") -> "MemberCondition":
        return MemberCondition(lambda m, d: self.ibis(m, d) | other.ibis(m, d), lambda d: self.q(d) | other.q(d),
                               lambda x, d: self.python(x, d) or other.python(x, d))

    def __invert__(self) -> "MemberCondition":
        return MemberCondition(lambda m, d: ~self.ibis(m, d), lambda d: ~self.q(d), lambda x, d: not self.python(x, d))


@dataclass(frozen=True)
class HouseholdCondition:
    """A condition on a household's own fields: `ibis(households)`, `q()` over Household,
    `python(household)`."""

    ibis: Callable[[ir.Table], ir.BooleanValue]
    q: Callable[[], Q]
    python: Callable[[object], bool]


def _value_in(field: str, values) -> MemberCondition:
    values = tuple(values)
    return MemberCondition(lambda m, d: m[field].isin(values), lambda d: Q(**{f"{field}__in": values}),
                           lambda x, d: getattr(x, field) in values)


def _flag(field: str) -> MemberCondition:
    return MemberCondition(lambda m, d: m[field], lambda d: Q(**{field: True}), lambda x, d: bool(getattr(x, field)))


def aged(youngest: int, oldest: int) -> MemberCondition:
    """Aged `youngest` to `oldest` whole years on the day, both included (a birthday counts from the
    day itself; someone born on 29 February turns a year older on 1 March in other years)."""

    def ibis_age(m, day_ymd):
        age = (day_ymd - m.birth_ymd) // 10000
        return (age >= youngest) & (age <= oldest)

    return MemberCondition(
        ibis_age,
        lambda d: Q(birth_date__lte=years_before(d, youngest), birth_date__gt=years_before(d, oldest + 1)),
        lambda x, d: youngest <= x.age_on(d) <= oldest)


def present_ibis(members: ir.Table, day_ymd: int) -> ir.BooleanValue:
    """In the household on the day: joined on or before it (or no date) and not ended by it."""
    return ((members.joined_ymd.isnull() | (members.joined_ymd <= day_ymd))
            & (members.ended_ymd.isnull() | (members.ended_ymd > day_ymd)))


def present_q(day: datetime.date, prefix: str = "") -> Q:
    return ((Q(**{f"{prefix}joined_on__isnull": True}) | Q(**{f"{prefix}joined_on__lte": day}))
            & (Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gt": day})))


def present_python(member, day: datetime.date) -> bool:
    return (member.joined_on is None or member.joined_on <= day) and (member.ended_on is None or member.ended_on > day)


# ---------------------------------------------------------------- member conditions

WORKING_AGE_MEMBER = aged(*WORKING_AGE)
ABLE_TO_WORK_MEMBER = _value_in("labour_capacity", ABLE_TO_WORK) & WORKING_AGE_MEMBER
"""Labour (劳动力): a member of working age whose recorded capacity is skilled, ordinary or weak
(弱劳动力或半劳动力 is still labour). Earlier copies disagreed: the screening and the tiers counted
the recorded capacity at any age, the assistance rules also required working age 16-64, and the sweep
"no labour" group ignored weak labour. The working-age floor is kept because a child recorded as
labour is not one, and the ceiling because DOMAIN §6 asks whether people "can and want to work";
an old couple whose card still says "weak" is a protection (兜底) household. Weak-only households are
the sweep group "无劳动力或弱劳动力户", defined with `FULL_LABOUR_MEMBER`."""
FULL_LABOUR_MEMBER = _value_in("labour_capacity", FULL_LABOUR) & WORKING_AGE_MEMBER
"""Full labour (普通及以上劳动力): skilled or ordinary capacity, of working age."""
RECORDED_NO_LABOUR_MEMBER = _value_in("labour_capacity", RECORDED_NO_LABOUR)
"""The card records no labour (丧失劳动力 or 无劳动力), whatever the age: the national sanity rule
compares this with recorded work."""
COMPULSORY_AGE_MEMBER = aged(*COMPULSORY_SCHOOL_AGES)
OUT_OF_SCHOOL_CHILD = COMPULSORY_AGE_MEMBER & _value_in("schooling", OUT_OF_SCHOOL)
"""School dropout (义务教育阶段失学辍学): aged 6-15 on the day and recorded as not in school or as a
dropout. The elimination check used to count a "dropout" of any age and ignore "not in school";
the guarantee is compulsory education, so only compulsory ages count and both codes mean the child
is out of school. A blank schooling is unknown, not out of school (data quality asks for it)."""
SCHOOLING_UNKNOWN_CHILD = COMPULSORY_AGE_MEMBER & _value_in("schooling", ("",))
"""A child of compulsory age whose schooling is not recorded (a data-quality question)."""
UNINSURED_MEMBER = _value_in("medical_insurance", UNINSURED)
"""No basic medical insurance (未参加基本医疗保险): recorded as not insured, or not recorded. The
screening used to take a blank as insured and the elimination check as uninsured. The guarantee is
that everyone is insured (全员参保), and a blank proves nothing: the member is treated as uninsured
until the card or the 医保 data says otherwise, as data quality always did."""
ILL_MEMBER = _value_in("health", ILL)
"""Serious (大病) or chronic (长期慢性病) illness."""
SERIOUSLY_ILL_MEMBER = _value_in("health", (Health.SERIOUS.value,))
DISABLED_MEMBER = MemberCondition(
    lambda m, d: (m.health == Health.DISABLED.value) | (m.disability_grade != ""),
    lambda d: Q(health=Health.DISABLED) | ~Q(disability_grade=""),
    lambda x, d: x.health == Health.DISABLED or x.disability_grade != "")
"""Disabled: health recorded as disabled, or a disability grade on file."""
DISABLED_HEAD = (_value_in("relation", (Relation.HEAD.value,)) & _value_in("health", (Health.DISABLED.value,)))
ASSISTED_MEMBER = _flag("dibao") | _flag("tekun")
"""Receives minimum-living support (低保) or extreme-poverty support (特困供养)."""
NON_COMPULSORY_STUDENT = _value_in("schooling", NON_COMPULSORY_SCHOOLING)
"""In school beyond compulsory education (senior, vocational, higher): costs the household pays."""
HAS_WORK_PLACE = MemberCondition(lambda m, d: m.work_place != "", lambda d: ~Q(work_place=""),
                                 lambda x, d: x.work_place != "")
WORKS = MemberCondition(lambda m, d: m.work_months > 0, lambda d: Q(work_months__gt=0), lambda x, d: x.work_months > 0)
WORKS_WITHOUT_LABOUR = WORKS & RECORDED_NO_LABOUR_MEMBER
"""Recorded work months although the card says no labour (national sanity rule)."""


def unstable_worker(stable_months: int) -> MemberCondition:
    """Unstable employment (务工就业不稳): a full-labour member who works away (a work place on the
    card) for fewer than the county's months of stable work. The sweep used to count any member
    with a work place, labour or not; the screening only full labour, which is kept: weak labour
    working short spells is the labour rule's concern."""
    short = MemberCondition(lambda m, d: m.work_months < stable_months, lambda d: Q(work_months__lt=stable_months),
                            lambda x, d: x.work_months < stable_months)
    return FULL_LABOUR_MEMBER & HAS_WORK_PLACE & short


def member_exists(condition: MemberCondition, day: datetime.date) -> Exists:
    """Q rendering at household level: some member present on the day meets the condition."""
    return Exists(Member.objects.filter(present_q(day), condition.q(day), household=OuterRef("pk")))


def members_meeting(condition: MemberCondition, members, day: datetime.date) -> list:
    """Python rendering at household level: the members (model instances) present on the day that
    meet the condition."""
    return [m for m in members if present_python(m, day) and condition.python(m, day)]


# ---------------------------------------------------------------- household conditions


def _water_unsafe_ibis(h: ir.Table) -> ir.BooleanValue:
    unsafe = h.water_safe == False  # noqa: E712 - an Ibis comparison, not a Python one
    for criterion in WATER_CRITERIA:
        unsafe = unsafe | (h[criterion] == False)  # noqa: E712
    return unsafe.fill_null(False)


def _water_secured_ibis(h: ir.Table) -> ir.BooleanValue:
    all_met = h[WATER_CRITERIA[0]] == True  # noqa: E712
    for criterion in WATER_CRITERIA[1:]:
        all_met = all_met & (h[criterion] == True)  # noqa: E712
    return (~_water_unsafe_ibis(h)) & ((h.water_safe == True) | all_met).fill_null(False)  # noqa: E712


WATER_UNSAFE = HouseholdCondition(
    _water_unsafe_ibis,
    lambda: Q(water_safe=False) | Q(*[Q(**{c: False}) for c in WATER_CRITERIA], _connector=Q.OR),
    lambda h: any(getattr(h, f) is False for f in ("water_safe", *WATER_CRITERIA)))
"""Unsafe drinking water (饮水安全无保障): the overall judgement or any one of the four criteria of
DOMAIN §3 (quantity, quality, convenience, supply) recorded as failing. The elimination check used to
read the overall flag alone, so a household failing one criterion but marked safe overall passed it
while the screening flagged it; one failing criterion is enough, as the national standard requires
all four. Nothing recorded is unknown, not unsafe."""
WATER_SECURED = HouseholdCondition(
    _water_secured_ibis,
    lambda: ~WATER_UNSAFE.q() & (Q(water_safe=True) | Q(**{c: True for c in WATER_CRITERIA})),
    lambda h: not WATER_UNSAFE.python(h) and (h.water_safe is True or all(getattr(h, c) is True
                                                                          for c in WATER_CRITERIA)))
"""Drinking water verified safe: not unsafe, and either judged safe overall or all four criteria
met. Eliminating a risk needs this positive finding; unknown water is not secured."""
HOUSE_UNSAFE = HouseholdCondition(
    lambda h: h.house_grade.isin(UNSAFE_HOUSE_GRADES), lambda: Q(house_grade__in=UNSAFE_HOUSE_GRADES),
    lambda h: h.house_grade in UNSAFE_HOUSE_GRADES)
"""Unsafe house (住房安全无保障): appraised grade C (partly dangerous) or D (whole house dangerous)."""
def house_secured(grades=SAFE_HOUSE_GRADES) -> HouseholdCondition:
    """House verified safe: appraised at one of `grades` (A or B unless the county's elimination
    criteria say otherwise). Eliminating a risk needs this; a blank grade or no house of one's own is
    not a safe house on file."""
    grades = tuple(grades)
    return HouseholdCondition(lambda h: h.house_grade.isin(grades), lambda: Q(house_grade__in=grades),
                              lambda h: h.house_grade in grades)


HOUSE_SECURED = house_secured()


# ---------------------------------------------------------------- income figures


def per_capita_python(total_fen: int, size: int) -> int | None:
    """total / size in whole fen, half to even; None for an empty household."""
    if not size:
        return None
    return int((Decimal(total_fen) / size).quantize(Decimal(1), ROUND_HALF_EVEN))


def per_capita_ibis(total: ir.IntegerValue, size: ir.IntegerValue) -> ir.IntegerValue:
    """The same in Ibis with integer arithmetic only (the floor division goes through a double,
    exact for any amount below 2**50 fen)."""
    divisor = ibis.ifelse(size > 0, size, 1)
    quotient = total // divisor
    twice_rest = (total - quotient * divisor) * 2
    round_up = (twice_rest > divisor) | ((twice_rest == divisor) & (quotient % 2 != 0))
    return ibis.ifelse(size > 0, quotient + ibis.ifelse(round_up, 1, 0), ibis.null("int64"))


def per_capita_sql(total, size):
    """The same as a Django expression (for annotations), step for step."""
    divisor = Case(When(GreaterThan(size, 0), then=size), default=Value(1))
    quotient = Cast(Floor(Cast(total, FloatField()) / divisor), BigIntegerField())
    twice_rest = (total - quotient * divisor) * 2
    odd = Case(When(Exact(Mod(quotient, 2), 0), then=Value(0)), default=Value(1))
    round_up = Case(When(GreaterThan(twice_rest, divisor), then=Value(1)), When(Exact(twice_rest, divisor), then=odd),
                    default=Value(0))
    return Case(When(GreaterThan(size, 0), then=quotient + round_up), default=None, output_field=BigIntegerField())


INCOME_PARTS = ("wage", "operating", "property", "transfer", "costs", "medical", "education", "disaster", "payout")
INCOME_FIELDS = dict(zip(INCOME_PARTS, ("wage_income", "operating_income", "property_income", "transfer_income",
                                        "operating_costs", "medical_spending", "education_spending", "disaster_loss",
                                        "insurance_payout")))


def income_figures(parts, size):
    """The figures of one income basis from its parts in fen (a mapping from `INCOME_PARTS` + "_fen"
    to Ibis integer columns or Python ints) and the household size on the basis' last day:

    - gross income = wage + production/operating + property + transfer income;
    - net income (纯收入) = gross − production/operating costs;
    - rigid spending (刚性支出) = compliant out-of-pocket medical spending + education spending +
      disaster loss;
    - income after rigid spending = net + insurance payouts (理赔收入) − rigid spending: the figure
      the identification decision uses (DOMAIN §3). Payouts count here and only here: a payout
      reimburses the spending it offsets, it is not income of the household's own making. The
      sweep's copy left payouts out, so a household whose illness bill the insurer paid looked as if
      its income had collapsed;
    - per-capita figures divide by the members present on the basis' last day, rounded to the fen
      half to even; none for an empty household.
    """
    p = {name: parts[f"{name}_fen"] for name in INCOME_PARTS}
    gross = p["wage"] + p["operating"] + p["property"] + p["transfer"]
    net = gross - p["costs"]
    rigid = p["medical"] + p["education"] + p["disaster"]
    after_rigid = net + p["payout"] - rigid
    per_capita = per_capita_ibis if isinstance(size, ir.Value) else per_capita_python
    return {"gross_fen": gross, "net_fen": net, "rigid_fen": rigid, "after_rigid_fen": after_rigid,
            "per_capita_fen": per_capita(net, size), "per_capita_after_rigid_fen": per_capita(after_rigid, size)}


@dataclass(frozen=True)
class IncomeFigures:
    """One household's figures over one basis (Python rendering)."""

    quarterly: bool
    size: int
    wage_fen: int
    transfer_fen: int
    medical_fen: int
    education_fen: int
    disaster_fen: int
    payout_fen: int
    gross_fen: int
    net_fen: int
    rigid_fen: int
    after_rigid_fen: int
    per_capita_fen: int | None
    per_capita_after_rigid_fen: int | None


def quarter_end(index: int) -> datetime.date:
    """Last day of the quarter numbered year * 4 + quarter - 1."""
    year, quarter = divmod(index, 4)
    first_of_next = datetime.date(year + (quarter == 3), 1 if quarter == 3 else quarter * 3 + 4, 1)
    return first_of_next - datetime.timedelta(days=1)


@dataclass(frozen=True)
class IncomeWindow:
    """The income basis (收入核算期) of a check made on `day`: the four latest complete quarters
    before it when the household has all four quarterly records, else its record of the latest
    complete year; the yearly record when those four quarters are exactly that year. `years_back`
    moves both a year earlier (the previous basis a drop is measured against)."""

    day: datetime.date
    years_back: int = 0

    @property
    def year(self) -> int:
        return self.day.year - 1 - self.years_back

    @property
    def last_quarter(self) -> int:  # year * 4 + quarter - 1
        return self.day.year * 4 + (self.day.month - 1) // 3 - 1 - 4 * self.years_back

    @property
    def quarters_are_the_year(self) -> bool:
        return self.last_quarter % 4 == 3 and self.last_quarter // 4 == self.year

    @property
    def year_end_ymd(self) -> int:
        return self.year * 10000 + 1231

    @property
    def quarters_end_ymd(self) -> int:
        return ymd(quarter_end(self.last_quarter))


def household_sizes_ibis(members: ir.Table, day_ymd: int) -> ir.Table:
    present = members.filter(present_ibis(members, day_ymd))
    return present.group_by("household_id").aggregate(size=present.member_id.count())


def income_basis(incomes: ir.Table, members: ir.Table, window: IncomeWindow) -> ir.Table:
    """Ibis rendering of the income basis: per household, `quarterly`, the parts and
    `income_figures` (canonical tables: incomes with quarter 0 for a year, parts in fen)."""
    parts = [f"{name}_fen" for name in INCOME_PARTS]
    yearly = incomes.filter(incomes.quarter == 0, incomes.year == window.year).select(
        "household_id", *parts, quarterly=ibis.literal(False))
    end = window.last_quarter
    index = incomes.year * 4 + incomes.quarter - 1
    in_window = incomes.filter(incomes.quarter > 0, index >= end - 3, index <= end)
    quarters = (in_window.group_by("household_id")
                .aggregate(quarter_count=in_window.count(), **{c: in_window[c].sum() for c in parts})
                .filter(lambda q: q.quarter_count == 4)
                .select("household_id", *parts, quarterly=ibis.literal(True)))
    primary, fallback = (yearly, quarters) if window.quarters_are_the_year else (quarters, yearly)
    basis = primary.union(fallback.anti_join(primary, "household_id"))
    year_sizes = household_sizes_ibis(members, window.year_end_ymd).rename(year_size="size")
    window_sizes = household_sizes_ibis(members, window.quarters_end_ymd).rename(window_size="size")
    basis = (basis.left_join(year_sizes, "household_id").drop("household_id_right")
             .left_join(window_sizes, "household_id").drop("household_id_right"))
    size = ibis.ifelse(basis.quarterly, basis.window_size, basis.year_size).fill_null(0)
    return basis.select("household_id", "quarterly", *parts, size=size,
                        **income_figures({c: basis[c] for c in parts}, size))


def household_income(incomes, members, window: IncomeWindow) -> IncomeFigures | None:
    """Python rendering of the income basis for one household, from its Income and Member rows."""
    yearly = [i for i in incomes if i.quarter is None and i.year == window.year]
    end = window.last_quarter
    quarters = [i for i in incomes if i.quarter and end - 3 <= i.year * 4 + i.quarter - 1 <= end]
    if len(quarters) == 4 and not (window.quarters_are_the_year and yearly):
        rows, day, quarterly = quarters, window.quarters_end_ymd, True
    elif yearly:
        rows, day, quarterly = yearly, window.year_end_ymd, False
    else:
        return None
    parts = {f"{name}_fen": sum(to_fen(getattr(r, field)) for r in rows) for name, field in INCOME_FIELDS.items()}
    as_day = datetime.date(day // 10000, day // 100 % 100, day % 100)
    size = sum(1 for m in members if present_python(m, as_day))
    figures = income_figures(parts, size)
    return IncomeFigures(quarterly=quarterly, size=size, **{k: parts[k] for k in (
        "wage_fen", "transfer_fen", "medical_fen", "education_fen", "disaster_fen", "payout_fen")}, **figures)


def yearly_income_annotations(size) -> dict:
    """Q rendering of the income figures of yearly Income rows (the basis of lists, sweeps and data
    quality: the latest complete year): annotations in fen, given the size expression (members at
    the end of the year, `members_at_year_end_count`)."""
    parts = {f"{name}_fen": Cast(Round(F(field) * 100), BigIntegerField()) for name, field in INCOME_FIELDS.items()}
    p = {name: parts[f"{name}_fen"] for name in INCOME_PARTS}
    gross = p["wage"] + p["operating"] + p["property"] + p["transfer"]
    net = gross - p["costs"]
    after_rigid = net + p["payout"] - (p["medical"] + p["education"] + p["disaster"])
    return {**parts, "size": size, "gross_fen": gross, "net_fen": net, "after_rigid_fen": after_rigid,
            "per_capita_fen": per_capita_sql(net, size),
            "per_capita_after_rigid_fen": per_capita_sql(after_rigid, size)}


def yearly_incomes(year: int, household=None):
    """Yearly Income rows of `year` annotated with `yearly_income_annotations` (for the household
    of the outer query when `household` is None)."""
    rows = Income.objects.filter(household=household if household is not None else OuterRef("pk"), year=year,
                                 quarter__isnull=True)
    return rows.annotate(**yearly_income_annotations(Coalesce(members_at_year_end_count(), 0)))


def income_below_line_q(year: int, line_fen: int) -> Q:
    """Q rendering of `income_below_line` on the yearly record of `year`."""
    return Q(Exists(yearly_incomes(year).filter(size__gt=0, per_capita_fen__lt=line_fen)))


def income_sharp_drop_q(year: int, drop_bp: int) -> Q:
    """Q rendering of `income_sharp_drop` on the yearly records of `year` and the year before."""
    before = Subquery(yearly_incomes(year - 1, household=OuterRef("household"))
                      .values("per_capita_after_rigid_fen")[:1])
    fallen = (yearly_incomes(year).annotate(before=before).filter(before__gt=0, size__gt=0)
              .alias(fall=(F("before") - F("per_capita_after_rigid_fen")) * 10000)
              .filter(fall__gte=F("before") * drop_bp))
    return Q(Exists(fallen))


# ---------------------------------------------------------------- income conditions
# Written once over values that Ibis columns and Python ints both are: the screening applies them to
# `income_basis` columns, a single household's check to `IncomeFigures`, lists to annotated rows.


def income_below_line(per_capita_fen, line_fen: int):
    """Income below the monitoring line (收入低于监测线): per-capita net income, rounded to the fen,
    below the line; a household exactly at the line is not below it."""
    return per_capita_fen < line_fen


def income_in_watch_band(per_capita_fen, line_fen: int, watch_line_fen: int):
    """At or above the line but below the watch line (关注区间)."""
    return (per_capita_fen >= line_fen) & (per_capita_fen < watch_line_fen)


def income_sharp_drop(now_fen, before_fen, drop_bp: int):
    """Sharp income drop (收入骤减): per-capita income after rigid spending (insurance payouts
    counted, see `income_figures`) fell by at least the county's drop ratio against the basis a year
    earlier, which was positive. Earlier copies disagreed: the screening compared per-capita net
    income (so a household ruined by a hospital bill did not "drop"), the sweep compared household
    totals of the yearly record (so a member moving out with his wage was a drop) and neither counted
    payouts. Per capita, after rigid spending and payouts, because that is the figure the decision
    uses (DOMAIN §3) and it shows "income falls or spending rises sharply" in one figure."""
    return (before_fen > 0) & ((before_fen - now_fen) * 10000 >= before_fen * drop_bp)


def above_share(spending, base, share_bp: int):
    """spending > share x base, exactly; any spending is above a share of a zero or negative base."""
    limit = base * share_bp
    if isinstance(limit, int) and isinstance(spending, ir.Value):
        limit = ibis.literal(limit, type="int64")  # no engine multiplies two small-typed literals
    return spending * 10000 > limit


def rigid_spending_high(spending_fen, net_fen, exited, *, amount_fen=None, income_share_bp=None,
                        reference_income_fen=None, reference_share_exited_bp=None, reference_share_other_bp=None):
    """Rigid spending above a warning line (预警监测线): some spending, and above the amount line, or
    above a share of the household's net income, or (medical) above a share of the reference income,
    set apart for exited and other households. None when the county sets no line for this kind."""
    other = ~exited if isinstance(exited, ir.Value) else not exited
    above = []
    if amount_fen is not None:
        above.append(spending_fen > amount_fen)
    if income_share_bp is not None:
        above.append(above_share(spending_fen, net_fen, income_share_bp))
    if reference_income_fen is not None and reference_share_exited_bp is not None:
        above.append(exited & above_share(spending_fen, reference_income_fen, reference_share_exited_bp))
    if reference_income_fen is not None and reference_share_other_bp is not None:
        above.append(other & above_share(spending_fen, reference_income_fen, reference_share_other_bp))
    if not above:
        return None
    flagged = above[0]
    for condition in above[1:]:
        flagged = flagged | condition
    return (spending_fen > 0) & flagged


def wages_dominate(wage_fen, gross_fen):
    """Lives on wages: gross income positive and wages at least half of it."""
    return (gross_fen > 0) & (wage_fen * 10000 >= gross_fen * HIGH_WAGE_SHARE_BP)


def assisted_income_too_high(per_capita_fen):
    """National sanity rule: per-capita net income above the ceiling for a 低保/特困 household."""
    return per_capita_fen > to_fen(ASSISTED_INCOME_CEILING)


def labour_lost(earners_deceased, disabled_head, full_labour_members, able_members):
    """Loss of labour (劳动力缺失): a full-labour member died in the twelve months before the day, or
    the head is disabled and no one else has full labour, or no one present can work at all."""
    return (earners_deceased > 0) | ((disabled_head > 0) & (full_labour_members == 0)) | (able_members == 0)


def deceased_earner_ibis(members: ir.Table, day_ymd: int) -> ir.BooleanValue:
    """A member recorded as full labour (skilled or ordinary) who died in the twelve months before
    the day (from the same date a year earlier, included, to the day, excluded)."""
    return ((members.end_reason == EndReason.DECEASED.value) & (members.ended_ymd >= day_ymd - 10000)
            & (members.ended_ymd < day_ymd) & members.labour_capacity.isin(FULL_LABOUR))


def _a_year_before(day: datetime.date) -> datetime.date:
    """The first date not before YYYYMMDD - 10000 (29 February of a year that has none: 1 March)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return datetime.date(day.year - 1, 3, 1)


def deceased_earner_python(member, day: datetime.date) -> bool:
    return (member.end_reason == EndReason.DECEASED and member.ended_on is not None
            and _a_year_before(day) <= member.ended_on < day and member.labour_capacity in FULL_LABOUR)


def deceased_earner_q(day: datetime.date) -> Q:
    return Q(end_reason=EndReason.DECEASED, ended_on__gte=_a_year_before(day), ended_on__lt=day,
             labour_capacity__in=FULL_LABOUR)
