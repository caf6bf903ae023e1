"""Risk types and lead statuses in the words a farmer uses, and risk types as lists pushed from the
city or province write them."""

import re

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from fangpin.core.errors import ValidationFailed
from fangpin.monitoring.errors import MonitoringErrorCode

from ..choices import LeadStatus, RiskType

# Most common first: a farmer on a phone reads from the top.
PLAIN_RISK_WORDS = [
    (RiskType.ILLNESS, _("家里有人生病、住院，看病花钱多")),
    (RiskType.ACCIDENT, _("家里有人出了意外事故")),
    (RiskType.DISASTER, _("遭了灾（洪水、干旱、冰雹、滑坡等）")),
    (RiskType.UNSTABLE_EMPLOYMENT, _("打工没活干、挣不到钱")),
    (RiskType.INCOME, _("收入比以前少了很多")),
    (RiskType.SCHOOLING, _("孩子上学花钱多")),
    (RiskType.DISABILITY, _("家里有人残疾")),
    (RiskType.HOUSING, _("房子不安全（危房）")),
    (RiskType.WATER, _("吃水困难或水不干净")),
    (RiskType.PROJECT_FAILURE, _("种地、养殖或做生意亏了本")),
    (RiskType.LACK_OF_LABOUR, _("家里没有能干活的人")),
    (RiskType.MEDICAL_INSURANCE, _("有人没参加医保")),
    (RiskType.DROPOUT, _("孩子没去上学（辍学）")),
    (RiskType.OTHER, _("其他困难")),
]

# What a farmer reads on the status page, per lead status.
PLAIN_STATUS = {
    LeadStatus.NEW: (_("已收到，等待乡镇受理"),
                     _("您的申报已经收到。乡镇工作人员会在2天内受理，并安排人员上门了解情况。")),
    LeadStatus.ACCEPTED: (_("乡镇已受理"),
                          _("乡镇已经受理您的申报，工作人员会上门核实情况，请保持电话畅通。")),
    LeadStatus.DISMISSED: (_("已办结"),
                           _("经核实，您家目前暂不需要纳入监测帮扶。如有疑问，请联系村委会或拨打12317热线。")),
}

# Short forms seen in pushed lists, beside the national labels and the codes themselves.
RISK_SYNONYMS = {
    "病": RiskType.ILLNESS, "因病": RiskType.ILLNESS, "大病": RiskType.ILLNESS, "疾病": RiskType.ILLNESS,
    "残": RiskType.DISABILITY, "因残": RiskType.DISABILITY, "残疾": RiskType.DISABILITY,
    "学": RiskType.SCHOOLING, "因学": RiskType.SCHOOLING,
    "灾": RiskType.DISASTER, "因灾": RiskType.DISASTER, "自然灾害": RiskType.DISASTER,
    "意外": RiskType.ACCIDENT, "因意外": RiskType.ACCIDENT, "意外事故": RiskType.ACCIDENT,
    "产业": RiskType.PROJECT_FAILURE, "因产业": RiskType.PROJECT_FAILURE, "产业失败": RiskType.PROJECT_FAILURE,
    "务工": RiskType.UNSTABLE_EMPLOYMENT, "因务工": RiskType.UNSTABLE_EMPLOYMENT,
    "就业不稳": RiskType.UNSTABLE_EMPLOYMENT, "务工就业不稳": RiskType.UNSTABLE_EMPLOYMENT,
    "缺劳力": RiskType.LACK_OF_LABOUR, "缺劳动力": RiskType.LACK_OF_LABOUR,
    "住房": RiskType.HOUSING, "危房": RiskType.HOUSING, "住房安全": RiskType.HOUSING,
    "饮水": RiskType.WATER, "饮水安全": RiskType.WATER,
    "医保": RiskType.MEDICAL_INSURANCE, "未参保": RiskType.MEDICAL_INSURANCE,
    "辍学": RiskType.DROPOUT,
    "收入": RiskType.INCOME, "收入骤减": RiskType.INCOME, "收入偏低": RiskType.INCOME,
    "其他": RiskType.OTHER, "其它": RiskType.OTHER,
}
RISK_SEPARATORS = re.compile(r"[、，,;；/|\s]+")


def plain_risk_summary(risk_types) -> str:
    words = dict(PLAIN_RISK_WORDS)
    return "；".join(str(words[r]) for r in risk_types if r in words)


def _risk_lookup() -> dict[str, str]:
    lookup = {code: code for code in RiskType.values}
    for language in ("zh-hans", translation.get_language() or "zh-hans"):
        with translation.override(language):
            lookup.update({str(label): code for code, label in RiskType.choices})
    lookup.update(RISK_SYNONYMS)
    return lookup


def parse_risk_types(text: str, *, field: str = "risk_types") -> list[str]:
    """Risk types written as national labels (因病、因灾), short forms or codes, separated by 、 , ; / or
    blanks, as a list of codes."""
    lookup = _risk_lookup()
    names = [name for name in RISK_SEPARATORS.split(str(text or "").strip()) if name]
    if not names:
        raise ValidationFailed(MonitoringErrorCode.RISK_TYPES_MISSING, str(_("请填写风险类型。")), field=field)
    unknown = [name for name in names if name not in lookup and name.lower() not in lookup]
    if unknown:
        raise ValidationFailed(MonitoringErrorCode.RISK_TYPE_UNKNOWN, str(_("不认识的风险类型：%(r)s（可填：因病、因残、因学、因灾、因意外事故、"
                                                        "因产业项目失败、因务工就业不稳、缺劳动力、住房、饮水、医保、辍学、收入、其他）"))
                               % {"r": "、".join(unknown)}, field=field)
    return list(dict.fromkeys(lookup.get(name) or lookup[name.lower()] for name in names))
