"""Web plumbing shared by every app: area-scoped views and permission by name."""

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import quote

import django_filters
from django import forms
from django.apps import apps
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _
from django.views import View
from django.views.generic import ListView, TemplateView

from fangpin.regions.models import Place

from .audit import log_access, personal_data_unmask
from .errors import MissingPermission
from .masking import ID_NUMBER, PHONE, UNMASK_PERMS, mask, personal_kind, personal_models
from .models import AccessLog, ChangeLog
from .roles import Perm, Role
from .scoping import unrestricted_rows

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def style_widgets(fields) -> None:
    """Bootstrap classes on form widgets, so templates can render any form field by field."""
    for field in fields.values():
        widget = field.widget
        if isinstance(widget, (forms.HiddenInput, forms.RadioSelect)):
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
        if isinstance(field, (forms.IntegerField, forms.DecimalField)):
            widget.attrs.setdefault("inputmode", "decimal" if isinstance(field, forms.DecimalField) else "numeric")


class PermissionRequiredMixin(LoginRequiredMixin):
    """The view names `required_perm`; the user's role must hold it (403 names what is missing)."""

    required_perm: str = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm_named(self.required_perm):
            raise DjangoPermissionDenied(Perm(self.required_perm).label)
        return super().dispatch(request, *args, **kwargs)


class AreaScopedMixin(PermissionRequiredMixin):
    """List and detail views read `model.objects.restrict(user, perm)`; objects outside the area 404."""

    model = None

    def get_queryset(self):
        return self.model.objects.restrict(self.request.user, self.required_perm)


