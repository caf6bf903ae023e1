"""Case attachments: checked by content, removed again when the decision that wrote them fails, and
served only as downloads with the type read from their content (issue 8)."""

import errno
from urllib.parse import quote

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fangpin.cases import services
from fangpin.cases.choices import AttachmentKind
from fangpin.cases.forms import MultipleFileField
from fangpin.cases.models import Attachment
from fangpin.core.errors import ValidationFailed

from .conftest import MONDAY, verification_input


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


class DiskFullUpload(SimpleUploadedFile):
    """A photo whose writing stops half-way, as when the disk fills up."""

    def chunks(self, chunk_size=None):
        yield self.read(8)
        raise OSError(errno.ENOSPC, "No space left on device")


def test_attachment_is_served_as_a_download_of_its_checked_type(client, case, helper, grid_worker, village_cadre):
    services.case_decide(actor=helper, case=case, expected_version=case.version,
                         decision=verification_input(grid_worker), today=MONDAY)
    attachment = Attachment.objects.get(case=case)
    assert attachment.content_type == "image/jpeg"
    client.force_login(village_cadre)
    response = client.get(reverse("cases:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('承诺授权书.jpg')}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_a_failed_decision_leaves_no_file_behind(case, helper, grid_worker, settings):
    stage_input = verification_input(grid_worker)
    stage_input.attachments.append((AttachmentKind.PHOTO, DiskFullUpload("入户照片.jpg", b"\xff\xd8\xff\xe0 photo")))
    with pytest.raises(OSError):
        services.case_decide(actor=helper, case=case, expected_version=case.version, decision=stage_input,
                             today=MONDAY)
    # The commitment written first and the half-written photo are both gone with the rolled-back rows.
    assert not Attachment.objects.exists() and stored_files(settings) == []
    case.refresh_from_db()
    assert case.records.count() == 0 and case.stage_index == 0


def test_a_program_named_as_a_photo_is_refused_before_anything_is_written(case, helper, grid_worker, settings):
    stage_input = verification_input(grid_worker)
    stage_input.attachments.append((AttachmentKind.PHOTO, SimpleUploadedFile("现场.jpg", b"MZ\x90\x00" + bytes(200))))
    with pytest.raises(ValidationFailed) as error:
        services.case_decide(actor=helper, case=case, expected_version=case.version, decision=stage_input,
                             today=MONDAY)
    assert error.value.code == "file_content_mismatch" and "现场.jpg" in error.value.message
    assert error.value.field == "attachments"
    assert not Attachment.objects.exists() and stored_files(settings) == []


def test_the_form_field_checks_each_file():
    field = MultipleFileField()
    assert len(field.clean([SimpleUploadedFile("a.pdf", b"%PDF-1.4\n")])) == 1
    with pytest.raises(forms.ValidationError) as error:
        field.clean([SimpleUploadedFile("a.pdf", b"%PDF-1.4\n"), SimpleUploadedFile("b.txt", b"<html></html>")])
    assert "b.txt" in error.value.messages[0] and "网页（HTML）" in error.value.messages[0]


def test_decision_page_names_a_file_refused_while_it_arrived(client, case, helper, grid_worker, settings):
    settings.FANGPIN_UPLOAD_MAX_MB = 1
    client.force_login(helper)
    response = client.post(reverse("cases:case-decide", args=[case.pk]), {
        "version": case.version, "decision": "approve", "reason": "入户核实属实", "participants": [grid_worker.pk],
        "commitment_signed": "on", "data_authorised": "on",
        "commitment_file": SimpleUploadedFile("承诺授权书.jpg", b"\xff\xd8\xff\xe0" + bytes(2 * 1024 * 1024)),
        "files": [SimpleUploadedFile("现场.jpg", b"MZ\x90\x00" + bytes(200))]})
    page = response.content.decode()
    assert response.status_code in (200, 400)
    assert "文件“承诺授权书.jpg”有2MB，超过了上传上限1MB，未保存。" in page
    assert "文件“现场.jpg”的扩展名是.jpg" in page
    assert not Attachment.objects.exists() and stored_files(settings) == []
    case.refresh_from_db()
    assert case.records.count() == 0
