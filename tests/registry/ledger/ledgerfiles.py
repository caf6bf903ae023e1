"""Build small ledger files for tests: rows as dicts keyed by the format's column names."""

import csv
import datetime
from pathlib import Path

from fangpin.registry.choices import Sex
from fangpin.registry.idnumber import compose_id_number

HEADER = [
    "年度", "县", "乡镇", "行政村", "村民小组", "户编号", "户类型", "脱贫年度", "联系电话", "家庭住址",
    "是否易地扶贫搬迁", "危房等级", "是否饮水安全", "工资性收入", "生产经营性收入", "财产性收入", "转移性收入",
    "生产经营性支出", "医疗自付支出", "教育支出", "灾害损失", "理赔收入", "姓名", "证件号码", "与户主关系",
    "民族", "文化程度", "在校生情况", "健康状况", "残疾等级", "劳动技能", "务工所在地", "务工时间(月)",
    "是否参加城乡居民基本医疗保险", "是否享受低保", "是否特困供养",
]


def person_id(sequence: int, sex: str = Sex.MALE, birth=datetime.date(1980, 5, 17)) -> str:
    return compose_id_number("510101", birth, sequence, sex)


def household(number: str, *, members: int = 2, seq: int | None = None, **overrides) -> list[dict]:
    """Rows of one household in village 第1镇1村 group 一组 of the test county (tests/factories.py)."""
    base = int(number) * 10 if seq is None else seq
    common = {
        "年度": 2025, "县": "示范县", "乡镇": "第1镇", "行政村": "第1镇1村", "村民小组": "一组",
        "户编号": number, "户类型": "一般农户", "脱贫年度": "", "联系电话": "13800000000", "家庭住址": "一组1号",
        "是否易地扶贫搬迁": "否", "危房等级": "A", "是否饮水安全": "是", "工资性收入": "24000",
        "生产经营性收入": "5000", "财产性收入": "0", "转移性收入": "1200.50", "生产经营性支出": "800",
        "医疗自付支出": "0", "教育支出": "0", "灾害损失": "0", "理赔收入": "0",
    }
    common.update({k: v for k, v in overrides.items() if k in common})
    people = [
        {"姓名": "张大山", "证件号码": person_id(base, Sex.MALE), "与户主关系": "户主"},
        {"姓名": "李秀英", "证件号码": person_id(base + 1, Sex.FEMALE, datetime.date(1982, 3, 9)),
         "与户主关系": "配偶"},
        {"姓名": "张小明", "证件号码": person_id(base + 2, Sex.MALE, datetime.date(2012, 9, 1)),
         "与户主关系": "之子"},
        {"姓名": "张小红", "证件号码": person_id(base + 3, Sex.FEMALE, datetime.date(2015, 1, 20)),
         "与户主关系": "之女"},
    ][:members]
    rows = []
    for person in people:
        row = {**common, **person, "民族": "汉族", "文化程度": "初中", "在校生情况": "非在校生", "健康状况": "健康",
               "残疾等级": "", "劳动技能": "普通劳动力", "务工所在地": "县内", "务工时间(月)": 6,
               "是否参加城乡居民基本医疗保险": "是", "是否享受低保": "否", "是否特困供养": "否"}
        rows.append(row)
    return rows


def write_csv(path: Path, rows: list[dict], *, header=HEADER, encoding="utf-8-sig", titles=()) -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        for title in titles:
            writer.writerow([title])
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(column, "") for column in header])
    return path


def write_xlsx(path: Path, rows: list[dict], *, header=HEADER, titles=()) -> Path:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    for r, title in enumerate(titles):
        sheet.write(r, 0, title)
    sheet.write_row(len(titles), 0, header)
    for r, row in enumerate(rows, start=len(titles) + 1):
        for c, column in enumerate(header):
            value = row.get(column, "")
            if isinstance(value, (int, float)):
                sheet.write_number(r, c, value)
            elif value != "":
                sheet.write_string(r, c, str(value))
    workbook.close()
    return path


def write_ledger(path: Path, rows: list[dict], **kwargs) -> Path:
    return (write_xlsx if Path(path).suffix == ".xlsx" else write_csv)(Path(path), rows, **kwargs)


BOMB_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
BOMB_PARTS = {
    "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
                   '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                       'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                       '<sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                                  'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                                  'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                                  'Target="worksheets/sheet1.xml"/></Relationships>',
}


def write_xlsx_bomb(path: Path, rows: int, *, dimension: bool = True) -> Path:
    """A valid .xlsx whose one sheet is `rows` identical rows under the ledger's marker columns: it
    compresses about 340 times (300,000 rows: ~50 KB on disk, ~17 MB of XML)."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", BOMB_CONTENT_TYPES)
        for name, text in BOMB_PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                        b'2006/main">')
            if dimension:
                sheet.write(f'<dimension ref="A1:C{rows + 1}"/>'.encode())
            sheet.write('<sheetData><row><c t="inlineStr"><is><t>户编号</t></is></c><c t="inlineStr"><is><t>姓名'
                        '</t></is></c><c t="inlineStr"><is><t>证件号码</t></is></c></row>'.encode())
            block = b"<row><c><v>1</v></c><c><v>1</v></c><c><v>1</v></c></row>" * 1000
            for _ in range(rows // 1000):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return path
