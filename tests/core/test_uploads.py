"""core.uploads: what an upload really is, how large it may be, zip bombs, and how stored files are
served. The pages that use it are tested beside them (assistance, cases, registry/ledger)."""

import io
import struct
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image

from fangpin.core import uploads
from fangpin.core.errors import ValidationFailed

from ..registry.ledger.ledgerfiles import write_xlsx_bomb


def image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, fmt)
    return buffer.getvalue()


def zip_bytes(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    workbook = Workbook()
    workbook.active["A1"] = "户编号"
    workbook.save(buffer)
    return buffer.getvalue()


def windows_program() -> bytes:
    """The first bytes of a Windows .exe: MZ header pointing at a PE header."""
    data = bytearray(512)
    data[0:2] = b"MZ"
    data[0x3C:0x40] = struct.pack("<I", 0x80)
    data[0x80:0x84] = b"PE\0\0"
    data[0x84:0x86] = struct.pack("<H", 0x14C)
    return bytes(data)


@pytest.mark.parametrize("name, content, expected", [
    ("入户照片.jpg", image_bytes("JPEG"), "image/jpeg"),
    ("截图.jpg", image_bytes("PNG"), "image/png"),  # a PNG screenshot saved as .jpg is still a photo
    ("photo.webp", image_bytes("WEBP"), "image/webp"),
    ("photo.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64, "image/heic"),
    ("报销单.pdf", b"%PDF-1.4\n1 0 obj\n", "application/pdf"),
    ("说明.txt", "户主住院，自付医疗费较高。".encode(), "text/plain"),
    ("说明gbk.txt", "户主住院，自付医疗费较高。".encode("gbk"), "text/plain"),
    ("发放表.xlsx", xlsx_bytes(), uploads.XLSX_TYPE),
    ("申请书.docx", zip_bytes({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}), uploads.DOCX_TYPE),
    ("电子证照.ofd", zip_bytes({"OFD.xml": "<ofd:OFD/>"}), "application/ofd"),
])
def test_the_content_decides_the_stored_type(settings, name, content, expected):
    assert uploads.check_upload(SimpleUploadedFile(name, content, content_type="text/html"),
                                uploads.DOCUMENTS) == expected


@pytest.mark.parametrize("name, content, code, words", [
    ("photo.jpg", windows_program(), "file_content_mismatch", "Windows 可执行程序"),
    ("notes.txt", b"<html><body><script>alert(document.cookie)</script></body></html>",
     "file_content_mismatch", "网页（HTML）"),
    ("scan.pdf", image_bytes("PNG"), "file_content_mismatch", "图片"),
    ("table.xlsx", zip_bytes({"OFD.xml": "<ofd/>"}), "file_content_mismatch", "压缩包"),
    ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "file_type",
     "只能上传图片、PDF、Word、Excel、OFD或文本文件"),
    ("x.html", b"plain words", "file_type", "x.html"),
    ("empty.pdf", b"", "file_empty", "empty.pdf"),
])
def test_a_file_that_is_not_what_its_name_says_is_refused(name, content, code, words):
    with pytest.raises(ValidationFailed) as error:
        uploads.check_upload(SimpleUploadedFile(name, content), uploads.DOCUMENTS)
    assert error.value.code == code
    assert name in error.value.message and words in error.value.message


def test_size_limit_is_the_setting(settings):
    settings.FANGPIN_UPLOAD_MAX_MB = 0.01
    small = SimpleUploadedFile("ok.txt", b"a" * 10_000)
    assert uploads.check_upload(small, uploads.DOCUMENTS) == "text/plain"
    with pytest.raises(ValidationFailed) as error:
        uploads.check_upload(SimpleUploadedFile("big.txt", b"a" * 11_000), uploads.DOCUMENTS)
    assert error.value.code == "file_too_large" and "big.txt" in error.value.message


def multipart_request(settings, tmp_path, size: int, name: str = "big.pdf", path: str = "/x/"):
    """A POST parsed by the configured upload handlers, with uploads spooled to a temp dir of our own."""
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # force the temporary-file handler
    upload = SimpleUploadedFile(name, b"%PDF-1.4\n" + b"0" * (size - 9))
    return RequestFactory().post(path, {"note": "备注", "file": upload, "small": SimpleUploadedFile("a.txt", b"hi")})


def test_a_file_over_the_limit_is_dropped_while_it_arrives(settings, tmp_path):
    settings.FANGPIN_UPLOAD_MAX_MB = 0.5
    request = multipart_request(settings, tmp_path, 700_000)
    refused = request.FILES["file"]
    assert isinstance(refused, uploads.RefusedUpload)
    assert refused.name == "big.pdf" and refused.size == 700_000
    # What had arrived of it was deleted at once: only the small file's temporary copy remains.
    assert [p.stat().st_size for p in tmp_path.iterdir()] == [2]
    # The other fields and files of the form arrive as usual.
    assert request.POST["note"] == "备注" and request.FILES["small"].read() == b"hi"
    with pytest.raises(ValidationFailed) as error:
        uploads.check_upload(refused, uploads.DOCUMENTS)
    assert error.value.code == "file_too_large"
    assert "big.pdf" in error.value.message and "0.7MB" in error.value.message and "0.5MB" in error.value.message
    with pytest.raises(ValidationFailed):
        refused.read()


def test_a_file_under_the_limit_arrives_whole(settings, tmp_path):
    settings.FANGPIN_UPLOAD_MAX_MB = 1
    request = multipart_request(settings, tmp_path, 700_000)
    upload = request.FILES["file"]
    assert not isinstance(upload, uploads.RefusedUpload) and upload.size == 700_000
    assert uploads.check_upload(upload, uploads.DOCUMENTS) == "application/pdf"


def test_table_imports_have_their_own_limit(settings, tmp_path):
    settings.FANGPIN_UPLOAD_MAX_MB = 0.5
    settings.FANGPIN_IMPORT_UPLOAD_MAX_MB = 1
    ledger = multipart_request(settings, tmp_path, 700_000, "台账.csv", path=reverse("ledger-upload")).FILES["file"]
    assert not isinstance(ledger, uploads.RefusedUpload) and ledger.size == 700_000
    ledger = multipart_request(settings, tmp_path, 1_100_000, "台账.csv", path=reverse("ledger-upload")).FILES["file"]
    assert isinstance(ledger, uploads.RefusedUpload) and ledger.limit == 1024 * 1024
    with pytest.raises(ValidationFailed) as error:
        uploads.check_upload(ledger, uploads.TABLES)
    assert "超过了上传上限1MB" in error.value.message
    photo = multipart_request(settings, tmp_path, 700_000, "照片.jpg").FILES["file"]
    assert isinstance(photo, uploads.RefusedUpload) and photo.limit == 512 * 1024


def test_a_request_over_the_request_limit_is_answered_before_it_is_read(client, settings, db):
    settings.FANGPIN_UPLOAD_REQUEST_MAX_MB = 1
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * 1_200_000)
    page = client.post(reverse("login"), {"username": "a", "file": big})
    assert page.status_code == 413
    assert "超过了一次提交的上限1MB" in page.content.decode() and "未保存任何内容" in page.content.decode()
    api = client.post("/api/households/", {"file": SimpleUploadedFile("big.pdf", b"0" * 1_200_000)})
    assert api.status_code == 413 and api.json()["code"] == "request_too_large"
    assert client.post(reverse("login"), {"username": "a"}).status_code != 413


