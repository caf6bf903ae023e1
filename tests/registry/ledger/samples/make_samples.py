"""Write the sample files the ledger tests read: `python tests/registry/ledger/samples/make_samples.py`.

Each file imitates one way real county files are messy. Places are those of tests/factories.py
(示范县 510101 › 第1镇 › 第1镇1村 › 一组). ID numbers are synthetic (valid check digit, birth dates in
1960-1995 so they never meet the factories' people)."""

import csv
import datetime
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import xlsxwriter
from stdnum.cn import ric

HERE = Path(__file__).resolve().parent
HEADER = [
    "年度", "县", "乡镇", "行政村", "村民小组", "户编号", "户类型", "脱贫年度", "联系电话", "家庭住址",
    "是否易地扶贫搬迁", "危房等级", "是否饮水安全", "工资性收入", "生产经营性收入", "财产性收入", "转移性收入",
    "生产经营性支出", "医疗自付支出", "教育支出", "灾害损失", "理赔收入", "姓名", "证件号码", "与户主关系",
    "民族", "文化程度", "在校生情况", "健康状况", "残疾等级", "劳动技能", "务工所在地", "务工时间(月)",
    "是否参加城乡居民基本医疗保险", "是否享受低保", "是否特困供养",
]


def person(birth: datetime.date, sequence: int, male: bool) -> str:
    body = f"510101{birth:%Y%m%d}{sequence * 2 + (1 if male else 0):03d}"
    return body + ric.calc_check_digit(body + "0")


# Two households: 2001 (脱贫户, three members) and 2002 (一般农户, two members).
H2001 = {"年度": 2025, "县": "示范县", "乡镇": "第1镇", "行政村": "第1镇1村", "村民小组": "一组", "户编号": "2001",
         "户类型": "脱贫户", "脱贫年度": 2016, "联系电话": "13912345678", "家庭住址": "一组12号",
         "是否易地扶贫搬迁": "否", "危房等级": "B", "是否饮水安全": "是", "工资性收入": "31,200元",
         "生产经营性收入": 6400, "财产性收入": 0, "转移性收入": 2150.5, "生产经营性支出": 1800,
         "医疗自付支出": 3200, "教育支出": 1500, "灾害损失": 0, "理赔收入": 0}
H2002 = {**H2001, "户编号": "2002", "户类型": "一般农户", "脱贫年度": "", "联系电话": "0816-2345678",
         "家庭住址": "一组15号", "危房等级": "A", "工资性收入": 42000, "生产经营性收入": 3000,
         "转移性收入": 600, "生产经营性支出": 900, "医疗自付支出": 0, "教育支出": 0}
MEMBER = {"民族": "汉族", "文化程度": "初中", "在校生情况": "非在校生", "健康状况": "健康", "残疾等级": "",
          "劳动技能": "普通劳动力", "务工所在地": "省外", "务工时间(月)": 9, "是否参加城乡居民基本医疗保险": "是",
          "是否享受低保": "否", "是否特困供养": "否"}
PEOPLE = {
    "2001": [
        {"姓名": "王德福", "证件号码": person(datetime.date(1968, 4, 2), 11, True), "与户主关系": "户主"},
        {"姓名": "刘桂兰", "证件号码": person(datetime.date(1970, 8, 15), 12, False), "与户主关系": "配偶",
         "健康状况": "残疾", "残疾等级": "二级", "劳动技能": "弱劳动力或半劳动力", "务工所在地": "", "务工时间(月)": 0,
         "是否参加城乡居民基本医疗保险": "职工医保"},
        {"姓名": "王小军", "证件号码": person(datetime.date(1993, 1, 30), 13, True), "与户主关系": "之子",
         "文化程度": "大专及以上", "劳动技能": "技能劳动力"},
    ],
    "2002": [
        {"姓名": "阿依古丽·买买提", "证件号码": person(datetime.date(1975, 6, 6), 14, False), "与户主关系": "户主",
         "民族": "维吾尔族", "是否享受低保": "是"},
        {"姓名": "赵建国", "证件号码": person(datetime.date(1972, 11, 11), 15, True), "与户主关系": "配偶"},
    ],
}


