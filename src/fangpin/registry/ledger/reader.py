"""Read a ledger file into households and members, checking every rule that needs only the file.

Rules that need the registry (places, households and people already stored, the user's area) are
checked afterwards by `plan.py`. Errors are collected, never raised one at a time: the user gets the
whole list, each naming the sheet's own row number, the column, the value and the reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from fangpin.core.errors import ValidationFailed
from fangpin.core.tabular import ExactNumber, InexactNumber, Table, cell_error, read_table
from fangpin.registry.errors import RegistryErrorCode

from ..choices import Health, Relation
from ..idnumber import ResidentId, parse_id_number
from ..services import validate_household_fields
from .columns import (
    BY_LABEL,
    EXACT_COLUMNS,
    HEADER_ALIASES,
    HOUSEHOLD,
    MARKERS,
    MEMBER,
    MEMBER_DATA_FIELDS,
    MONEY_FIELDS,
    PLACE_NAME_COLUMNS,
    REQUIRED,
    SCIENTIFIC,
    CellProblem,
    Column,
    compact,
    text_of,
)

BAD = object()  # a cell that could not be read (its error is already listed)
ZERO = Decimal("0.00")
Progress = Callable[[str, int, int | None], None]
CACHE_LIMIT = 50_000


class FileInvalid(ValidationFailed):
    """The file as a whole cannot be read (type, encoding, header, columns)."""


@dataclass(slots=True)
class MemberDraft:
    row: int
    id_number: str  # '' when the number is invalid
    name: str
    relation: str
    resident: ResidentId | None
    data: tuple  # values of LedgerFile.member_fields, in that order


@dataclass(slots=True)
class HouseholdDraft:
    row: int  # first row of the household
    number: str
    raw: tuple  # household cells of the first row, to compare the other rows with
    values: dict  # column label → read value (or BAD)
    members: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # (position, label, code, reason) of unreadable cells
    place_id: int | None = None
    county_id: int | None = None

    def household_fields(self, present: list[str]) -> dict:
        return {BY_LABEL[label].field: self.values[label] for label in present}

    @property
    def year(self):
        return self.values.get("年度")

    def income(self, money_columns: list[Column]) -> dict | None:
        """Money fields of the file (blank → 0.00), or None when every money cell is blank: such a
        household carries no figures for the year and its income row is left alone."""
        amounts = {c.field: self.values[c.label] for c in money_columns}
        if all(v is None for v in amounts.values()):
            return None
        return {k: (ZERO if v is None else v) for k, v in amounts.items()}


@dataclass
class LedgerFile:
    """What the file says, read and checked on its own. It keeps no reference to the sheet, so the
    reader's memory (calamine holds the whole sheet) is freed once reading is done."""

    header_row: int
    households: list[HouseholdDraft]
    errors: list[dict]
    warnings: list[dict]
    household_columns: list[str]  # household-level labels present (place and key columns included)
    member_fields: list[str]  # member fields present, in MEMBER_DATA_FIELDS order
    money_columns: list[Column]
    rows: int
    positions: dict[str, int]

    @property
    def data_columns(self) -> list[str]:
        """Household columns that map to Household fields (place, key, year and money excluded)."""
        return [label for label in self.household_columns
                if BY_LABEL[label].model == "household" and BY_LABEL[label].field not in (None, "number")]


def read_ledger(path, *, progress: Progress | None = None) -> LedgerFile:
    table = read_table(path, markers=MARKERS, exact_columns=EXACT_COLUMNS)
    return _Reader(table, progress).read()


