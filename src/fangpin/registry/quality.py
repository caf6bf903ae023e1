"""Data-quality rules: the national system's sanity checks that the registry can already evaluate,
and checks of the registry's own consistency.

Each rule is a condition on households that the database evaluates (a Q over Household built from
EXISTS subqueries, from the conditions of `fangpin.registry.conditions`), so counting or listing the
flagged households of a county with 100k households is one query, never a loop over households in
Python. Only households still in the register (status active) and members in them on the check day
are checked.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import conditions as c
from .choices import Health, HouseholdStatus, HouseholdType, Relation
from .models import Household, Income, Member


@dataclass(frozen=True)
class Check:
    """When the rules are evaluated: `year` is the income year checked (the last full year)."""

    today: datetime.date
    year: int

    @classmethod
    def now(cls) -> "Check":
        today = timezone.localdate()
        return cls(today=today, year=today.year - 1)


@dataclass(frozen=True)
class Rule:
    code: str
    message: str  # may name the checked income year as %(year)s
    condition: Callable[[Check], Q]

    def describe(self, check: Check) -> str:
        return str(self.message) % {"year": check.year}


def _member(*conditions: Q, **lookups) -> Exists:
    """Some member still in the household matches."""
    return Exists(Member.objects.filter(household=OuterRef("pk"), ended_on__isnull=True)
                  .filter(*conditions, **lookups))


def _member_meets(condition: c.MemberCondition):
    """Rule condition: some member in the household on the check day meets `condition`."""
    return lambda check: Q(c.member_exists(condition, check.today))


def _yearly_income(check: Check, *conditions: Q, **lookups) -> Exists:
    """The household's whole-year income record for the checked year matches."""
    return Exists(Income.objects.filter(household=OuterRef("pk"), year=check.year, quarter__isnull=True)
                  .filter(*conditions, **lookups))


def _illness_without_medical_spending(check: Check) -> Q:
    return _member_meets(c.ILL_MEMBER)(check) & Q(_yearly_income(check, medical_spending=0))


def _assisted_without_transfer_income(check: Check) -> Q:
    return _member_meets(c.ASSISTED_MEMBER)(check) & Q(_yearly_income(check, transfer_income=0))


def _assisted_with_high_income(check: Check) -> Q:
    high = c.yearly_incomes(check.year).filter(size__gt=0, per_capita_fen__gt=c.to_fen(c.ASSISTED_INCOME_CEILING))
    return _member_meets(c.ASSISTED_MEMBER)(check) & Q(Exists(high))


RULES: tuple[Rule, ...] = (
    Rule("illness_no_medical_spending",
         _("有大病或长期慢性病成员，但%(year)s年医疗自付支出为0"),
         _illness_without_medical_spending),
    Rule("assisted_no_transfer_income",
         _("有享受低保或特困供养的成员，但%(year)s年转移性收入为0"),
         _assisted_without_transfer_income),
    Rule("assisted_high_income",
         _("有享受低保或特困供养的成员，但%(year)s年人均纯收入超过2万元"),
         _assisted_with_high_income),
    Rule("disabled_without_grade",
         _("残疾成员未填写残疾等级"),
         lambda check: Q(_member(health=Health.DISABLED, disability_grade=""))),
    Rule("child_out_of_school",
         _("6-15岁成员未在校、失学辍学或未填写在校情况"),
         _member_meets(c.OUT_OF_SCHOOL_CHILD | c.SCHOOLING_UNKNOWN_CHILD)),
    Rule("no_basic_medical_insurance",
         _("有成员未参加基本医疗保险或未填写参保情况"),
         _member_meets(c.UNINSURED_MEMBER)),
    Rule("works_without_labour_capacity",
         _("成员有务工月数，但劳动技能为无劳动力或丧失劳动力"),
         _member_meets(c.WORKS_WITHOUT_LABOUR)),
    Rule("welfare_post_months_mismatch",
         _("公益岗位与公益岗位月数不一致"),
         lambda check: Q(_member(Q(welfare_post=True, welfare_post_months=0)
                                 | Q(welfare_post=False, welfare_post_months__gt=0)))),
    Rule("no_income_last_year",
         _("缺少%(year)s年全年收支记录"),
         lambda check: ~Q(_yearly_income(check))),
    Rule("exited_without_exit_year",
         _("脱贫户未填写脱贫年度"),
         lambda check: Q(household_type=HouseholdType.EXITED, exit_year__isnull=True)),
    Rule("no_active_members",
         _("在册农户没有在户成员（应办理销户）"),
         lambda check: ~Q(_member())),
    Rule("no_head",
         _("在户成员中没有户主"),
         lambda check: Q(_member()) & ~Q(_member(relation=Relation.HEAD))),
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}
ANY_RULE = "any"  # the code pages use for "flagged by at least one rule"


def _checked(households: QuerySet) -> QuerySet:
    return households.filter(status=HouseholdStatus.ACTIVE)


def flagged(households: QuerySet, rule: Rule, check: Check | None = None) -> QuerySet:
    """Households of `households` that break `rule`."""
    return _checked(households).filter(rule.condition(check or Check.now()))


def flagged_by_any(households: QuerySet, check: Check | None = None) -> QuerySet:
    """Households that break at least one rule."""
    check = check or Check.now()
    return _checked(households).filter(reduce(or_, (rule.condition(check) for rule in RULES)))


def counts(households: QuerySet, check: Check | None = None) -> dict[str, int]:
    """Number of flagged households per rule code, in one query."""
    check = check or Check.now()
    return _checked(households).aggregate(
        **{rule.code: Count("pk", filter=rule.condition(check)) for rule in RULES}
    )


def warnings_for(household: Household, check: Check | None = None) -> list[str]:
    """Messages of the rules that one household breaks."""
    check = check or Check.now()
    found = counts(Household.objects.unrestricted().filter(pk=household.pk), check)
    return [rule.describe(check) for rule in RULES if found[rule.code]]
