"""Stage lists: the defaults a county starts from and the checks a county's own list must pass.

A stage is a dict:
    code        stable identifier, unique in the list
    name        what the county calls it (shown to users)
    kind        decision | notice | announcement (see choices.StageKind)
    level       village | township | county: who handles it, and where an overdue case is escalated from
    perm        the named permission a person needs to act on it
    limit_days  working days allowed for the stage (notice: the period in calendar days comes from the
                procedure's notice_days; limit_days is the working-day allowance shown on the clock)
    min_people  (decision) how many people must take part, e.g. 2 for household verification
    commitment  (decision) the household's signed commitment and data authorisation must be on file

Segregation of duties is a list of rules stored beside the stages (ProcedureConfig.duties, copied onto
each case when it opens). A rule is a dict:
    rule        one_decision_per_person: one person decides at most one stage of a case
                opener_not_at_level: the person who opened the case may not decide stages at `level`
    level       (opener_not_at_level) village | township | county
Participants of a stage with min_people > 1 are accounts; each one named besides the person deciding
confirms on their own login before the stage counts as done.
"""

import copy

from django.utils.translation import gettext as _, gettext_lazy

from fangpin.cases.errors import CasesErrorCode
from fangpin.core.errors import ValidationFailed
from fangpin.core.roles import Perm

from .choices import CaseKind, DutyRule, StageKind, StageLevel

VERIFICATION = "verification"

DEFAULT_STAGES = {
    CaseKind.IDENTIFICATION: [
        {"code": VERIFICATION, "name": "入户核实", "kind": "decision", "level": "village",
         "perm": Perm.VERIFY_HOUSEHOLD.value, "limit_days": 3, "min_people": 2, "commitment": True},
        {"code": "data_comparison", "name": "信息比对", "kind": "decision", "level": "county",
         "perm": Perm.COMPARE_DATA.value, "limit_days": 3},
        {"code": "village_review", "name": "村民主评议", "kind": "decision", "level": "village",
         "perm": Perm.VILLAGE_REVIEW.value, "limit_days": 2},
        {"code": "public_notice", "name": "村内公示", "kind": "notice", "level": "village",
         "perm": Perm.PUBLISH_NOTICE.value, "limit_days": 4},
        {"code": "township_review", "name": "乡镇审核", "kind": "decision", "level": "township",
         "perm": Perm.TOWNSHIP_REVIEW.value, "limit_days": 1},
        {"code": "county_confirmation", "name": "县级审定", "kind": "decision", "level": "county",
         "perm": Perm.COUNTY_CONFIRM.value, "limit_days": 1},
        {"code": "announcement", "name": "公告", "kind": "announcement", "level": "county",
         "perm": Perm.ANNOUNCE.value, "limit_days": 1},
    ],
    CaseKind.ELIMINATION: [
        {"code": VERIFICATION, "name": "入户核实", "kind": "decision", "level": "village",
         "perm": Perm.VERIFY_HOUSEHOLD.value, "limit_days": 3, "min_people": 2, "commitment": False},
        {"code": "village_review", "name": "村民主评议", "kind": "decision", "level": "village",
         "perm": Perm.VILLAGE_REVIEW.value, "limit_days": 2},
        {"code": "public_notice", "name": "村内公示", "kind": "notice", "level": "village",
         "perm": Perm.PUBLISH_NOTICE.value, "limit_days": 5},
        {"code": "township_review", "name": "乡镇审核", "kind": "decision", "level": "township",
         "perm": Perm.TOWNSHIP_REVIEW.value, "limit_days": 2},
        {"code": "county_confirmation", "name": "县级审定", "kind": "decision", "level": "county",
         "perm": Perm.COUNTY_CONFIRM.value, "limit_days": 2},
        {"code": "announcement", "name": "公告", "kind": "announcement", "level": "county",
         "perm": Perm.ANNOUNCE.value, "limit_days": 1},
    ],
}
DEFAULT_TOTAL_DAYS = {CaseKind.IDENTIFICATION: 15, CaseKind.ELIMINATION: 15}
DEFAULT_NOTICE_DAYS = {CaseKind.IDENTIFICATION: 5, CaseKind.ELIMINATION: 5}
NOTICE_DAYS_RANGE = {CaseKind.IDENTIFICATION: (3, 15), CaseKind.ELIMINATION: (5, 7)}

