"""The screening rules, each written once as an Ibis expression over the canonical tables.

A rule's expression returns one row per household it flags: `household_id` and the figures that
triggered it. Figure columns ending in `_fen` are money in fen and `_bp` ratios in 1/10000; the
screening turns them into yuan and ratios with four decimals when it records a lead. Changing what a
rule means changes its `version`; leads keep the version that raised them.

Income figures use the income basis: the four latest complete quarters before the screening month
when the household has all four quarterly records (else its record for the latest complete year),
and the yearly record when those four quarters are exactly that year. Per-capita figures are rounded
to the fen half to even, as `Income.per_capita_net_income` rounds them, and compared as integers,
so that a household exactly at a line is not below it and one fen less is.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import ibis
import ibis.expr.types as ir
from django.utils.translation import gettext_lazy as _

from fangpin.monitoring.choices import RiskType
from fangpin.registry.choices import (
    EndReason, Health, HouseGrade, LabourCapacity, MedicalInsurance, Relation, Schooling,
)
from fangpin.registry.quality import ASSISTED_INCOME_CEILING, COMPULSORY_SCHOOL_AGES

from .parameters import Parameters, to_fen
from .tables import Tables

STRONG_LABOUR = (LabourCapacity.SKILLED.value, LabourCapacity.ORDINARY.value)
ABLE_LABOUR = (*STRONG_LABOUR, LabourCapacity.WEAK.value)
NO_LABOUR = (LabourCapacity.LOST.value, LabourCapacity.NONE.value)
OUT_OF_SCHOOL = (Schooling.NOT_IN_SCHOOL.value, Schooling.DROPOUT.value)
ILL = (Health.SERIOUS.value, Health.CHRONIC.value)
# Part of rule `unstable_employment` version 1: wages are at least half of the household's gross income.
HIGH_WAGE_SHARE_BP = 5000


@dataclass(frozen=True)
class Rule:
    code: str
    version: int
    title: str
    description: str
    risk_types: tuple[str, ...]
    expression: Callable[[Tables, Parameters], ir.Table]
    summary: str  # a sentence about one household, formatted with its figures
    reads: tuple[str, ...] = ("households", "members", "incomes")
    data_quality: bool = False
    parameter_figures: tuple[str, ...] = field(default=())  # Parameters fields recorded with each lead

    def evaluate(self, tables: Tables, parameters: Parameters) -> ir.Table:
        return self.expression(tables, parameters)


# ---------------------------------------------------------------- shared building blocks


def per_capita(total: ir.IntegerValue, size: ir.IntegerValue) -> ir.IntegerValue:
    """total / size in whole fen, half to even; null for an empty household. Integer arithmetic only
    (the floor division goes through a double, exact for any amount below 2**50 fen)."""
    divisor = ibis.ifelse(size > 0, size, 1)
    quotient = total // divisor
    twice_rest = (total - quotient * divisor) * 2
    round_up = (twice_rest > divisor) | ((twice_rest == divisor) & (quotient % 2 != 0))
    return ibis.ifelse(size > 0, quotient + ibis.ifelse(round_up, 1, 0), ibis.null("int64"))


def in_household_on(members: ir.Table, day_ymd: int) -> ir.BooleanValue:
    return ((members.joined_ymd.isnull() | (members.joined_ymd <= day_ymd))
            & (members.ended_ymd.isnull() | (members.ended_ymd > day_ymd)))


def household_sizes(members: ir.Table, day_ymd: int) -> ir.Table:
    present = members.filter(in_household_on(members, day_ymd))
    return present.group_by("household_id").aggregate(size=present.member_id.count())


def present_members(t: Tables, p: Parameters) -> ir.Table:
    return t.members.filter(in_household_on(t.members, p.screening_ymd))


SUMMED = ("wage_fen", "operating_fen", "property_fen", "transfer_fen", "costs_fen", "medical_fen", "education_fen",
          "disaster_fen", "payout_fen")


def income_basis(t: Tables, p: Parameters, years_back: int = 0) -> ir.Table:
    """Per household: income, spending and size over the income basis (see the module docstring),
    `years_back` years before the screening's own."""
    incomes = t.incomes
    year = p.income_year - years_back
    end = p.window_end - 4 * years_back
    yearly = incomes.filter(incomes.quarter == 0, incomes.year == year).select(
        "household_id", *SUMMED, quarterly=ibis.literal(False))
    index = incomes.year * 4 + incomes.quarter - 1
    in_window = incomes.filter(incomes.quarter > 0, index >= end - 3, index <= end)
    quarters = (in_window.group_by("household_id")
                .aggregate(quarter_count=in_window.count(), **{c: in_window[c].sum() for c in SUMMED})
                .filter(lambda q: q.quarter_count == 4)
                .select("household_id", *SUMMED, quarterly=ibis.literal(True)))
    window_is_year = end % 4 == 3 and end // 4 == year
    primary, fallback = (yearly, quarters) if window_is_year else (quarters, yearly)
    basis = primary.union(fallback.anti_join(primary, "household_id"))

    year_sizes = household_sizes(t.members, year * 10000 + 1231).rename(year_size="size")
    window_sizes = household_sizes(t.members, p.window_end_ymd(years_back)).rename(window_size="size")
    basis = (basis.left_join(year_sizes, "household_id").drop("household_id_right")
             .left_join(window_sizes, "household_id").drop("household_id_right"))
    size = ibis.ifelse(basis.quarterly, basis.window_size, basis.year_size).fill_null(0)
    gross = basis.wage_fen + basis.operating_fen + basis.property_fen + basis.transfer_fen
    net = gross - basis.costs_fen
    rigid = basis.medical_fen + basis.education_fen + basis.disaster_fen
    return basis.select(
        "household_id", "quarterly", "wage_fen", "transfer_fen", "medical_fen", "education_fen", "disaster_fen",
        "payout_fen",
        gross_fen=gross, net_fen=net, size=size,
        per_capita_fen=per_capita(net, size),
        per_capita_after_rigid_fen=per_capita(net + basis.payout_fen - rigid, size),
    )