def rows() -> list[dict]:
    out = []
    for household in (H2001, H2002):
        for p in PEOPLE[household["户编号"]]:
            out.append({**household, **MEMBER, **p})
    return out


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def write_csv(name: str, encoding: str, data: list[dict], titles=()) -> None:
    with open(HERE / name, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        for title in titles:
            writer.writerow([title])
        writer.writerow(HEADER)
        for row in data:
            writer.writerow([row.get(c, "") for c in HEADER])


def write_messy_xlsx() -> None:
    """Title rows, merged household cells, full-width digits, stray blanks, a date serial in an
    extra 出生日期 column, a date cell, and one ID stored as a number with all 18 digits."""
    header = HEADER[:24] + ["出生日期"] + HEADER[24:]
    data = rows()
    path = HERE / "messy.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("台账")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.merge_range(0, 0, 0, 10, "示范县2025年户成员台账")
    sheet.write(1, 0, "填报单位：第1镇（盖章）")
    sheet.write_row(2, 0, [f" {h} " if h == "姓名" else h for h in header])
    household_columns = range(HEADER.index("姓名"))
    first = 3
    exact_id_cell = None
    for household in ("2001", "2002"):
        members = [r for r in data if r["户编号"] == household]
        last = first + len(members) - 1
        for c in household_columns:
            value = members[0][header[c]]
            if household == "2001" and header[c] == "户编号":
                value = full_width(value)  # ２００１
            if last > first:
                sheet.merge_range(first, c, last, c, value)
            elif isinstance(value, (int, float)):
                sheet.write_number(first, c, value)
            else:
                sheet.write(first, c, value)
        for offset, member in enumerate(members):
            r = first + offset
            for c, column in enumerate(header):
                if c in household_columns:
                    continue
                if column == "出生日期":
                    birth = datetime.date(int(member["证件号码"][6:10]), int(member["证件号码"][10:12]),
                                          int(member["证件号码"][12:14]))
                    if offset == 0:
                        sheet.write_number(r, c, (birth - datetime.date(1899, 12, 30)).days)  # a bare serial
                    else:
                        sheet.write_datetime(r, c, datetime.datetime.combine(birth, datetime.time()), date_format)
                    continue
                value = member.get(column, "")
                if column == "证件号码" and household == "2001" and offset == 1:
                    value = full_width(value)  # full-width digits
                if column == "证件号码" and household == "2002" and offset == 1:
                    sheet.write_number(r, c, float(value))
                    exact_id_cell = (r + 1, c, value)
                    continue
                if column == "姓名" and offset == 0:
                    value = f"  {value}\u3000"  # stray blanks, one of them an ideographic space
                if isinstance(value, (int, float)):
                    sheet.write_number(r, c, value)
                elif value != "":
                    sheet.write_string(r, c, str(value))
        first = last + 1
    workbook.close()
    # XlsxWriter writes numbers with 16 significant digits; put the full integer into the XML as
    # programs that export IDs as numbers do.
    row, col, digits = exact_id_cell
    ref = f"{xlsxwriter.utility.xl_col_to_name(col)}{row}"
    _patch_sheet(path, lambda xml: re.sub(rf'(<c r="{ref}"[^>]*><v>)[^<]*(</v>)', rf"\g<1>{digits}\g<2>", xml))


def write_digits_lost_xlsx() -> None:
    """IDs that Excel turned into numbers: scientific notation, and last digits zeroed."""
    data = rows()
    path = HERE / "digits_lost.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    id_col = HEADER.index("证件号码")
    for r, member in enumerate(data, start=1):
        for c, column in enumerate(HEADER):
            value = member.get(column, "")
            if c == id_col and r in (1, 4):
                sheet.write_number(r, c, float(value))  # Excel keeps 15 significant digits
                continue
            if isinstance(value, (int, float)):
                sheet.write_number(r, c, value)
            elif value != "":
                sheet.write_string(r, c, str(value))
    workbook.close()
    zeroed = data[3]["证件号码"][:15] + "000"
    ref = f"{xlsxwriter.utility.xl_col_to_name(id_col)}5"
    _patch_sheet(path, lambda xml: re.sub(rf'(<c r="{ref}"[^>]*><v>)[^<]*(</v>)', rf"\g<1>{zeroed}\g<2>", xml))


def _patch_sheet(path: Path, edit) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        patched = Path(tmp) / path.name
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                data = source.read(item.filename)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = edit(data.decode("utf-8")).encode("utf-8")
                target.writestr(item, data)
        shutil.copy(patched, path)


def write_places() -> None:
    places = [
        ("510101", "示范县", "县", ""),
        ("510101001000", "第1镇", "乡镇", "510101"),
        ("510101001001", "第1镇1村", "村", "510101001000"),
        ("510101001001001", "一组", "组", "510101001001"),
        ("510101001002", "第1镇2村", "村", "510101001000"),
        ("510101001002001", "一组", "组", "510101001002"),
        ("510101002000", "第2镇", "乡镇", "510101"),
        ("510101002001", "第2镇1村", "村", "510101002000"),
    ]
    with open(HERE / "places.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["代码", "名称", "级别", "上级代码"])
        writer.writerows(places)
    workbook = xlsxwriter.Workbook(str(HERE / "places_messy.xlsx"))
    sheet = workbook.add_worksheet()
    sheet.merge_range(0, 0, 0, 3, "示范县行政区划（2025年）")
    sheet.write_row(1, 0, ["代码", "名称", " 级 别 ", "上级代码"])
    for r, (code, name, level, parent) in enumerate(places, start=2):
        if len(code) <= 12:
            sheet.write_number(r, 0, int(code))  # codes stored as numbers, the county as 6 digits
        else:
            sheet.write_string(r, 0, full_width(code))
        sheet.write_string(r, 1, f" {name}")
        sheet.write_string(r, 2, level)
        if parent:
            sheet.write_number(r, 3, int(parent))
    workbook.close()


def main() -> None:
    data = rows()
    write_csv("utf8.csv", "utf-8", data)
    write_csv("utf8_bom.csv", "utf-8-sig", data, titles=["示范县2025年户成员台账"])
    write_csv("gbk.csv", "gbk", data, titles=["示范县2025年户成员台账", ""])
    with open(HERE / "digits_lost.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i, row in enumerate(data):
            row = dict(row)
            if i == 0:
                row["证件号码"] = f"{float(row['证件号码']):.5E}"  # as Excel saves a number cell to CSV
            writer.writerow([row.get(c, "") for c in HEADER])
    write_messy_xlsx()
    write_digits_lost_xlsx()
    write_places()


if __name__ == "__main__":
    main()
