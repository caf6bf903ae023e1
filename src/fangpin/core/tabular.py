"""Read a table file (.xlsx first sheet, or .csv) into rows numbered as the sheet numbers them.

Files that counties keep are messy: title rows above the header, merged cells, full-width digits and
spaces, numbers where text was meant. This module cleans what can be cleaned without guessing:

- the header row is the first row holding every marker column (e.g. 户编号, 姓名, 证件号码); rows above
  it are titles and are skipped, but they count for row numbers;
- merged areas take their top-left value in every cell (counties merge a household's columns
  vertically across its member rows);
- text is NFKC-normalised (full-width ５１０１ and Ｘ become 5101 and X) and stripped;
- a whole number read as a float becomes an int; date cells stay dates;
- in "exact" columns (long digit strings such as ID numbers) a numeric .xlsx cell is re-read from the
  file's own XML, since calamine returns floats that cannot hold 18 digits. A number written with all
  its digits comes back as `ExactNumber` (its digits, as text that remembers it was a number); one
  whose digits were rounded away (Excel keeps 15 significant digits, and writes 5.1010119800517E+17)
  comes back as `InexactNumber`, and the caller reports it as "digits lost".

An .xlsx is checked before it is opened (`fangpin.core.uploads.check_xlsx_archive`): a zip bomb, whose
parts expand far beyond the file or whose sheet has more rows than Excel allows, is refused from the
archive's own sizes and a streamed row count, without the sheet ever being held in memory.

Reading is streamed: `Table.rows()` yields one row at a time, so a 350,000-row sheet is never held as
Python objects all at once.
"""

from __future__ import annotations

import csv
import datetime
import io
import os
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _

from .errors import CoreErrorCode, ValidationFailed
from .uploads import check_xlsx_archive

EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
CSV_SUFFIXES = {".csv"}
# Floats are exact integers up to 2**53; an 18-digit number above that needs the file's own text.
FLOAT_EXACT_LIMIT = 2**53
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
CSV_ENCODINGS = ("utf-8", "gb18030")


class InexactNumber(str):
    """A numeric cell in an exact column whose digits did not all survive; the text is what the
    file holds (e.g. ``5.10101198005171E+17``)."""


class ExactNumber(str):
    """A numeric cell in an exact column, as the digits the file holds. Still a number cell: if its
    last digits are zeros, Excel may have rounded them away before the file was written."""


def clean_text(value: str) -> str:
    """NFKC (full-width to ASCII), invisible characters removed, surrounding blanks stripped."""
    if value.isascii():
        return value.strip()
    return unicodedata.normalize("NFKC", value.translate(_INVISIBLE)).strip()


def header_key(value) -> str:
    """A header cell as a comparable name: cleaned, inner blanks and required-field stars removed."""
    text = clean_text(str(value)) if value not in (None, "") else ""
    return "".join(text.split()).strip("*")


def clean_row(raw: list, cache: dict) -> list:
    """`clean_cell` over a row, with a cache for the non-ASCII texts that repeat down a sheet
    (汉族, 是, place names): the hot loop of every import."""
    out = []
    append = out.append
    for value in raw:
        if value.__class__ is str:
            if not value:
                append(value)
            elif value.isascii():
                append(value.strip())
            else:
                cleaned = cache.get(value)
                if cleaned is None:
                    cleaned = clean_text(value)
                    if len(cache) < 200_000:
                        cache[value] = cleaned
                append(cleaned)
        else:
            append(clean_cell(value))
    return out


def clean_cell(value):
    """One cell as the rest of the code expects it: str (cleaned), int, float, date, or ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if value.is_integer() and abs(value) < FLOAT_EXACT_LIMIT:
            return int(value)
        return value
    if isinstance(value, datetime.datetime):
        return value.date() if value.time() == datetime.time() else value
    if isinstance(value, (int, datetime.date)):
        return value
    return clean_text(str(value))


@dataclass
class Table:
    """A header and a way to stream the data rows below it."""

    path: Path
    header_row: int  # the sheet's own row number of the header (1-based)
    columns: list[str]  # header names in sheet order, '' for a blank header cell
    total_rows: int | None  # the sheet's last row number when known (for progress bars)
    _row_source: Callable[[], Iterator[tuple[int, list]]] = field(repr=False)

    def rows(self) -> Iterator[tuple[int, list]]:
        """(sheet row number, cleaned values aligned to `columns`); wholly blank rows are skipped."""
        width = len(self.columns)
        for number, values in self._row_source():
            if len(values) < width:
                values = values + [""] * (width - len(values))
            elif len(values) > width:
                values = values[:width]
            if any(v != "" for v in values):
                yield number, values

    def index(self) -> dict[str, int]:
        """Column name → position (first occurrence); blank headers left out."""
        positions: dict[str, int] = {}
        for i, name in enumerate(self.columns):
            if name and name not in positions:
                positions[name] = i
        return positions

    def duplicate_columns(self) -> list[str]:
        seen, duplicates = set(), []
        for name in self.columns:
            if name and name in seen and name not in duplicates:
                duplicates.append(name)
            seen.add(name)
        return duplicates


def read_table(path, *, markers: Sequence[str], exact_columns: Sequence[str] = ()) -> Table:
    """Open `path` and find its header row (the first row holding every name in `markers`).

    Raises ValidationFailed for an unsupported type, an undecodable CSV or a missing header."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _read_xlsx(path, markers, exact_columns)
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, markers)
    raise ValidationFailed(
        CoreErrorCode.FILE_TYPE, _("不支持的文件类型“%(s)s”：请使用 .xlsx 或 .csv 文件。") % {"s": path.suffix or path.name}
    )


