"""The eight must-visit groups (八必访) as conditions on households, evaluated by the database.

Each group is a condition of fangpin.registry.conditions rendered as a Q over Household. It reads
the registry as it is: members in the household on the sweep day (today, or the month's last day
for a past month), and the yearly income records of the last full year before the sweep month (and
the one before it, to see a fall). The income-drop ratio and the months of stable work come from the county's monitoring standard in force
when it has one, else the common practice (a fall of 30%, 6 months of work).
"""

import calendar
import datetime
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from fangpin.registry import conditions as c
from fangpin.registry.models import Income, Member

from ..models import SweepGroup, Thresholds

DEFAULT_INCOME_DROP_RATIO = Decimal("0.30")
DEFAULT_STABLE_EMPLOYMENT_MONTHS = 6
SEVERAL_CHILDREN = 2


def _member(condition: c.MemberCondition, day: datetime.date) -> Q:
    return Q(c.member_exists(condition, day))


def _several_in_non_compulsory_school(day: datetime.date) -> Q:
    students = (Member.objects.filter(c.present_q(day), c.NON_COMPULSORY_STUDENT.q(day), household=OuterRef("pk"))
                .order_by().values("household").annotate(n=Count("pk")).filter(n__gte=SEVERAL_CHILDREN))
    return Q(Exists(students))


def _unstable_work(year: int, stable_months: int, day: datetime.date) -> Q:
    wage_heavy = (c.yearly_incomes(year).alias(wage_bp=F("wage_fen") * 10000)
                  .filter(gross_fen__gt=0, wage_bp__gte=F("gross_fen") * c.HIGH_WAGE_SHARE_BP))
    return _member(c.unstable_worker(stable_months), day) & Q(Exists(wage_heavy))


def group_conditions(sweep_month: datetime.date, thresholds: Thresholds | None) -> dict[str, Q]:
    """SweepGroup code -> condition on Household, for a sweep in the month of `sweep_month`."""
    year = sweep_month.year - 1
    drop_ratio = thresholds.income_drop_ratio if thresholds else DEFAULT_INCOME_DROP_RATIO
    stable_months = thresholds.stable_employment_months if thresholds else DEFAULT_STABLE_EMPLOYMENT_MONTHS
    month_end = sweep_month.replace(day=calendar.monthrange(sweep_month.year, sweep_month.month)[1])
    day = min(timezone.localdate(), month_end)
    return {
        SweepGroup.FALLING_INCOME: c.income_sharp_drop_q(year, c.to_bp(drop_ratio)),
        SweepGroup.SERIOUS_ILLNESS: _member(c.ILL_MEMBER, day),
        SweepGroup.TEKUN_DIBAO: _member(c.ASSISTED_MEMBER, day),
        SweepGroup.DISABLED: _member(c.DISABLED_MEMBER, day),
        SweepGroup.SCHOOL_COSTS: _several_in_non_compulsory_school(day),
        SweepGroup.UNSTABLE_WORK: _unstable_work(year, stable_months, day),
        SweepGroup.DISASTER: Q(Exists(Income.objects.filter(household=OuterRef("pk"), year__gte=year,
                                                            disaster_loss__gt=0))),
        SweepGroup.NO_LABOUR: ~_member(c.FULL_LABOUR_MEMBER, day),
    }
