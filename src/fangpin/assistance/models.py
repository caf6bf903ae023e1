"""Assistance measures, their county catalogue and the registers of resources behind them.

Nothing here is deleted: catalogue items are deactivated, measures stopped, posts and loans end, a
workshop closes. Every write goes through services.py, which keeps the change log."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce, Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangpin.core.models import HouseholdScoped, StoredFile
from fangpin.core.money import MONEY_DIGITS, ZERO, money
from fangpin.core.periods import add_months
from fangpin.core.areas import county_of
from fangpin.core.policy import CountyPolicy, policy_in_force, version_unique
from fangpin.core.roles import Perm
from fangpin.core.scoping import AreaQuerySet, AreaScoped, UpwardAreaManager, UpwardAreaQuerySet
from fangpin.monitoring.models import Monitoring

from .choices import IN_PLACE_STATUSES, TAKING_CAPACITY, ChoiceStatus, MeasureCategory, MeasureStatus


def workshop_sign_min_employees() -> int:
    """The starting figure of the workshop sign rule in a county's first register limits: a deployment
    may set it for its province in settings; each county then adopts its own versions."""
    return int(getattr(settings, "FANGPIN_WORKSHOP_SIGN_MIN_EMPLOYEES", 10))


class RegisterLimits(CountyPolicy):
    """The limits the county sets on its assistance registers: the micro-credit cap and longest term,
    the longest public-welfare post and how many employees from supported households a workshop
    needs for the 扶贫车间 sign. The checks name the version they used."""

    loan_max_amount = money(_("小额信贷每户最高金额（元）"), default=Decimal("50000.00"),
                            validators=[MinValueValidator(Decimal("1"))])
    loan_max_months = models.PositiveSmallIntegerField(
        _("小额信贷最长期限（月）"), default=36, validators=[MinValueValidator(1), MaxValueValidator(120)])
    welfare_post_max_months = models.PositiveSmallIntegerField(
        _("公益岗位最长聘期（月）"), default=36, validators=[MinValueValidator(1), MaxValueValidator(120)])
    workshop_sign_min_employees = models.PositiveSmallIntegerField(
        _("扶贫车间挂牌须有的脱贫户、监测户务工人数"), default=workshop_sign_min_employees,
        validators=[MinValueValidator(1), MaxValueValidator(1000)])

    policy_title = _("台账限额")
    policy_fields = ("loan_max_amount", "loan_max_months", "welfare_post_max_months", "workshop_sign_min_employees")
    adopt_perm, page_order = Perm.MANAGE_POLICY, 60
    starts_from_defaults = True

    class Meta:
        verbose_name = _("台账限额")
        verbose_name_plural = _("台账限额")
        ordering = ["county_id", "-version"]
        constraints = [version_unique("register_limits_version_unique")]


def household_link():
    """The household a register row is for (the household's pages read the rows, not the reverse)."""
    return models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("农户"))


def person_link(verbose_name):
    """The member of a household a register row names (an employee, a post holder, a borrower)."""
    return models.ForeignKey("registry.Member", on_delete=models.PROTECT, related_name="+", verbose_name=verbose_name)


def place_link(verbose_name):
    return models.ForeignKey("regions.Place", on_delete=models.PROTECT, related_name="+", verbose_name=verbose_name)


