from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangpin.core.masking import IdNumberField, PhoneField
from fangpin.core.money import ZERO, money
from fangpin.core.scoping import AreaQuerySet, AreaScoped

from .choices import (
    DisabilityGrade,
    Education,
    EndReason,
    Health,
    HouseGrade,
    HouseholdStatus,
    HouseholdType,
    LabourCapacity,
    MedicalInsurance,
    Relation,
    Schooling,
    Sex,
    WorkPlace,
)

class Household(AreaScoped):
    """A rural household (户) as the national forms hold it. Its size is the number of active
    members and is always counted, never stored."""

    county = models.ForeignKey("regions.Place", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("县"))
    number = models.CharField(_("户编号"), max_length=30)
    place = models.ForeignKey("regions.Place", on_delete=models.PROTECT, related_name="households",
                              verbose_name=_("所在村组"))
    address = models.CharField(_("家庭住址"), max_length=200, blank=True)
    phone = PhoneField(_("联系电话"), max_length=20, blank=True)
    household_type = models.CharField(_("户类型"), max_length=10, choices=HouseholdType.choices)
    exit_year = models.PositiveSmallIntegerField(_("脱贫年度"), null=True, blank=True)
    relocated = models.BooleanField(_("易地扶贫搬迁"), default=False)
    relocation_site = models.CharField(_("安置点"), max_length=100, blank=True)
    house_grade = models.CharField(_("危房等级"), max_length=4, choices=HouseGrade.choices, blank=True)
    house_area = models.DecimalField(_("住房面积（平方米）"), max_digits=8, decimal_places=2, null=True, blank=True)
    water_safe = models.BooleanField(_("饮水安全"), null=True, blank=True)
    water_quantity_ok = models.BooleanField(_("水量达标"), null=True, blank=True)
    water_quality_ok = models.BooleanField(_("水质达标"), null=True, blank=True)
    water_convenient_ok = models.BooleanField(_("用水方便"), null=True, blank=True)
    water_supply_ok = models.BooleanField(_("供水保证率达标"), null=True, blank=True)
    cultivated_land_mu = models.DecimalField(_("耕地面积（亩）"), max_digits=8, decimal_places=2, null=True, blank=True)
    forest_land_mu = models.DecimalField(_("林地面积（亩）"), max_digits=8, decimal_places=2, null=True, blank=True)
    cooperative_member = models.BooleanField(_("加入农民专业合作社"), default=False)
    industries = models.CharField(_("发展产业"), max_length=200, blank=True)
    helper = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="helped_households", verbose_name=_("帮扶责任人"))
    grid_worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="grid_households", verbose_name=_("网格员"))
    status = models.CharField(_("状态"), max_length=12, choices=HouseholdStatus.choices,
                              default=HouseholdStatus.ACTIVE)
    ended_on = models.DateField(_("销户日期"), null=True, blank=True)
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="merged_from", verbose_name=_("并入农户"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, help_text="optimistic lock for edit forms")

    area_field = "place__code"

    class Meta:
        verbose_name = _("农户")
        verbose_name_plural = _("农户")
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["county", "number"], name="household_number_unique_in_county")]
        indexes = [models.Index(fields=["household_type", "status"])]

    def __str__(self) -> str:
        return f"{self.number}"

    @property
    def household_ref_id(self) -> int:
        return self.pk

    @property
    def is_active(self) -> bool:
        return self.status == HouseholdStatus.ACTIVE

    def active_members(self):
        return self.members.filter(ended_on__isnull=True)

    @property
    def size(self) -> int:
        return self.active_members().count()

    @property
    def head(self):
        return self.active_members().filter(relation=Relation.HEAD).first()


class MemberQuerySet(AreaQuerySet):
    def active(self):
        return self.filter(ended_on__isnull=True)


