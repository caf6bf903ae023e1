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
from fangpin.registry import conditions as c

from .parameters import Parameters
from .tables import Tables


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
# The conditions themselves live in fangpin.registry.conditions; here they meet the canonical tables.


def income_basis(t: Tables, p: Parameters, years_back: int = 0) -> ir.Table:
    """Per household: income, spending, size and figures over the income basis (see the module
    docstring), `years_back` years before the screening's own."""
    return c.income_basis(t.incomes, t.members, c.IncomeWindow(p.screening_day, years_back))


def present_members(t: Tables, p: Parameters) -> ir.Table:
    return t.members.filter(c.present_ibis(t.members, p.screening_ymd))


def member_flags(members: ir.Table, **conditions: ir.BooleanValue) -> ir.Table:
    """Per household, how many of `members` meet each condition."""
    return members.group_by("household_id").aggregate(
        **{name: ibis.ifelse(condition, 1, 0).sum() for name, condition in conditions.items()})


def members_meeting(t: Tables, p: Parameters, condition: c.MemberCondition, count: str) -> ir.Table:
    """Households with present members meeting `condition`, and how many (column `count`)."""
    present = present_members(t, p)
    meeting = present.filter(condition.ibis(present, p.screening_ymd))
    return meeting.group_by("household_id").aggregate(**{count: meeting.count()})


def nothing(table: ir.Table) -> ir.Table:
    return table.filter(ibis.literal(False))


# ---------------------------------------------------------------- income


def income_below_line(t: Tables, p: Parameters) -> ir.Table:
    b = income_basis(t, p)
    return b.filter(b.size > 0, c.income_below_line(b.per_capita_fen, p.line_fen)).select(
        "household_id", "quarterly", "per_capita_fen", "net_fen", "size")


def income_watch_band(t: Tables, p: Parameters) -> ir.Table:
    b = income_basis(t, p)
    return b.filter(b.size > 0, c.income_in_watch_band(b.per_capita_fen, p.line_fen, p.watch_line_fen)).select(
        "household_id", "quarterly", "per_capita_fen", "net_fen", "size")


def income_sharp_drop(t: Tables, p: Parameters) -> ir.Table:
    now = income_basis(t, p)
    before = income_basis(t, p, years_back=1).select(
        "household_id", previous_per_capita_after_rigid_fen="per_capita_after_rigid_fen",
        previous_quarterly="quarterly")
    both = now.join(before, "household_id")
    return both.filter(both.size > 0, c.income_sharp_drop(
        both.per_capita_after_rigid_fen, both.previous_per_capita_after_rigid_fen, p.drop_bp)).select(
        "household_id", "quarterly", "per_capita_after_rigid_fen", "previous_per_capita_after_rigid_fen",
        "previous_quarterly")


# ---------------------------------------------------------------- rigid spending


def rigid_spending(kind: str) -> Callable[[Tables, Parameters], ir.Table]:
    """Medical, education or disaster spending of the income basis above a warning line
    (`conditions.rigid_spending_high`)."""

    def expression(t: Tables, p: Parameters) -> ir.Table:
        b = income_basis(t, p).join(t.households.select("household_id", "exited"), "household_id")
        spending = b[f"{kind}_fen"]
        flagged = c.rigid_spending_high(spending, b.net_fen, b.exited, **p.warning_lines(kind))
        if flagged is None:
            return nothing(b.select("household_id"))
        return b.filter(flagged).select(
            "household_id", "quarterly", "net_fen", "size", "per_capita_after_rigid_fen",
            spending_fen=spending,
            severe=b.size.isnull() | (b.size == 0) | (b.per_capita_after_rigid_fen < p.line_fen),
        )

    return expression


# ---------------------------------------------------------------- guarantees


def house_unsafe(t: Tables, p: Parameters) -> ir.Table:
    h = t.households
    return h.filter(c.HOUSE_UNSAFE.ibis(h)).select("household_id", "house_grade")


def child_out_of_school(t: Tables, p: Parameters) -> ir.Table:
    return members_meeting(t, p, c.OUT_OF_SCHOOL_CHILD, "children")


def water_unsafe(t: Tables, p: Parameters) -> ir.Table:
    h = t.households
    return h.filter(h.water_unsafe).select("household_id")


def medical_insurance_missing(t: Tables, p: Parameters) -> ir.Table:
    return members_meeting(t, p, c.UNINSURED_MEMBER, "uninsured_members")