class _Reader:
    def __init__(self, table: Table, progress: Progress | None):
        self.table = table
        self.progress = progress
        self.errors: list[dict] = []
        self.warnings: list[dict] = []
        self._cache: dict[str, dict] = {}

    # ---------------------------------------------------------------- header

    def _columns(self) -> dict[str, int]:
        header = self.table.header_row
        positions: dict[str, int] = {}
        problems = []
        for i, name in enumerate(self.table.columns):
            if not name:
                continue
            label = HEADER_ALIASES.get(name, name)
            if label not in BY_LABEL:
                self.warnings.append(cell_error(header, name, name, _("未知列，已忽略。"), "unknown_column"))
                continue
            if label in positions:
                problems.append(cell_error(header, name, name, _("列重复出现。"), "duplicate_column"))
                continue
            positions[label] = i
        for label in REQUIRED:
            if label not in positions:
                problems.append(cell_error(header, label, "", _("缺少必填列“%(c)s”。") % {"c": label},
                                           "missing_column"))
        if "村代码" not in positions:
            for label in PLACE_NAME_COLUMNS:
                if label not in positions:
                    problems.append(cell_error(
                        header, label, "", _("缺少必填列“%(c)s”（或用“村代码”列代替县、乡镇、行政村名称）。") % {"c": label},
                        "missing_column"))
        if problems:
            raise FileInvalid(RegistryErrorCode.COLUMNS_INVALID, _("文件的表头有%(n)d处错误，无法逐行检查。") % {"n": len(problems)},
                              details=problems)
        return positions

    # ---------------------------------------------------------------- rows

    def read(self) -> LedgerFile:
        positions = self._columns()
        household_labels = [c.label for c in BY_LABEL.values() if c.level == HOUSEHOLD and c.label in positions]
        member_columns = [c for c in BY_LABEL.values()
                          if c.level == MEMBER and c.label in positions and c.label != "证件号码"]
        member_fields = [f for f in MEMBER_DATA_FIELDS if any(c.field == f for c in member_columns)]
        money_columns = [BY_LABEL[label] for label in household_labels if BY_LABEL[label].model == "income"
                         and BY_LABEL[label].field in MONEY_FIELDS]
        self.positions = positions
        hh_pos = [positions[label] for label in household_labels]
        hh_cols = [BY_LABEL[label] for label in household_labels]
        number_at = household_labels.index("户编号")
        code_at = household_labels.index("村代码") if "村代码" in positions else None
        county_at = household_labels.index("县") if "县" in positions else None
        id_pos = positions["证件号码"]
        mem_pos = [(positions[c.label], c) for c in member_columns]
        health_known = "health" in member_fields
        grade_known = "disability_grade" in member_fields

        households: dict[tuple, HouseholdDraft] = {}
        seen_ids: dict[str, int] = {}
        rows = 0
        total = self.table.total_rows
        for number, values in self.table.rows():
            rows += 1
            if self.progress and rows % 5000 == 0:
                self.progress("read", number, total)
            raw = tuple([values[p] for p in hh_pos])
            household_number = compact(raw[number_at])
            county_token = compact(raw[code_at])[:6] if code_at is not None and compact(raw[code_at]) else (
                compact(raw[county_at]) if county_at is not None else "")
            draft = None
            if household_number:
                key = (county_token, household_number)
                draft = households.get(key)
                if draft is None:
                    draft = HouseholdDraft(row=number, number=household_number, raw=raw, values={})
                    self._read_household(draft, hh_cols)
                    households[key] = draft
                else:
                    if draft.problems:
                        self._repeat_problems(number, raw, draft)
                    if raw != draft.raw:
                        self._compare(number, raw, draft, hh_cols)
            else:
                self.errors.append(cell_error(number, "户编号", "", _("户编号不能为空。"), "required"))
            member = self._read_member(number, values, id_pos, mem_pos, member_fields, health_known, grade_known)
            if member.id_number:
                first = seen_ids.get(member.id_number)
                if first is not None:
                    self.errors.append(cell_error(number, "证件号码", member.id_number,
                                                  _("证件号码在文件中重复出现（第%(r)d行已有）。") % {"r": first},
                                                  "id_duplicate_in_file"))
                else:
                    seen_ids[member.id_number] = number
            if draft is not None:
                draft.members.append(member)
        if self.progress:
            self.progress("read", total or rows, total)

        drafts = list(households.values())
        for draft in drafts:
            self._check_household(draft)
        return LedgerFile(header_row=self.table.header_row, households=drafts, errors=self.errors,
                          warnings=self.warnings, household_columns=household_labels, member_fields=member_fields,
                          money_columns=money_columns, rows=rows, positions=positions)

    def _read_household(self, draft: HouseholdDraft, columns: list[Column]) -> None:
        for i, (column, value) in enumerate(zip(columns, draft.raw)):
            result, problem = self._reading(column, value)
            draft.values[column.label] = result
            if problem is not None:
                draft.problems.append((i, column.label, problem.code, problem.reason))
                self.errors.append(cell_error(draft.row, column.label, text_of(value), problem.reason, problem.code))

    def _repeat_problems(self, row: int, raw: tuple, draft: HouseholdDraft) -> None:
        """An unreadable household value is reported on every row that repeats it, so that the error
        sheet names every cell to correct."""
        for i, label, code, reason in draft.problems:
            if raw[i] == draft.raw[i]:
                self.errors.append(cell_error(row, label, text_of(raw[i]), reason, code))

    def _compare(self, row: int, raw: tuple, draft: HouseholdDraft, columns: list[Column]) -> None:
        """A member row's household columns must say what the household's first row says."""
        for i, column in enumerate(columns):
            if raw[i] == draft.raw[i]:
                continue
            try:
                value = column.read(raw[i])
            except CellProblem as problem:
                self.errors.append(cell_error(row, column.label, text_of(raw[i]), problem.reason, problem.code))
                value = BAD
            first = draft.values[column.label]
            if value is BAD or first is BAD or value != first:
                self.errors.append(cell_error(
                    row, column.label, text_of(raw[i]),
                    _("同一户的户级信息须一致：本户第%(r)d行为“%(v)s”。") % {"r": draft.row, "v": text_of(draft.raw[i])},
                    "household_disagrees"))

    def _reading(self, column: Column, value) -> tuple:
        """(value read, None) or (BAD, CellProblem); each distinct value of a repetitive column is
        read once per file (up to CACHE_LIMIT values a column)."""
        if column.repetitive:
            cache = self._cache.setdefault(column.label, {})
            key = (value.__class__, value)
            found = cache.get(key)
            if found is not None:
                return found
        try:
            found = (column.read(value), None)
        except CellProblem as problem:
            found = (BAD, problem)
        if column.repetitive and len(cache) < CACHE_LIMIT:
            cache[key] = found
        return found

    def _read_cell(self, row: int, column: Column, value):
        result, problem = self._reading(column, value)
        if problem is not None:
            self.errors.append(cell_error(row, column.label, text_of(value), problem.reason, problem.code))
        return result

    def _read_member(self, row, values, id_pos, mem_pos, member_fields, health_known, grade_known) -> MemberDraft:
        cells = {column.field: (column, self._read_cell(row, column, values[p])) for p, column in mem_pos}
        resident = self._read_id(row, values[id_pos])
        data = {f: cells[f][1] for f in member_fields}
        if resident is not None:
            sex = cells.get("sex", (None, ""))[1]
            if sex not in ("", BAD) and sex != resident.sex:
                self.errors.append(cell_error(row, "性别", text_of(values[self.positions["性别"]]),
                                              _("性别与证件号码不符（号码表示%(s)s）。") % {
                                                  "s": "男" if resident.sex == "M" else "女"}, "id_sex_mismatch"))
            birth = cells.get("birth_date", (None, None))[1]
            if birth not in (None, BAD) and birth != resident.birth_date:
                self.errors.append(cell_error(row, "出生日期", text_of(values[self.positions["出生日期"]]),
                                              _("出生日期与证件号码不符（号码表示%(d)s）。") % {
                                                  "d": resident.birth_date.isoformat()}, "id_birth_mismatch"))
        if health_known and data["health"] == Health.DISABLED:
            if not grade_known:
                self.errors.append(cell_error(row, "健康状况", "残疾",
                                              _("残疾成员须填写残疾等级，文件缺少“残疾等级”列。"), "disability_grade_missing"))
            elif data["disability_grade"] == "":
                self.errors.append(cell_error(row, "残疾等级", "", _("残疾成员须填写残疾等级。"),
                                              "disability_grade_missing"))
        elif health_known and grade_known and data["health"] is not BAD and data["disability_grade"] is not BAD:
            data["disability_grade"] = ""
        if data.get("relation") == "":
            self.errors.append(cell_error(row, "与户主关系", "", _("与户主关系不能为空。"), "required"))
            data["relation"] = BAD
        return MemberDraft(row=row, id_number=resident.number if resident else "",
                           name=data["name"] if data.get("name", BAD) is not BAD else "",
                           relation=data["relation"], resident=resident,
                           data=tuple(data[f] for f in member_fields))

    def _read_id(self, row: int, value) -> ResidentId | None:
        shown = text_of(value)
        if isinstance(value, InexactNumber) or (isinstance(value, str) and SCIENTIFIC.match(compact(value))):
            self.errors.append(cell_error(row, "证件号码", shown,
                                          _("数字丢失：证件号码被存成了数字，后几位已被 Excel 舍去（如5.1E+17或末尾变成000），"
                                            "请将该列设为文本后重新填写。"), "digits_lost"))
            return None
        try:
            return parse_id_number(shown, field="id_number")
        except ValidationFailed as exc:
            digits = compact(value)
            if exc.code == "id_checksum" and digits.endswith("000") and (
                    isinstance(value, ExactNumber) or not isinstance(value, str)):
                reason = _("数字丢失：证件号码被存成了数字，末几位变成了0，请将该列设为文本后重新填写。")
                code = "digits_lost"
            elif exc.code == "id_checksum" and digits.endswith("000"):
                reason = exc.message + _("（末尾为000，可能是 Excel 把号码当作数字舍去了后几位。）")
                code = "digits_lost"
            else:
                reason, code = exc.message, exc.code
            self.errors.append(cell_error(row, "证件号码", shown, reason, code))
            return None

    # ---------------------------------------------------------------- households

    def _check_household(self, draft: HouseholdDraft) -> None:
        heads = [m for m in draft.members if m.relation == Relation.HEAD]
        if not heads:
            self.errors.append(cell_error(draft.row, "与户主关系", "",
                                          _("户编号%(n)s没有户主：每户须恰有一名户主。") % {"n": draft.number}, "no_head"))
        for extra in heads[1:]:
            self.errors.append(cell_error(extra.row, "与户主关系", "户主",
                                          _("户编号%(n)s已有户主（第%(r)d行），每户只能有一名户主。") % {
                                              "n": draft.number, "r": heads[0].row}, "two_heads"))
        household_type = draft.values.get("户类型")
        exit_year = draft.values.get("脱贫年度")
        if household_type is BAD or exit_year is BAD:
            return
        try:
            validate_household_fields({"household_type": household_type, "exit_year": exit_year})
        except ValidationFailed as exc:
            self.errors.append(cell_error(draft.row, "脱贫年度", "" if exit_year is None else exit_year,
                                          exc.message, exc.code))
