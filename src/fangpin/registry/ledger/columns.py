"""The columns of the household ledger (docs/ledger-format.md) and how each cell is read.

Every reader takes a cleaned cell (str, int, float, date or tabular.InexactNumber) and returns the
value the model stores, or raises CellProblem with the reason shown to the user."""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fangpin.core.errors import ValidationFailed
from fangpin.core.tabular import InexactNumber

from ..choices import (
    DisabilityGrade,
    Education,
    Health,
    HouseGrade,
    HouseholdType,
    LabourCapacity,
    MedicalInsurance,
    Relation,
    Schooling,
    Sex,
    WorkPlace,
)
from ..phone import normalise_phone
from ..services import parse_money

HOUSEHOLD, MEMBER = "household", "member"
EXCEL_EPOCH = datetime.date(1899, 12, 30)
SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d*)?[eE][+-]?\d+$")
NAME_DOTS = str.maketrans({"•": "·", "・": "·", "‧": "·", "∙": "·", "･": "·"})


class CellProblem(Exception):
    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def text_of(value) -> str:
    """A cell as text: whole numbers without '.0', dates as YYYY-MM-DD."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:.15G}" if abs(value) >= 1e15 else repr(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def compact(value) -> str:
    """Text with every blank removed (code-table labels, names and numbers carry none)."""
    return "".join(text_of(value).split())


# ---------------------------------------------------------------- code tables


@functools.cache
def _labels(choices) -> dict[str, str]:
    """The Chinese labels of a TextChoices (whatever language is active) → stored values."""
    with translation.override(None):
        return {"".join(str(label).split()): value for value, label in choices.choices}


ALIASES = {
    Relation: {"本人": Relation.HEAD},
    HouseGrade: {"A": HouseGrade.A, "B": HouseGrade.B, "C": HouseGrade.C, "D": HouseGrade.D,
                 "A级": HouseGrade.A, "B级": HouseGrade.B, "C级": HouseGrade.C, "D级": HouseGrade.D,
                 "无": HouseGrade.NONE},
    DisabilityGrade: {"1": "1", "2": "2", "3": "3", "4": "4", "1级": "1", "2级": "2", "3级": "3", "4级": "4"},
    MedicalInsurance: {"是": MedicalInsurance.RESIDENT, "否": MedicalInsurance.NONE},
}
# What the exporter writes for each stored value (the short forms the format document lists).
EXPORT_LABELS = {
    HouseGrade: {HouseGrade.A: "A", HouseGrade.B: "B", HouseGrade.C: "C", HouseGrade.D: "D", HouseGrade.NONE: "无"},
    MedicalInsurance: {MedicalInsurance.RESIDENT: "是", MedicalInsurance.NONE: "否",
                       MedicalInsurance.EMPLOYEE: "职工医保"},
}


@functools.cache
def label_map(choices) -> dict[str, str]:
    return {**_labels(choices), **ALIASES.get(choices, {})}


@functools.cache
def _export_labels(choices) -> dict[str, str]:
    with translation.override(None):
        return {value: str(label) for value, label in choices.choices} | EXPORT_LABELS.get(choices, {})


def export_label(choices, value: str) -> str:
    """The label the ledger writes for a stored code ('' for none)."""
    return _export_labels(choices)[value] if value else ""


def choice_reader(choices, *, allowed_text: str | None = None) -> Callable:
    def read(value):
        key = compact(value)
        if key == "":
            return ""
        labels = label_map(choices)
        found = labels.get(key) or labels.get(key.upper())
        if found is None:
            listed = allowed_text or "、".join(_labels(choices))
            raise CellProblem("code_value", _("“%(v)s”不是有效值，可填：%(a)s。") % {"v": text_of(value), "a": listed})
        return found

    return read


# ---------------------------------------------------------------- single cells


def undated(value):
    """A number that a date format turned into a date (2025 shown as 1905-07-17) back to the number."""
    if isinstance(value, datetime.date):
        value = value.date() if isinstance(value, datetime.datetime) else value
        return (value - EXCEL_EPOCH).days
    return value


def read_year(value) -> int:
    key = compact(undated(value))
    if not key.isdigit():
        raise CellProblem("year_format", _("年度须为四位数字年份。"))
    year, this_year = int(key), timezone.localdate().year
    if not 2014 <= year <= this_year:
        raise CellProblem("year_range", _("年度须在2014-%(t)d之间。") % {"t": this_year})
    return year


def read_optional_int(value) -> int | None:
    key = compact(undated(value))
    if key == "":
        return None
    if key.endswith(".0"):
        key = key[:-2]
    if not key.isdigit():
        raise CellProblem("integer_format", _("须为整数。"))
    return int(key)


def read_digits(value, *, what: str, max_length: int = 30) -> str:
    if isinstance(value, InexactNumber) or (isinstance(value, str) and SCIENTIFIC.match(compact(value))):
        raise CellProblem("digits_lost", _("数字丢失：单元格存为数字，后几位已被 Excel 舍去，请将该列设为文本后重新填写。"))
    if isinstance(value, float):
        raise CellProblem("digits_format", _("%(w)s只能由数字组成。") % {"w": what})
    key = compact(value)
    if not key.isdigit():
        raise CellProblem("digits_format", _("%(w)s只能由数字组成。") % {"w": what})
    if len(key) > max_length:
        raise CellProblem("digits_length", _("%(w)s不能超过%(n)d位。") % {"w": what, "n": max_length})
    return key


def read_household_number(value) -> str:
    if compact(value) == "":
        raise CellProblem("required", _("户编号不能为空。"))
    return read_digits(value, what=_("户编号"))


def read_village_code(value) -> str:
    key = compact(value)
    if key == "":
        return ""
    key = read_digits(value, what=_("村代码"), max_length=15)
    if len(key) not in (12, 15):
        raise CellProblem("village_code_length", _("村代码应为12位统计用区划代码。"))
    return key


def read_place_name(value) -> str:
    return compact(value)


def read_bool(value) -> bool:
    key = compact(value)
    if key in ("", "否"):
        return False
    if key == "是":
        return True
    raise CellProblem("yes_no", _("只能填“是”或“否”。"))


def read_optional_bool(value) -> bool | None:
    key = compact(value)
    if key == "":
        return None
    return read_bool(value)


def read_money(value) -> Decimal | None:
    """Yuan ≥ 0 with two decimals at most; a blank cell is None (no figure)."""
    if isinstance(value, (datetime.date, bool)):
        raise CellProblem("money_format", _("不是金额。"))
    if isinstance(value, float):
        value = repr(value)
    if compact(value) == "":
        return None
    try:
        return parse_money(value, field="")
    except ValidationFailed as exc:
        raise CellProblem(exc.code, exc.message) from None


def read_phone(value) -> str:
    try:
        return normalise_phone(text_of(value), field="phone")
    except ValidationFailed as exc:
        raise CellProblem(exc.code, exc.message) from None


def read_address(value) -> str:
    text = " ".join(text_of(value).split())
    if len(text) > 200:
        raise CellProblem("text_length", _("不能超过200个字。"))
    return text


def read_name(value) -> str:
    """As the registry keeps names: blanks removed, middle-dot look-alikes made "·" (阿依古丽·买买提)."""
    name = compact(value).translate(NAME_DOTS)
    if not name:
        raise CellProblem("required", _("姓名不能为空。"))
    if len(name) > 50 or not any(ch.isalpha() for ch in name):
        raise CellProblem("name_format", _("姓名须含文字，且不超过50个字。"))
    return name


def read_ethnicity(value) -> str:
    text = compact(value)
    if len(text) > 20 or (text and not text.isalpha()):
        raise CellProblem("ethnicity_format", _("民族应填写如“汉族”“彝族”。"))
    return text


def read_months(value) -> int:
    months = read_optional_int(value)
    if months is None:
        return 0
    if not 0 <= months <= 12:
        raise CellProblem("months_range", _("月数须在0-12之间。"))
    return months


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def read_date(value) -> datetime.date | None:
    """A date cell, an Excel date serial (a number such as 29358) or text such as 1980-05-17."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466 and len(str(int(value))) <= 6:  # serials up to 9999-12-31
            return EXCEL_EPOCH + datetime.timedelta(days=int(value))
    key = compact(value)
    if key == "":
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(key, fmt).date()
        except ValueError:
            continue
    if key.isdigit() and len(key) <= 5:
        return EXCEL_EPOCH + datetime.timedelta(days=int(key))
    raise CellProblem("date_format", _("不是日期（可写作1980-05-17）。"))