def _header_error(markers: Sequence[str]) -> ValidationFailed:
    return ValidationFailed(
        CoreErrorCode.HEADER_MISSING,
        _("找不到表头行：表头行须同时包含“%(cols)s”列。") % {"cols": "”“".join(markers)},
    )


def _is_header(keys: list[str], markers: Sequence[str]) -> bool:
    present = set(keys)
    return all(m in present for m in markers)


# ---------------------------------------------------------------- CSV


def decode_csv_bytes(data: bytes, name: str = "") -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK); else a clear error."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise ValidationFailed(
            CoreErrorCode.FILE_ENCODING,
            _("无法识别文件“%(n)s”的编码：CSV 文件须为 UTF-8 或 GBK/GB18030 编码（可在 Excel 中另存为“CSV UTF-8”）。")
            % {"n": name},
        )
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(
        CoreErrorCode.FILE_ENCODING,
        _("无法识别文件“%(n)s”的编码：CSV 文件须为 UTF-8 或 GBK/GB18030 编码（可在 Excel 中另存为“CSV UTF-8”）。")
        % {"n": name},
    )


def _sniff_delimiter(text: str) -> str:
    sample = "\n".join(text[:20000].splitlines()[:30])
    return "\t" if sample.count("\t") > sample.count(",") else ","


def _read_csv(path: Path, markers: Sequence[str]) -> Table:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationFailed(CoreErrorCode.FILE_UNREADABLE, _("无法读取文件：%(e)s") % {"e": exc}) from None
    text = decode_csv_bytes(data, path.name)
    del data
    delimiter = _sniff_delimiter(text)

    header_row, columns = None, []
    for number, record in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        keys = [header_key(v) for v in record]
        if _is_header(keys, markers):
            header_row, columns = number, keys
            break
    if header_row is None:
        raise _header_error(markers)

    def source() -> Iterator[tuple[int, list]]:
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        cache: dict = {}
        for number, record in enumerate(reader, start=1):
            if number > header_row:
                yield number, clean_row(record, cache)

    return Table(path=path, header_row=header_row, columns=columns, total_rows=text.count("\n") + 1,
                 _row_source=source)


# ---------------------------------------------------------------- xlsx


def _open_first_sheet(path: Path):
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        return workbook.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises its own error types for corrupt or foreign files
        raise ValidationFailed(
            CoreErrorCode.FILE_UNREADABLE, _("无法读取 Excel 文件“%(n)s”：%(e)s") % {"n": path.name, "e": exc}
        ) from None


def _read_xlsx(path: Path, markers: Sequence[str], exact_columns: Sequence[str]) -> Table:
    # A zip bomb is refused from its declared sizes and row counts before calamine loads the sheet.
    check_xlsx_archive(path)
    sheet = _open_first_sheet(path)
    start = sheet.start
    if start is None:
        raise _header_error(markers)
    first_col = start[1]
    merged = _merged_ranges(sheet, first_col)

    # One cheap pass: the header row, and the numeric cells of exact columns that need their text.
    header_row, columns, exact_positions, pending = None, [], [], []
    for index, raw in enumerate(sheet.iter_rows()):
        if header_row is None:
            keys = [header_key(v) for v in raw]
            if _is_header(keys, markers):
                header_row, columns = index + 1, keys
                exact_positions = [i for i, name in enumerate(columns) if name in set(exact_columns)]
            continue
        for i in exact_positions:
            if i < len(raw) and isinstance(raw[i], (int, float)) and not isinstance(raw[i], bool):
                if abs(raw[i]) >= FLOAT_EXACT_LIMIT:
                    pending.append((index + 1, first_col + i + 1))
    if header_row is None:
        raise _header_error(markers)
    exact_text = _exact_numbers(path, pending) if pending else {}
    total_rows = sheet.end[0] + 1 if sheet.end else header_row

    def source() -> Iterator[tuple[int, list]]:
        fills = _MergeFiller(merged)
        cache: dict = {}
        for index, raw in enumerate(sheet.iter_rows()):
            number = index + 1
            values = clean_row(raw, cache)
            if fills.active_or_pending(number):
                fills.apply(number, values)
            if number <= header_row:
                continue
            if exact_text:
                for i in exact_positions:
                    key = (number, first_col + i + 1)
                    if key in exact_text:
                        values[i] = exact_text[key]
            yield number, values

    return Table(path=path, header_row=header_row, columns=columns, total_rows=total_rows, _row_source=source)