class Tracked(models.Model):
    """Who created a row and when; the version every edit form carries back."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
                                   verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class HouseholdOwned(HouseholdScoped, Tracked):
    """A row that belongs to one household, with who created it and when."""

    class Meta:
        abstract = True


class PlaceOwned(AreaScoped, Tracked):
    area_field = "place__code"
    objects = UpwardAreaManager()

    class Meta:
        abstract = True


# ---------------------------------------------------------------- catalogue


class MeasureCatalogueItem(AreaScoped, Tracked):
    """One measure a county offers, with its standard amount and the risks it answers. Edited in
    place (the change log keeps every version); measures copy name and amount when they are made."""

    county = place_link(_("县"))
    code = models.CharField(_("目录代码"), max_length=40, blank=True,
                            help_text="stable code of the default items, empty for items a county adds")
    category = models.CharField(_("措施类别"), max_length=24, choices=MeasureCategory.choices)
    name = models.CharField(_("措施名称"), max_length=100)
    description = models.CharField(_("政策说明"), max_length=500, blank=True)
    standard_amount = money(_("标准金额（元）"), null=True, blank=True)
    unit = models.CharField(_("计量单位"), max_length=40, blank=True)
    risk_types = models.JSONField(_("适用风险类型"), default=list, blank=True)
    runs_after_elimination = models.BooleanField(_("风险消除后可延续"), default=False)
    active = models.BooleanField(_("启用"), default=True)

    area_field = "county__code"
    objects = UpwardAreaManager()

    class Meta:
        verbose_name = verbose_name_plural = _("帮扶措施目录")
        ordering = ["county_id", "category", "name"]
        constraints = [
            models.UniqueConstraint(fields=["county", "name"], name="catalogue_name_unique_in_county"),
            models.UniqueConstraint(fields=["county", "code"], condition=~Q(code=""),
                                    name="catalogue_code_unique_in_county"),
        ]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------- measures


class MeasureQuerySet(AreaQuerySet):
    def in_place(self, on: datetime.date):
        return self.filter(status__in=IN_PLACE_STATUSES, starts_on__lte=on)


class Measure(HouseholdOwned):
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="measures",
                                  verbose_name=_("农户"))
    monitoring = models.ForeignKey("monitoring.Monitoring", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="measures", verbose_name=_("监测期"))
    catalogue_item = models.ForeignKey(MeasureCatalogueItem, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="measures", verbose_name=_("目录措施"))
    category = models.CharField(_("措施类别"), max_length=24, choices=MeasureCategory.choices)
    name = models.CharField(_("措施名称"), max_length=100)
    risk_types = models.JSONField(_("针对风险类型"), default=list, blank=True)
    responsible_unit = models.CharField(_("责任单位"), max_length=100)
    responsible_person = models.CharField(_("责任人"), max_length=50, blank=True)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    amount = money(_("金额（元）"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=MeasureStatus.choices, default=MeasureStatus.PLANNED)
    runs_after_elimination = models.BooleanField(_("风险消除后延续"), default=False,
                                                 help_text=_("如小额信贷到期、公益岗位到合同期满、助学补助到学段结束"))
    note = models.CharField(_("备注"), max_length=500, blank=True)

    objects = models.Manager.from_queryset(MeasureQuerySet)()

    class Meta:
        verbose_name = verbose_name_plural = _("帮扶措施")
        ordering = ["household_id", "-starts_on", "-pk"]
        indexes = [models.Index(fields=["status", "starts_on"])]

    def __str__(self) -> str:
        return self.name

    def resources(self) -> list:
        """Register rows that carry this measure out (a job, a post, a loan, a course...)."""
        rows = []
        for related in ("workshop_jobs", "welfare_posts", "trainings", "micro_credits", "project_choices",
                        "pairings"):
            rows += list(getattr(self, related).all())
        return rows


def measure_link(related_name: str):
    """The measure of the household's plan that a register row carries out, if any."""
    return models.ForeignKey(Measure, on_delete=models.PROTECT, null=True, blank=True, related_name=related_name,
                             verbose_name=_("对应帮扶措施"))


def evidence_path(instance, filename: str) -> str:
    return f"assistance/measures/{instance.measure_id}/{filename}"


class MeasureEvidence(StoredFile, AreaScoped):
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="evidence",
                                verbose_name=_("帮扶措施"))
    file = models.FileField(_("文件"), upload_to=evidence_path)

    area_field = "measure__household__place__code"

    class Meta(StoredFile.Meta):
        verbose_name = verbose_name_plural = _("帮扶佐证材料")

    @property
    def household_ref_id(self):
        return self.measure.household_id


