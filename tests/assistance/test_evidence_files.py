"""Measure evidence: checked by its content when uploaded, never kept when too large, and served back
only as a download with the type read from its content (issue 8: stored XSS, upload limits)."""

import struct
from urllib.parse import quote

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from fangpin.assistance import services
from fangpin.assistance.models import MeasureEvidence
from fangpin.core import uploads


@pytest.fixture
def measure(monitored, village_cadre, catalogue):
    return services.measure_add(actor=village_cadre, household=monitored, catalogue_item=catalogue["medical_aid"],
                                responsible_unit="县医保局", starts_on=timezone.localdate())


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload(client, measure, name: str, content: bytes, display_name: str = ""):
    response = client.post(reverse("assistance:evidence-upload", args=[measure.pk]),
                           {"file": SimpleUploadedFile(name, content, content_type="text/html"),
                            "name": display_name})
    assert response.status_code == 302
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_text_named_html_is_served_as_a_text_download(client, measure, village_cadre, county_admin, settings):
    client.force_login(village_cadre)
    said = upload(client, measure, "notes.txt", "<b>农户签字</b> 已发放".encode(), display_name="x.html")
    assert said == ["佐证材料已上传。"]
    evidence = MeasureEvidence.objects.get()
    assert evidence.name == "x.html" and evidence.content_type == "text/plain"

    client.force_login(county_admin)
    response = client.get(reverse("assistance:evidence-file", args=[evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"] == 'attachment; filename="x.html.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert b"".join(response.streaming_content) == "<b>农户签字</b> 已发放".encode()


def test_html_or_a_program_under_another_name_is_refused_and_not_kept(client, measure, village_cadre, settings):
    client.force_login(village_cadre)
    said = upload(client, measure, "notes.txt", b"<html><script>fetch('/api/members/')</script></html>")
    assert len(said) == 1 and "notes.txt" in said[0] and "网页（HTML）" in said[0]
    program = bytearray(512)
    program[0:2], program[0x3C:0x40], program[0x80:0x84] = b"MZ", struct.pack("<I", 0x80), b"PE\0\0"
    said = upload(client, measure, "照片.jpg", bytes(program))
    assert "照片.jpg" in said[-1] and "可执行程序" in said[-1] and "不是图片" in said[-1]
    assert not MeasureEvidence.objects.exists() and stored_files(settings) == []


def test_a_file_over_the_limit_is_refused_while_it_arrives(client, measure, village_cadre, settings, tmp_path):
    settings.FANGPIN_UPLOAD_MAX_MB = 1
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "incoming")
    (tmp_path / "incoming").mkdir()
    client.force_login(village_cadre)
    said = upload(client, measure, "扫描件.pdf", b"%PDF-1.4\n" + bytes(2 * 1024 * 1024))
    assert said == ["文件“扫描件.pdf”有2MB，超过了上传上限1MB，未保存。请压缩或拆分后再上传。"]
    assert not MeasureEvidence.objects.exists() and stored_files(settings) == []
    assert list((tmp_path / "incoming").iterdir()) == []


def test_chinese_display_name_is_encoded_for_the_download(client, measure, village_cadre):
    photo = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
    evidence = services.measure_add_evidence(actor=village_cadre, measure=measure, name="入户照片.jpg",
                                             file=SimpleUploadedFile("IMG_0001.JPG", photo))
    client.force_login(village_cadre)
    response = client.get(reverse("assistance:evidence-file", args=[evidence.pk]))
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('入户照片.jpg')}"


def test_evidence_stored_before_types_were_kept_is_typed_from_its_content(client, measure, village_cadre):
    evidence = services.measure_add_evidence(actor=village_cadre, measure=measure, name="a.html",
                                             file=SimpleUploadedFile("a.pdf", b"%PDF-1.4\n"))
    MeasureEvidence.objects.filter(pk=evidence.pk).update(content_type="")
    client.force_login(village_cadre)
    response = client.get(reverse("assistance:evidence-file", args=[evidence.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="a.html.pdf"'


def test_file_of_a_rolled_back_upload_is_deleted(measure, village_cadre, settings):
    with pytest.raises(RuntimeError), uploads.files_removed_on_rollback(), transaction.atomic():
        services.measure_add_evidence(actor=village_cadre, measure=measure,
                                      file=SimpleUploadedFile("报销单.pdf", b"%PDF-1.4\n"))
        assert len(stored_files(settings)) == 1
        raise RuntimeError("a later step of the same transaction failed")
    assert not MeasureEvidence.objects.exists() and stored_files(settings) == []
