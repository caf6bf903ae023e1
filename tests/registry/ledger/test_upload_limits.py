"""Ledger uploads that must never reach the disk or the spreadsheet reader: too large, not a
spreadsheet, or a zip bomb (issue 8, item 4)."""

import os
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fangpin.core.errors import ValidationFailed
from fangpin.core.roles import Role
from fangpin.registry.ledger.models import LedgerImport
from fangpin.registry.ledger.reader import read_ledger

from ...factories import make_user
from .ledgerfiles import household, write_xlsx, write_xlsx_bomb


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.DATA_DIR = tmp_path
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "incoming")
    (tmp_path / "incoming").mkdir()


@pytest.fixture
def officer(client, places):
    user = make_user(Role.COUNTY_OFFICER, places["county"], "officer")
    client.force_login(user)
    return user


def nothing_kept(settings, tmp_path) -> bool:
    stored = [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()] if settings.MEDIA_ROOT.exists() else []
    return stored == [] and list((tmp_path / "incoming").iterdir()) == [] and not LedgerImport.objects.exists()


def post(client, name: str, content: bytes):
    response = client.post(reverse("ledger-upload"), {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200  # the form again, with the error at the file
    return response.content.decode()


def test_a_large_random_file_is_refused_while_it_arrives(client, officer, settings, tmp_path):
    settings.FANGPIN_IMPORT_UPLOAD_MAX_MB = 1
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    page = post(client, "台账.xlsx", os.urandom(3 * 1024 * 1024))
    assert "文件“台账.xlsx”有3MB，超过了上传上限1MB，未保存。" in page
    assert nothing_kept(settings, tmp_path)


def test_random_bytes_named_xlsx_are_refused_before_they_are_stored(client, officer, settings, tmp_path):
    page = post(client, "台账.xlsx", os.urandom(200_000))
    assert "文件“台账.xlsx”的扩展名是.xlsx，内容却是无法识别的二进制数据，不是Excel 表格，未保存。" in page
    assert nothing_kept(settings, tmp_path)


def test_zip_bomb_is_refused_at_once_and_not_stored(client, officer, settings, tmp_path):
    bomb = write_xlsx_bomb(tmp_path / "bomb.xlsx", 1_000_000)  # ~165 KB that expands to ~56 MB
    started = time.perf_counter()
    page = post(client, "台账.xlsx", bomb.read_bytes())
    assert time.perf_counter() - started < 2
    assert "Excel 文件“台账.xlsx”的压缩比异常" in page and "未读取" in page
    assert nothing_kept(settings, tmp_path)


def test_reading_a_zip_bomb_from_the_command_line_stops_before_the_sheet_is_loaded(tmp_path, settings):
    bomb = write_xlsx_bomb(tmp_path / "bomb.xlsx", 1_000_000)
    started = time.perf_counter()
    with pytest.raises(ValidationFailed) as error:
        read_ledger(bomb)
    assert time.perf_counter() - started < 1
    assert error.value.code == "xlsx_ratio"
    settings.FANGPIN_XLSX_MAX_RATIO = 100_000
    settings.FANGPIN_XLSX_MAX_ROWS = 500_000
    with pytest.raises(ValidationFailed) as error:
        read_ledger(bomb)
    assert error.value.code == "xlsx_rows"


def test_an_ordinary_ledger_still_uploads(client, officer, tmp_path):
    path = write_xlsx(tmp_path / "ledger.xlsx", household("1001") + household("1002"))
    response = client.post(reverse("ledger-upload"), {"file": SimpleUploadedFile("台账.xlsx", path.read_bytes())})
    assert response.status_code == 302
    staged = LedgerImport.objects.get()
    assert staged.status == LedgerImport.Status.VALIDATED and os.path.exists(staged.file_path)
