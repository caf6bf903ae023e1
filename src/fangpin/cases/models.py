"""Identification and risk-elimination cases, their stages and public notices.

A case runs through the stage list of the county's procedure version in force when it opened (copied
onto the case, so a later change of the configuration never rewrites a running case). Each step is a
StageRecord; nothing is deleted, so a household's history shows every case, stage and notice."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fangpin.cases.errors import CasesErrorCode
from fangpin.core.masking import PhoneField
from fangpin.core.models import HouseholdScoped, StoredFile
from fangpin.core.errors import ValidationFailed
from fangpin.core.policy import CountyPolicy, version_unique
from fangpin.core.roles import Perm
from fangpin.core.scoping import AreaScoped, UpwardAreaManager
from fangpin.registry.choices import HouseGrade

from fangpin.monitoring.choices import EliminationMethod, MonitoredCategory

from .choices import AttachmentKind, CaseKind, CaseStatus, ConfirmationStatus, Decision, StageKind
from .procedure import default_duties


class ProcedureConfig(CountyPolicy):
    """One version of a county's stage list and time limits for one kind of case."""

    kind = models.CharField(_("办理事项"), max_length=16, choices=CaseKind.choices)
    stages = models.JSONField(_("环节"), help_text="list of stage definitions, see cases.procedure")
    duties = models.JSONField(_("职责分离规则"), default=default_duties,
                              help_text="list of segregation-of-duties rules, see cases.procedure")
    total_limit_days = models.PositiveSmallIntegerField(_("总时限（工作日）"))
    notice_days = models.PositiveSmallIntegerField(_("公示天数（自然日）"))
    objection_phone = models.CharField(_("异议受理电话"), max_length=40)
    green_channel = models.BooleanField(_("允许绿色通道（先帮扶后补手续）"), default=True)

    policy_title = _("办理流程")
    policy_fields = ("total_limit_days", "notice_days", "objection_phone", "green_channel")
    series_fields = ("kind",)
    adopt_perm, adopt_url_name, page_order = Perm.MANAGE_PROCEDURE, "cases:procedure", 30

    class Meta:
        verbose_name = _("办理流程")
        verbose_name_plural = _("办理流程")
        constraints = [version_unique("procedure_version_unique", "kind")]
        ordering = ["county", "kind", "-version"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


def default_safe_house_grades() -> list[str]:
    return [HouseGrade.A.value, HouseGrade.B.value]


class EliminationCriteria(CountyPolicy):
    """The county's elimination criteria (消除标准): the figures of the national rules a county may
    set. The elimination check records the version it used."""

    min_months_monitored = models.PositiveSmallIntegerField(
        _("纳入监测最少月数"), default=6, validators=[MinValueValidator(1), MaxValueValidator(36)])
    income_quarters = models.PositiveSmallIntegerField(
        _("收入稳定须看的最近完整季度数"), default=2, validators=[MinValueValidator(1), MaxValueValidator(8)],
        help_text=_("这些季度的人均纯收入（折年）都须高于监测线；季度收入不全时看认定以来最近一年。"))
    safe_house_grades = models.JSONField(_("视为住房安全的危房等级"), default=default_safe_house_grades)
    min_measures_in_place = models.PositiveSmallIntegerField(
        _("至少落实的帮扶措施项数"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10)])

    policy_title = _("消除标准")
    policy_fields = ("min_months_monitored", "income_quarters", "safe_house_grades", "min_measures_in_place")
    policy_list_choices = {"safe_house_grades": [(g.value, g.label) for g in HouseGrade
                                                 if g != HouseGrade.NONE]}
    adopt_perm, page_order = Perm.MANAGE_POLICY, 40
    starts_from_defaults = True

    class Meta:
        verbose_name = _("消除标准")
        verbose_name_plural = _("消除标准")
        ordering = ["county_id", "-version"]
        constraints = [version_unique("elimination_criteria_version_unique")]

    def shown_value(self, name: str) -> str:
        if name == "safe_house_grades":
            labels = dict(HouseGrade.choices)
            return "、".join(str(labels.get(g, g)) for g in self.safe_house_grades) or "—"
        return super().shown_value(name)

    def clean_policy(self) -> None:
        allowed = {value for value, _label in self.policy_list_choices["safe_house_grades"]}
        grades = list(dict.fromkeys(self.safe_house_grades or []))
        if not grades or not set(grades) <= allowed:
            raise ValidationFailed(CasesErrorCode.SAFE_HOUSE_GRADES, gettext("请至少选择一个视为住房安全的危房等级（A-D级）。"),
                                   field="safe_house_grades")
        self.safe_house_grades = grades


