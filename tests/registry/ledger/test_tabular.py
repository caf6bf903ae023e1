"""core.tabular on the messy files counties keep (samples/ holds them; make_samples.py writes them)."""

import datetime
from pathlib import Path

import pytest

from fangpin.core.errors import ValidationFailed
from fangpin.core.tabular import ExactNumber, InexactNumber, read_table, write_error_sheet
from fangpin.registry.ledger.columns import EXACT_COLUMNS, MARKERS

from .samples.make_samples import PEOPLE, full_width

SAMPLES = Path(__file__).parent / "samples"


def rows_of(name, **kwargs):
    table = read_table(SAMPLES / name, markers=MARKERS, exact_columns=EXACT_COLUMNS, **kwargs)
    index = table.index()
    return table, [(number, {name: values[i] for name, i in index.items()}) for number, values in table.rows()]


def test_messy_xlsx_title_rows_count_in_row_numbers():
    table, rows = rows_of("messy.xlsx")
    assert table.header_row == 3
    assert [number for number, _row in rows] == [4, 5, 6, 7, 8]


def test_merged_household_cells_take_the_top_left_value():
    _table, rows = rows_of("messy.xlsx")
    assert [row["户编号"] for _n, row in rows] == ["2001", "2001", "2001", "2002", "2002"]
    assert [row["户类型"] for _n, row in rows] == ["脱贫户"] * 3 + ["一般农户"] * 2
    assert {row["工资性收入"] for _n, row in rows[:3]} == {"31,200元"}


def test_full_width_digits_and_stray_blanks_are_cleaned():
    _table, rows = rows_of("messy.xlsx")
    assert rows[0][1]["姓名"] == "王德福"  # "  王德福\u3000" in the file
    assert rows[1][1]["证件号码"] == PEOPLE["2001"][1]["证件号码"]  # written in full-width digits
    assert full_width("2001") != "2001"


def test_header_cells_lose_their_blanks():
    table, _rows = rows_of("messy.xlsx")
    assert "姓名" in table.columns  # " 姓名 " in the file


def test_id_stored_as_number_with_all_digits_is_kept_exactly():
    _table, rows = rows_of("messy.xlsx")
    value = rows[4][1]["证件号码"]
    assert isinstance(value, ExactNumber)
    assert value == PEOPLE["2002"][1]["证件号码"]


def test_id_with_digits_lost_is_marked():
    _table, rows = rows_of("digits_lost.xlsx")
    scientific = rows[0][1]["证件号码"]
    assert isinstance(scientific, InexactNumber)
    assert "E+17" in scientific
    zeroed = rows[3][1]["证件号码"]
    assert isinstance(zeroed, ExactNumber) and zeroed.endswith("000")


def test_date_serials_and_date_cells():
    _table, rows = rows_of("messy.xlsx")
    assert rows[0][1]["出生日期"] == (datetime.date(1968, 4, 2) - datetime.date(1899, 12, 30)).days
    assert rows[1][1]["出生日期"] == datetime.date(1970, 8, 15)


@pytest.mark.parametrize("name, header_row", [("utf8.csv", 1), ("utf8_bom.csv", 2), ("gbk.csv", 3)])
def test_csv_encodings(name, header_row):
    table, rows = rows_of(name)
    assert table.header_row == header_row
    assert rows[0][1]["姓名"] == "王德福"
    assert rows[0][0] == header_row + 1
    assert "户编号" in table.columns  # the BOM does not stick to the first header


def test_undecodable_csv_is_refused_clearly(tmp_path):
    path = tmp_path / "utf16.csv"
    path.write_text("户编号,姓名,证件号码\n1,张三,1\n", encoding="utf-16")
    with pytest.raises(ValidationFailed) as caught:
        read_table(path, markers=MARKERS)
    assert caught.value.code == "file_encoding"
    assert "UTF-8" in caught.value.message


def test_binary_garbage_is_refused(tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes([0x81, 0xFF, 0x30, 0xFE, 0x20]) * 50)
    with pytest.raises(ValidationFailed) as caught:
        read_table(path, markers=MARKERS)
    assert caught.value.code == "file_encoding"


def test_corrupt_xlsx_is_refused(tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip file")
    with pytest.raises(ValidationFailed) as caught:
        read_table(path, markers=MARKERS)
    assert caught.value.code == "file_unreadable"


def test_unsupported_type(tmp_path):
    path = tmp_path / "ledger.xls"
    path.write_bytes(b"")
    with pytest.raises(ValidationFailed) as caught:
        read_table(path, markers=MARKERS)
    assert caught.value.code == "file_type"


def test_missing_header(tmp_path):
    path = tmp_path / "no_header.csv"
    path.write_text("户编号,姓名\n1,张三\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        read_table(path, markers=MARKERS)
    assert caught.value.code == "header_missing"


def test_blank_rows_are_skipped_but_counted(tmp_path):
    path = tmp_path / "blank.csv"
    path.write_text("户编号,姓名,证件号码\n1,张三,x\n,,\n\n2,李四,y\n", encoding="utf-8")
    table = read_table(path, markers=MARKERS)
    assert [number for number, _values in table.rows()] == [2, 5]


def test_error_sheet(tmp_path):
    from python_calamine import CalamineWorkbook

    errors = [{"row": 4, "column": "证件号码", "value": "123", "reason": "不对", "code": "x"},
              {"row": None, "column": "年度", "value": "", "reason": "缺少必填列", "code": "y"}]
    path = write_error_sheet(errors, tmp_path / "a.errors.xlsx")
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows[0] == ["行号", "列", "值", "问题"]
    assert rows[1] == [4.0, "证件号码", "123", "不对"]
    assert rows[2][1:] == ["年度", "", "缺少必填列"]
