"""Code tables of assistance: measure categories (national forms), measure and choice statuses."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MeasureCategory(models.TextChoices):
    INDUSTRY = "industry", _("产业")
    EMPLOYMENT = "employment", _("就业")
    FINANCE = "finance", _("金融")
    WELFARE_POST = "welfare_post", _("公益岗位")
    HOUSING = "housing", _("住房")
    WATER = "water", _("饮水")
    HEALTH = "health", _("健康")
    COMPULSORY_EDUCATION = "compulsory_education", _("义务教育")
    OTHER_EDUCATION = "other_education", _("其他教育（如雨露计划）")
    PROTECTION = "protection", _("综合保障")
    SOCIAL_HELP = "social_help", _("社会帮扶")
    RELOCATION = "relocation", _("搬迁后续扶持")
    LIVING_CONDITIONS = "living_conditions", _("生活条件改善")
    INFRASTRUCTURE = "infrastructure", _("基础设施")
    OTHER = "other", _("其他")


# Development measures: what a household with labour should have at least one of.
DEVELOPMENT_CATEGORIES = (MeasureCategory.INDUSTRY, MeasureCategory.EMPLOYMENT)


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", _("计划")
    IN_PROGRESS = "in_progress", _("实施中")
    DONE = "done", _("已完成")
    STOPPED = "stopped", _("已终止")


IN_PLACE_STATUSES = (MeasureStatus.IN_PROGRESS, MeasureStatus.DONE)
LIVE_STATUSES = (MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS, MeasureStatus.DONE)


class ChoiceStatus(models.TextChoices):
    CHOSEN = "chosen", _("已选择")
    IMPLEMENTING = "implementing", _("实施中")
    DONE = "done", _("已完成")
    WITHDRAWN = "withdrawn", _("已退出")


# Choices that take a place in a project's capacity.
TAKING_CAPACITY = (ChoiceStatus.CHOSEN, ChoiceStatus.IMPLEMENTING, ChoiceStatus.DONE)