def member_flags(members: ir.Table, **conditions: ir.BooleanValue) -> ir.Table:
    """Per household, how many of `members` meet each condition."""
    return members.group_by("household_id").aggregate(
        **{name: ibis.ifelse(condition, 1, 0).sum() for name, condition in conditions.items()})


def nothing(table: ir.Table) -> ir.Table:
    return table.filter(ibis.literal(False))


# ---------------------------------------------------------------- income


def income_below_line(t: Tables, p: Parameters) -> ir.Table:
    b = income_basis(t, p)
    return b.filter(b.size > 0, b.per_capita_fen < p.line_fen).select(
        "household_id", "quarterly", "per_capita_fen", "net_fen", "size")


def income_watch_band(t: Tables, p: Parameters) -> ir.Table:
    b = income_basis(t, p)
    return b.filter(b.size > 0, b.per_capita_fen >= p.line_fen, b.per_capita_fen < p.watch_line_fen).select(
        "household_id", "quarterly", "per_capita_fen", "net_fen", "size")


def income_sharp_drop(t: Tables, p: Parameters) -> ir.Table:
    now = income_basis(t, p)
    before = income_basis(t, p, years_back=1).select(
        "household_id", previous_per_capita_fen="per_capita_fen", previous_quarterly="quarterly")
    both = now.join(before, "household_id")
    fall = both.previous_per_capita_fen - both.per_capita_fen
    return both.filter(both.size > 0, both.previous_per_capita_fen > 0,
                       fall * 10000 >= both.previous_per_capita_fen * p.drop_bp).select(
        "household_id", "quarterly", "per_capita_fen", "previous_per_capita_fen", "previous_quarterly")


# ---------------------------------------------------------------- rigid spending