class Member(AreaScoped):
    """A person's membership of a household. A person who moves to another household ends this
    row and gets a new one there, so each household keeps its own history."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="members",
                                  verbose_name=_("农户"))
    name = models.CharField(_("姓名"), max_length=50)
    id_number = IdNumberField(_("证件号码"), max_length=18, db_index=True)
    relation = models.CharField(_("与户主关系"), max_length=16, choices=Relation.choices)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True, default="汉族")
    education = models.CharField(_("文化程度"), max_length=12, choices=Education.choices, blank=True)
    schooling = models.CharField(_("在校生情况"), max_length=16, choices=Schooling.choices, blank=True)
    health = models.CharField(_("健康状况"), max_length=10, choices=Health.choices, blank=True)
    disability_grade = models.CharField(_("残疾等级"), max_length=1, choices=DisabilityGrade.choices, blank=True)
    labour_capacity = models.CharField(_("劳动技能"), max_length=10, choices=LabourCapacity.choices, blank=True)
    work_place = models.CharField(_("务工所在地"), max_length=16, choices=WorkPlace.choices, blank=True)
    work_months = models.PositiveSmallIntegerField(_("务工时间（月）"), default=0)
    medical_insurance = models.CharField(_("基本医疗保险"), max_length=10, choices=MedicalInsurance.choices,
                                         blank=True)
    critical_illness_insurance = models.BooleanField(_("大病保险"), default=False)
    pension_insurance = models.BooleanField(_("养老保险"), default=False)
    supplementary_insurance = models.BooleanField(_("补充医疗保险"), default=False)
    dibao = models.BooleanField(_("享受低保"), default=False)
    tekun = models.BooleanField(_("特困供养"), default=False)
    welfare_post = models.BooleanField(_("公益岗位"), default=False)
    welfare_post_months = models.PositiveSmallIntegerField(_("公益岗位月数"), default=0)
    joined_on = models.DateField(_("入户日期"), null=True, blank=True)
    ended_on = models.DateField(_("离户日期"), null=True, blank=True)
    end_reason = models.CharField(_("离户原因"), max_length=20, choices=EndReason.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    area_field = "household__place__code"
    objects = models.Manager.from_queryset(MemberQuerySet)()

    class Meta:
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        ordering = ["household_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["id_number"], condition=Q(ended_on__isnull=True),
                                    name="person_in_one_active_household"),
            models.UniqueConstraint(fields=["household"], condition=Q(ended_on__isnull=True, relation="head"),
                                    name="one_active_head_per_household"),
            models.CheckConstraint(condition=Q(work_months__lte=12), name="work_months_at_most_12"),
            models.CheckConstraint(condition=Q(welfare_post_months__lte=12), name="welfare_months_at_most_12"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def household_ref_id(self) -> int:
        return self.household_id

    @property
    def is_active(self) -> bool:
        return self.ended_on is None

    def age_on(self, day) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


def members_at_year_end_count():
    """Subquery: members of the income row's household who were in it at the end of its year."""
    year_end_members = Member.objects.filter(household=models.OuterRef("household")).filter(
        Q(ended_on__isnull=True) | Q(ended_on__year__gt=models.OuterRef("year")),
        Q(joined_on__isnull=True) | Q(joined_on__year__lte=models.OuterRef("year")),
    )
    return models.Subquery(
        year_end_members.order_by().values("household").annotate(n=models.Count("id")).values("n")[:1],
        output_field=models.IntegerField(),
    )


class IncomeQuerySet(AreaQuerySet):
    def with_member_count(self):
        return self.annotate(member_count=models.functions.Coalesce(members_at_year_end_count(), 0))


class Income(AreaScoped):
    """Income and spending of one household for a year (quarter empty) or one quarter of it.
    Net and per-capita figures are derived, never stored."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="incomes",
                                  verbose_name=_("农户"))
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"), null=True, blank=True,
                                               choices=[(q, q) for q in (1, 2, 3, 4)])
    wage_income = money(_("工资性收入"), default=ZERO)
    operating_income = money(_("生产经营性收入"), default=ZERO)
    property_income = money(_("财产性收入"), default=ZERO)
    transfer_income = money(_("转移性收入"), default=ZERO)
    operating_costs = money(_("生产经营性支出"), default=ZERO)
    medical_spending = money(_("医疗自付支出"), default=ZERO)
    education_spending = money(_("教育支出"), default=ZERO)
    disaster_loss = money(_("灾害损失"), default=ZERO)
    insurance_payout = money(_("理赔收入"), default=ZERO)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    area_field = "household__place__code"
    objects = models.Manager.from_queryset(IncomeQuerySet)()

    MONEY_FIELDS = (
        "wage_income", "operating_income", "property_income", "transfer_income", "operating_costs",
        "medical_spending", "education_spending", "disaster_loss", "insurance_payout",
    )

    class Meta:
        verbose_name = _("收支")
        verbose_name_plural = _("收支")
        ordering = ["household_id", "-year", "quarter"]
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], condition=Q(quarter__isnull=True),
                                    name="one_yearly_income_per_household_year"),
            models.UniqueConstraint(fields=["household", "year", "quarter"], condition=Q(quarter__isnull=False),
                                    name="one_quarterly_income_per_household_quarter"),
        ]

    def __str__(self) -> str:
        period = f"{self.year}" + (f"Q{self.quarter}" if self.quarter else "")
        return f"{self.household.number} {period}"

    @property
    def household_ref_id(self) -> int:
        return self.household_id

    @property
    def net_income(self) -> Decimal:
        """(wage + operating + property + transfer) − production/operating costs."""
        return (self.wage_income + self.operating_income + self.property_income + self.transfer_income
                - self.operating_costs)

    @property
    def size(self) -> int:
        """Members who lived in the household at the end of the income year."""
        if not hasattr(self, "member_count"):
            self.member_count = Income.objects.unrestricted().with_member_count().get(pk=self.pk).member_count
        return self.member_count

    @property
    def per_capita_net_income(self) -> Decimal | None:
        if not self.size:
            return None
        return (self.net_income / self.size).quantize(Decimal("0.01"))

    @property
    def per_capita_after_rigid_spending(self) -> Decimal | None:
        """Per-capita income net of compliant medical, education and disaster spending, after
        insurance payouts: the figure the identification decision uses."""
        if not self.size:
            return None
        return ((self.net_income + self.insurance_payout - self.rigid_spending) / self.size).quantize(
            Decimal("0.01")
        )

    @property
    def rigid_spending(self) -> Decimal:
        return self.medical_spending + self.education_spending + self.disaster_loss


from .ledger.models import LedgerImport  # noqa: E402,F401
