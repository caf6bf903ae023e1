"""Uploaded files, in one place: how big they may be, what they really are, how they are kept and how
they are served back.

- `SizeLimitUploadHandler` (first in FILE_UPLOAD_HANDLERS) stops keeping a file once it passes
  FANGPIN_UPLOAD_MAX_MB: the partial temporary file is deleted at once and the form receives a
  `RefusedUpload` that `check_upload` refuses with a clear message. `RequestSizeLimitMiddleware`
  answers 413 before a request larger than FANGPIN_UPLOAD_REQUEST_MAX_MB is read at all.
- `check_upload` checks size, then the extension against the use's allow-list, then the type read
  from the content by libmagic (python-magic); an extension that does not match the content is
  refused. It returns the content type to store with the file.
- `check_xlsx_archive` refuses a zip bomb before a spreadsheet library opens it: declared expanded
  size, compression ratio, and the row count of every sheet (FANGPIN_XLSX_* settings).
- `store_upload` writes the file of a `StoredFile` row; inside `files_removed_on_rollback` a file
  whose transaction fails is deleted again.
- `file_response` serves every stored file: always as a download, with the stored (content-checked)
  type, never one guessed from the name, and headers that keep a browser from running it.
"""

from __future__ import annotations

import contextlib
import contextvars
import mimetypes
import os
import re
import zipfile
from dataclasses import dataclass

import magic
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import CoreErrorCode, ValidationFailed

MB = 1024 * 1024
SNIFF_BYTES = 1 * MB  # libmagic's own default read limit
# Members smaller than this are not held to the compression ratio: tiny XML parts compress well.
RATIO_FLOOR_BYTES = 1 * MB
SHEET_HEAD_BYTES = 64 * 1024
SERVED_FILE_CSP = "sandbox; default-src 'none'"

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif"})
OLE_TYPES = frozenset({"application/x-ole-storage", "application/CDFV2", "application/vnd.ms-office"})
# Text that a browser would run or render; never accepted where plain text is expected.
MARKUP_TYPES = frozenset({"text/html", "text/xml", "application/xml", "image/svg+xml", "text/javascript",
                          "application/javascript", "application/xhtml+xml"})
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class FileKind:
    """What a file with one extension may hold: the types libmagic may report for such content, the
    type kept with the file (None: the reported one), and for zip containers the member that shows
    what the container is."""

    label: str
    sniffed: frozenset[str]
    stored: str | None = None
    zip_member: str | None = None
    text: bool = False

    def accepts(self, sniffed: str) -> bool:
        if self.text:
            return sniffed.startswith("text/") and sniffed not in MARKUP_TYPES or sniffed in self.sniffed
        return sniffed in self.sniffed

    def stored_type(self, sniffed: str) -> str:
        return self.stored or sniffed


_IMAGE = FileKind(gettext_lazy("图片"), IMAGE_TYPES)
KINDS: dict[str, FileKind] = {
    # Phones and chat apps often save a PNG screenshot as .jpg: any photo type is a photo.
    ".jpg": _IMAGE, ".jpeg": _IMAGE, ".png": _IMAGE, ".gif": _IMAGE, ".webp": _IMAGE, ".heic": _IMAGE,
    ".pdf": FileKind(gettext_lazy("PDF 文件"), frozenset({"application/pdf"})),
    ".doc": FileKind(gettext_lazy("Word 文档"), OLE_TYPES | {"application/msword"}, stored="application/msword"),
    ".xls": FileKind(gettext_lazy("Excel 表格"), OLE_TYPES | {"application/vnd.ms-excel"},
                     stored="application/vnd.ms-excel"),
    ".docx": FileKind(gettext_lazy("Word 文档"), frozenset({DOCX_TYPE, "application/zip"}), stored=DOCX_TYPE,
                      zip_member="word/document.xml"),
    ".xlsx": FileKind(gettext_lazy("Excel 表格"), frozenset({XLSX_TYPE, "application/zip"}), stored=XLSX_TYPE,
                      zip_member="xl/workbook.xml"),
    ".ofd": FileKind(gettext_lazy("OFD 版式文件"), frozenset({"application/zip"}), stored="application/ofd",
                     zip_member="OFD.xml"),
    ".txt": FileKind(gettext_lazy("文本文件"), frozenset({"text/plain"}), stored="text/plain", text=True),
    ".csv": FileKind(gettext_lazy("CSV 文件"), frozenset({"text/csv", "application/csv"}), stored="text/csv",
                     text=True),
}