def _above_share(spending: ir.IntegerValue, base: ir.IntegerValue | int, share_bp: int) -> ir.BooleanValue:
    """spending > share x base, exactly; any spending is above a share of a zero or negative base. A
    constant base is multiplied here, so that no engine multiplies two small-typed literals."""
    limit = base * share_bp
    return spending * 10000 > (ibis.literal(limit, type="int64") if isinstance(limit, int) else limit)


def rigid_spending(kind: str) -> Callable[[Tables, Parameters], ir.Table]:
    """Medical, education or disaster spending of the income basis above a warning line: an amount,
    a share of the household's net income, and for medical spending a share of the reference income
    (different for exited and other households)."""

    def expression(t: Tables, p: Parameters) -> ir.Table:
        b = income_basis(t, p).join(t.households.select("household_id", "exited"), "household_id")
        spending = b[f"{kind}_fen"]
        amount = getattr(p, f"{kind}_amount_fen")
        share = getattr(p, f"{kind}_income_share_bp")
        above = []
        if amount is not None:
            above.append(spending > amount)
        if share is not None:
            above.append(_above_share(spending, b.net_fen, share))
        if kind == "medical" and p.reference_income_fen is not None:
            exited_share, other_share = p.medical_reference_share_exited_bp, p.medical_reference_share_other_bp
            reference = p.reference_income_fen
            if exited_share is not None:
                above.append(b.exited & _above_share(spending, reference, exited_share))
            if other_share is not None:
                above.append(~b.exited & _above_share(spending, reference, other_share))
        if not above:
            return nothing(b.select("household_id"))
        flagged = above[0]
        for condition in above[1:]:
            flagged = flagged | condition
        return b.filter(spending > 0, flagged).select(
            "household_id", "quarterly", "net_fen", "size", "per_capita_after_rigid_fen",
            spending_fen=spending,
            severe=b.size.isnull() | (b.size == 0) | (b.per_capita_after_rigid_fen < p.line_fen),
        )

    return expression


# ---------------------------------------------------------------- guarantees


def house_unsafe(t: Tables, p: Parameters) -> ir.Table:
    h = t.households
    return h.filter(h.house_grade.isin([HouseGrade.C.value, HouseGrade.D.value])).select(
        "household_id", "house_grade")


def child_out_of_school(t: Tables, p: Parameters) -> ir.Table:
    m = present_members(t, p)
    youngest, oldest = COMPULSORY_SCHOOL_AGES
    age = (p.screening_ymd - m.birth_ymd) // 10000
    children = m.filter(age >= youngest, age <= oldest, m.schooling.isin(OUT_OF_SCHOOL))
    return children.group_by("household_id").aggregate(children=children.count())


def water_unsafe(t: Tables, p: Parameters) -> ir.Table:
    h = t.households
    return h.filter(h.water_unsafe).select("household_id")


def medical_insurance_missing(t: Tables, p: Parameters) -> ir.Table:
    m = present_members(t, p)
    uninsured = m.filter(m.medical_insurance == MedicalInsurance.NONE.value)
    return uninsured.group_by("household_id").aggregate(uninsured_members=uninsured.count())


# ---------------------------------------------------------------- labour and employment


