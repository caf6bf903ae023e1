"""Code tables of the identification and risk-elimination procedures."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseKind(models.TextChoices):
    IDENTIFICATION = "identification", _("识别认定")
    ELIMINATION = "elimination", _("风险消除")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("办理中")
    CONFIRMED = "confirmed", _("已认定")
    ELIMINATED = "eliminated", _("已消除风险")
    REJECTED = "rejected", _("未通过")


CLOSED_CASE_STATUSES = (CaseStatus.CONFIRMED, CaseStatus.ELIMINATED, CaseStatus.REJECTED)


class StageKind(models.TextChoices):
    """How a stage ends: a person decides it, its notice period runs out, or the county publishes."""

    DECISION = "decision", _("审核决定")
    NOTICE = "notice", _("公示")
    ANNOUNCEMENT = "announcement", _("公告")


class StageLevel(models.TextChoices):
    VILLAGE = "village", _("村级")
    TOWNSHIP = "township", _("乡镇级")
    COUNTY = "county", _("县级")


# The level an overdue stage is escalated to: one level up.
ESCALATE_TO = {StageLevel.VILLAGE: StageLevel.TOWNSHIP, StageLevel.TOWNSHIP: StageLevel.COUNTY,
               StageLevel.COUNTY: StageLevel.COUNTY}


class Decision(models.TextChoices):
    APPROVE = "approve", _("通过")
    REJECT = "reject", _("不予通过")
    RETURN = "return", _("退回")
    NOTICE_ENDED = "notice_ended", _("公示期满无异议")
    OBJECTION = "objection", _("公示期间有异议，退回核实")
    PUBLISHED = "published", _("已公告")
    GREEN_CHANNEL = "green_channel", _("启用绿色通道，先帮扶后补手续")
    DECLINED = "declined", _("参与人不确认，退回重新办理")


class DutyRule(models.TextChoices):
    """Segregation-of-duties rules a procedure can hold (see procedure.validate_duties)."""

    ONE_DECISION_PER_PERSON = "one_decision_per_person", _("同一人不能办理同一案件的两个审核环节")
    OPENER_NOT_AT_LEVEL = "opener_not_at_level", _("案件发起人不能办理该层级的审核环节")


class ConfirmationStatus(models.TextChoices):
    """A named participant's answer: they confirm on their own login that they took part."""

    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    DECLINED = "declined", _("不确认")
    WITHDRAWN = "withdrawn", _("已撤回（环节已退回）")


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("照片")
    SIGNED_FORM = "signed_form", _("签字表格")
    COMMITMENT = "commitment", _("承诺授权书")
    OBJECTION = "objection", _("异议材料")
    OTHER = "other", _("其他")