# ---------------------------------------------------------------- spreadsheets


def test_zip_bomb_is_refused_by_its_compression_ratio_at_once(tmp_path):
    bomb = write_xlsx_bomb(tmp_path / "bomb.xlsx", 300_000)
    started = time.perf_counter()
    with pytest.raises(ValidationFailed) as error:
        uploads.check_xlsx_archive(bomb)
    assert time.perf_counter() - started < 0.5
    assert error.value.code == "xlsx_ratio" and "bomb.xlsx" in error.value.message


def test_sheet_rows_are_capped_by_dimension_or_by_counting(tmp_path, settings):
    settings.FANGPIN_XLSX_MAX_RATIO = 100_000
    settings.FANGPIN_XLSX_MAX_ROWS = 50_000
    declared = write_xlsx_bomb(tmp_path / "declared.xlsx", 60_000)
    undeclared = write_xlsx_bomb(tmp_path / "undeclared.xlsx", 60_000, dimension=False)
    for path in (declared, undeclared):
        with pytest.raises(ValidationFailed) as error:
            uploads.check_xlsx_archive(path)
        assert error.value.code == "xlsx_rows" and "50,000" in error.value.message
    settings.FANGPIN_XLSX_MAX_ROWS = 60_001
    uploads.check_xlsx_archive(declared)
    uploads.check_xlsx_archive(undeclared)


def test_expanded_size_limit(tmp_path, settings):
    settings.FANGPIN_XLSX_MAX_RATIO = 100_000
    settings.FANGPIN_XLSX_MAX_EXPANDED_MB = 1
    with pytest.raises(ValidationFailed) as error:
        uploads.check_xlsx_archive(write_xlsx_bomb(tmp_path / "wide.xlsx", 30_000))
    assert error.value.code == "xlsx_too_large" and "超过了上限1MB" in error.value.message


def test_a_member_that_expands_beyond_its_declared_size_is_refused(tmp_path, settings):
    """Headers can understate a part's size; counting the rows reads it to the end, and zipfile
    checks the data against the declared size and checksum."""
    settings.FANGPIN_XLSX_MAX_RATIO = 100_000
    path = write_xlsx_bomb(tmp_path / "lying.xlsx", 20_000, dimension=False)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    # Readers take sizes from the central directory: understate the sheet's uncompressed size there.
    central = data.index(b"PK\x01\x02")
    while data[central + 46:central + 46 + len(info.filename)] != info.filename.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    assert struct.unpack("<I", data[central + 24:central + 28])[0] == info.file_size
    data[central + 24:central + 28] = struct.pack("<I", 1000)
    path.write_bytes(bytes(data))
    with pytest.raises(ValidationFailed) as error:
        uploads.check_xlsx_archive(path)
    assert error.value.code == "file_unreadable"


def test_an_ordinary_ledger_passes(tmp_path):
    from ..registry.ledger.ledgerfiles import household, write_xlsx

    path = write_xlsx(tmp_path / "ledger.xlsx", household("1001") + household("1002"))
    uploads.check_xlsx_archive(path)
    upload = SimpleUploadedFile("ledger.xlsx", path.read_bytes())
    assert uploads.check_upload(upload, uploads.TABLES) == uploads.XLSX_TYPE


# ---------------------------------------------------------------- serving


@pytest.mark.parametrize("name, content_type, expected", [
    ("x.html", "text/plain", "x.html.txt"),
    ("入户照片.jpg", "image/png", "入户照片.jpg"),
    ("报销单", "application/pdf", "报销单.pdf"),
    ("a.pdf", "image/jpeg", "a.pdf.jpg"),
    ("发放表.xlsx", uploads.XLSX_TYPE, "发放表.xlsx"),
])
def test_download_name_says_what_the_file_is(name, content_type, expected):
    assert uploads.download_name(name, content_type) == expected