def labour_loss_unprotected(t: Tables, p: Parameters) -> ir.Table:
    """A household that lost its labour and has no 低保 or 特困 support: a member of working
    capacity died in the twelve months before the screening, or the head is disabled and no one else
    has full working capacity, or no one present can work at all."""
    m = t.members
    died = m.filter(m.end_reason == EndReason.DECEASED.value, m.ended_ymd >= p.year_before_ymd,
                    m.ended_ymd < p.screening_ymd, m.labour_capacity.isin(STRONG_LABOUR))
    deaths = died.group_by("household_id").aggregate(earners_deceased=died.count())
    present = present_members(t, p)
    flags = member_flags(
        present,
        present_members=present.member_id.notnull(),
        able_members=present.labour_capacity.isin(ABLE_LABOUR),
        strong_members=present.labour_capacity.isin(STRONG_LABOUR),
        assisted_members=present.dibao | present.tekun,
        disabled_head=(present.relation == Relation.HEAD.value) & (present.health == Health.DISABLED.value),
    )
    j = flags.left_join(deaths, "household_id").drop("household_id_right")
    deceased = j.earners_deceased.fill_null(0)
    lost = (deceased > 0) | ((j.disabled_head > 0) & (j.strong_members == 0)) | (j.able_members == 0)
    return j.filter(j.assisted_members == 0, lost).select(
        "household_id", "able_members", "strong_members",
        earners_deceased=deceased, head_disabled=j.disabled_head > 0)


def unstable_employment(t: Tables, p: Parameters) -> ir.Table:
    present = present_members(t, p)
    unstable = present.filter(present.labour_capacity.isin(STRONG_LABOUR), present.work_place != "",
                              present.work_months < p.stable_employment_months)
    workers = unstable.group_by("household_id").aggregate(unstable_workers=unstable.count())
    b = income_basis(t, p).join(workers, "household_id")
    return b.filter(b.gross_fen > 0, b.wage_fen * 10000 >= b.gross_fen * HIGH_WAGE_SHARE_BP).select(
        "household_id", "quarterly", "unstable_workers", "wage_fen", "gross_fen")


# ---------------------------------------------------------------- national sanity rules (DOMAIN §10)


def illness_without_medical_spending(t: Tables, p: Parameters) -> ir.Table:
    present = present_members(t, p)
    ill = present.filter(present.health.isin(ILL))
    households = ill.group_by("household_id").aggregate(ill_members=ill.count())
    b = income_basis(t, p).join(households, "household_id")
    return b.filter(b.medical_fen == 0).select("household_id", "quarterly", "ill_members")


def working_without_labour(t: Tables, p: Parameters) -> ir.Table:
    present = present_members(t, p)
    odd = present.filter(present.work_months > 0, present.labour_capacity.isin(NO_LABOUR))
    return odd.group_by("household_id").aggregate(members=odd.count())


def _assisted(t: Tables, p: Parameters) -> ir.Table:
    present = present_members(t, p)
    return member_flags(present, assisted_members=present.dibao | present.tekun).filter(
        lambda f: f.assisted_members > 0)


def assisted_high_income(t: Tables, p: Parameters) -> ir.Table:
    b = income_basis(t, p).join(_assisted(t, p), "household_id")
    return b.filter(b.size > 0, b.per_capita_fen > to_fen(ASSISTED_INCOME_CEILING)).select(
        "household_id", "quarterly", "per_capita_fen", "assisted_members")


def assisted_without_transfer_income(t: Tables, p: Parameters) -> ir.Table:
    b = income_basis(t, p).join(_assisted(t, p), "household_id")
    return b.filter(b.transfer_fen == 0).select("household_id", "quarterly", "assisted_members")


# ---------------------------------------------------------------- the rule book

