"""Lists pushed down from the city or province: all or nothing, every error listed."""

import io

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from fangpin.core.models import ChangeLog
from fangpin.core.roles import Role
from fangpin.monitoring.choices import Channel, LeadStatus, RiskType
from fangpin.monitoring.models import Lead
from fangpin.registry.choices import HouseholdStatus
from fangpin.registry.models import Household

from ...factories import id_number, make_household, make_user

pytestmark = pytest.mark.django_db
HEADER = ["证件号码", "姓名", "区划代码", "风险类型", "原因"]


def csv_file(rows, header=HEADER, name="推送名单.csv", title=None) -> SimpleUploadedFile:
    lines = ([title] if title else []) + [",".join(header)] + [",".join(str(c) for c in row) for row in rows]
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode("utf-8"), content_type="text/csv")


def xlsx_file(rows, name="推送名单.xlsx") -> SimpleUploadedFile:
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out)
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["2026年11月市级推送防返贫监测名单"])
    sheet.write_row(1, 0, HEADER)
    for index, row in enumerate(rows, start=2):
        for col, value in enumerate(row):
            if isinstance(value, (int, float)):
                sheet.write_number(index, col, value)
            else:
                sheet.write_string(index, col, value)
    workbook.close()
    return SimpleUploadedFile(name, out.getvalue())


def upload(user, file, source="市乡村振兴局"):
    client = Client()
    client.force_login(user)
    return client.post(reverse("pushed-list-upload"), {"file": file, "source": source})


@pytest.fixture
def registered(county_admin, places):
    return make_household(county_admin, places["t1v1"])


def test_a_good_list_raises_a_lead_for_every_row(county_admin, places, registered):
    unknown = id_number()
    rows = [
        [registered.head.id_number, "王户主", places["t1v1"].code, "因病、因学", "市医保局：住院自付3.1万元"],
        [unknown, "陈新", places["t2v1g1"].code, "因灾", "省应急厅：房屋受损"],
        [registered.head.id_number, "王户主", places["t1v1"].code, "因病", "重复推送"],
    ]
    response = upload(county_admin, csv_file(rows))
    assert response.status_code == 302 and response["Location"] == reverse("lead-inbox") + "?channel=pushed_list"
    leads = list(Lead.objects.order_by("id"))
    assert [lead.channel for lead in leads] == [Channel.PUSHED_LIST] * 3
    first, second, third = leads
    assert first.household == registered and first.risk_types == [RiskType.ILLNESS, RiskType.SCHOOLING]
    # The table reader NFKC-normalises cells: the full-width colon comes back as ":".
    assert first.raised_by == county_admin and first.summary == "市医保局:住院自付3.1万元"
    assert first.evidence["source"] == "市乡村振兴局" and first.evidence["row"] == 2
    assert second.household.status == HouseholdStatus.PROVISIONAL and second.place == places["t2v1g1"]
    assert third.status == LeadStatus.MERGED and third.merged_into == first


def test_an_xlsx_list_with_a_title_row_and_numeric_codes(county_admin, places):
    number = id_number()
    response = upload(county_admin, xlsx_file([[number, "刘一", int(places["t1v2"].code), "因意外事故", "交通事故"]]))
    assert response.status_code == 302
    assert Lead.objects.get().household.head.id_number == number


def test_a_bad_list_writes_nothing_and_lists_every_error(county_admin, places, registered):
    households = Household.objects.count()
    log_rows = ChangeLog.objects.count()
    rows = [
        [registered.head.id_number, "王户主", places["t1v1"].code, "因病", "正常行"],
        ["510101198005170000", "错号", places["t1v1"].code, "因病", "校验位错"],
        [id_number(), "", "999999999999", "因穷", ""],
        [id_number(), "张三", places["t1"].code, "", "乡镇代码"],
    ]
    response = upload(county_admin, csv_file(rows))
    assert response.status_code == 200
    errors = response.context["errors"]
    found = {(e["row"], e["column"]) for e in errors}
    assert found == {(3, "证件号码"), (4, "姓名"), (4, "区划代码"), (4, "风险类型"), (4, "原因"),
                     (5, "区划代码"), (5, "风险类型")}
    body = response.content.decode()
    assert "没有写入任何数据" in body and "校验位不正确" in body and "不认识的风险类型：因穷" in body
    assert not Lead.objects.exists()
    assert Household.objects.count() == households and ChangeLog.objects.count() == log_rows


def test_digits_lost_in_excel_are_reported(county_admin, places):
    response = upload(county_admin, xlsx_file([[510101198005171234.0, "刘一", places["t1v2"].code, "因病", "x"]]))
    errors = response.context["errors"]
    assert errors[0]["column"] == "证件号码" and "科学计数法" in errors[0]["reason"]
    assert not Lead.objects.exists()


def test_a_list_without_the_header_or_of_the_wrong_type(county_admin):
    response = upload(county_admin, csv_file([["1", "2"]], header=["身份证", "名字"]))
    assert "找不到表头行" in response.content.decode() and not Lead.objects.exists()
    response = upload(county_admin, SimpleUploadedFile("list.txt", b"hello"))
    assert "文件“list.txt”的类型不能上传：只能上传.xlsx 或 .csv 文件。" in response.content.decode()
    response = upload(county_admin, SimpleUploadedFile("list.xlsx", b"hello"))  # a text file renamed
    assert "文件“list.xlsx”的扩展名是.xlsx，内容却是文本，不是Excel 表格" in response.content.decode()
    response = upload(county_admin, csv_file([]))
    assert "名单里没有数据行" in response.content.decode()
    response = upload(county_admin, csv_file([[id_number(), "甲", "510101001001", "因病", "x"]]), source="")
    assert response.status_code == 200 and not Lead.objects.exists()


def test_a_person_outside_the_county_is_refused_whole(county_admin, places):
    other_county = places["county"].__class__.objects.create(code="510102000000", name="邻县", level="county")
    township = places["county"].__class__.objects.create(code="510102001000", name="邻镇", level="township",
                                                         parent=other_county)
    places["county"].__class__.objects.create(code="510102001001", name="邻村", level="village", parent=township)
    response = upload(county_admin, csv_file([[id_number(), "甲", "510102001001", "因病", "x"]]))
    assert "不是本县的村或村民小组代码" in response.content.decode() and not Lead.objects.exists()


def test_only_county_staff_upload(places, village_cadre, county_officer):
    township = make_user(Role.TOWNSHIP_OFFICER, places["t1"], "t1officer")
    for user in (village_cadre, township):
        client = Client()
        client.force_login(user)
        assert client.get(reverse("pushed-list-upload")).status_code == 403
        assert client.get(reverse("pushed-list-template")).status_code == 403
    client = Client()
    client.force_login(county_officer)
    assert client.get(reverse("pushed-list-upload")).status_code == 200
    template = client.get(reverse("pushed-list-template"))
    assert template.content.decode("utf-8-sig").strip() == ",".join(HEADER)
