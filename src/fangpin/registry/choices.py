"""Code tables of the national forms. Values are stable codes; labels are the forms' own words."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class HouseholdType(models.TextChoices):
    EXITED = "exited", _("脱贫户")
    ORDINARY = "ordinary", _("一般农户")


class HouseholdStatus(models.TextChoices):
    ACTIVE = "active", _("在册")
    DISSOLVED = "dissolved", _("已销户")
    MERGED = "merged", _("已合户")
    PROVISIONAL = "provisional", _("待核实（线索新建）")


EDITABLE_HOUSEHOLD_STATUSES = (HouseholdStatus.ACTIVE, HouseholdStatus.PROVISIONAL)


class HouseGrade(models.TextChoices):
    A = "A", _("A级（安全）")
    B = "B", _("B级（局部构件危险）")
    C = "C", _("C级（局部危房）")
    D = "D", _("D级（整栋危房）")
    NONE = "none", _("无自有住房")


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    SON = "son", _("之子")
    DAUGHTER = "daughter", _("之女")
    DAUGHTER_IN_LAW = "daughter_in_law", _("之儿媳")
    SON_IN_LAW = "son_in_law", _("之女婿")
    GRANDSON = "grandson", _("之孙子")
    GRANDDAUGHTER = "granddaughter", _("之孙女")
    FATHER = "father", _("之父")
    MOTHER = "mother", _("之母")
    SIBLING = "sibling", _("兄弟姐妹")
    OTHER = "other", _("其他")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Education(models.TextChoices):
    ILLITERATE = "illiterate", _("文盲或半文盲")
    PRIMARY = "primary", _("小学")
    JUNIOR = "junior", _("初中")
    SENIOR = "senior", _("高中")
    VOCATIONAL = "vocational", _("中专")
    COLLEGE = "college", _("大专及以上")
    PRESCHOOL = "preschool", _("学龄前儿童")


class Schooling(models.TextChoices):
    PRESCHOOL = "preschool", _("学前教育")
    PRIMARY = "primary", _("小学")
    GRADE7 = "grade7", _("七年级")
    GRADE8 = "grade8", _("八年级")
    GRADE9 = "grade9", _("九年级")
    SENIOR = "senior", _("高中")
    SECONDARY_VOCATIONAL = "sec_vocational", _("中职")
    HIGHER_VOCATIONAL = "hi_vocational", _("高职")
    UNDERGRADUATE = "undergraduate", _("本科及以上")
    NOT_IN_SCHOOL = "not_in_school", _("非在校生")
    DROPOUT = "dropout", _("失学辍学")


class Health(models.TextChoices):
    HEALTHY = "healthy", _("健康")
    CHRONIC = "chronic", _("长期慢性病")
    SERIOUS = "serious", _("患有大病")
    DISABLED = "disabled", _("残疾")


class DisabilityGrade(models.TextChoices):
    GRADE1 = "1", _("一级")
    GRADE2 = "2", _("二级")
    GRADE3 = "3", _("三级")
    GRADE4 = "4", _("四级")


class LabourCapacity(models.TextChoices):
    SKILLED = "skilled", _("技能劳动力")
    ORDINARY = "ordinary", _("普通劳动力")
    WEAK = "weak", _("弱劳动力或半劳动力")
    LOST = "lost", _("丧失劳动力")
    NONE = "none", _("无劳动力")


class WorkPlace(models.TextChoices):
    IN_COUNTY = "in_county", _("县内")
    IN_PROVINCE = "in_province", _("省内县外")
    OUT_OF_PROVINCE = "out_of_province", _("省外")


class MedicalInsurance(models.TextChoices):
    RESIDENT = "resident", _("城乡居民基本医疗保险")
    EMPLOYEE = "employee", _("职工医保")
    NONE = "none", _("未参保")


class EndReason(models.TextChoices):
    MOVED_OUT = "moved_out", _("迁出")
    DECEASED = "deceased", _("死亡")
    MOVED_TO_HOUSEHOLD = "moved_to_household", _("转入他户")
    HOUSEHOLD_DISSOLVED = "household_dissolved", _("销户")