def read_sex(value) -> str:
    key = compact(value)
    if key == "":
        return ""
    found = label_map(Sex).get(key)
    if found is None:
        raise CellProblem("code_value", _("性别只能填“男”或“女”。"))
    return found


# ---------------------------------------------------------------- the column table


@dataclass(frozen=True)
class Column:
    label: str
    level: str
    field: str | None  # model attribute (Household, Income or Member); None for place and key columns
    read: Callable | None
    required: bool = False
    model: str = ""  # "household", "income" or "member"

    @property
    def repetitive(self) -> bool:
        """Columns whose values repeat down the sheet (places, code tables, years, round amounts):
        worth remembering each distinct value's reading for the file."""
        return self.field not in ("name", "id_number", "birth_date", "number", "phone", "address")


def _c(label, level, field, read, required=False, model=""):
    return Column(label, level, field, read, required, model or level)


INCOME_FIELDS = (
    ("工资性收入", "wage_income", True), ("生产经营性收入", "operating_income", True),
    ("财产性收入", "property_income", True), ("转移性收入", "transfer_income", True),
    ("生产经营性支出", "operating_costs", True), ("医疗自付支出", "medical_spending", False),
    ("教育支出", "education_spending", False), ("灾害损失", "disaster_loss", False),
    ("理赔收入", "insurance_payout", False),
)

