"""Ledger pages: upload → preview (counts, every error, warnings) → merge; error sheet; export."""

import contextlib
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, FormView

from fangpin.core import uploads
from fangpin.core.audit import log_access, personal_data_unmask
from fangpin.core.errors import ServiceError
from fangpin.core.jobs import jobs_pending
from fangpin.core.models import AccessLog, Job
from fangpin.core.masking import ID_NUMBER, PHONE, mask, mask_text, may_unmask, personal_kind
from fangpin.core.roles import Perm
from fangpin.core.tabular import write_error_sheet
from fangpin.core.views import AreaScopedMixin, PermissionRequiredMixin, UnmaskReasonForm
from fangpin.regions.models import Level, Place
from fangpin.registry.models import Household, Income, Member

from .columns import BY_LABEL
from .models import LedgerImport
from .services import ledger_recover, ledger_stage
from .tasks import ledger_export_enqueue, ledger_merge_enqueue

ERRORS_PER_PAGE = 200
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("台账文件"),
                           help_text=gettext_lazy("Excel（.xlsx，读取第一个工作表）或 CSV（UTF-8 或 GBK 编码）"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv", "class": "form-control"}),
                           # size, type by content and, for .xlsx, the expanded size and rows: before it is stored
                           validators=[uploads.form_validator(uploads.TABLES)])


def _store_upload(upload) -> Path:
    """Keep the uploaded file under the data dir: it is the staged data the merge reads again."""
    folder = Path(settings.MEDIA_ROOT) / "ledger" / f"{timezone.localdate():%Y%m%d}-{uuid.uuid4().hex[:12]}"
    folder.mkdir(parents=True, exist_ok=True)
    name = get_valid_filename(Path(upload.name).name) or f"ledger{Path(upload.name).suffix.lower()}"
    path = folder / name
    with open(path, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return path


def _discard_unstaged(path: Path) -> None:
    """Delete a stored upload that no import refers to (staging refused it), and its folder."""
    if LedgerImport.objects.unrestricted().filter(file_path=str(path.resolve())).exists():
        return
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()


class LedgerUploadView(PermissionRequiredMixin, FormView):
    required_perm = Perm.IMPORT_LEDGER
    form_class = UploadForm
    upload_policy = uploads.TABLES
    template_name = "registry/ledger/upload.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["imports"] = list(LedgerImport.objects.restrict(self.request.user, self.required_perm)[:20])
        return context

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        path = _store_upload(upload)
        try:
            staged = ledger_stage(path, actor=self.request.user, original_name=upload.name)
        except ServiceError as exc:
            _discard_unstaged(path)
            form.add_error("file", exc.message)
            return self.form_invalid(form)
        return redirect("ledger-preview", pk=staged.pk)


class LedgerPreviewView(AreaScopedMixin, DetailView):
    required_perm = Perm.IMPORT_LEDGER
    model = LedgerImport
    template_name = "registry/ledger/preview.html"
    context_object_name = "ledger_import"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ledger_import, unmasked = self.object, kwargs.get("unmasked", False)
        context["errors_page"] = Paginator(ledger_import.errors or [], ERRORS_PER_PAGE).get_page(
            self.request.GET.get("page"))
        context["warnings_page"] = Paginator(ledger_import.warnings or [], ERRORS_PER_PAGE).get_page(
            self.request.GET.get("wpage"))
        for page in (context["errors_page"], context["warnings_page"]):
            page.object_list = shown_problems(page.object_list, unmasked=unmasked)
        context["can_unmask"] = may_unmask_import(self.request.user, ledger_import)
        context["unmasked"] = unmasked
        context.setdefault("unmask_form", UnmaskReasonForm())
        context["pending_jobs"] = [job for job in jobs_pending(self.request.user, Job.Kind.LEDGER_MERGE)
                                   if job.params.get("import") == ledger_import.pk]
        return context

    def post(self, request, *args, **kwargs):
        """Show the problems with full ID numbers and phones: the uploader who may see them, with a
        reason, written to the access log."""
        self.object = self.get_object()
        ledger_import = self.object
        if not may_unmask_import(request.user, ledger_import):
            raise DjangoPermissionDenied(Perm.UNMASK_ID_NUMBER.label)
        form = UnmaskReasonForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(object=ledger_import, unmask_form=form),
                                           status=400)
        personal_data_unmask(actor=request.user, kind=ID_NUMBER, value=None, reason=form.cleaned_data["reason"],
                             area_code=ledger_import.area_code or request.user.place.code,
                             target=f"{ledger_import._meta.label_lower}:{ledger_import.pk} {ledger_import.original_name}",
                             detail={"title": _("台账导入预览"), "import_id": ledger_import.pk})
        return self.render_to_response(self.get_context_data(object=ledger_import, unmasked=True,
                                                             unmask_reason=form.cleaned_data["reason"]))


class LedgerMergeView(AreaScopedMixin, View):
    """Queue the merge as a background job; its progress shows on the import's page."""

    required_perm = Perm.IMPORT_LEDGER
    model = LedgerImport

    def post(self, request, pk):
        ledger_import = get_object_or_404(self.get_queryset(), pk=pk)
        try:
            ledger_merge_enqueue(actor=request.user, ledger_import=ledger_import)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.info(request, _("导入已提交，在后台进行，本页显示进度。"))
        return redirect("ledger-preview", pk=pk)


