from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangpin.core.masking import IdNumberField, PhoneField
from fangpin.core.models import HouseholdScoped
from fangpin.core.money import money
from fangpin.core.policy import CountyPolicy, version_unique
from fangpin.core.roles import Perm
from fangpin.core.scoping import AreaScoped

from .choices import (Channel, DisasterSubtype, EliminationMethod, LeadStatus, LineMethod, MonitoredCategory,
                      MonitoringStatus, RiskTier, StabilityTier)


def ratio(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=6, decimal_places=4, **kwargs)


class Thresholds(CountyPolicy):
    """One version of a county's monitoring standard: the monitoring line with its method, the watch
    band, the income-drop threshold and the warning lines for rigid spending. Versions are never
    edited: a change adopts a new version with its own effective date, and leads point at the version
    that raised them."""

    year = models.PositiveSmallIntegerField(_("标准年度"))
    line_method = models.CharField(_("监测线测算方法"), max_length=20, choices=LineMethod.choices)
    line_parameters = models.JSONField(_("测算参数"), default=dict)
    monitoring_line = money(_("监测线（元/人/年）"))
    watch_band_ratio = ratio(_("关注区间（高于监测线的比例）"), default=Decimal("0.1000"))
    income_drop_ratio = ratio(_("收入骤减比例"), default=Decimal("0.3000"))
    reference_income = money(_("参考收入（上年农村居民人均可支配收入）"), null=True, blank=True)
    medical_warning_amount = money(_("医疗自付预警线（元/户/年）"), null=True, blank=True)
    medical_warning_income_share = ratio(_("医疗自付占家庭纯收入比例预警线"), null=True, blank=True)
    medical_warning_reference_share_exited = ratio(_("医疗自付占参考收入比例（脱贫户）"), null=True, blank=True)
    medical_warning_reference_share_other = ratio(_("医疗自付占参考收入比例（一般农户）"), null=True, blank=True)
    education_warning_amount = money(_("教育支出预警线（元/户/年）"), null=True, blank=True)
    education_warning_income_share = ratio(_("教育支出占家庭纯收入比例预警线"), null=True, blank=True)
    disaster_warning_amount = money(_("灾害损失预警线（元/户/年）"), null=True, blank=True)
    disaster_warning_income_share = ratio(_("灾害损失占家庭纯收入比例预警线"), null=True, blank=True)
    stable_employment_months = models.PositiveSmallIntegerField(_("稳定就业月数下限"), default=6)

    policy_title = _("监测标准")
    policy_fields = ("year", "monitoring_line", "line_method", "watch_band_ratio", "income_drop_ratio",
                     "medical_warning_amount", "education_warning_amount", "disaster_warning_amount",
                     "stable_employment_months")
    adopt_perm, adopt_url_name, page_order = Perm.MANAGE_THRESHOLDS, "thresholds-new", 10

    class Meta:
        verbose_name = _("监测标准")
        verbose_name_plural = _("监测标准")
        ordering = ["county_id", "-version"]
        constraints = [version_unique("thresholds_version_unique")]

    def __str__(self) -> str:
        return f"{self.year} v{self.version}"

    @property
    def watch_line(self) -> Decimal:
        return (self.monitoring_line * (1 + self.watch_band_ratio)).quantize(Decimal("0.01"))


class IntakePolicy(CountyPolicy):
    """How long a township has to accept a new risk lead; each lead keeps the version its deadline
    came from."""

    accept_within_days = models.PositiveSmallIntegerField(
        _("线索受理时限（天）"), default=2, validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("新线索登记后须在此天数内由乡镇受理，逾期列入“逾期未受理”。"))

    policy_title = _("线索受理时限")
    policy_fields = ("accept_within_days",)
    adopt_perm, page_order = Perm.MANAGE_POLICY, 50
    starts_from_defaults = True

    class Meta:
        verbose_name = _("线索受理时限")
        verbose_name_plural = _("线索受理时限")
        ordering = ["county_id", "-version"]
        constraints = [version_unique("intake_policy_version_unique")]


