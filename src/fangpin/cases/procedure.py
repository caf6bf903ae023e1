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
"""

from django.utils.translation import gettext as _, gettext_lazy

from fangpin.core.errors import ValidationFailed
from fangpin.core.roles import Perm

from .choices import CaseKind, StageKind, StageLevel

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
        raise ValidationFailed("stages_empty", _("环节列表不能为空。"), field="stages")
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
        raise ValidationFailed("stages_invalid", " ".join(errors), field="stages")
    return clean