# ---------------------------------------------------------------- labour and employment


def labour_loss_unprotected(t: Tables, p: Parameters) -> ir.Table:
    """A household that lost its labour (`conditions.labour_lost`) and has no 低保 or 特困 support."""
    m = t.members
    died = m.filter(c.deceased_earner_ibis(m, p.screening_ymd))
    deaths = died.group_by("household_id").aggregate(earners_deceased=died.count())
    present = present_members(t, p)
    day = p.screening_ymd
    flags = member_flags(
        present,
        able_members=c.ABLE_TO_WORK_MEMBER.ibis(present, day),
        strong_members=c.FULL_LABOUR_MEMBER.ibis(present, day),
        assisted_members=c.ASSISTED_MEMBER.ibis(present, day),
        disabled_head=c.DISABLED_HEAD.ibis(present, day),
    )
    j = flags.left_join(deaths, "household_id").drop("household_id_right")
    deceased = j.earners_deceased.fill_null(0)
    lost = c.labour_lost(deceased, j.disabled_head, j.strong_members, j.able_members)
    return j.filter(j.assisted_members == 0, lost).select(
        "household_id", "able_members", "strong_members",
        earners_deceased=deceased, head_disabled=j.disabled_head > 0)


def unstable_employment(t: Tables, p: Parameters) -> ir.Table:
    workers = members_meeting(t, p, c.unstable_worker(p.stable_employment_months), "unstable_workers")
    b = income_basis(t, p).join(workers, "household_id")
    return b.filter(c.wages_dominate(b.wage_fen, b.gross_fen)).select(
        "household_id", "quarterly", "unstable_workers", "wage_fen", "gross_fen")


# ---------------------------------------------------------------- national sanity rules (DOMAIN §10)


def illness_without_medical_spending(t: Tables, p: Parameters) -> ir.Table:
    households = members_meeting(t, p, c.ILL_MEMBER, "ill_members")
    b = income_basis(t, p).join(households, "household_id")
    return b.filter(b.medical_fen == 0).select("household_id", "quarterly", "ill_members")


def working_without_labour(t: Tables, p: Parameters) -> ir.Table:
    return members_meeting(t, p, c.WORKS_WITHOUT_LABOUR, "members")


def _assisted(t: Tables, p: Parameters) -> ir.Table:
    return members_meeting(t, p, c.ASSISTED_MEMBER, "assisted_members")


def assisted_high_income(t: Tables, p: Parameters) -> ir.Table:
    b = income_basis(t, p).join(_assisted(t, p), "household_id")
    return b.filter(b.size > 0, c.assisted_income_too_high(b.per_capita_fen)).select(
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
    Rule("income_sharp_drop", 2, _("收入大幅下降"),
         _("扣除刚性支出（计入理赔收入）后的人均收入比上一核算期下降达到收入骤减比例及以上。"),
         (RiskType.INCOME,), income_sharp_drop,
         _("%(basis)s扣除刚性支出后人均收入%(per_capita_after_rigid)s元，比上期%(previous_per_capita_after_rigid)s元"
           "下降%(drop_percent)s%%，达到骤减比例%(drop_threshold_percent)s%%。"),
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
    Rule("medical_insurance_missing", 2, _("未参加基本医疗保险"),
         _("有在户成员未参加基本医疗保险或未填写参保情况。"),
         (RiskType.MEDICAL_INSURANCE,), medical_insurance_missing,
         _("%(uninsured_members)s名成员未参加基本医疗保险。"), reads=("members",)),
    Rule("labour_loss_unprotected", 2, _("缺失劳动力且无兜底保障"),
         _("近12个月内有普通及以上劳动力成员死亡，或户主残疾且无其他16-64周岁普通及以上劳动力，"
           "或无16-64周岁有劳动能力成员；且户内无人享受低保或特困供养。"),
         (RiskType.LACK_OF_LABOUR,), labour_loss_unprotected,
         _("劳动力缺失（有劳动能力成员%(able_members)s人），户内无人享受低保或特困供养。"), reads=("members",)),
    Rule("unstable_employment", 2, _("务工就业不稳"),
         _("有16-64周岁普通及以上劳动力务工不足稳定就业月数，且工资性收入占家庭总收入一半及以上。"),
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
        before = Decimal(figures["previous_per_capita_after_rigid"])
        now = Decimal(figures["per_capita_after_rigid"])
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