class ScreeningRun(AreaScoped):
    """One run of the rule screening over a county for a month."""

    county = models.ForeignKey("regions.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("县"))
    period = models.CharField(_("月份"), max_length=7, help_text="YYYY-MM")
    engine = models.CharField(_("计算引擎"), max_length=10)
    thresholds = models.ForeignKey(Thresholds, on_delete=models.PROTECT, related_name="runs",
                                   verbose_name=_("监测标准"))
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                   related_name="+", verbose_name=_("执行人"))
    counts = models.JSONField(_("各规则线索数"), default=dict)

    area_field = "county__code"

    class Meta:
        verbose_name = _("筛查批次")
        verbose_name_plural = _("筛查批次")
        ordering = ["-started_at"]


class Lead(AreaScoped):
    """A risk lead (风险线索) from any channel. One open lead per household and risk: later leads for
    the same household and risk merge into it and keep their own evidence."""

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="leads", verbose_name=_("农户"))
    place = models.ForeignKey("regions.Place", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("所在村组"))
    channel = models.CharField(_("线索来源"), max_length=20, choices=Channel.choices)
    risk_types = models.JSONField(_("风险类型"), default=list)
    disaster_subtype = models.CharField(_("灾害类型"), max_length=12, choices=DisasterSubtype.choices, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=LeadStatus.choices, default=LeadStatus.NEW)
    summary = models.CharField(_("情况说明"), max_length=500)
    evidence = models.JSONField(_("依据"), default=dict, blank=True)
    rule_code = models.CharField(_("规则"), max_length=40, blank=True)
    rule_version = models.PositiveSmallIntegerField(_("规则版本"), null=True, blank=True)
    thresholds = models.ForeignKey(Thresholds, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="leads", verbose_name=_("监测标准版本"))
    screening_run = models.ForeignKey(ScreeningRun, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="leads")
    period = models.CharField(_("所属月份"), max_length=7, blank=True, db_index=True)
    figures = models.JSONField(_("触发数据"), default=dict, blank=True)
    ack_number = models.CharField(_("受理编号"), max_length=20, unique=True, null=True, blank=True)
    reporter_name = models.CharField(_("反映人姓名"), max_length=50, blank=True)
    reporter_phone = PhoneField(_("反映人电话"), max_length=20, blank=True)
    reporter_id_number = IdNumberField(_("反映人证件号码"), max_length=18, blank=True)
    anonymous = models.BooleanField(_("匿名"), default=False)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("登记人"))
    raised_at = models.DateTimeField(_("登记时间"), auto_now_add=True, db_index=True)
    accept_due = models.DateTimeField(_("受理期限"), null=True, blank=True)
    intake_policy = models.ForeignKey(IntakePolicy, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("受理时限依据"))
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("受理人"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="merged_leads", verbose_name=_("并入线索"))
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("处理人"))
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    close_reason = models.CharField(_("排除理由"), max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)

    area_field = "place__code"

    class Meta:
        verbose_name = _("风险线索")
        verbose_name_plural = _("风险线索")
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["status", "channel"]), models.Index(fields=["household", "status"])]
        constraints = [
            # A rule raises a household at most once per month, so re-running a screening adds nothing.
            models.UniqueConstraint(fields=["rule_code", "household", "period"],
                                    condition=Q(channel="screening"), name="one_screening_lead_per_rule_month"),
        ]

    def __str__(self) -> str:
        return self.ack_number or f"#{self.pk}"

    @property
    def household_ref_id(self):
        return self.household_id

    @property
    def is_open(self) -> bool:
        return self.status in (LeadStatus.NEW, LeadStatus.ACCEPTED)


class HouseholdTier(AreaScoped):
    """Stability and risk tiers of a household, recomputed after each screening; they drive the
    visit schedule."""

    household = models.OneToOneField("registry.Household", on_delete=models.PROTECT, related_name="tier",
                                     primary_key=True, verbose_name=_("农户"))
    stability_tier = models.CharField(_("稳定性分类"), max_length=14, choices=StabilityTier.choices, blank=True)
    risk_tier = models.CharField(_("风险等级"), max_length=8, choices=RiskTier.choices, default=RiskTier.GENERAL)
    reasons = models.JSONField(_("依据"), default=list, blank=True)
    computed_at = models.DateTimeField(_("计算时间"))
    screening_run = models.ForeignKey(ScreeningRun, on_delete=models.SET_NULL, null=True, related_name="+")

    area_field = "household__place__code"

    class Meta:
        verbose_name = _("分类分级")
        verbose_name_plural = _("分类分级")
        indexes = [models.Index(fields=["risk_tier"]), models.Index(fields=["stability_tier"])]