RULES: tuple[Rule, ...] = (
    Rule("income_below_line", 1, _("收入低于监测线"),
         _("收入核算期人均纯收入低于监测线（恰好等于监测线不算低于）。"),
         (RiskType.INCOME,), income_below_line,
         _("%(basis)s人均纯收入%(per_capita)s元，低于监测线%(line)s元。"),
         parameter_figures=("line_fen",)),
    Rule("income_sharp_drop", 1, _("收入大幅下降"),
         _("人均纯收入比上一核算期下降达到收入骤减比例及以上。"),
         (RiskType.INCOME,), income_sharp_drop,
         _("%(basis)s人均纯收入%(per_capita)s元，比上期%(previous_per_capita)s元下降%(drop_percent)s%%，"
           "达到骤减比例%(drop_threshold_percent)s%%。"),
         parameter_figures=("drop_bp",)),
    Rule("income_watch_band", 1, _("收入处于关注区间"),
         _("人均纯收入不低于监测线、但低于关注线（监测线×(1+关注区间比例)）。"),
         (RiskType.INCOME,), income_watch_band,
         _("%(basis)s人均纯收入%(per_capita)s元，处于监测线%(line)s元至关注线%(watch_line)s元之间。"),
         parameter_figures=("line_fen", "watch_line_fen")),
    Rule("medical_spending_high", 1, _("医疗自付支出超预警线"),
         _("医疗自付支出超过预警金额，或超过家庭纯收入的预警比例，或超过参考收入的预警比例"
           "（脱贫户和一般农户分别设定）。"),
         (RiskType.ILLNESS,), rigid_spending("medical"),
         _("%(basis)s医疗自付支出%(spending)s元，超过预警线。"),
         parameter_figures=("medical_amount_fen", "medical_income_share_bp", "reference_income_fen",
                            "medical_reference_share_exited_bp", "medical_reference_share_other_bp")),
    Rule("education_spending_high", 1, _("教育支出超预警线"),
         _("教育支出超过预警金额，或超过家庭纯收入的预警比例。"),
         (RiskType.SCHOOLING,), rigid_spending("education"),
         _("%(basis)s教育支出%(spending)s元，超过预警线。"),
         parameter_figures=("education_amount_fen", "education_income_share_bp")),
    Rule("disaster_loss_high", 1, _("灾害损失超预警线"),
         _("灾害损失超过预警金额，或超过家庭纯收入的预警比例。"),
         (RiskType.DISASTER,), rigid_spending("disaster"),
         _("%(basis)s灾害损失%(spending)s元，超过预警线。"),
         parameter_figures=("disaster_amount_fen", "disaster_income_share_bp")),
    Rule("house_unsafe", 1, _("住房安全无保障"),
         _("住房鉴定为C级或D级危房。"),
         (RiskType.HOUSING,), house_unsafe,
         _("住房为%(house_grade)s级危房。"), reads=("households",)),
    Rule("child_out_of_school", 1, _("义务教育阶段失学辍学"),
         _("有6-15周岁成员为非在校生或失学辍学（以筛查月份第一天计算年龄）。"),
         (RiskType.DROPOUT,), child_out_of_school,
         _("%(children)s名6-15周岁成员未在校。"), reads=("members",)),
    Rule("water_unsafe", 1, _("饮水安全无保障"),
         _("饮水不安全，或水量、水质、用水方便程度、供水保证率任一项不达标。"),
         (RiskType.WATER,), water_unsafe,
         _("饮水安全不达标。"), reads=("households",)),
    Rule("medical_insurance_missing", 1, _("未参加基本医疗保险"),
         _("有在户成员未参加基本医疗保险。"),
         (RiskType.MEDICAL_INSURANCE,), medical_insurance_missing,
         _("%(uninsured_members)s名成员未参加基本医疗保险。"), reads=("members",)),
    Rule("labour_loss_unprotected", 1, _("缺失劳动力且无兜底保障"),
         _("近12个月内有劳动力成员死亡，或户主残疾且无其他普通及以上劳动力，或无任何劳动能力成员；"
           "且户内无人享受低保或特困供养。"),
         (RiskType.LACK_OF_LABOUR,), labour_loss_unprotected,
         _("劳动力缺失（有劳动能力成员%(able_members)s人），户内无人享受低保或特困供养。"), reads=("members",)),
    Rule("unstable_employment", 1, _("务工就业不稳"),
         _("有普通及以上劳动力务工不足稳定就业月数，且工资性收入占家庭总收入一半及以上。"),
         (RiskType.UNSTABLE_EMPLOYMENT,), unstable_employment,
         _("%(unstable_workers)s名劳动力务工不足稳定就业月数，工资性收入%(wage)s元占总收入%(gross)s元的一半及以上。"),
         parameter_figures=("stable_employment_months",)),
    Rule("illness_without_medical_spending", 1, _("数据核查：患病但医疗支出为0"),
         _("有大病或长期慢性病成员，但收入核算期医疗自付支出为0（国家系统校验规则）。"),
         (RiskType.OTHER,), illness_without_medical_spending,
         _("%(ill_members)s名成员患大病或慢性病，但%(basis)s医疗自付支出为0，请核实。"), data_quality=True),
    Rule("working_without_labour", 1, _("数据核查：无劳动力成员登记务工"),
         _("成员劳动技能为无劳动力或丧失劳动力，却登记了务工月数（国家系统校验规则：务工不稳风险与无劳动力矛盾）。"),
         (RiskType.OTHER,), working_without_labour,
         _("%(members)s名无劳动力或丧失劳动力成员登记了务工月数，请核实。"), reads=("members",), data_quality=True),
    Rule("assisted_high_income", 1, _("数据核查：低保特困户收入过高"),
         _("有享受低保或特困供养的成员，但人均纯收入超过2万元（国家系统校验规则）。"),
         (RiskType.OTHER,), assisted_high_income,
         _("享受低保或特困供养，但%(basis)s人均纯收入%(per_capita)s元超过2万元，请核实。"), data_quality=True),
    Rule("assisted_without_transfer_income", 1, _("数据核查：低保特困户无转移性收入"),
         _("有享受低保或特困供养的成员，但收入核算期转移性收入为0（国家系统校验规则）。"),
         (RiskType.OTHER,), assisted_without_transfer_income,
         _("享受低保或特困供养，但%(basis)s转移性收入为0，请核实。"), data_quality=True),
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}


