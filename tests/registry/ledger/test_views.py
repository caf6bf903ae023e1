"""Ledger pages: upload → preview → merge, the error sheet, export; who may open what."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook

from fangpin.core.models import AccessLog, Job
from fangpin.core.roles import Role
from fangpin.registry.ledger.models import LedgerImport
from fangpin.registry.models import Household, Member

from ...factories import make_user
from .ledgerfiles import household, write_ledger

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.DATA_DIR = tmp_path


@pytest.fixture
def officer(places):
    return make_user(Role.COUNTY_OFFICER, places["county"], "officer")


def upload(client, path: Path):
    with open(path, "rb") as handle:
        return client.post(reverse("ledger-upload"), {"file": SimpleUploadedFile(path.name, handle.read())})


def test_upload_preview_merge(client, officer, run_jobs):
    client.force_login(officer)
    page = client.get(reverse("ledger-upload"))
    assert page.status_code == 200 and "上传并校验" in page.text
    response = upload(client, SAMPLES / "messy.xlsx")
    staged = LedgerImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("ledger-preview", args=[staged.pk])
    assert staged.uploaded_by == officer and staged.area_code == officer.place.code
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert "确认导入" in preview.text and "messy.xlsx" in preview.text
    assert Household.objects.count() == 0
    with run_jobs():
        queued = client.post(reverse("ledger-merge", args=[staged.pk]))
    assert queued.status_code == 302 and queued["Location"] == reverse("ledger-preview", args=[staged.pk])
    assert Household.objects.count() == 2 and Member.objects.count() == 5
    staged.refresh_from_db()
    assert staged.status == LedgerImport.Status.MERGED and staged.merged_by == officer
    job = Job.objects.get()
    assert (job.kind, job.status, job.progress, job.created_by) == ("ledger_merge", "done", 100, officer)
    assert "已导入" in job.summary
    assert "已导入" in client.get(reverse("job-detail", args=[job.pk])).text
    assert "确认导入" not in client.get(reverse("ledger-preview", args=[staged.pk])).text


def test_invalid_upload_lists_every_error_and_offers_the_sheet(client, officer, tmp_path):
    rows = household("1001") + household("1002")
    rows[0]["证件号码"] = "123"
    rows[3]["与户主关系"] = "户主"
    client.force_login(officer)
    response = upload(client, write_ledger(tmp_path / "坏台账.csv", rows, titles=["标题"]))
    preview = client.get(response["Location"])
    text = preview.text
    assert "2 处错误" in text and "确认导入" not in text
    assert "“123”应为18位" in text and "每户只能有一名户主" in text
    staged = LedgerImport.objects.get()
    assert staged.status == LedgerImport.Status.INVALID
    sheet = client.get(reverse("ledger-errors", args=[staged.pk]))
    assert sheet.status_code == 200
    assert "errors.xlsx" in sheet["Content-Disposition"]
    rows_in_sheet = CalamineWorkbook.from_filelike(io.BytesIO(sheet.content)).get_sheet_by_index(0).to_python()
    assert [(r[0], r[1]) for r in rows_in_sheet[1:]] == [(3.0, "证件号码"), (6.0, "与户主关系")]
    refused = client.post(reverse("ledger-merge", args=[staged.pk]), follow=True)
    assert "尚未通过校验" in refused.text and Household.objects.count() == 0


def test_many_errors_are_paginated_not_cut(client, officer, tmp_path):
    rows = []
    for number in range(1, 121):
        rows += household(f"{3000 + number}", members=2, seq=number, 工资性收入="-1")
    client.force_login(officer)
    response = upload(client, write_ledger(tmp_path / "many.csv", rows))
    staged = LedgerImport.objects.get()
    assert staged.error_count == 240
    first = client.get(response["Location"])
    second = client.get(response["Location"] + "?page=2")
    assert "第1页，共2页" in first.text and "第2页，共2页" in second.text
    # Data rows are 2-241; the last error's row is on the second page.
    assert "<td>241</td>" in second.text and "<td>241</td>" not in first.text


def test_wrong_file_type_is_refused_by_the_form(client, officer):
    client.force_login(officer)
    response = client.post(reverse("ledger-upload"), {"file": SimpleUploadedFile("a.xls", b"xx")})
    assert response.status_code == 200 and "文件“a.xls”的类型不能上传：只能上传.xlsx 或 .csv 文件" in response.text
    assert LedgerImport.objects.count() == 0


def test_roles_without_import_permission_get_403(client, village_cadre):
    client.force_login(village_cadre)
    assert client.get(reverse("ledger-upload")).status_code == 403
    assert client.get(reverse("ledger-export")).status_code == 403


def test_another_areas_import_is_not_found(client, officer, places, tmp_path):
    client.force_login(officer)
    upload(client, write_ledger(tmp_path / "l.csv", household("1001")))
    staged = LedgerImport.objects.get()
    other = make_user(Role.COUNTY_OFFICER, places["t2"], "t2_officer")
    client.force_login(other)
    assert client.get(reverse("ledger-preview", args=[staged.pk])).status_code == 404
    assert client.get(reverse("ledger-errors", args=[staged.pk])).status_code == 404
    assert client.post(reverse("ledger-merge", args=[staged.pk])).status_code == 404
    assert "l.csv" not in client.get(reverse("ledger-upload")).text
    assert Household.objects.count() == 0


def test_upload_into_another_area_is_refused_row_by_row(client, places, tmp_path):
    other = make_user(Role.COUNTY_OFFICER, places["t2"], "t2_officer")
    client.force_login(other)
    response = upload(client, write_ledger(tmp_path / "l.csv", household("1001")))
    assert "不在您的辖区内" in client.get(response["Location"]).text


def test_export_download(client, officer, tmp_path, run_jobs):
    client.force_login(officer)
    upload(client, SAMPLES / "utf8.csv")
    with run_jobs():
        client.post(reverse("ledger-merge", args=[LedgerImport.objects.get().pk]))
    form = client.get(reverse("ledger-export"))
    assert form.status_code == 200 and "本辖区全部" in form.text
    with run_jobs():
        queued = client.post(reverse("ledger-export"), {"format": "csv", "year": "", "place": ""})
    job = Job.objects.get(kind=Job.Kind.LEDGER_EXPORT)
    assert queued.status_code == 302 and queued["Location"] == reverse("job-detail", args=[job.pk])
    assert job.status == Job.Status.DONE and job.summary == "已导出2户、5人。"
    assert reverse("job-file", args=[job.pk]) in client.get(queued["Location"]).text
    response = client.get(reverse("job-file", args=[job.pk]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.startswith("年度,县,乡镇") and "王德福" in body
    assert AccessLog.objects.filter(actor=officer, kind=AccessLog.Kind.EXPORT).count() == 1


def test_export_cannot_name_another_areas_place(client, places):
    officer = make_user(Role.TOWNSHIP_OFFICER, places["t2"], "t2_township")
    client.force_login(officer)
    response = client.post(reverse("ledger-export"), {"format": "xlsx", "place": places["t1"].pk})
    assert response.status_code == 200 and "attachment" not in response.get("Content-Disposition", "")
    assert AccessLog.objects.count() == 0 and not Job.objects.exists()