class Holiday(AreaScoped):
    """A county's own entry in the holiday table: used for years the published calendar does not
    cover yet (the State Council publishes next year's schedule each November), and to override a day."""

    county = models.ForeignKey("regions.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("县"))
    date = models.DateField(_("日期"))
    is_workday = models.BooleanField(_("是否工作日"), help_text=_("节假日填否，调休上班日填是"))
    name = models.CharField(_("名称"), max_length=40, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    area_field = "county__code"
    objects = UpwardAreaManager()

    class Meta:
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日")
        constraints = [models.UniqueConstraint(fields=["county", "date"], name="holiday_county_date_unique")]
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Case(HouseholdScoped):
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="cases",
                                  verbose_name=_("农户"))
    kind = models.CharField(_("办理事项"), max_length=16, choices=CaseKind.choices)
    number = models.CharField(_("案件编号"), max_length=24, unique=True)
    status = models.CharField(_("状态"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    procedure = models.ForeignKey(ProcedureConfig, on_delete=models.PROTECT, related_name="cases",
                                  verbose_name=_("办理流程版本"))
    stages = models.JSONField(_("环节"), help_text="the procedure's stage list when the case opened")
    duties = models.JSONField(_("职责分离规则"), default=default_duties,
                              help_text="the procedure's segregation-of-duties rules when the case opened")
    stage_index = models.PositiveSmallIntegerField(_("当前环节序号"), default=0)
    stage_started_on = models.DateField(_("本环节开始日期"))
    stage_due_on = models.DateField(_("本环节期限"))
    due_on = models.DateField(_("办结期限"))
    lead = models.ForeignKey("monitoring.Lead", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="cases", verbose_name=_("来源线索"))
    monthly_line = models.ForeignKey("monitoring.MonthlyListLine", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="cases", verbose_name=_("来源月度名单"))
    monitoring = models.ForeignKey("monitoring.Monitoring", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="elimination_cases", verbose_name=_("监测期"),
                                   help_text="for an elimination case: the monitoring period it would end")
    category = models.CharField(_("监测对象类别"), max_length=16, choices=MonitoredCategory.choices, blank=True)
    risk_types = models.JSONField(_("风险类型"), default=list, blank=True)
    disaster_subtype = models.CharField(_("灾害类型"), max_length=12, blank=True)
    method = models.CharField(_("消除方式"), max_length=12, choices=EliminationMethod.choices, blank=True)
    summary = models.CharField(_("情况说明"), max_length=500, blank=True)
    eligibility = models.JSONField(_("消除条件核查"), default=dict, blank=True)
    green_channel = models.BooleanField(_("绿色通道"), default=False)
    green_channel_reason = models.CharField(_("绿色通道理由"), max_length=300, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("发起人"))
    opened_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    outcome_reason = models.CharField(_("办结理由"), max_length=500, blank=True)
    escalated_at = models.DateTimeField(_("超期上报时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        constraints = [models.UniqueConstraint(fields=["household", "kind"], condition=Q(status="open"),
                                               name="one_open_case_per_household_and_kind")]
        indexes = [models.Index(fields=["status", "stage_due_on"]), models.Index(fields=["status", "due_on"])]
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN

    @property
    def stage(self) -> dict | None:
        """The current stage definition, None once the case is closed."""
        if not self.is_open:
            return None
        return self.stages[self.stage_index]


class CaseOwned(AreaScoped):
    """A row that belongs to a case: read and written in the area of the case's household."""

    area_field = "case__household__place__code"

    class Meta:
        abstract = True

    @property
    def household_ref_id(self):
        return self.case.household_id


class StageRecord(CaseOwned):
    """One step of a case: who decided which stage, how, why, when, with what attached."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="records", verbose_name=_("案件"))
    stage_index = models.PositiveSmallIntegerField(_("环节序号"))
    stage_code = models.CharField(_("环节代码"), max_length=40)
    stage_name = models.CharField(_("环节"), max_length=60)
    stage_kind = models.CharField(_("环节类型"), max_length=14, choices=StageKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("办理人"), help_text="empty when the system acted")
    actor_role = models.CharField(_("办理人角色"), max_length=32, blank=True)
    decision = models.CharField(_("决定"), max_length=14, choices=Decision.choices)
    return_to = models.PositiveSmallIntegerField(_("退回至环节"), null=True, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    participants = models.JSONField(_("参与人员"), default=list, blank=True)
    details = models.JSONField(_("办理情况"), default=dict, blank=True)
    started_on = models.DateField(_("环节开始日期"))
    due_on = models.DateField(_("环节期限"))
    decided_at = models.DateTimeField(_("办理时间"), auto_now_add=True)
    overdue = models.BooleanField(_("超期办理"), default=False)

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case} {self.stage_name} {self.get_decision_display()}"


class Confirmation(CaseOwned):
    """A participant named on a stage record confirms, on their own login, that they took part; the
    stage counts as done once every participant named has confirmed. A decline returns the stage."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="confirmations", verbose_name=_("案件"))
    record = models.ForeignKey(StageRecord, on_delete=models.PROTECT, related_name="confirmations",
                               verbose_name=_("办理记录"))
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("参与人"))
    status = models.CharField(_("状态"), max_length=12, choices=ConfirmationStatus.choices,
                              default=ConfirmationStatus.PENDING)
    reason = models.TextField(_("不确认理由"), blank=True)
    requested_at = models.DateTimeField(_("请求时间"), auto_now_add=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("参与确认")
        verbose_name_plural = _("参与确认")
        constraints = [models.UniqueConstraint(fields=["record", "person"], name="one_confirmation_per_person")]
        indexes = [models.Index(fields=["person", "status"])]
        ordering = ["requested_at", "pk"]

    def __str__(self) -> str:
        return f"{self.record} {self.person} {self.get_status_display()}"


class PublicNotice(AreaScoped):
    """A village notice (公示) listing the households of one or more cases for a period of calendar days."""

    village = models.ForeignKey("regions.Place", on_delete=models.PROTECT, related_name="+", verbose_name=_("村"))
    kind = models.CharField(_("公示事项"), max_length=16, choices=CaseKind.choices)
    number = models.CharField(_("公示编号"), max_length=24, unique=True)
    starts_on = models.DateField(_("公示开始日期"))
    ends_on = models.DateField(_("公示截止日期"))
    objection_phone = models.CharField(_("异议受理电话"), max_length=40)
    cases = models.ManyToManyField(Case, related_name="notices", verbose_name=_("公示案件"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("发布人"))
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    area_field = "village__code"

    class Meta:
        verbose_name = _("公示")
        verbose_name_plural = _("公示")
        ordering = ["-starts_on", "-pk"]

    def __str__(self) -> str:
        return self.number


class Objection(CaseOwned):
    """An objection raised during a notice period; it sends the case back to household verification."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="objections", verbose_name=_("案件"))
    notice = models.ForeignKey(PublicNotice, on_delete=models.PROTECT, related_name="objections",
                               verbose_name=_("公示"))
    received_on = models.DateField(_("收到日期"))
    objector_name = models.CharField(_("异议人"), max_length=50, blank=True)
    objector_phone = PhoneField(_("异议人电话"), max_length=20, blank=True)
    content = models.TextField(_("异议内容"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("登记人"))
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case} {self.received_on}"


def attachment_path(instance, filename: str) -> str:
    return f"cases/{instance.case.number}/{filename}"


class Attachment(CaseOwned, StoredFile):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("案件"))
    record = models.ForeignKey(StageRecord, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="attachments", verbose_name=_("办理记录"))
    objection = models.ForeignKey(Objection, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="attachments", verbose_name=_("异议"))
    kind = models.CharField(_("材料类型"), max_length=12, choices=AttachmentKind.choices)
    file = models.FileField(_("文件"), upload_to=attachment_path)

    class Meta(StoredFile.Meta):
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