# Default segregation of duties: one decision per person per case, and the opener of a case never
# decides its township or county stages.
DEFAULT_DUTIES = [
    {"rule": DutyRule.ONE_DECISION_PER_PERSON.value},
    {"rule": DutyRule.OPENER_NOT_AT_LEVEL.value, "level": StageLevel.TOWNSHIP.value},
    {"rule": DutyRule.OPENER_NOT_AT_LEVEL.value, "level": StageLevel.COUNTY.value},
]


def default_duties() -> list[dict]:
    """A fresh copy of the default rules (the default of the model fields)."""
    return copy.deepcopy(DEFAULT_DUTIES)


# English names of the default stages (a county's own names are shown as the county wrote them).
STAGE_LABELS = {
    VERIFICATION: gettext_lazy("入户核实"),
    "data_comparison": gettext_lazy("信息比对"),
    "village_review": gettext_lazy("村民主评议"),
    "public_notice": gettext_lazy("村内公示"),
    "township_review": gettext_lazy("乡镇审核"),
    "county_confirmation": gettext_lazy("县级审定"),
    "announcement": gettext_lazy("公告"),
}

CASE_PERMS = {Perm.VERIFY_HOUSEHOLD, Perm.COMPARE_DATA, Perm.VILLAGE_REVIEW, Perm.PUBLISH_NOTICE,
              Perm.TOWNSHIP_REVIEW, Perm.COUNTY_CONFIRM, Perm.ANNOUNCE}


DEFAULT_NAMES = {stage["code"]: stage["name"] for stages in DEFAULT_STAGES.values() for stage in stages}


def stage_label(stage: dict) -> str:
    """The stage's name in the user's language when it is a default stage under its default name."""
    if stage["code"] in STAGE_LABELS and stage["name"] == DEFAULT_NAMES[stage["code"]]:
        return str(STAGE_LABELS[stage["code"]])
    return stage["name"]


def validate_stages(kind: str, stages) -> list[dict]:
    """Check a county's stage list; return it normalised. Every problem is listed in one error."""
    errors = []
    if not isinstance(stages, list) or not stages:
        raise ValidationFailed(CasesErrorCode.STAGES_EMPTY, _("环节列表不能为空。"), field="stages")
    seen, clean = set(), []
    for number, stage in enumerate(stages, start=1):
        where = _("第%(n)d个环节") % {"n": number}
        if not isinstance(stage, dict):
            errors.append(_("%(w)s格式不对。") % {"w": where})
            continue
        code = str(stage.get("code", "")).strip()
        name = str(stage.get("name", "")).strip()
        kind_ = stage.get("kind")
        level = stage.get("level")
        perm = stage.get("perm")
        if not code or not name:
            errors.append(_("%(w)s缺少代码或名称。") % {"w": where})
        if code in seen:
            errors.append(_("%(w)s的代码“%(c)s”重复。") % {"w": where, "c": code})
        seen.add(code)
        if kind_ not in StageKind.values:
            errors.append(_("%(w)s的类型“%(k)s”无效。") % {"w": where, "k": kind_})
        if level not in StageLevel.values:
            errors.append(_("%(w)s的层级“%(k)s”无效。") % {"w": where, "k": level})
        if perm not in {p.value for p in CASE_PERMS}:
            errors.append(_("%(w)s的办理权限“%(p)s”无效。") % {"w": where, "p": perm})
        try:
            limit = int(stage.get("limit_days"))
        except (TypeError, ValueError):
            limit = -1
        if not 0 < limit <= 60:
            errors.append(_("%(w)s的时限必须是1到60个工作日。") % {"w": where})
        try:
            min_people = int(stage.get("min_people", 1))
        except (TypeError, ValueError):
            min_people = 0
        if not 1 <= min_people <= 9:
            errors.append(_("%(w)s的参与人数必须是1到9人。") % {"w": where})
        clean.append({"code": code, "name": name, "kind": kind_, "level": level, "perm": perm,
                      "limit_days": limit, "min_people": min_people, "commitment": bool(stage.get("commitment"))})
    if not errors:
        kinds = [s["kind"] for s in clean]
        if clean[0]["code"] != VERIFICATION or clean[0]["kind"] != StageKind.DECISION:
            errors.append(_("第一个环节必须是入户核实（代码 verification，审核决定类）。"))
        if kinds.count(StageKind.NOTICE) != 1:
            errors.append(_("流程中必须有且只有一个公示环节。"))
        if StageKind.DECISION not in kinds[kinds.index(StageKind.NOTICE) + 1:] if StageKind.NOTICE in kinds else True:
            errors.append(_("公示之后至少要有一个审核决定环节。"))
        if kinds.count(StageKind.ANNOUNCEMENT) > 1 or (StageKind.ANNOUNCEMENT in kinds
                                                        and kinds[-1] != StageKind.ANNOUNCEMENT):
            errors.append(_("公告环节只能有一个，并且必须是最后一个环节。"))
    if errors:
        raise ValidationFailed(CasesErrorCode.STAGES_INVALID, " ".join(errors), field="stages")
    return clean