# What a refused file turned out to be, in words for the message.
CONTENT_WORDS = {
    "text/html": gettext_lazy("网页（HTML）"),
    "image/svg+xml": gettext_lazy("SVG 矢量图（可含脚本）"),
    "application/x-dosexec": gettext_lazy("Windows 可执行程序"),
    "application/vnd.microsoft.portable-executable": gettext_lazy("Windows 可执行程序"),
    "application/x-executable": gettext_lazy("可执行程序"),
    "application/x-sharedlib": gettext_lazy("可执行程序"),
    "application/zip": gettext_lazy("压缩包"),
    "application/x-rar": gettext_lazy("压缩包"),
    "application/x-7z-compressed": gettext_lazy("压缩包"),
    "application/pdf": gettext_lazy("PDF 文件"),
    "application/octet-stream": gettext_lazy("无法识别的二进制数据"),
    "application/x-empty": gettext_lazy("空文件"),
    "inode/x-empty": gettext_lazy("空文件"),
}


def _content_words(sniffed: str) -> str:
    if sniffed in CONTENT_WORDS:
        return str(CONTENT_WORDS[sniffed])
    if sniffed in IMAGE_TYPES:
        return str(_IMAGE.label)
    if sniffed.startswith("text/"):
        return _("文本")
    return _("其他格式（%(t)s）") % {"t": sniffed}


@dataclass(frozen=True)
class UploadPolicy:
    """The files one use accepts (evidence and case attachments; table imports), how the page names
    them, and the setting that holds their size limit in MB. A view that takes such files names the
    policy as `upload_policy`, so that the limit applies while the file arrives."""

    extensions: tuple[str, ...]
    description: str
    limit_setting: str = "FANGPIN_UPLOAD_MAX_MB"

    @property
    def accept(self) -> str:
        """For the file input's `accept` attribute."""
        return ",".join(self.extensions)

    @property
    def max_bytes(self) -> int:
        return int(float(getattr(settings, self.limit_setting)) * MB)


DOCUMENTS = UploadPolicy((".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".pdf", ".doc", ".docx", ".xls",
                          ".xlsx", ".ofd", ".txt"),
                         gettext_lazy("图片、PDF、Word、Excel、OFD或文本文件"))
# Ledgers and pushed lists: a whole county's ledger is larger than any photo (350,000 members: 52 MB).
TABLES = UploadPolicy((".xlsx", ".csv"), gettext_lazy(".xlsx 或 .csv 文件"), "FANGPIN_IMPORT_UPLOAD_MAX_MB")


# ---------------------------------------------------------------- limits


def max_upload_bytes() -> int:
    """The limit of files taken by views that name no other policy."""
    return DOCUMENTS.max_bytes