COLUMNS: tuple[Column, ...] = (
    _c("年度", HOUSEHOLD, "year", read_year, True, "income"),
    _c("县", HOUSEHOLD, None, read_place_name),
    _c("乡镇", HOUSEHOLD, None, read_place_name),
    _c("行政村", HOUSEHOLD, None, read_place_name),
    _c("村民小组", HOUSEHOLD, None, read_place_name),
    _c("村代码", HOUSEHOLD, None, read_village_code),
    _c("户编号", HOUSEHOLD, "number", read_household_number, True),
    _c("户类型", HOUSEHOLD, "household_type", choice_reader(HouseholdType), True),
    _c("脱贫年度", HOUSEHOLD, "exit_year", read_optional_int),
    _c("联系电话", HOUSEHOLD, "phone", read_phone),
    _c("家庭住址", HOUSEHOLD, "address", read_address),
    _c("是否易地扶贫搬迁", HOUSEHOLD, "relocated", read_bool),
    _c("危房等级", HOUSEHOLD, "house_grade", choice_reader(HouseGrade, allowed_text="A、B、C、D、无")),
    _c("是否饮水安全", HOUSEHOLD, "water_safe", read_optional_bool),
    *(_c(label, HOUSEHOLD, field, read_money, required, "income") for label, field, required in INCOME_FIELDS),
    _c("姓名", MEMBER, "name", read_name, True),
    _c("性别", MEMBER, "sex", read_sex),
    _c("出生日期", MEMBER, "birth_date", read_date),
    _c("证件号码", MEMBER, "id_number", None, True),
    _c("与户主关系", MEMBER, "relation", choice_reader(Relation), True),
    _c("民族", MEMBER, "ethnicity", read_ethnicity),
    _c("文化程度", MEMBER, "education", choice_reader(Education)),
    _c("在校生情况", MEMBER, "schooling", choice_reader(Schooling)),
    _c("健康状况", MEMBER, "health", choice_reader(Health)),
    _c("残疾等级", MEMBER, "disability_grade", choice_reader(DisabilityGrade)),
    _c("劳动技能", MEMBER, "labour_capacity", choice_reader(LabourCapacity)),
    _c("务工所在地", MEMBER, "work_place", choice_reader(WorkPlace)),
    _c("务工时间(月)", MEMBER, "work_months", read_months),
    _c("是否参加城乡居民基本医疗保险", MEMBER, "medical_insurance",
       choice_reader(MedicalInsurance, allowed_text="是、否、职工医保")),
    _c("是否享受低保", MEMBER, "dibao", read_bool),
    _c("是否特困供养", MEMBER, "tekun", read_bool),
)
BY_LABEL = {c.label: c for c in COLUMNS}
# Other spellings seen in county sheets → the column they mean.
HEADER_ALIASES = {"务工时间": "务工时间(月)", "务工月数": "务工时间(月)", "村民小组名称": "村民小组",
                  "乡(镇)": "乡镇", "乡镇(街道)": "乡镇", "村": "行政村", "组": "村民小组"}
PLACE_NAME_COLUMNS = ("县", "乡镇", "行政村", "村民小组")
MARKERS = ("户编号", "姓名", "证件号码")
EXACT_COLUMNS = ("证件号码", "户编号", "村代码")
REQUIRED = tuple(c.label for c in COLUMNS if c.required)
# Member fields the ledger compares and writes; sex and birth date come from the ID number.
MEMBER_DATA_FIELDS = tuple(c.field for c in COLUMNS if c.model == "member"
                           and c.field not in ("id_number", "sex", "birth_date"))
HOUSEHOLD_DATA_FIELDS = ("household_type", "exit_year", "phone", "address", "relocated", "house_grade",
                         "water_safe")
MONEY_FIELDS = tuple(field for _label, field, _req in INCOME_FIELDS)