def duty_label(rule: dict) -> str:
    """A rule in words, e.g. "案件发起人不能办理乡镇级审核环节"."""
    if rule.get("rule") == DutyRule.OPENER_NOT_AT_LEVEL and rule.get("level") in StageLevel.values:
        return _("案件发起人不能办理%(level)s审核环节") % {"level": StageLevel(rule["level"]).label}
    if rule.get("rule") in DutyRule.values:
        return str(DutyRule(rule["rule"]).label)
    return str(rule.get("rule", ""))


def opener_excluded_levels(duties) -> set[str]:
    return {r["level"] for r in duties or [] if r.get("rule") == DutyRule.OPENER_NOT_AT_LEVEL}


def one_decision_per_person(duties) -> bool:
    return any(r.get("rule") == DutyRule.ONE_DECISION_PER_PERSON for r in duties or [])


def validate_duties(duties) -> list[dict]:
    """Check a county's segregation-of-duties rules; return them normalised. Every problem is listed in
    one error. "One decision per person" is the house rule for every approval procedure: a county may
    add opener rules or drop them, not that one."""
    if not isinstance(duties, list):
        raise ValidationFailed(CasesErrorCode.DUTIES_INVALID, _("职责分离规则须是一个列表。"), field="duties")
    errors, seen, clean = [], set(), []
    for number, rule in enumerate(duties, start=1):
        where = _("第%(n)d条规则") % {"n": number}
        if not isinstance(rule, dict):
            errors.append(_("%(w)s格式不对。") % {"w": where})
            continue
        kind = str(rule.get("rule", "")).strip()
        if kind not in DutyRule.values:
            errors.append(_("%(w)s的规则“%(r)s”无效。") % {"w": where, "r": kind})
            continue
        entry = {"rule": kind}
        if kind == DutyRule.OPENER_NOT_AT_LEVEL:
            level = rule.get("level")
            if level not in StageLevel.values:
                errors.append(_("%(w)s的层级“%(l)s”无效，应为村级、乡镇级或县级。") % {"w": where, "l": level or ""})
                continue
            entry["level"] = level
        key = (entry["rule"], entry.get("level"))
        if key in seen:
            errors.append(_("%(w)s与前面的规则重复。") % {"w": where})
        seen.add(key)
        clean.append(entry)
    if not any(r["rule"] == DutyRule.ONE_DECISION_PER_PERSON for r in clean):
        errors.append(_("“%(r)s”是基本规则，不能去掉。") % {"r": DutyRule.ONE_DECISION_PER_PERSON.label})
    if errors:
        raise ValidationFailed(CasesErrorCode.DUTIES_INVALID, " ".join(errors), field="duties")
    return clean