# ---------------------------------------------------------------- registers: workshops


def supported_household_q(prefix: str = "", on: datetime.date | None = None) -> Q:
    """Households that count for the 扶贫车间 sign: exited households and currently monitored ones."""
    monitored = Monitoring.objects.filter(household=OuterRef(f"{prefix}household"), status="monitored")
    return Q(**{f"{prefix}household__household_type": "exited"}) | Q(Exists(monitored))


class WorkshopQuerySet(UpwardAreaQuerySet):
    def with_counts(self, on: datetime.date | None = None):
        on = on or timezone.localdate()
        current = Q(employees__since__lte=on) & (Q(employees__until__isnull=True) | Q(employees__until__gte=on))
        eligible = WorkshopEmployee.objects.current(on).filter(supported_household_q(), workshop=OuterRef("pk"))
        county_code = Concat(Substr(OuterRef("place__code"), 1, 6), Value("000000"))
        limits = (RegisterLimits.objects.filter(county__code=county_code, effective_from__lte=on)
                  .order_by("-effective_from", "-version").values("workshop_sign_min_employees")[:1])
        return self.annotate(
            sign_minimum=Coalesce(models.Subquery(limits, output_field=models.IntegerField()),
                                  Value(workshop_sign_min_employees())),
            employee_count=models.Count("employees", filter=current, distinct=True),
            eligible_count=Coalesce(models.Subquery(
                eligible.order_by().values("workshop").annotate(n=models.Count("pk")).values("n"),
                output_field=models.IntegerField()), 0),
        )


