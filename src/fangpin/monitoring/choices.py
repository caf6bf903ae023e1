"""Code tables of monitoring: risk types (national table), channels, statuses and tiers, and those of the
monitored period (its category, status and how it ended), which the procedures in `cases` use too."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RiskType(models.TextChoices):
    ILLNESS = "illness", _("因病")
    DISABILITY = "disability", _("因残")
    SCHOOLING = "schooling", _("因学")
    DISASTER = "disaster", _("因灾")
    ACCIDENT = "accident", _("因意外事故")
    PROJECT_FAILURE = "project_failure", _("因产业项目失败")
    UNSTABLE_EMPLOYMENT = "unstable_employment", _("因务工就业不稳")
    LACK_OF_LABOUR = "lack_of_labour", _("缺劳动力")
    HOUSING = "housing", _("住房安全问题")
    WATER = "water", _("饮水安全问题")
    MEDICAL_INSURANCE = "medical_insurance", _("未参加基本医疗保险")
    DROPOUT = "dropout", _("义务教育阶段辍学")
    INCOME = "income", _("收入偏低或骤减")
    OTHER = "other", _("其他")


MAX_RISK_TYPES = 5


class DisasterSubtype(models.TextChoices):
    FLOOD = "flood", _("洪涝")
    GEOLOGICAL = "geological", _("地质灾害")
    DROUGHT = "drought", _("干旱")
    BIOLOGICAL = "biological", _("生物灾害")
    WEATHER = "weather", _("气象灾害")
    EARTHQUAKE = "earthquake", _("地震")
    OTHER = "other", _("其他灾害")


def risk_labels(codes) -> list[str]:
    """The words for a list of risk-type codes, in their order; a code not in the table shows as is."""
    return [RiskType(code).label if code in RiskType.values else code for code in codes or []]


class Channel(models.TextChoices):
    SELF_DECLARATION = "self_declaration", _("农户自主申报")
    CADRE_SWEEP = "cadre_sweep", _("干部排查")
    HELPER_VISIT = "helper_visit", _("帮扶走访")
    DEPARTMENT = "department", _("部门预警")
    SCREENING = "screening", _("系统筛查")
    TIP = "tip", _("社会监督举报")
    PUSHED_LIST = "pushed_list", _("上级推送")


class LeadStatus(models.TextChoices):
    NEW = "new", _("待受理")
    ACCEPTED = "accepted", _("已受理")
    MERGED = "merged", _("已合并")
    DISMISSED = "dismissed", _("已排除")
    IDENTIFIED = "identified", _("已认定为监测对象")


OPEN_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.ACCEPTED)


class LineMethod(models.TextChoices):
    FIXED = "fixed", _("固定金额")
    POVERTY_STANDARD_MULTIPLE = "poverty_multiple", _("扶贫标准的倍数")
    LAST_YEAR_PLUS = "last_year_plus", _("上年标准加增幅")
    DIBAO_MULTIPLE = "dibao_multiple", _("农村低保标准的倍数")


class StabilityTier(models.TextChoices):
    HIGH_QUALITY = "high_quality", _("高质量稳定脱贫")
    STABLE = "stable", _("稳定脱贫")
    GENERAL = "general", _("一般稳定")
    WEAK_LABOUR = "weak_labour", _("弱劳动力易返贫")
    NO_LABOUR = "no_labour", _("无劳动力")


class RiskTier(models.TextChoices):
    GENERAL = "general", _("一般（绿）")
    KEY = "key", _("重点监测（黄）")
    WARNING = "warning", _("预警（红）")


# The monitored period (models.Monitoring); an identification case records the category it proposes and an
# elimination case the method it proposes.
class MonitoredCategory(models.TextChoices):
    UNSTABLE_EXITED = "unstable_exited", _("脱贫不稳定户")
    MARGINAL = "marginal", _("边缘易致贫户")
    SUDDEN_HARDSHIP = "sudden_hardship", _("突发严重困难户")


class MonitoringStatus(models.TextChoices):
    MONITORED = "monitored", _("监测中")
    ELIMINATED = "eliminated", _("已消除风险")


class EliminationMethod(models.TextChoices):
    BY_ASSISTANCE = "assistance", _("帮扶消除")
    NATURAL = "natural", _("自然消除")