# ---------------------------------------------------------------- figures as a lead records them


def _yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def _ratio(bp: int) -> str:
    return f"{Decimal(bp) / 10000:.4f}"


def lead_figures(rule: Rule, row: dict, parameters: Parameters) -> dict:
    """The figures a lead records: the rule's columns for the household plus the thresholds it was
    compared with; money as yuan strings with two decimals, ratios with four."""
    values = {**row, **{name: getattr(parameters, name) for name in rule.parameter_figures}}
    figures = {}
    for name, value in values.items():
        if name == "household_id":
            continue
        if name.endswith("_fen"):
            figures[name[:-4]] = None if value is None else _yuan(value)
        elif name.endswith("_bp"):
            figures[name[:-3]] = None if value is None else _ratio(value)
        elif name in ("quarterly", "previous_quarterly"):
            figures[name.replace("quarterly", "basis")] = parameters.basis_label(
                bool(value), years_back=1 if name.startswith("previous") else 0)
        elif isinstance(value, bool) or name in ("severe", "head_disabled"):
            figures[name] = bool(value)
        else:
            figures[name] = value
    return figures


def lead_summary(rule: Rule, figures: dict) -> str:
    values = {key: ("" if value is None else value) for key, value in figures.items()}
    values.setdefault("basis", "")
    if rule.code == "income_sharp_drop":
        before, now = Decimal(figures["previous_per_capita"]), Decimal(figures["per_capita"])
        values["drop_percent"] = f"{(before - now) / before * 100:.1f}"
        values["drop_threshold_percent"] = f"{Decimal(figures['drop']) * 100:.1f}"
    values["basis"] = basis_words(values["basis"])
    return str(rule.summary) % values


def basis_words(label: str) -> str:
    """"2025" -> 2025年; "2025Q2-2026Q1" -> 2025年第2季度至2026年第1季度."""
    if not label:
        return ""
    if "Q" not in label:
        return _("%(y)s年") % {"y": label}
    first, last = label.split("-")
    (y1, q1), (y2, q2) = first.split("Q"), last.split("Q")
    return _("%(y1)s年第%(q1)s季度至%(y2)s年第%(q2)s季度") % {"y1": y1, "q1": q1, "y2": y2, "q2": q2}