def limit_for_request(request) -> int:
    """The size limit of files sent to the view this request goes to."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return max_upload_bytes()
    policy = getattr(getattr(match.func, "view_class", None), "upload_policy", None)
    return policy.max_bytes if policy is not None else max_upload_bytes()


def max_request_bytes() -> int:
    return int(float(settings.FANGPIN_UPLOAD_REQUEST_MAX_MB) * MB)


def megabytes(size: int) -> str:
    """A byte count in MB for messages: 20, 0.5, 212.8."""
    return f"{size / MB:.1f}".removesuffix(".0")


def too_large(name: str, size: int, limit: int, *, field: str = "file") -> ValidationFailed:
    message = _("文件“%(n)s”有%(size)sMB，超过了上传上限%(limit)sMB，未保存。请压缩或拆分后再上传。") % {
        "n": name, "size": megabytes(size), "limit": megabytes(limit)}
    return ValidationFailed(CoreErrorCode.FILE_TOO_LARGE, message, field=field)


class RefusedUpload(UploadedFile):
    """A file that went over the size limit while it was being received. Nothing of it was kept: only
    its name and size remain, so that the form can say which file was too large. Reading it raises
    the same error, so that no code path can store it by mistake."""

    def __init__(self, name: str, size: int, limit: int, content_type: str | None, field_name: str | None):
        super().__init__(file=None, name=name, content_type=content_type, size=size)
        self.limit = limit
        self.field_name = field_name

    def _refuse(self, *args, **kwargs):
        raise too_large(self.name, self.size, self.limit)

    open = read = chunks = readline = readlines = seek = _refuse

    def multiple_chunks(self, chunk_size=None):
        return False

    def close(self):
        return None

    def __iter__(self):
        self._refuse()

    def __bool__(self):
        return True


class SizeLimitUploadHandler(FileUploadHandler):
    """Counts each file's bytes as they arrive; past the limit of the view's `upload_policy`
    (FANGPIN_UPLOAD_MAX_MB when it names none) it passes no more data on, closes (and so deletes) what
    the other handlers kept of the file, and hands the form a `RefusedUpload` instead. Must come
    first in FILE_UPLOAD_HANDLERS."""

    limit: int | None = None

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        if self.limit is None:
            self.limit = limit_for_request(self.request)
        self.refused = False

    def receive_data_chunk(self, raw_data, start):
        if self.refused:
            return None
        if start + len(raw_data) > self.limit:
            self.refused = True
            self._discard_partial_files()
            return None
        return raw_data

    def _discard_partial_files(self) -> None:
        for handler in getattr(self.request, "upload_handlers", ()):
            if handler is self:
                continue
            partial = getattr(handler, "file", None)
            if partial is not None and not getattr(partial, "closed", False):
                path = getattr(partial, "temporary_file_path", None)
                partial.close()  # a TemporaryUploadedFile deletes its file on close
                if path is not None:
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(path())

    def file_complete(self, file_size):
        if not self.refused:
            return None
        return RefusedUpload(self.file_name, file_size, self.limit, self.content_type, self.field_name)


class RequestSizeLimitMiddleware:
    """Answers 413 to a request whose declared body exceeds FANGPIN_UPLOAD_REQUEST_MAX_MB, before any
    of it is read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = max_request_bytes()
        if length > limit:
            message = _("提交的内容有%(size)sMB，超过了一次提交的上限%(limit)sMB，未保存任何内容。"
                        "请返回上一页，压缩文件或分几次上传。") % {"size": megabytes(length),
                                                        "limit": megabytes(limit)}
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "request_too_large", "message": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


# ---------------------------------------------------------------- checking


def _head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return head


def sniff(data: bytes) -> str:
    """The content type libmagic reads from the bytes."""
    return magic.from_buffer(data, mime=True) if data else "application/x-empty"


