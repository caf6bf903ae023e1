"""The eight must-visit groups (八必访) as conditions on households, evaluated by the database.

Each group reads the registry as it is: members still in the household, and the yearly income
records of the last full year before the sweep month (and the one before it, to see a fall). The
income-drop ratio and the months of stable work come from the county's monitoring standard in force
when it has one, else the common practice (a fall of 30%, 6 months of work).
"""

import datetime
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery

from fangpin.registry.choices import Health, LabourCapacity, Schooling
from fangpin.registry.models import Income, Member

from ..models import SweepGroup, Thresholds

DEFAULT_INCOME_DROP_RATIO = Decimal("0.30")
DEFAULT_STABLE_EMPLOYMENT_MONTHS = 6
# A household "lives on wages" when wages are at least half of its gross income; then unstable
# work is what puts it at risk. A definition, not a county setting.
WAGE_SHARE_HIGH = Decimal("0.5")
NON_COMPULSORY_SCHOOLING = (Schooling.SENIOR, Schooling.SECONDARY_VOCATIONAL, Schooling.HIGHER_VOCATIONAL,
                            Schooling.UNDERGRADUATE)
SEVERAL_CHILDREN = 2

_MONEY = DecimalField(max_digits=14, decimal_places=2)
_NET_AFTER_RIGID = ExpressionWrapper(
    F("wage_income") + F("operating_income") + F("property_income") + F("transfer_income") - F("operating_costs")
    - F("medical_spending") - F("education_spending") - F("disaster_loss"), output_field=_MONEY)
_GROSS = ExpressionWrapper(F("wage_income") + F("operating_income") + F("property_income") + F("transfer_income"),
                           output_field=_MONEY)


def _member(*conditions, **lookups) -> Exists:
    return Exists(Member.objects.filter(household=OuterRef("pk"), ended_on__isnull=True).filter(*conditions, **lookups))


def _yearly(year: int):
    return Income.objects.filter(household=OuterRef("pk"), year=year, quarter__isnull=True)


def _falling_income(year: int, drop_ratio: Decimal) -> Q:
    """Income net of rigid spending fell by at least the drop ratio against the year before:
    "income falls sharply or spending rises sharply" in one figure."""
    year_before = Income.objects.filter(household=OuterRef("household"), year=year - 1, quarter__isnull=True)
    before = Subquery(year_before.annotate(v=_NET_AFTER_RIGID).values("v")[:1], output_field=_MONEY)
    fallen = (_yearly(year).annotate(before=before).alias(now=_NET_AFTER_RIGID)
              .filter(before__gt=0, now__lte=F("before") * (1 - drop_ratio)))
    return Q(Exists(fallen))


def _several_in_non_compulsory_school() -> Q:
    students = (Member.objects.filter(household=OuterRef("pk"), ended_on__isnull=True,
                                      schooling__in=NON_COMPULSORY_SCHOOLING)
                .order_by().values("household").annotate(n=Count("pk")).filter(n__gte=SEVERAL_CHILDREN))
    return Q(Exists(students))


def _unstable_work(year: int, stable_months: int) -> Q:
    short_work = _member(~Q(work_place=""), work_months__lt=stable_months)
    wage_heavy = _yearly(year).alias(gross=_GROSS).filter(gross__gt=0, wage_income__gte=F("gross") * WAGE_SHARE_HIGH)
    return Q(short_work) & Q(Exists(wage_heavy))


def group_conditions(sweep_month: datetime.date, thresholds: Thresholds | None) -> dict[str, Q]:
    """SweepGroup code -> condition on Household, for a sweep in the month of `sweep_month`."""
    year = sweep_month.year - 1
    drop_ratio = thresholds.income_drop_ratio if thresholds else DEFAULT_INCOME_DROP_RATIO
    stable_months = thresholds.stable_employment_months if thresholds else DEFAULT_STABLE_EMPLOYMENT_MONTHS
    return {
        SweepGroup.FALLING_INCOME: _falling_income(year, drop_ratio),
        SweepGroup.SERIOUS_ILLNESS: Q(_member(health__in=[Health.SERIOUS, Health.CHRONIC])),
        SweepGroup.TEKUN_DIBAO: Q(_member(Q(dibao=True) | Q(tekun=True))),
        SweepGroup.DISABLED: Q(_member(Q(health=Health.DISABLED) | ~Q(disability_grade=""))),
        SweepGroup.SCHOOL_COSTS: _several_in_non_compulsory_school(),
        SweepGroup.UNSTABLE_WORK: _unstable_work(year, stable_months),
        SweepGroup.DISASTER: Q(Exists(Income.objects.filter(household=OuterRef("pk"), year__gte=year,
                                                            disaster_loss__gt=0))),
        SweepGroup.NO_LABOUR: ~Q(_member(labour_capacity__in=[LabourCapacity.SKILLED, LabourCapacity.ORDINARY])),
    }