class Workshop(PlaceOwned):
    """扶贫车间 / 就业帮扶车间: a workshop near the villages that employs people from supported households."""

    name = models.CharField(_("车间名称"), max_length=100)
    place = place_link(_("所在村"))
    operator = models.CharField(_("经营主体"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    products = models.CharField(_("主要产品"), max_length=200, blank=True)
    opened_on = models.DateField(_("开办日期"))
    closed_on = models.DateField(_("停办日期"), null=True, blank=True)

    objects = models.Manager.from_queryset(WorkshopQuerySet)()

    class Meta:
        verbose_name = verbose_name_plural = _("扶贫车间")
        ordering = ["place__code", "name"]

    def __str__(self) -> str:
        return self.name

    def eligible_employee_count(self, on: datetime.date | None = None) -> int:
        on = on or timezone.localdate()
        return self.employees.current(on).filter(supported_household_q()).count()

    def sign_limits(self, on: datetime.date | None = None) -> "RegisterLimits":
        """The county's register limits in force on `on` (today): they set the sign rule."""
        return policy_in_force(RegisterLimits, county_of(self.place), on or timezone.localdate())

    @property
    def sign_min_employees(self) -> int:
        minimum = getattr(self, "sign_minimum", None)
        return minimum if minimum is not None else self.sign_limits().workshop_sign_min_employees

    @property
    def sign_eligible(self) -> bool:
        count = getattr(self, "eligible_count", None)
        if count is None:
            count = self.eligible_employee_count()
        return self.closed_on is None and count >= self.sign_min_employees


class EmployeeQuerySet(AreaQuerySet):
    def current(self, on: datetime.date):
        return self.filter(since__lte=on).filter(Q(until__isnull=True) | Q(until__gte=on))


class WorkshopEmployee(HouseholdOwned):
    workshop = models.ForeignKey(Workshop, on_delete=models.PROTECT, related_name="employees",
                                 verbose_name=_("扶贫车间"))
    member = person_link(_("务工人员"))
    household = household_link()
    since = models.DateField(_("入职日期"))
    until = models.DateField(_("离职日期"), null=True, blank=True)
    monthly_wage = money(_("月工资（元）"))
    measure = measure_link("workshop_jobs")

    objects = models.Manager.from_queryset(EmployeeQuerySet)()

    class Meta:
        verbose_name = verbose_name_plural = _("车间务工人员")
        ordering = ["workshop_id", "-since", "pk"]

    def __str__(self) -> str:
        return f"{self.workshop} {self.member}"

    def is_current(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.since <= on and (self.until is None or self.until >= on)


# ---------------------------------------------------------------- welfare posts


class WelfarePost(HouseholdOwned):
    """公益岗位: a public-welfare post held by a member of a supported household for a number of months."""

    place = place_link(_("岗位所在地"))
    post_name = models.CharField(_("岗位名称"), max_length=100)
    holder = person_link(_("在岗人员"))
    household = household_link()
    starts_on = models.DateField(_("上岗日期"))
    months = models.PositiveSmallIntegerField(_("聘用月数"))
    ends_on = models.DateField(_("合同到期日"))
    monthly_wage = money(_("月补贴（元）"))
    measure = measure_link("welfare_posts")

    class Meta:
        verbose_name = verbose_name_plural = _("公益岗位")
        ordering = ["-starts_on", "pk"]

    def __str__(self) -> str:
        return f"{self.post_name} {self.holder}"

    @property
    def total_wage(self) -> Decimal:
        return (self.monthly_wage * self.months).quantize(Decimal("0.01"))


# ---------------------------------------------------------------- training


class TrainingCourse(PlaceOwned):
    name = models.CharField(_("培训班名称"), max_length=100)
    place = place_link(_("举办地"))
    organiser = models.CharField(_("主办单位"), max_length=100)
    held_from = models.DateField(_("开班日期"))
    held_to = models.DateField(_("结业日期"))
    skill = models.CharField(_("培训工种"), max_length=100)

    class Meta:
        verbose_name = verbose_name_plural = _("技能培训班")
        ordering = ["-held_from", "pk"]

    def __str__(self) -> str:
        return self.name


class TrainingParticipant(HouseholdOwned):
    course = models.ForeignKey(TrainingCourse, on_delete=models.PROTECT, related_name="participants",
                               verbose_name=_("培训班"))
    member = person_link(_("学员"))
    household = household_link()
    skill_gained = models.CharField(_("掌握技能"), max_length=100, blank=True)
    certificate = models.BooleanField(_("取得证书"), default=False)
    measure = measure_link("trainings")

    class Meta:
        verbose_name = verbose_name_plural = _("培训学员")
        ordering = ["course_id", "pk"]
        constraints = [models.UniqueConstraint(fields=["course", "member"], name="training_member_once")]

    def __str__(self) -> str:
        return f"{self.course} {self.member}"


# ---------------------------------------------------------------- micro-credit



class MicroCreditQuerySet(AreaQuerySet):
    def with_repaid(self):
        return self.annotate(repaid_total=Coalesce(Sum("repayments__amount"), ZERO,
                                                   output_field=models.DecimalField(**MONEY_DIGITS)))


class MicroCredit(HouseholdOwned):
    """小额信贷: up to 50,000 yuan for up to three years, no collateral."""

    household = household_link()
    borrower = person_link(_("借款人"))
    lender = models.CharField(_("放款银行"), max_length=100)
    amount = money(_("贷款金额（元）"))
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    issued_on = models.DateField(_("放款日期"))
    rate = models.DecimalField(_("年利率（%）"), max_digits=5, decimal_places=2)
    measure = measure_link("micro_credits")

    objects = models.Manager.from_queryset(MicroCreditQuerySet)()

    class Meta:
        verbose_name = verbose_name_plural = _("小额信贷")
        ordering = ["-issued_on", "pk"]

    def __str__(self) -> str:
        return f"{self.borrower} {self.amount}"

    @property
    def due_on(self) -> datetime.date:
        return add_months(self.issued_on, self.term_months)

    @property
    def repaid(self) -> Decimal:
        value = getattr(self, "repaid_total", None)
        if value is None:
            value = self.repayments.aggregate(s=Sum("amount"))["s"] or ZERO
        return Decimal(value).quantize(Decimal("0.01"))

    @property
    def outstanding(self) -> Decimal:
        return max(self.amount - self.repaid, ZERO)

    def is_overdue(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return on > self.due_on and self.outstanding > 0

    @property
    def overdue(self) -> bool:
        return self.is_overdue()


class Repayment(AreaScoped):
    loan = models.ForeignKey(MicroCredit, on_delete=models.PROTECT, related_name="repayments",
                             verbose_name=_("小额信贷"))
    paid_on = models.DateField(_("还款日期"))
    amount = money(_("还款金额（元）"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
                                   verbose_name=_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    area_field = "loan__household__place__code"

    class Meta:
        verbose_name = verbose_name_plural = _("还款记录")
        ordering = ["paid_on", "pk"]

    def __str__(self) -> str:
        return f"{self.paid_on} {self.amount}"

    @property
    def household_ref_id(self):
        return self.loan.household_id


# ---------------------------------------------------------------- project supermarket


class ProjectCategory(models.TextChoices):
    PLANTING = "planting", _("种植")
    LIVESTOCK = "livestock", _("养殖")
    PROCESSING = "processing", _("加工")
    TOURISM = "tourism", _("乡村旅游")
    ECOMMERCE = "ecommerce", _("电商")
    OTHER = "other", _("其他")


class ProjectQuerySet(UpwardAreaQuerySet):
    def with_taken(self):
        return self.annotate(taken=models.Count("choices", filter=Q(choices__status__in=TAKING_CAPACITY)))


class IndustryProject(PlaceOwned):
    """项目超市: a farm or business project households may choose, with support per household."""

    place = place_link(_("发布地区"))
    name = models.CharField(_("项目名称"), max_length=100)
    category = models.CharField(_("项目类别"), max_length=12, choices=ProjectCategory.choices)
    description = models.TextField(_("项目说明"), blank=True)
    support_per_household = money(_("每户扶持金额（元）"))
    capacity = models.PositiveIntegerField(_("可选户数"))
    open = models.BooleanField(_("开放选择"), default=True)

    objects = models.Manager.from_queryset(ProjectQuerySet)()

    class Meta:
        verbose_name = verbose_name_plural = _("产业项目")
        ordering = ["-open", "place__code", "name"]

    def __str__(self) -> str:
        return self.name

    def taken_count(self) -> int:
        value = getattr(self, "taken", None)
        if value is None:
            value = self.choices.filter(status__in=TAKING_CAPACITY).count()
        return value

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.taken_count(), 0)


class ProjectChoice(HouseholdOwned):
    project = models.ForeignKey(IndustryProject, on_delete=models.PROTECT, related_name="choices",
                                verbose_name=_("产业项目"))
    household = household_link()
    chosen_on = models.DateField(_("选择日期"))
    status = models.CharField(_("状态"), max_length=12, choices=ChoiceStatus.choices, default=ChoiceStatus.CHOSEN)
    measure = measure_link("project_choices")

    class Meta:
        verbose_name = verbose_name_plural = _("项目选择")
        ordering = ["-chosen_on", "pk"]
        constraints = [models.UniqueConstraint(fields=["project", "household"], condition=~Q(status="withdrawn"),
                                               name="project_chosen_once_per_household")]

    def __str__(self) -> str:
        return f"{self.project} {self.household}"


# ---------------------------------------------------------------- enterprise pairing


class EnterprisePairing(HouseholdOwned):
    """企业结对: an enterprise helping one household (jobs, orders, consumption help)."""

    enterprise = models.CharField(_("企业名称"), max_length=100)
    household = household_link()
    contact = models.CharField(_("企业联系人"), max_length=100, blank=True)
    started_on = models.DateField(_("结对日期"))
    content = models.CharField(_("帮扶内容"), max_length=500)
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    measure = measure_link("pairings")

    class Meta:
        verbose_name = verbose_name_plural = _("企业结对帮扶")
        ordering = ["-started_on", "pk"]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.household}"
