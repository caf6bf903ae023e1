"""The risk-elimination check: every criterion of the national rules, pass or fail, with its figures.

Allowed only when all hold: the months since confirmation the county's elimination criteria ask for
(6 by default); income stably above the monitoring line over the last completed quarters (two, half a
year, by default); large rigid spending solved; the three guarantees (housing: a house of a grade the
criteria count safe, A or B by default; compulsory education; basic medical insurance) and drinking
water secured; measures in place (at least one by default). A household with no labour is not
eliminated (it stays under social protection). The check records the version of the criteria it used."""

import dataclasses
import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from fangpin.assistance.selectors import measures_in_place
from fangpin.cases.errors import CasesErrorCode
from fangpin.core.areas import county_of
from fangpin.core.errors import ValidationFailed
from fangpin.core.periods import add_months
from fangpin.core.policy import policy_in_force
from fangpin.monitoring.choices import MonitoringStatus
from fangpin.monitoring.services import thresholds_in_force
from fangpin.registry import conditions
from fangpin.registry.models import Income

from .models import EliminationCriteria


@dataclasses.dataclass
class Criterion:
    code: str
    label: str
    passed: bool
    detail: str


@dataclasses.dataclass
class EliminationCheck:
    criteria: list[Criterion]
    no_labour: bool
    criteria_version: int

    @property
    def passed(self) -> bool:
        return not self.no_labour and all(c.passed for c in self.criteria)

    def as_json(self) -> dict:
        return {"passed": self.passed, "no_labour": self.no_labour, "criteria_version": self.criteria_version,
                "criteria": [dataclasses.asdict(c) for c in self.criteria]}


def last_completed_quarters(today: datetime.date, count: int = 2) -> list[tuple[int, int]]:
    year, quarter = today.year, (today.month - 1) // 3 + 1
    quarters = []
    for _i in range(count):
        quarter -= 1
        if quarter == 0:
            year, quarter = year - 1, 4
        quarters.append((year, quarter))
    return quarters


def _income_basis(household, identified_on: datetime.date, today: datetime.date, quarters: int):
    """The income rows that show the last half year, as (label, per-capita net, per-capita after rigid
    spending) on a yearly scale: the last two completed quarters when both are on file, otherwise the
    latest yearly figure of the confirmation year or later."""
    incomes = Income.objects.unrestricted().with_member_count().filter(household=household)
    wanted = last_completed_quarters(today, quarters)
    quarterly = {(i.year, i.quarter): i for i in incomes.filter(quarter__isnull=False)
                 if (i.year, i.quarter) in wanted}
    if len(quarterly) == len(wanted):
        rows = []
        for year, quarter in sorted(wanted):
            income = quarterly[(year, quarter)]
            net, after = income.per_capita_net_income, income.per_capita_after_rigid_spending
            rows.append((f"{year}Q{quarter}", net * 4 if net is not None else None,
                         after * 4 if after is not None else None))
        return rows
    yearly = incomes.filter(quarter__isnull=True, year__gte=identified_on.year).order_by("-year").first()
    if yearly is None:
        return []
    return [(str(yearly.year), yearly.per_capita_net_income, yearly.per_capita_after_rigid_spending)]


def check_elimination(household, *, today=None, monitoring=None) -> EliminationCheck:
    today = today or timezone.localdate()
    if monitoring is None:
        monitoring = household.monitorings.filter(status=MonitoringStatus.MONITORED).first()
    if monitoring is None:
        raise ValidationFailed(CasesErrorCode.NOT_MONITORED, _("农户%(h)s不是监测对象。") % {"h": household.number})
    county = county_of(household.place)
    rules = policy_in_force(EliminationCriteria, county, today)
    criteria = []

    months = rules.min_months_monitored
    earliest = add_months(monitoring.identified_on, months)
    criteria.append(Criterion(
        "months_monitored", _("纳入监测满%(n)d个月") % {"n": months}, today >= earliest,
        _("%(a)s认定，满%(n)d个月为%(b)s") % {"a": monitoring.identified_on, "n": months, "b": earliest}))

    try:
        line = thresholds_in_force(county, today).monitoring_line
    except ValidationFailed as error:
        line = None
        line_error = error.message
    basis = _income_basis(household, monitoring.identified_on, today, rules.income_quarters)
    if line is None:
        criteria.append(Criterion("income_stable", _("收入稳定超过监测线半年以上"), False, line_error))
        criteria.append(Criterion("rigid_spending", _("刚性支出问题已解决"), False, line_error))
    elif not basis:
        missing = _("缺少认定以来的收入数据（最近两个季度或认定当年及以后的年度收入）")
        criteria.append(Criterion("income_stable", _("收入稳定超过监测线半年以上"), False, missing))
        criteria.append(Criterion("rigid_spending", _("刚性支出问题已解决"), False, missing))
    else:
        def figures(index):
            return "，".join(f"{row[0]}：{row[index] if row[index] is not None else '—'}" for row in basis)
        income_ok = all(net is not None and net >= line for _label, net, _after in basis)
        after_ok = all(after is not None and after >= line for _label, _net, after in basis)
        criteria.append(Criterion(
            "income_stable", _("收入稳定超过监测线半年以上"), income_ok,
            _("人均纯收入（折年）%(f)s；监测线%(l)s元") % {"f": figures(1), "l": line}))
        criteria.append(Criterion(
            "rigid_spending", _("刚性支出问题已解决"), after_ok,
            _("扣除刚性支出后人均收入（折年）%(f)s；监测线%(l)s元") % {"f": figures(2), "l": line}))

    members = [m for m in household.members.all() if conditions.present_python(m, today)]
    house_ok = conditions.house_secured(rules.safe_house_grades).python(household)
    criteria.append(Criterion(
        "housing", _("住房安全有保障"), house_ok,
        _("危房等级：%(g)s%(r)s") % {"g": household.get_house_grade_display() or _("未填"),
                                 "r": _("，易地搬迁户") if household.relocated else ""}))
    dropouts = [m.name for m in conditions.members_meeting(conditions.OUT_OF_SCHOOL_CHILD, members, today)]
    criteria.append(Criterion(
        "education", _("义务教育有保障"), not dropouts,
        _("辍学：%(n)s") % {"n": "、".join(dropouts)} if dropouts else _("无辍学学生")))
    uninsured = [m.name for m in conditions.members_meeting(conditions.UNINSURED_MEMBER, members, today)]
    criteria.append(Criterion(
        "medical_insurance", _("基本医疗保险全员参保"), not uninsured,
        _("未参保：%(n)s") % {"n": "、".join(uninsured)} if uninsured else _("%(n)d人全部参保") % {"n": len(members)}))
    water_secured, water_unsafe = conditions.WATER_SECURED.python(household), conditions.WATER_UNSAFE.python(household)
    criteria.append(Criterion(
        "water", _("饮水安全有保障"), water_secured,
        _("饮水安全：%(v)s") % {"v": _("是") if water_secured else _("否") if water_unsafe else _("未填")}))
    measures = list(measures_in_place(household, today))
    criteria.append(Criterion(
        "measure", _("至少落实%(n)d项帮扶措施") % {"n": rules.min_measures_in_place},
        len(measures) >= rules.min_measures_in_place,
        "、".join(m.name for m in measures[:5]) if measures else _("没有已落实的帮扶措施")))
    labour = conditions.members_meeting(conditions.ABLE_TO_WORK_MEMBER, members, today)
    return EliminationCheck(criteria=criteria, no_labour=not labour, criteria_version=rules.version)