class VisitPolicy(CountyPolicy):
    """How often a household of each risk tier is visited (days between visits); versioned per county."""

    warning_interval_days = models.PositiveSmallIntegerField(_("预警（红）走访间隔天数"), default=7)
    key_interval_days = models.PositiveSmallIntegerField(_("重点（黄）走访间隔天数"), default=30)
    general_interval_days = models.PositiveSmallIntegerField(_("一般（绿）走访间隔天数"), default=90)

    policy_title = _("走访频次")
    policy_fields = ("warning_interval_days", "key_interval_days", "general_interval_days")
    adopt_perm, adopt_url_name, page_order = Perm.MANAGE_THRESHOLDS, "visit-policy", 20

    class Meta:
        verbose_name = _("走访频次")
        verbose_name_plural = _("走访频次")
        ordering = ["county_id", "-version"]
        constraints = [version_unique("visit_policy_version_unique")]

    def interval_days(self, risk_tier: str) -> int:
        return {RiskTier.WARNING: self.warning_interval_days, RiskTier.KEY: self.key_interval_days}.get(
            risk_tier, self.general_interval_days)


class Visit(AreaScoped):
    """A visit with the monitoring card (监测卡). The card is prefilled from the registry and the last
    visit; `changes` holds only what the visitor changed, `card` the full card as confirmed."""

    class Kind(models.TextChoices):
        HELPER_VISIT = "helper_visit", _("帮扶走访")
        CADRE_SWEEP = "cadre_sweep", _("干部排查")

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="visits",
                                  verbose_name=_("农户"))
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits",
                                verbose_name=_("走访人"))
    kind = models.CharField(_("类型"), max_length=14, choices=Kind.choices, default=Kind.HELPER_VISIT)
    visited_on = models.DateField(_("走访日期"))
    card = models.JSONField(_("监测卡"), default=dict)
    changes = models.JSONField(_("变化事项"), default=dict, blank=True)
    risk_found = models.BooleanField(_("发现风险"), default=False)
    risk_types = models.JSONField(_("风险类型"), default=list, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, null=True, blank=True, related_name="visits",
                             verbose_name=_("引发线索"))
    seconds_spent = models.PositiveIntegerField(_("填报用时（秒）"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    area_field = "household__place__code"

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["household", "-visited_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.visited_on:%Y-%m-%d}"

    @property
    def household_ref_id(self):
        return self.household_id


class SweepGroup(models.TextChoices):
    """The "eight must-visit" groups (八必访) of cadre sweeps."""

    FALLING_INCOME = "falling_income", _("收入骤减或支出骤增户")
    SERIOUS_ILLNESS = "serious_illness", _("大病重病和长期慢性病户")
    TEKUN_DIBAO = "tekun_dibao", _("低保户、特困供养户")
    DISABLED = "disabled", _("残疾人户")
    SCHOOL_COSTS = "school_costs", _("多子女非义务教育阶段就学户")
    UNSTABLE_WORK = "unstable_work", _("务工就业不稳定户")
    DISASTER = "disaster", _("受灾户")
    NO_LABOUR = "no_labour", _("无劳动力或弱劳动力户")


class SweepChecklist(AreaScoped):
    """A village's sweep checklist for a month: the households of the eight must-visit groups."""

    village = models.ForeignKey("regions.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("村"))
    period = models.CharField(_("月份"), max_length=7)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    area_field = "village__code"

    class Meta:
        verbose_name = _("排查清单")
        verbose_name_plural = _("排查清单")
        ordering = ["-period", "village__code"]
        constraints = [models.UniqueConstraint(fields=["village", "period"], name="one_sweep_checklist_per_month")]


class SweepItem(AreaScoped):
    class Status(models.TextChoices):
        PENDING = "pending", _("待排查")
        NO_RISK = "no_risk", _("已排查，无风险")
        LEAD_RAISED = "lead_raised", _("已排查，发现风险")

    checklist = models.ForeignKey(SweepChecklist, on_delete=models.PROTECT, related_name="items")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("农户"))
    groups = models.JSONField(_("必访类别"), default=list)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    area_field = "household__place__code"

    class Meta:
        verbose_name = _("排查对象")
        verbose_name_plural = _("排查对象")
        constraints = [models.UniqueConstraint(fields=["checklist", "household"], name="one_sweep_item_per_household")]

    def __str__(self) -> str:
        return f"{self.checklist.period} {self.household_id}"

    @property
    def household_ref_id(self):
        return self.household_id


class MonthlyList(AreaScoped):
    """The suggested list (月度预警名单) that the county sends to a township each month."""

    county = models.ForeignKey("regions.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("县"))
    township = models.ForeignKey("regions.Place", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("乡镇"))
    period = models.CharField(_("月份"), max_length=7)
    due_on = models.DateField(_("下发期限"))
    sent_at = models.DateTimeField(_("下发时间"), null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    area_field = "township__code"

    class Meta:
        verbose_name = _("月度预警名单")
        verbose_name_plural = _("月度预警名单")
        ordering = ["-period", "township__code"]
        constraints = [models.UniqueConstraint(fields=["township", "period"], name="one_monthly_list_per_township")]


class MonthlyListLine(AreaScoped):
    class Status(models.TextChoices):
        PENDING = "pending", _("待核实")
        NO_RISK = "no_risk", _("核实无风险")
        LEAD_ACCEPTED = "lead_accepted", _("已纳入线索受理")
        ALREADY_MONITORED = "already_monitored", _("已是监测对象")

    monthly_list = models.ForeignKey(MonthlyList, on_delete=models.PROTECT, related_name="lines")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("农户"))
    rank = models.PositiveIntegerField(_("排序"))
    score = models.DecimalField(_("风险分"), max_digits=8, decimal_places=2, default=Decimal("0"))
    reasons = models.JSONField(_("理由"), default=list)
    leads = models.ManyToManyField(Lead, related_name="+", blank=True)
    status = models.CharField(_("处理情况"), max_length=18, choices=Status.choices, default=Status.PENDING)
    note = models.CharField(_("处理说明"), max_length=300, blank=True)
    acted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    acted_at = models.DateTimeField(null=True, blank=True)

    area_field = "household__place__code"

    class Meta:
        verbose_name = _("名单条目")
        verbose_name_plural = _("名单条目")
        ordering = ["monthly_list_id", "rank"]
        constraints = [models.UniqueConstraint(fields=["monthly_list", "household"], name="one_line_per_household")]


class Monitoring(HouseholdScoped):
    """A period during which a household is a monitored household (防止返贫致贫对象).

    Opened by a confirmed identification case, ended by an elimination case. A household identified
    again later gets a new period; the old ones stay."""

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="monitorings",
                                  verbose_name=_("农户"))
    category = models.CharField(_("监测对象类别"), max_length=16, choices=MonitoredCategory.choices)
    risk_types = models.JSONField(_("风险类型"), default=list)
    disaster_subtype = models.CharField(_("灾害类型"), max_length=12, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=MonitoringStatus.choices,
                              default=MonitoringStatus.MONITORED)
    identified_on = models.DateField(_("识别日期"))
    identification_case = models.OneToOneField("cases.Case", on_delete=models.PROTECT,
                                               related_name="monitoring_opened", verbose_name=_("识别认定案件"))
    eliminated_on = models.DateField(_("风险消除日期"), null=True, blank=True)
    elimination_case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, null=True, blank=True,
                                            related_name="monitoring_closed", verbose_name=_("风险消除案件"))
    elimination_method = models.CharField(_("消除方式"), max_length=12, choices=EliminationMethod.choices,
                                          blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        # The table keeps the name it had when the model lived in `cases`: moving the model moved no data.
        db_table = "cases_monitoring"
        verbose_name = _("监测对象")
        verbose_name_plural = _("监测对象")
        constraints = [models.UniqueConstraint(fields=["household"], condition=Q(status="monitored"),
                                               name="one_current_monitoring_per_household")]
        ordering = ["-identified_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.household} {self.get_category_display()}"