def _merged_ranges(sheet, first_col: int) -> list[tuple[int, int, int, int]]:
    """Merged areas as (first row, last row, first col, last col): rows 1-based, columns relative
    to the row lists that calamine yields (which start at the sheet's first used column)."""
    ranges = []
    for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []:
        if r1 > r0 or c1 > c0:
            ranges.append((r0 + 1, r1 + 1, c0 - first_col, c1 - first_col))
    ranges.sort()
    return ranges


class _MergeFiller:
    """Copies each merged area's top-left value into the rest of the area while rows stream by."""

    def __init__(self, ranges):
        self._pending = list(reversed(ranges))  # popped in ascending order of first row
        self._active: list[tuple[int, int, int, object]] = []  # (last row, first col, last col, value)

    def active_or_pending(self, row: int) -> bool:
        return bool(self._active) or (bool(self._pending) and self._pending[-1][0] <= row)

    def apply(self, row: int, values: list) -> None:
        self._active = [a for a in self._active if a[0] >= row]
        while self._pending and self._pending[-1][0] <= row:
            r0, r1, c0, c1 = self._pending.pop()
            if r0 < row:  # an area that started above the rows we saw (cannot happen when streaming)
                continue
            top_left = values[c0] if 0 <= c0 < len(values) else ""
            self._active.append((r1, c0, c1, top_left))
        for _last, c0, c1, value in self._active:
            if c1 >= len(values):
                values.extend([""] * (c1 + 1 - len(values)))
            for c in range(max(c0, 0), c1 + 1):
                if values[c] == "":
                    values[c] = value


def _exact_numbers(path: Path, cells: list[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """Re-read numeric cells (row, column; 1-based) from the xlsx XML with openpyxl, which keeps an
    integer written as digits exact. Digits → text; a float (scientific notation, or a fraction) →
    InexactNumber."""
    from openpyxl import load_workbook

    wanted = set(cells)
    rows = [r for r, _c in cells]
    cols = [c for _r, c in cells]
    found: dict[tuple[int, int], str] = {}
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(min_row=min(rows), max_row=max(rows), min_col=min(cols), max_col=max(cols)):
            for cell in row:
                key = (getattr(cell, "row", None), getattr(cell, "column", None))
                if key not in wanted:
                    continue
                value = cell.value
                if isinstance(value, int) and not isinstance(value, bool):
                    found[key] = ExactNumber(value)
                elif isinstance(value, float):
                    found[key] = InexactNumber(_float_text(value))
    finally:
        workbook.close()
    return found


def _float_text(value: float) -> str:
    """A large number the way a spreadsheet shows it: 5.1010119800517E+17."""
    return f"{value:.15G}"


def cell_error(row: int | None, column: str, value, reason: str, code: str) -> dict:
    """One problem in a table file, as imports report it: sheet row, column, value, reason."""
    if value is None:
        shown = ""
    elif isinstance(value, datetime.date):
        shown = value.isoformat()
    else:
        shown = str(value)
    return {"row": row, "column": column, "value": shown[:200], "reason": reason, "code": code}


def write_error_sheet(errors: list[dict], out) -> Path | None:
    """Every error of an import as a sheet (row, column, value, reason) to open beside the file.
    `out` is a path, or a binary file object (e.g. an HTTP download)."""
    import xlsxwriter

    to_file = isinstance(out, (str, os.PathLike))
    workbook = xlsxwriter.Workbook(str(out) if to_file else out, {"constant_memory": to_file})
    sheet = workbook.add_worksheet(_("错误清单"))
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, [_("行号"), _("列"), _("值"), _("问题")], bold)
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 2, 22)
    sheet.set_column(3, 3, 80)
    for index, error in enumerate(errors, start=1):
        if error.get("row") is not None:
            sheet.write_number(index, 0, error["row"])
        sheet.write_string(index, 1, str(error.get("column", "")))
        sheet.write_string(index, 2, str(error.get("value", "")))
        sheet.write_string(index, 3, str(error.get("reason", "")))
    workbook.close()
    return Path(out) if to_file else None