def check_upload(upload, policy: UploadPolicy, *, field: str = "file") -> str:
    """Check an uploaded file for one use; return the content type to store with it.

    Raises ValidationFailed naming the file: too large, empty, an extension the use does not take,
    content that is not what the extension says, a damaged container, or a spreadsheet that would
    expand beyond the limits."""
    name = os.path.basename(getattr(upload, "name", "") or "")
    size = getattr(upload, "size", None) or 0
    if isinstance(upload, RefusedUpload):
        raise too_large(name, size, upload.limit, field=field)
    if size > policy.max_bytes:
        raise too_large(name, size, policy.max_bytes, field=field)
    if size <= 0:
        raise ValidationFailed(CoreErrorCode.FILE_EMPTY, _("文件“%(n)s”是空的。") % {"n": name}, field=field)
    extension = os.path.splitext(name)[1].lower()
    kind = KINDS.get(extension) if extension in policy.extensions else None
    if kind is None:
        raise ValidationFailed(CoreErrorCode.FILE_TYPE, _("文件“%(n)s”的类型不能上传：只能上传%(allowed)s。") % {
            "n": name, "allowed": policy.description}, field=field)
    sniffed = sniff(_head(upload))
    if not kind.accepts(sniffed):
        raise ValidationFailed(CoreErrorCode.FILE_CONTENT_MISMATCH, _(
            "文件“%(n)s”的扩展名是%(ext)s，内容却是%(actual)s，不是%(kind)s，未保存。"
            "请上传原始文件，不要修改扩展名。") % {"n": name, "ext": extension, "actual": _content_words(sniffed),
                                        "kind": kind.label}, field=field)
    if kind.zip_member:
        upload.seek(0)
        try:
            with zipfile.ZipFile(upload) as archive:
                if kind.zip_member not in archive.namelist():
                    raise ValidationFailed(CoreErrorCode.FILE_CONTENT_MISMATCH, _(
                        "文件“%(n)s”是压缩包，不是%(kind)s，未保存。") % {"n": name, "kind": kind.label}, field=field)
                if extension == ".xlsx":
                    try:
                        _check_archive(archive, name)
                    except ValidationFailed as error:
                        error.field = field
                        raise
        except zipfile.BadZipFile:
            raise ValidationFailed(CoreErrorCode.FILE_UNREADABLE, _("文件“%(n)s”已损坏，无法作为%(kind)s打开。") % {
                "n": name, "kind": kind.label}, field=field) from None
        finally:
            upload.seek(0)
    return kind.stored_type(sniffed)


def form_validator(policy: UploadPolicy):
    """`check_upload` as a form field validator: the same rules, shown at the field."""
    from django.core.exceptions import ValidationError

    def validate(upload):
        if upload is None:
            return
        try:
            check_upload(upload, policy)
        except ValidationFailed as error:
            raise ValidationError(error.message, code=error.code) from None

    return validate


# ---------------------------------------------------------------- spreadsheets


_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\s+ref=\"[A-Z]*(\d*)(?::[A-Z]*(\d+))?\"")
_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData[\s/>]")


def check_xlsx_archive(path, name: str | None = None) -> None:
    """Refuse an .xlsx that would expand beyond the configured limits, before it is opened by a
    spreadsheet library (which holds the whole sheet in memory)."""
    name = name or os.path.basename(str(path))
    try:
        with zipfile.ZipFile(path) as archive:
            _check_archive(archive, name)
    except zipfile.BadZipFile:
        raise ValidationFailed(CoreErrorCode.FILE_UNREADABLE, _("文件“%(n)s”已损坏，无法作为 Excel 表格打开。") % {"n": name},
                               field="file") from None


def _check_archive(archive: zipfile.ZipFile, name: str) -> None:
    infos = archive.infolist()
    max_expanded = int(float(settings.FANGPIN_XLSX_MAX_EXPANDED_MB) * MB)
    max_ratio = float(settings.FANGPIN_XLSX_MAX_RATIO)
    max_rows = int(settings.FANGPIN_XLSX_MAX_ROWS)
    expanded = sum(info.file_size for info in infos)
    if expanded > max_expanded:
        raise ValidationFailed(CoreErrorCode.XLSX_TOO_LARGE, _(
            "Excel 文件“%(n)s”解压后有%(size)sMB，超过了上限%(limit)sMB，未读取。请拆分后再上传，或另存为 CSV。") % {
            "n": name, "size": megabytes(expanded), "limit": megabytes(max_expanded)}, field="file")
    for info in infos:
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > max_ratio * max(info.compress_size, 1):
            raise ValidationFailed(CoreErrorCode.XLSX_RATIO, _(
                "Excel 文件“%(n)s”的压缩比异常（%(part)s 由%(packed)sMB解压为%(size)sMB），"
                "不像正常的表格，未读取。") % {"n": name, "part": info.filename,
                                       "packed": megabytes(info.compress_size), "size": megabytes(info.file_size)},
                field="file")
    for info in infos:
        if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            rows = _sheet_rows(archive, info, max_rows)
            if rows > max_rows:
                raise ValidationFailed(CoreErrorCode.XLSX_ROWS, _(
                    "Excel 文件“%(n)s”的工作表超过%(limit)s行，未读取。请拆分后再上传，或另存为 CSV。") % {
                    "n": name, "limit": f"{max_rows:,}"}, field="file")


