"""Writes to the administrative tree. Places are loaded from the places file of
docs/ledger-format.md before any household: all-or-nothing, every error listed."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from fangpin.core.audit import change_entry, snapshot
from fangpin.core.context import source_var
from fangpin.core.errors import ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.roles import Perm
from fangpin.core.tabular import cell_error, clean_cell, read_table
from fangpin.regions.errors import RegionsErrorCode

from .models import PARENT_LEVEL, SCOPE_PREFIX_LENGTH, Level, Place

PLACE_COLUMNS = ("代码", "名称", "级别", "上级代码")
LEVEL_LABELS = {
    "县": Level.COUNTY, "区": Level.COUNTY, "县级": Level.COUNTY,
    "乡镇": Level.TOWNSHIP, "乡": Level.TOWNSHIP, "镇": Level.TOWNSHIP, "街道": Level.TOWNSHIP,
    "村": Level.VILLAGE, "行政村": Level.VILLAGE, "社区": Level.VILLAGE,
    "组": Level.GROUP, "村民小组": Level.GROUP,
}
LEVEL_ORDER = (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE, Level.GROUP)
BATCH = 1000


@dataclass
class PlacesImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class _PlaceRow:
    row: int
    code: str
    name: str
    level: str
    parent_code: str


def normalise_place_code(value, level: str | None = None) -> str:
    """Digits of a place code; a 6-digit county code is padded to 12 digits."""
    text = "".join(str(clean_cell(value)).split())
    if level in (None, Level.COUNTY) and len(text) == 6 and text.isdigit():
        text += "000000"
    return text


def _code_shape_error(code: str, level: str) -> str | None:
    """Why `code` cannot be the code of a place of `level` (None when it can)."""
    if not code.isdigit():
        return _("代码只能由数字组成。")
    if level == Level.GROUP:
        if len(code) != 15:
            return _("村民小组代码应为15位（村代码12位加3位组号）。")
        if code[12:] == "000":
            return _("村民小组的组号不能为000。")
        return None
    if len(code) != 12:
        return _("代码应为12位统计用区划代码（县级代码可写6位）。")
    prefix = SCOPE_PREFIX_LENGTH[level]
    if code[prefix:] != "0" * (12 - prefix):
        return _("%(level)s级代码的第%(start)d-12位应为0。") % {"level": Level(level).label, "start": prefix + 1}
    if level != Level.COUNTY and code[prefix - 3:prefix] == "000":
        return _("%(level)s级代码的第%(a)d-%(b)d位不能为000。") % {
            "level": Level(level).label, "a": prefix - 2, "b": prefix}
    return None


def _rows_from(path_or_rows) -> Iterable[tuple[int, Mapping]]:
    """(sheet row number, {column: value}) from a file path or from an iterable of mappings (rows
    given in code are numbered as if under a header in row 1)."""
    if isinstance(path_or_rows, (str, os.PathLike)):
        table = read_table(Path(path_or_rows), markers=PLACE_COLUMNS)
        duplicates = table.duplicate_columns()
        if duplicates:
            raise ValidationFailed(RegionsErrorCode.DUPLICATE_COLUMN, _("列名重复：%(c)s") % {"c": "、".join(duplicates)},
                                   details=[cell_error(table.header_row, c, c, _("列名重复。"), "duplicate_column")
                                            for c in duplicates])
        positions = table.index()
        return (
            (number, {name: values[positions[name]] for name in PLACE_COLUMNS})
            for number, values in table.rows()
        )
    return ((index + 2, row) for index, row in enumerate(path_or_rows))


def _parse(path_or_rows, errors: list) -> list[_PlaceRow]:
    parsed: list[_PlaceRow] = []
    for number, raw in _rows_from(path_or_rows):
        values = {k: clean_cell(raw.get(k, "")) for k in PLACE_COLUMNS}
        level_text = "".join(str(values["级别"]).split())
        level = LEVEL_LABELS.get(level_text)
        if level is None:
            errors.append(cell_error(number, "级别", values["级别"], _("级别须为县、乡镇、村或组。"), "place_level"))
        code = normalise_place_code(values["代码"], level)
        if not code:
            errors.append(cell_error(number, "代码", values["代码"], _("代码不能为空。"), "place_code_missing"))
        elif level is not None and (problem := _code_shape_error(code, level)):
            errors.append(cell_error(number, "代码", values["代码"], problem, "place_code_format"))
        name = "".join(str(values["名称"]).split())
        if not name:
            errors.append(cell_error(number, "名称", values["名称"], _("名称不能为空。"), "place_name_missing"))
        elif len(name) > 100:
            errors.append(cell_error(number, "名称", values["名称"], _("名称不能超过100个字。"), "place_name_length"))
        parent_code = normalise_place_code(values["上级代码"], Level.COUNTY if level == Level.TOWNSHIP else "")
        parsed.append(_PlaceRow(number, code, name, level or "", parent_code))
    return parsed


def _check_tree(rows: list[_PlaceRow], existing: dict[str, tuple], actor, errors: list) -> None:
    """Clashes, parents and names against the file itself and the places already stored."""
    by_code: dict[str, _PlaceRow] = {}
    for place in rows:
        if not place.code:
            continue
        first = by_code.get(place.code)
        if first is not None:
            errors.append(cell_error(place.row, "代码", place.code,
                                     _("代码与第%(r)d行重复。") % {"r": first.row}, "place_code_duplicate"))
            continue
        by_code[place.code] = place

    def level_of(code):
        if code in by_code:
            return by_code[code].level
        return existing[code][2] if code in existing else None

    for place in by_code.values():
        if not place.level:
            continue
        if actor is not None and not place.code.startswith(actor.area_prefix):
            errors.append(cell_error(place.row, "代码", place.code, _("该区划不在您的辖区内。"), "out_of_area"))
        stored = existing.get(place.code)
        if stored is not None:
            _id, _name, stored_level, stored_parent = stored
            if stored_level != place.level:
                errors.append(cell_error(place.row, "级别", Level(place.level).label,
                                         _("代码%(c)s已登记为%(l)s级，级别不能改变。") % {
                                             "c": place.code, "l": Level(stored_level).label}, "place_clash"))
            elif (stored_parent or "") != place.parent_code:
                errors.append(cell_error(place.row, "上级代码", place.parent_code,
                                         _("代码%(c)s已登记在上级%(p)s之下，不能通过导入改变上级。") % {
                                             "c": place.code, "p": stored_parent or "—"}, "place_clash"))
        if place.level == Level.COUNTY:
            if place.parent_code:
                errors.append(cell_error(place.row, "上级代码", place.parent_code, _("县级区划不应填写上级代码。"),
                                         "place_parent_level"))
            continue
        if not place.parent_code:
            errors.append(cell_error(place.row, "上级代码", "", _("缺少上级代码。"), "place_parent_missing"))
            continue
        parent_level = level_of(place.parent_code)
        if parent_level is None:
            errors.append(cell_error(place.row, "上级代码", place.parent_code,
                                     _("上级代码%(p)s既不在文件中，也未登记。") % {"p": place.parent_code},
                                     "place_parent_missing"))
        elif parent_level != PARENT_LEVEL[place.level]:
            errors.append(cell_error(place.row, "上级代码", place.parent_code,
                                     _("%(level)s的上级应为%(want)s级，代码%(p)s是%(got)s级。") % {
                                         "level": Level(place.level).label, "want": Level(PARENT_LEVEL[place.level]).label,
                                         "p": place.parent_code, "got": Level(parent_level).label},
                                     "place_parent_level"))
        elif place.code and not place.code.startswith(place.parent_code[:SCOPE_PREFIX_LENGTH[parent_level]]):
            errors.append(cell_error(place.row, "代码", place.code,
                                     _("代码应以上级代码的前%(n)d位%(p)s开头。") % {
                                         "n": SCOPE_PREFIX_LENGTH[parent_level],
                                         "p": place.parent_code[:SCOPE_PREFIX_LENGTH[parent_level]]},
                                     "place_code_prefix"))

    # Names are unique within their parent, in the tree as it will be after the import.
    final: dict[str, tuple[str, str, int | None]] = {
        code: (name, parent or "", None) for code, (_id, name, _level, parent) in existing.items()
    }
    for place in by_code.values():
        final[place.code] = (place.name, place.parent_code, place.row)
    owner: dict[tuple[str, str], str] = {}
    for code, (name, parent, row) in sorted(final.items(), key=lambda item: (item[1][2] is not None, item[1][2] or 0)):
        key = (parent, name)
        if key in owner and owner[key] != code:
            other = final[owner[key]]
            where = _("第%(r)d行") % {"r": other[2]} if other[2] else _("已登记的代码%(c)s") % {"c": owner[key]}
            errors.append(cell_error(row, "名称", name, _("同一上级下已有同名区划（%(w)s）。") % {"w": where},
                                     "place_name_duplicate"))
        else:
            owner[key] = code


@transaction.atomic
def places_import(path_or_rows, *, actor=None) -> PlacesImportResult:
    """Load the places file: new places are created, renamed ones updated, all in one transaction.

    `actor=None` is the command-line system context (full access; change log without a person).
    Raises ValidationFailed with every problem in `details` (row, column, value, reason)."""
    if actor is not None:
        actor.require(Perm.MANAGE_PLACES)
    errors: list[dict] = []
    rows = _parse(path_or_rows, errors)
    existing = {
        code: (pk, name, level, parent_code)
        for pk, code, name, level, parent_code in Place.objects.unrestricted().values_list("pk", "code", "name", "level", "parent__code")
    }
    _check_tree(rows, existing, actor, errors)
    if errors:
        errors.sort(key=lambda e: (e["row"] or 0, PLACE_COLUMNS.index(e["column"])))
        raise ValidationFailed(
            RegionsErrorCode.PLACES_INVALID, _("区划文件有%(n)d处错误，未导入任何数据。") % {"n": len(errors)}, details=errors
        )
    return _write(rows, existing, actor)


def _write(rows: list[_PlaceRow], existing: dict[str, tuple], actor) -> PlacesImportResult:
    result = PlacesImportResult()
    token = source_var.set("import")
    try:
        ids = {code: stored[0] for code, stored in existing.items()}
        renames = [p for p in rows if p.code in existing and existing[p.code][1] != p.name]
        result.unchanged = sum(1 for p in rows if p.code in existing) - len(renames)
        entries = []
        if renames:
            objects = {p.code: p for p in Place.objects.unrestricted().filter(code__in=[r.code for r in renames])}
            changed = []
            for place in renames:
                obj = objects[place.code]
                before = snapshot(obj)
                obj.name = place.name
                changed.append(obj)
                entries.append(change_entry(obj, ChangeLog.Action.UPDATE, actor=actor, before=before,
                                            reason=_("区划文件导入")))
            # Two steps so that swapping two names within a parent never meets the unique constraint.
            for obj in changed:
                obj.name = f"~{obj.pk}~"
            Place.objects.unrestricted().bulk_update(changed, ["name"], batch_size=BATCH)
            for obj, place in zip(changed, renames):
                obj.name = place.name
            Place.objects.unrestricted().bulk_update(changed, ["name"], batch_size=BATCH)
            result.updated = len(changed)
        for level in LEVEL_ORDER:
            new = [Place(code=p.code, name=p.name, level=p.level, parent_id=ids.get(p.parent_code))
                   for p in rows if p.level == level and p.code not in existing]
            Place.objects.bulk_create(new, batch_size=BATCH)
            for obj in new:
                ids[obj.code] = obj.pk
                entries.append(change_entry(obj, ChangeLog.Action.CREATE, actor=actor, reason=_("区划文件导入")))
            result.created += len(new)
        ChangeLog.objects.bulk_create(entries, batch_size=BATCH)
    finally:
        source_var.reset(token)
    return result