class LedgerRecoverView(AreaScopedMixin, View):
    """An import shown as merging whose merge process died: asked explicitly (not by reading the
    page), the merge service ends it as interrupted when no merge of the county holds the lock."""

    required_perm = Perm.IMPORT_LEDGER
    model = LedgerImport

    def post(self, request, pk):
        ledger_import = ledger_recover(get_object_or_404(self.get_queryset(), pk=pk), actor=request.user)
        if ledger_import.status == LedgerImport.Status.MERGING:
            messages.info(request, _("导入仍在进行中，请稍后刷新页面。"))
        return redirect("ledger-preview", pk=pk)


class LedgerErrorsView(AreaScopedMixin, View):
    """The error list as an .xlsx sheet (row, column, value, reason), written to the access log as an
    export. ID numbers and phones are masked; the uploader who may see them gets them in full by
    posting a reason."""

    required_perm = Perm.IMPORT_LEDGER
    model = LedgerImport

    def get(self, request, pk):
        ledger_import = get_object_or_404(self.get_queryset(), pk=pk)
        log_access(actor=request.user, kind=AccessLog.Kind.EXPORT,
                   area_code=ledger_import.area_code or request.user.place.code, target=_error_sheet_target(ledger_import),
                   detail={"title": _("台账错误清单"), "import_id": ledger_import.pk,
                           "rows": ledger_import.error_count, "unmasked": False})
        return self._sheet(ledger_import, unmasked=False)

    def post(self, request, pk):
        ledger_import = get_object_or_404(self.get_queryset(), pk=pk)
        if not may_unmask_import(request.user, ledger_import):
            raise DjangoPermissionDenied(Perm.UNMASK_ID_NUMBER.label)
        form = UnmaskReasonForm(request.POST)
        if not form.is_valid():
            return HttpResponse(form.errors["reason"][0], status=400, content_type="text/plain; charset=utf-8")
        personal_data_unmask(actor=request.user, kind=ID_NUMBER, value=None, reason=form.cleaned_data["reason"],
                             area_code=ledger_import.area_code or request.user.place.code,
                             target=_error_sheet_target(ledger_import), log_kind=AccessLog.Kind.EXPORT,
                             detail={"title": _("台账错误清单"), "import_id": ledger_import.pk,
                                     "rows": ledger_import.error_count})
        return self._sheet(ledger_import, unmasked=True)

    def _sheet(self, ledger_import, *, unmasked: bool):
        response = HttpResponse(content_type=XLSX_TYPE)
        stem = Path(ledger_import.original_name).stem or "ledger"
        response["Content-Disposition"] = _attachment(f"{stem}.errors.xlsx")
        write_error_sheet(shown_problems(ledger_import.errors or [], unmasked=unmasked), response)
        return response


def _error_sheet_target(ledger_import) -> str:
    return f"{ledger_import._meta.label_lower}:{ledger_import.pk} {ledger_import.original_name} errors.xlsx"


# ---------------------------------------------------------------- personal data in problem lists

_COLUMN_MODELS = {"household": Household, "member": Member, "income": Income}


def column_kind(label: str) -> str | None:
    """The kind of personal data a ledger column holds, read from the model field it fills."""
    column = BY_LABEL.get(label)
    if column is None or not column.field:
        return None
    try:
        return personal_kind(_COLUMN_MODELS[column.model]._meta.get_field(column.field))
    except (KeyError, FieldDoesNotExist):
        return None


def shown_problems(problems, *, unmasked: bool) -> list[dict]:
    """Problems as the page and the error sheet show them: the value of a personal column masked by
    its kind, and ID numbers and phones quoted in the reason masked too, unless unmasked."""
    if unmasked:
        return list(problems)
    shown = []
    for problem in problems:
        kind = column_kind(problem.get("column", ""))
        value = problem.get("value", "")
        shown.append({**problem, "value": mask(kind, value) if kind else mask_text(value),
                      "reason": mask_text(problem.get("reason", ""))})
    return shown


def may_unmask_import(user, ledger_import) -> bool:
    """Full values in an import's problem lists: only for the person who uploaded the file (they hold
    it anyway), and only if their role may see ID numbers and phones in full."""
    return (ledger_import.uploaded_by_id == user.pk and may_unmask(user, ID_NUMBER) and may_unmask(user, PHONE))


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=\"ledger.xlsx\"; filename*=UTF-8''{quote(filename)}"


class ExportForm(forms.Form):
    place = forms.ModelChoiceField(label=gettext_lazy("区划"), queryset=Place.objects.none(), required=False,
                                   empty_label=gettext_lazy("本辖区全部"),
                                   widget=forms.Select(attrs={"class": "form-select"}))
    year = forms.IntegerField(label=gettext_lazy("收支年度"), required=False, min_value=2014,
                              help_text=gettext_lazy("留空：每户最近一年的收支"),
                              widget=forms.NumberInput(attrs={"class": "form-control"}))
    format = forms.ChoiceField(label=gettext_lazy("格式"), choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV (UTF-8)")],
                               widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = Place.objects.restrict(user).filter(
            level__in=[Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE])


class LedgerExportView(PermissionRequiredMixin, FormView):
    """GET shows the form and the user's exports still running; POST queues the export as a
    background job, whose page offers the file to the person who asked for it."""

    required_perm = Perm.EXPORT_LEDGER
    form_class = ExportForm
    template_name = "registry/ledger/export.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs),
                "pending_jobs": jobs_pending(self.request.user, Job.Kind.LEDGER_EXPORT)}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            job = ledger_export_enqueue(actor=self.request.user, place=data["place"], year=data["year"],
                                        file_format=data["format"])
        except ServiceError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        messages.info(self.request, _("导出已提交，在后台进行；完成后在本页下载文件。"))
        return redirect("job-detail", pk=job.pk)