def _sheet_rows(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> int:
    """The sheet's row count: its declared dimension when that already passes the cap, else the
    rows counted while streaming the XML, stopping at cap + 1. Streaming to the end also checks
    that the member expands to its declared size (zipfile verifies the CRC)."""
    with archive.open(info) as stream:
        head = stream.read(SHEET_HEAD_BYTES)
        found = _DIMENSION.search(head)
        if found:
            last = found.group(2) or found.group(1)
            if last and int(last) > cap:
                return int(last)
        # Rows are counted as their opening tags (in the sheet's own namespace prefix, if any).
        prefix = _SHEET_DATA.search(head)
        tag = b"<" + (prefix.group(1) or b"" if prefix else b"") + b"row"
        count, tail, data = 0, b"", head
        while data:
            buffer = tail + data
            count += buffer.count(tag) - tail.count(tag)
            if count > cap:
                return count
            tail = buffer[-len(tag):]
            data = stream.read(MB)
        return count


# ---------------------------------------------------------------- storing


_written: contextvars.ContextVar[list | None] = contextvars.ContextVar("fangpin_written_files", default=None)


@contextlib.contextmanager
def files_removed_on_rollback():
    """Wrap a service (outside its `transaction.atomic`): files it wrote through `store_upload` are
    deleted again when it fails, so that a rolled-back row never leaves its file behind. Usable as a
    decorator; nested uses hand their files to the outer one."""
    outer = _written.get()
    written: list = []
    token = _written.set(written)
    try:
        yield
    except BaseException:
        for storage, name in written:
            with contextlib.suppress(OSError):
                storage.delete(name)
        raise
    finally:
        _written.reset(token)
    if outer is not None:
        outer.extend(written)


def store_upload(row, upload, *, filename: str, content_type: str) -> None:
    """Write `upload` as the file of a StoredFile row (not saved yet) and record its checked type.

    Callers pick names no concurrent request can pick at the same time (a locked case's folder, a
    random part in the name): a write that fails part-way (disk full) leaves a partial file that the
    storage does not remove, and it is removed here by that name."""
    field, storage = row.file.field, row.file.storage
    name = storage.get_available_name(field.generate_filename(row, filename), max_length=field.max_length)
    try:
        saved = storage.save(name, upload, max_length=field.max_length)
    except BaseException:
        with contextlib.suppress(OSError):
            if storage.exists(name):
                storage.delete(name)
        raise
    setattr(row, field.attname, saved)
    row.content_type = content_type
    written = _written.get()
    if written is not None:
        written.append((storage, saved))


# ---------------------------------------------------------------- serving


def _stored_type(stored) -> str:
    """The type kept with the file; files stored before types were kept are read again."""
    if stored.content_type:
        return stored.content_type
    with stored.file.open("rb") as handle:
        sniffed = sniff(handle.read(SNIFF_BYTES))
    for kind in KINDS.values():
        if kind.accepts(sniffed):
            return kind.stored_type(sniffed)
    return "application/octet-stream"


def download_name(name: str, content_type: str) -> str:
    """The display name, with an extension that says what the file is: a name whose extension does
    not fit the content gets the right one added (`x.html` holding text downloads as `x.html.txt`)."""
    name = name or "file"
    extension = os.path.splitext(name)[1].lower()
    kind = KINDS.get(extension)
    if kind is not None and kind.accepts(content_type) or (kind is not None and kind.stored == content_type):
        return name
    fitting = (next((ext for ext, k in KINDS.items() if k.stored == content_type), None)
               or mimetypes.guess_extension(content_type)
               or next((ext for ext, k in KINDS.items() if k.accepts(content_type)), None))
    return name + (fitting or ".bin")


def file_response(stored) -> FileResponse:
    """Serve a StoredFile row: always as a download named by its display name, with the stored,
    content-checked type, and headers that stop a browser from sniffing or running it."""
    try:
        content_type = _stored_type(stored)
        handle = stored.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=download_name(stored.name, content_type),
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SERVED_FILE_CSP
    return response