def query_without_page(request) -> str:
    """The request's query string without `page`: what a pager's links add their page number to."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def page_of(request, rows, per_page: int) -> tuple[Page, str]:
    """The page of `rows` that `?page=` asks for (the last one when it asks too far), and the query string
    that keeps the list's filters on the pager's links."""
    return Paginator(rows, per_page).get_page(request.GET.get("page")), query_without_page(request)


# ---------------------------------------------------------------- pages


class HomeView(LoginRequiredMixin, TemplateView):
    """Sends each person to the page their role starts from; a role that can see nothing yet is
    told so instead of meeting a 403."""

    template_name = "core/no_access.html"
    field_roles = {Role.HELPER, Role.GRID_WORKER, Role.VILLAGE_CADRE}  # their day starts at the to-do list

    def get(self, request, *args, **kwargs):
        if request.user.role in self.field_roles and request.user.has_perm_named(Perm.RECORD_VISIT):
            return redirect("todo")
        if request.user.has_perm_named(Perm.VIEW_REGISTRY):
            return redirect("household-list")
        return super().get(request, *args, **kwargs)


def day_range_filters(field_name: str) -> tuple[django_filters.DateFilter, django_filters.DateFilter]:
    """"From" and "until" filters on the day of a date-time field, each shown as a date picker."""
    return tuple(django_filters.DateFilter(label=label, field_name=field_name, lookup_expr=lookup,
                                           widget=forms.DateInput(attrs={"type": "date"}))
                 for label, lookup in ((_("起始日期"), "date__gte"), (_("截止日期"), "date__lte")))


class ChangeLogFilter(django_filters.FilterSet):
    object_type = django_filters.ChoiceFilter(label=_("对象类型"), empty_label=_("全部"), choices=[])
    action = django_filters.ChoiceFilter(label=_("操作"), choices=ChangeLog.Action.choices, empty_label=_("全部"))
    actor = django_filters.CharFilter(label=_("操作人"), method="filter_actor")
    since, until = day_range_filters("time")
    household = django_filters.NumberFilter(field_name="household_id", widget=forms.HiddenInput)

    class Meta:
        model = ChangeLog
        fields = ["object_type", "action", "actor", "since", "until", "household"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["object_type"].choices = logged_model_choices()
        style_widgets(self.form.fields)

    def filter_actor(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(actor__username__icontains=value) | Q(actor__first_name__icontains=value))


def logged_model_choices() -> list[tuple[str, str]]:
    """Models whose rows belong to a place, and so are written to the change log."""
    audit_models = {ChangeLog, AccessLog}
    return [(m._meta.label_lower, m._meta.verbose_name) for m in apps.get_models()
            if hasattr(m, "area_field") and m not in audit_models]


class LogListView(AreaScopedMixin, ListView):
    """A log of the user's area (changes, access to personal data), filtered by `filterset_class` and paged;
    a subclass puts the entries on the page into words in its `describe(entries)`."""

    filterset_class: type[django_filters.FilterSet] = None
    paginate_by = 50

    def filterset_kwargs(self) -> dict:
        return {}

    def get_queryset(self):
        self.filterset = self.filterset_class(self.request.GET or None, queryset=super().get_queryset(),
                                              **self.filterset_kwargs())
        return self.filterset.qs.select_related("actor")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        self.describe(context["page_obj"].object_list)
        return {**context, "filter": self.filterset, "query": query_without_page(self.request)}


class ChangeLogView(LogListView):
    model = ChangeLog
    required_perm = Perm.VIEW_CHANGE_LOG
    template_name = "core/change_log.html"
    filterset_class = ChangeLogFilter

    def describe(self, entries) -> None:
        describe_changes(entries)


class UnmaskReasonForm(forms.Form):
    """Why someone asks to see a personal value in full; the reason goes to the access log."""

    reason = forms.CharField(label=_("查看原因"), max_length=200, strip=True,
                             error_messages={"required": _("请填写查看完整信息的原因。"),
                                             "max_length": _("查看原因不能超过200个字。")})


def unmask_response(request, *, kind: str, value: str, area_code: str, target: str, detail: dict,
                    hidden: dict):
    """The answer to a "显示" form: the value in full when the request gives a reason and the user
    holds the permission for its kind (written to the access log), else the form again with the
    error in place — htmx swaps only successful answers, so a refusal comes back as 200 to htmx.
    `hidden` are the form's own fields (`field`, and `side` or `member`: which value of which row), sent
    back unchanged."""
    if not request.user.has_perm_named(UNMASK_PERMS[kind]):
        raise DjangoPermissionDenied(Perm(UNMASK_PERMS[kind]).label)
    form = UnmaskReasonForm(request.POST)
    if not form.is_valid():
        return render(request, "core/_unmask_form.html", {
            "error": form.errors["reason"][0], "url": request.path, **hidden,
            "masked": mask(kind, value)}, status=200 if request.htmx else 400)
    try:
        shown = personal_data_unmask(actor=request.user, kind=kind, value=value, area_code=area_code,
                                     target=target, reason=form.cleaned_data["reason"], detail=detail)
    except MissingPermission as exc:
        raise DjangoPermissionDenied(exc.message) from None
    return render(request, "core/_unmasked.html", {"value": shown})


class ChangeValueUnmaskView(AreaScopedMixin, View):
    """One personal value of a change-log row in full, for a role that holds the permission for
    its kind, with a reason; written to the access log. Everything else about the row stays as the
    history shows it."""

    model = ChangeLog
    required_perm = Perm.VIEW_CHANGE_LOG
    http_method_names = ["post"]

    def post(self, request, pk):
        entry = get_object_or_404(self.get_queryset(), pk=pk)
        attname, side = request.POST.get("field", ""), request.POST.get("side", "")
        model = _model(entry.object_type)
        field = {f.attname: f for f in model._meta.concrete_fields}.get(attname) if model else None
        kind = personal_kind(field)
        value = changed_value(entry, attname, side) if side in ("before", "after") else None
        if not kind or value in (None, ""):
            raise Http404
        return unmask_response(
            request, kind=kind, value=str(value), area_code=entry.area_code,
            target=f"{entry.object_type}:{entry.object_id} {entry.object_repr}",
            detail={"field": attname, "change_log_id": entry.pk, "household_id": entry.household_id},
            hidden={"field": attname, "side": side})


# ---------------------------------------------------------------- change-log rows as people read them

EMPTY = "—"


@dataclass
class FieldChange:
    label: str
    before: str
    after: str
    attname: str = ""
    # The permission that shows this field's values in full: set for fields holding personal data.
    unmask_perm: str = ""


def describe_changes(entries) -> None:
    """Give each change-log row `.type_label` and `.changes`: field labels with the values before and
    after as a person reads them (choice labels, names of linked records, yes/no). Values of fields
    that hold personal data (see `core.masking.personal_kind`) are masked; they are shown in full
    only through `ChangeValueUnmaskView`, which asks for a reason and logs the reading. Linked
    records are fetched in one query per model for all rows together."""
    entries = list(entries)
    fields_of = {}
    wanted: dict[type, set] = defaultdict(set)
    for entry in entries:
        model = _model(entry.object_type)
        fields_of[entry.pk] = {f.attname: f for f in model._meta.concrete_fields} if model else {}
        for attname, before, after in entry.changed_fields():
            field = fields_of[entry.pk].get(attname)
            if field is not None and field.is_relation:
                wanted[field.related_model].update(v for v in (before, after) if v is not None)
    names = {model: {obj.pk: getattr(obj, "display_name", str(obj)) for obj in unrestricted_rows(model).filter(pk__in=ids)}
             for model, ids in wanted.items()}
    for entry in entries:
        model = _model(entry.object_type)
        entry.type_label = model._meta.verbose_name if model else entry.object_type
        rows = []
        for attname, before, after in entry.changed_fields():
            field = fields_of[entry.pk].get(attname)
            if entry.before is None and after in (None, "", False, 0, "0.00"):
                continue  # a new record: list what it holds, not every empty column
            kind = personal_kind(field)
            rows.append(FieldChange(
                label=str(field.verbose_name) if field is not None else attname,
                before=_shown(field, before, names),
                after=_shown(field, after, names),
                attname=attname,
                unmask_perm=UNMASK_PERMS[kind] if kind else "",
            ))
        entry.changes = rows


def changed_value(entry: ChangeLog, attname: str, side: str):
    """The stored value of one field of a change-log row, before or after the change."""
    values = (entry.before if side == "before" else entry.after) or {}
    return values.get(attname)


def _model(label: str):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _shown(field, value, names) -> str:
    if value in (None, ""):
        return EMPTY
    kind = personal_kind(field)
    if kind:
        return mask(kind, value)
    if field is not None and field.is_relation:
        return str(names.get(field.related_model, {}).get(value, value))
    return display_value(field, value)


def display_value(field, value) -> str:
    """A stored value as a person reads it: choice labels, yes/no, names, a dash for nothing, and
    personal data masked (a page shows it in full only through a logged unmask)."""
    if value in (None, ""):
        return EMPTY
    kind = personal_kind(field)
    if kind:
        return mask(kind, value)
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if isinstance(value, models.Model):
        return str(getattr(value, "display_name", value))
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


# ---------------------------------------------------------------- the access log


class AccessLogFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(label=_("查看人"), method="filter_actor")
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=AccessLog.Kind.choices, empty_label=_("全部"))
    household = django_filters.CharFilter(label=_("农户（户编号）"), method="filter_household")
    since, until = day_range_filters("time")

    class Meta:
        model = AccessLog
        fields = ["actor", "kind", "household", "since", "until"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        style_widgets(self.form.fields)

    def filter_actor(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(actor__username__icontains=value) | Q(actor__first_name__icontains=value))

    def filter_household(self, queryset, name, value):
        """Rows about a household of the user's area, named by its number: readings of its members
        and phone on pages, in histories and through the API."""
        # Looked up by label: the registry builds on core, so core does not import it.
        Household, Member = apps.get_model("registry", "Household"), apps.get_model("registry", "Member")
        value = value.strip()
        households = Household.objects.restrict(self.user, Perm.VIEW_REGISTRY)
        ids = list(households.filter(number=value).values_list("pk", flat=True))
        member_ids = list(Member.objects.unrestricted().filter(household_id__in=ids).values_list("pk", flat=True))
        about = Q(detail__household_id__in=ids)
        for pk in ids:
            about |= Q(target__startswith=f"registry.household:{pk} ") | Q(target__startswith=f"/api/households/{pk}/")
        for pk in member_ids:
            about |= Q(target__startswith=f"registry.member:{pk} ") | Q(target__startswith=f"/api/members/{pk}/")
        return queryset.filter(about) if ids else queryset.none()


def describe_access(entries) -> None:
    """Give each access-log row what a person reads: the place's name, the household's number,
    what was read (ID number, phone, an export) and why."""
    Household = apps.get_model("registry", "Household")  # by label: the registry builds on core
    entries = list(entries)
    codes = {e.area_code for e in entries}
    # Names for rows the access log's restricted list already chose.
    place_names = dict(Place.objects.unrestricted().filter(code__in=codes).values_list("code", "name"))
    household_ids = {e.detail.get("household_id") for e in entries if isinstance(e.detail, dict)} - {None}
    numbers = dict(Household.objects.unrestricted().filter(pk__in=household_ids).values_list("pk", "number"))
    kind_words = {ID_NUMBER: gettext("证件号码"), PHONE: gettext("电话号码")}
    personal_attnames = {attname: kind for fields in personal_models().values() for attname, kind in fields.items()}
    for entry in entries:
        detail = entry.detail if isinstance(entry.detail, dict) else {}
        entry.place_name = place_names.get(entry.area_code, "")
        entry.household_id = detail.get("household_id")
        entry.household_number = numbers.get(entry.household_id, "")
        names = [detail.get("field")] if detail.get("field") else list(detail.get("fields") or [])
        kinds = {detail.get("kind")} | {personal_attnames.get(name) for name in names}
        entry.what = "、".join(kind_words[k] for k in (ID_NUMBER, PHONE) if k in kinds)
        if entry.kind == AccessLog.Kind.EXPORT:
            entry.what = "、".join(filter(None, [str(detail.get("title") or gettext("导出文件")), entry.what]))
        entry.reason = detail.get("reason", "")
        entry.rows = detail.get("rows")
        entry.target_words = _target_words(entry.target)


def _target_words(target: str) -> str:
    """"registry.member:12 张三" as people read it: "家庭成员 张三"; other targets (an API address,
    a file's title) as they are."""
    label, separator, rest = target.partition(":")
    model = _model(label) if separator and "." in label and "/" not in label else None
    if model is None:
        return target
    _pk, _space, name = rest.partition(" ")
    return f"{model._meta.verbose_name} {name}".strip()


class AccessLogView(LogListView):
    """Who saw personal data in full or exported it, in the user's area: county admin and auditor."""

    model = AccessLog
    required_perm = Perm.VIEW_ACCESS_LOG
    template_name = "core/access_log.html"
    filterset_class = AccessLogFilter

    def filterset_kwargs(self) -> dict:
        return {"user": self.request.user}

    def describe(self, entries) -> None:
        describe_access(entries)


class AccessLogExportView(AccessLogView):
    """The filtered access log as an .xlsx sheet. Exporting it is itself written to the log."""

    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        entries = list(self.get_queryset())
        describe_access(entries)
        response = HttpResponse(content_type=XLSX_TYPE)
        filename = f"敏感信息访问记录-{timezone.localdate():%Y%m%d}.xlsx"
        response["Content-Disposition"] = f"attachment; filename=\"access-log.xlsx\"; filename*=UTF-8''{quote(filename)}"
        write_access_sheet(entries, response)
        log_access(actor=request.user, kind=AccessLog.Kind.EXPORT, area_code=request.user.place.code,
                   target=gettext("敏感信息访问记录"),
                   detail={"title": gettext("敏感信息访问记录"), "rows": len(entries),
                           "filters": {k: v for k, v in request.GET.items() if v}})
        return response


def write_access_sheet(entries, out) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = workbook.add_worksheet(gettext("敏感信息访问记录"))
    bold = workbook.add_format({"bold": True})
    sheet.write_row(0, 0, [gettext("时间"), gettext("查看人"), gettext("账号"), gettext("类型"), gettext("区划"),
                           gettext("区划代码"), gettext("对象"), gettext("户编号"), gettext("内容"),
                           gettext("原因"), gettext("行数"), gettext("请求编号")], bold)
    for column, width in enumerate((17, 12, 14, 12, 14, 14, 40, 16, 18, 30, 8, 34)):
        sheet.set_column(column, column, width)
    for index, entry in enumerate(entries, start=1):
        sheet.write_row(index, 0, [
            timezone.localtime(entry.time).strftime("%Y-%m-%d %H:%M"), entry.actor.display_name,
            entry.actor.username, entry.get_kind_display(), entry.place_name, entry.area_code, entry.target_words,
            entry.household_number, entry.what, entry.reason, "" if entry.rows is None else entry.rows,
            entry.request_id])
    workbook.close()
