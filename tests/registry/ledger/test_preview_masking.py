"""ID numbers and phones in a ledger import's problem lists: masked on the preview and in the error
sheet; the uploader who may see them gets them in full only with a reason, and every error sheet and
every unmasking is in the access log. An importer is not told whether a person is registered
outside their area."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook

from fangpin.core.masking import mask_id_number, mask_phone
from fangpin.core.models import AccessLog
from fangpin.core.roles import Role
from fangpin.registry.ledger.models import LedgerImport

from ...factories import make_household, make_user
from .ledgerfiles import household, write_ledger


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.DATA_DIR = tmp_path


@pytest.fixture
def officer(places):
    return make_user(Role.COUNTY_OFFICER, places["county"], "officer")


def upload(client, path: Path):
    with open(path, "rb") as handle:
        client.post(reverse("ledger-upload"), {"file": SimpleUploadedFile(path.name, handle.read())})
    return LedgerImport.objects.latest("id")


@pytest.fixture
def staged(client, officer, county_admin, places, tmp_path):
    """A file with a person already in another household (full ID in the value), a mistyped check
    digit (the number quoted in the reason) and two phones for one household (the other phone quoted
    in the reason)."""
    existing = make_household(county_admin, places["t1v1"], number="9001")
    rows = household("1001", members=3)
    rows[1]["证件号码"] = existing.head.id_number
    rows[2]["联系电话"] = "13912345678"
    rows += household("1002")
    good = rows[3]["证件号码"]
    rows[3]["证件号码"] = mistyped = good[:17] + ("0" if good[17] != "0" else "1")
    client.force_login(officer)
    ledger_import = upload(client, write_ledger(tmp_path / "台账.csv", rows))
    full = {existing.head.id_number, mistyped, "13800000000", "13912345678"}
    assert ledger_import.status == LedgerImport.Status.INVALID
    stored = repr(ledger_import.errors)
    assert all(value in stored for value in full)
    return ledger_import, full


def _sheet_text(response) -> str:
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    return repr(rows)


def test_preview_and_error_sheet_are_masked_and_the_sheet_is_logged(client, staged, officer):
    ledger_import, full = staged
    page = client.get(reverse("ledger-preview", args=[ledger_import.pk])).content.decode()
    assert not [value for value in full if value in page]
    assert mask_phone("13800000000") in page and mask_id_number(sorted(full)[-1]) in page
    assert not AccessLog.objects.exists()  # a masked page needs no log

    sheet = client.get(reverse("ledger-errors", args=[ledger_import.pk]))
    assert sheet.status_code == 200
    text = _sheet_text(sheet)
    assert not [value for value in full if value in text] and mask_phone("13800000000") in text
    row = AccessLog.objects.get()
    assert (row.actor, row.kind, row.detail["unmasked"], row.detail["rows"]) == (
        officer, AccessLog.Kind.EXPORT, False, ledger_import.error_count)


def test_the_uploader_unmasks_with_a_reason_and_it_is_logged(client, staged, officer):
    ledger_import, full = staged
    url = reverse("ledger-preview", args=[ledger_import.pk])
    assert "显示完整号码" in client.get(url).content.decode()

    refused = client.post(url, {"reason": " "})
    assert refused.status_code == 400 and "请填写查看完整信息的原因" in refused.content.decode()
    assert not [value for value in full if value in refused.content.decode()]
    assert not AccessLog.objects.exists()

    page = client.post(url, {"reason": "核对退回的台账"}).content.decode()
    assert all(value in page for value in full)
    unmask = AccessLog.objects.get()
    assert (unmask.actor, unmask.kind, unmask.detail["reason"]) == (officer, AccessLog.Kind.UNMASK, "核对退回的台账")
    assert unmask.area_code == ledger_import.area_code

    sheet = client.post(reverse("ledger-errors", args=[ledger_import.pk]), {"reason": "核对退回的台账"})
    assert all(value in _sheet_text(sheet) for value in full)
    export = AccessLog.objects.latest("id")
    assert (export.kind, export.detail["unmasked"], export.detail["reason"]) == (
        AccessLog.Kind.EXPORT, True, "核对退回的台账")
    assert client.post(reverse("ledger-errors", args=[ledger_import.pk]), {"reason": ""}).status_code == 400
    assert AccessLog.objects.count() == 2


def test_only_the_uploader_may_unmask(client, staged, county_admin):
    ledger_import, full = staged
    client.force_login(county_admin)  # may see full numbers, but did not upload this file
    url = reverse("ledger-preview", args=[ledger_import.pk])
    assert "显示完整号码" not in client.get(url).content.decode()
    for response in (client.post(url, {"reason": "看看"}),
                     client.post(reverse("ledger-errors", args=[ledger_import.pk]), {"reason": "看看"})):
        assert response.status_code == 403
        assert not [value for value in full if value in response.content.decode()]
    assert not AccessLog.objects.exists()


def test_a_person_registered_outside_the_importers_area_is_not_revealed(client, county_admin, places, tmp_path):
    elsewhere = make_household(county_admin, places["t2v1"], number="9002")
    importer = make_user(Role.COUNTY_OFFICER, places["t1"], "t1_importer")
    rows = household("1001")
    rows[1]["证件号码"] = elsewhere.head.id_number
    client.force_login(importer)
    ledger_import = upload(client, write_ledger(tmp_path / "t1.csv", rows))
    [error] = ledger_import.errors
    assert error["code"] == "id_number_refused" and error["row"] == 3
    assert "9002" not in error["reason"] and "农户" not in error["reason"]
