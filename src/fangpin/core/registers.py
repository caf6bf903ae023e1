"""Declarative registers: a register is declared once and served as pages, API and export.

A declaration (a subclass of `Register`) names the model, its django-filter filter set, the table
columns, the form, the service verbs that write and the permissions. From it come:

- the list page: rows read through `Model.objects.restrict(user, view_perm)`, narrowed by the filter
  set, paginated, with the declared columns;
- the detail page: declared facts, sections of related rows and a notice;
- the create and update form: the form parses, the declared service verb checks and writes;
- the API viewset: reads the same restricted rows through the same filter set, as JSON; creates
  (POST) and changes (PUT, PATCH) rows through the same form and service verbs as the form page,
  under the same permission and area rules, so a row is never written by a second code path;
- the .xlsx export: the same filtered rows and columns, logged in the access log.

The page routes come from `register.urlpatterns()` and the viewset from `register.viewset()`. Editing
is for the area a row belongs to (rows of a county or township serve the villages under them, but
only their own area changes them).
"""

from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import quote

import django_filters
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from .api import AreaScopedViewSet, error_responses, field_error_code
from .audit import log_access
from .errors import CoreErrorCode, ServiceError, ValidationFailed
from .models import AccessLog
from .views import XLSX_TYPE, AreaScopedMixin, PermissionRequiredMixin, display_value, page_of, style_widgets

PAGE_SIZE = 30


@dataclass(frozen=True)
class Column:
    """One column of a register's table: its heading and what a row shows in it (page and export):
    a function of the row, or a dotted attribute path (a method at its end is called)."""

    label: Any
    source: Callable[[Any], Any] | str

    def value(self, obj):
        if callable(self.source):
            return self.source(obj)
        for part in self.source.split("."):
            obj = getattr(obj, part)
        return obj() if callable(obj) else obj


def columns(*pairs) -> tuple[Column, ...]:
    """Columns from (label, source) pairs."""
    return tuple(Column(label, source) for label, source in pairs)


@dataclass
class Row:
    url: str
    cells: list
    muted: bool = False


@dataclass
class Section:
    """A table of related rows on a detail page, with an optional button to add one."""

    title: str
    headers: list
    rows: list
    add_url: str = ""
    add_label: str = ""
    empty: str = field(default_factory=lambda: gettext("暂无记录。"))


def fact(obj, name: str, value=None) -> tuple[str, str]:
    """(label, value) of one model field for a detail page; `value` overrides how it is shown."""
    model_field = obj._meta.get_field(name)
    shown = value if value is not None else display_value(model_field, getattr(obj, name))
    return str(model_field.verbose_name), shown


class RegisterFilter(django_filters.FilterSet):
    """A register's one filter set, shared by its page, API and export: `q` searches the declared
    text fields; a register adds its own filters."""

    search_fields: tuple[str, ...] = ()
    q = django_filters.CharFilter(label=_("搜索"), method="search")

    def search(self, queryset, name, value):
        text = value.strip()
        if not text or not self.search_fields:
            return queryset
        condition = Q()
        for field_name in self.search_fields:
            condition |= Q(**{f"{field_name}__icontains": text})
        return queryset.filter(condition)

    @property
    def form(self):
        if not hasattr(self, "_form"):
            style_widgets(super().form.fields)
        return self._form


def in_place(queryset, field_name: str, code: str):
    """Rows whose place lies in the place of `code` (a county, township or village code)."""
    code = code.strip()
    if not code.isdigit():
        return queryset.none()
    prefix = code.rstrip("0") or code
    keep = next(n for n in (6, 9, 12, 15) if n >= len(prefix) or n == 15)
    return queryset.filter(**{f"{field_name}__startswith": code[:keep]})


def cell_text(value) -> str:
    """A table cell as text for a sheet: dates in ISO form, nothing as empty."""
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class Register:
    """A register's declaration. Subclass it, set the attributes, and override the hooks where a
    register shows or writes more than its columns and form say."""

    model = None
    name = ""  # route names are "<namespace>:<name>-list", "-detail", "-new", "-edit", "-export"
    namespace = ""
    title = ""  # the list page's title, and the way back from its detail and form pages
    intro = ""
    new_label = _("新增")
    title_new = ""
    title_edit = ""
    home_url_name = ""  # the menu the list page leads back to
    home_label = ""
    filterset_class = None
    columns: tuple[Column, ...] = ()
    select_related: tuple[str, ...] = ()
    view_perm = ""
    manage_perm = ""
    form_class = None
    edit_fields: tuple[str, ...] = ()  # what an edit form starts from
    add_verb = None  # the service function that creates a row: add_verb(actor=..., **form data)
    update_verb = None  # the service function that changes one: update_verb(actor=..., <row_argument>=row, ...)
    row_argument = ""
    new_initial: dict = {}  # field -> value, or a callable giving it, that a new row's form starts with
    current = None  # a callable giving the Q of rows still running (counted in menus; the others shown muted)
    api_fields: tuple[str, ...] = ()
    api_extra: dict = {}  # name -> a callable making the read-only serializer field computed from the row
    form_view: type = None  # RegisterFormView or a subclass that knows more of the request

    # ------------------------------------------------------------ reading

    def url(self, page: str, *args) -> str:
        """The address of one of this register's pages: list, detail, new, edit or export."""
        return self.route(f"{self.name}-{page}", *args)

    def route(self, name: str, *args) -> str:
        """The address of a page in the register's namespace (the pages of its related rows)."""
        return reverse(f"{self.namespace}:{name}", args=args)

    def queryset(self, queryset):
        """The restricted rows with what the columns need loaded (one query per page, not per row)."""
        queryset = queryset.select_related(*self.select_related)
        if self.current is not None:
            queryset = queryset.annotate(running=ExpressionWrapper(self.current(), output_field=BooleanField()))
        return queryset

    def running(self, queryset):
        """The rows still running: all of them when the register does not say."""
        return queryset if self.current is None else queryset.filter(self.current())

    def rows_for(self, user):
        return self.queryset(self.model.objects.restrict(user, self.view_perm))

    def filtered(self, data, user):
        return self.filterset_class(data or None, queryset=self.rows_for(user)).qs

    def muted(self, obj) -> bool:
        return self.current is not None and not obj.running

    def row(self, obj) -> Row:
        return Row(self.url("detail", obj.pk), [column.value(obj) for column in self.columns], self.muted(obj))

    def facts(self, obj) -> list[tuple[str, str]]:
        return []

    def sections(self, obj, user) -> list[Section]:
        return []

    def notice(self, obj):
        return None

    def section(self, user, title, rows, headers, cells, *, edit_route="", add=("", ()), add_label="",
                muted=None) -> Section:
        """A table of related rows on a detail page: `rows` already restricted to the user's area,
        `cells(row)` what each shows; managers get an edit link per row and the add button when
        `add` (route name, arguments) names one."""
        can = user.has_perm_named(self.manage_perm)
        shown = [Row(self.route(edit_route, row.pk) if can and edit_route else "", cells(row),
                     bool(muted and muted(row))) for row in rows]
        add_route, add_args = add
        return Section(title, headers, shown, add_url=self.route(add_route, *add_args) if can and add_route else "",
                       add_label=add_label)

    # ------------------------------------------------------------ writing

    def may_manage(self, user, obj=None) -> bool:
        """The user holds the manage permission and, for a row, the row lies in their own area."""
        if not user.has_perm_named(self.manage_perm):
            return False
        return obj is None or obj.area_code.startswith(user.area_prefix)

    def form_kwargs(self, view) -> dict:
        return {"new": view.object is None}

    def initial_new(self, view) -> dict:
        return {name: value() if callable(value) else value for name, value in self.new_initial.items()}

    def add(self, form, view):
        return self.add_verb(actor=view.request.user, **form.service_fields())

    def update(self, form, view):
        return self.update_verb(actor=view.request.user, **{self.row_argument: view.object},
                                version=form.cleaned_data["version"], reason=form.cleaned_data["reason"],
                                **form.service_fields())

    # ------------------------------------------------------------ writing through the API

    @cached_property
    def form_view_class(self) -> type:
        return self.views()["form"]

    def form_page(self, request, pk=None):
        """The register's form page set up for `request` without serving it: the API writes through
        it, so the row of `pk` is looked up (and refused outside the user's own area), the form is
        built and the verb is called exactly as when the page is posted."""
        view = self.form_view_class()
        view.setup(request, **({"pk": pk} if pk is not None else {}))
        return view

    def api_write(self, request, pk=None, *, partial=False):
        """Create a row (no `pk`) or change the row of `pk` from an API request. The page's form
        parses the input, a PATCH starting from the row as the edit form does; a change must name
        the version it was read at. Unknown fields and refused input answer 400 naming the field,
        with nothing written; the declared verb checks, writes and logs the change."""
        view = self.form_page(request, pk)
        if pk is not None and view.object is not None and "version" not in request.data:
            raise ValidationFailed(CoreErrorCode.REQUIRED, gettext("版本号：请给出读取时得到的 version。"),
                                   field="version")
        sent = request.data
        if hasattr(sent, "lists"):
            sent = {key: values if len(values) > 1 else values[0] for key, values in sent.lists()}
        data = sent
        if partial:
            data = {**{key: value for key, value in view.get_initial().items() if key != "version"}, **sent}
        form = self.form_class(data=data, user=request.user, **self.form_kwargs(view))
        unknown = sorted(set(sent) - set(form.fields))
        if unknown:
            raise ValidationFailed(CoreErrorCode.UNKNOWN_FIELD, gettext("不认识这些字段：%(f)s") % {
                "f": ", ".join(unknown)}, field=unknown[0])
        if not form.is_valid():
            raise form_refusal(form)
        return self.add(form, view) if pk is None else self.update(form, view)

    def input_serializer(self, new: bool) -> type:
        """The API input of a create (`new`) or a change, for the schema: the fields of the page's
        form as it is built with no row or household in view, and for a change every declared edit
        field and the version the row was read at."""
        request = HttpRequest()
        request.user = AnonymousUser()
        form = self.form_class(user=request.user, **{**self.form_kwargs(self.form_page(request)), "new": new})
        fields = {name: input_field(form_field) for name, form_field in form.fields.items()}
        missing = [name for name in self.edit_fields if name not in fields] if not new else []
        if missing:
            meta = type("Meta", (), {"model": self.model, "fields": missing,
                                     "extra_kwargs": {name: {"required": False} for name in missing}})
            fields.update(type("Fields", (serializers.ModelSerializer,), {"Meta": meta})().get_fields())
        if not new:
            fields["version"] = serializers.IntegerField(
                min_value=1, label=_("版本号"), help_text=_("读取时得到的 version（必填）；记录已被他人修改时返回 409"))
        kind = f"{type(self).__name__}{'Create' if new else 'Update'}Input"
        return type(kind, (serializers.Serializer,), fields)

    # ------------------------------------------------------------ serving

    def views(self) -> dict[str, type]:
        """A view class per page, each naming the model, filter set and form for the route walk."""
        attrs = {"register": self, "model": self.model, "required_perm": self.view_perm,
                 "filterset_class": self.filterset_class}
        kind = type(self).__name__
        return {
            "list": type(f"{kind}ListView", (RegisterListView,), attrs),
            "detail": type(f"{kind}DetailView", (RegisterDetailView,), attrs),
            "export": type(f"{kind}ExportView", (RegisterExportView,), attrs),
            "form": type(f"{kind}FormView", (self.form_view or RegisterFormView,), {
                **attrs, "required_perm": self.manage_perm, "form_class": self.form_class,
                "back_label": self.title}),
        }

    def urlpatterns(self, prefix: str) -> list:
        views = self.views()
        return [
            path(f"{prefix}/", views["list"].as_view(), name=f"{self.name}-list"),
            path(f"{prefix}/export/", views["export"].as_view(), name=f"{self.name}-export"),
            path(f"{prefix}/new/", views["form"].as_view(), name=f"{self.name}-new"),
            path(f"{prefix}/<int:pk>/", views["detail"].as_view(), name=f"{self.name}-detail"),
            path(f"{prefix}/<int:pk>/edit/", views["form"].as_view(), name=f"{self.name}-edit"),
        ]

    def serializer_class(self) -> type:
        meta = type("Meta", (), {"model": self.model, "fields": ["id", *self.api_fields, *self.api_extra],
                                 "read_only_fields": ["id", *self.api_fields, *self.api_extra]})
        return type(f"{type(self).__name__}Serializer", (serializers.ModelSerializer,),
                    {"Meta": meta, **{name: make() for name, make in self.api_extra.items()}})

    def viewset(self) -> type:
        register, read = self, self.serializer_class()
        attrs = {
            "model": self.model, "required_perm": self.view_perm, "filterset_class": self.filterset_class,
            "serializer_class": read,
            "refine_queryset": lambda view, queryset: register.queryset(queryset),
            "__doc__": f"{self.model._meta.verbose_name}: rows in the caller's area, filtered like the page; "
                       f"written through the form and service verbs of its form page.",
        }

        def answer(view, row, status_code):
            return Response(read(view.get_queryset().get(pk=row.pk), context=view.get_serializer_context()).data,
                            status=status_code)

        docs = {"list": extend_schema(summary=str(self.title)),
                "retrieve": extend_schema(summary=str(self.model._meta.verbose_name))}
        if self.add_verb is not None:
            attrs["create"] = lambda view, request, *args, **kwargs: answer(
                view, register.api_write(request), status.HTTP_201_CREATED)
            docs["create"] = extend_schema(summary=str(self.title_new), request=self.input_serializer(True),
                                           responses={201: read, **error_responses(400, 403)})
        if self.update_verb is not None:
            def update(view, request, *args, partial=False, **kwargs):
                return answer(view, register.api_write(request, kwargs["pk"], partial=partial), status.HTTP_200_OK)

            attrs["update"] = update
            attrs["partial_update"] = lambda view, request, *args, **kwargs: update(view, request, partial=True,
                                                                                   **kwargs)
            changed = self.input_serializer(False)
            for action, how in (("update", gettext("（全部字段）")), ("partial_update", gettext("（只给出要改的字段）"))):
                docs[action] = extend_schema(summary=f"{self.title_edit}{how}", request=changed,
                                             responses={200: read, **error_responses(400, 403, 404, 409)})
        attrs["action_perms"] = {action: self.manage_perm for action in ("create", "update", "partial_update")}
        viewset = type(f"{type(self).__name__}ViewSet", (AreaScopedViewSet,), attrs)
        return extend_schema_view(**docs)(viewset)


def form_refusal(form) -> ValidationFailed:
    """The error for API input a register's form refused: the first field named, with its label
    for people and the code of its check; every field's messages in details."""
    errors = form.errors.as_data()
    name, (error, *_rest) = next(iter(errors.items()))
    field = None if name == forms.forms.NON_FIELD_ERRORS else name
    text = " ".join(error.messages)
    message = f"{form.fields[field].label or field}：{text}" if field else text
    return ValidationFailed(field_error_code(error), message, field=field,
                            details={key: [m for e in errs for m in e.messages] for key, errs in errors.items()})


def input_field(field: forms.Field) -> serializers.Field:
    """A form field described as an API input field (for the schema; the form itself parses)."""
    common = {"required": field.required, "label": field.label, "help_text": field.help_text or None}
    if isinstance(field, forms.ModelChoiceField):
        return serializers.PrimaryKeyRelatedField(queryset=field.queryset, allow_null=not field.required, **common)
    if isinstance(field, forms.MultipleChoiceField):
        return serializers.MultipleChoiceField(choices=field.choices, **common)
    if isinstance(field, forms.ChoiceField):
        return serializers.ChoiceField(choices=[c for c in field.choices if c[0] != ""], **common)
    if isinstance(field, forms.BooleanField):
        return serializers.BooleanField(**common)
    if isinstance(field, forms.DateField):
        return serializers.DateField(allow_null=not field.required, **common)
    if isinstance(field, forms.DecimalField):
        return serializers.DecimalField(field.max_digits, field.decimal_places, min_value=field.min_value,
                                        max_value=field.max_value, allow_null=not field.required, **common)
    if isinstance(field, forms.IntegerField):
        return serializers.IntegerField(min_value=field.min_value, max_value=field.max_value,
                                        allow_null=not field.required, **common)
    return serializers.CharField(max_length=getattr(field, "max_length", None), allow_blank=not field.required,
                                 **common)


class RegisterListView(AreaScopedMixin, TemplateView):
    """A register's list: restricted rows, filtered by the register's filter set, a page at a time."""

    register: Register = None
    template_name = "registers/list.html"

    def get_context_data(self, **kwargs):
        register, user = self.register, self.request.user
        filterset = register.filterset_class(self.request.GET or None, queryset=register.rows_for(user))
        page, query = page_of(self.request, filterset.qs, PAGE_SIZE)
        return {**super().get_context_data(**kwargs), "title": register.title, "intro": register.intro,
                "headers": [column.label for column in register.columns],
                "rows": [register.row(obj) for obj in page.object_list], "page_obj": page,
                "query": query, "filter": filterset,
                "home_url": reverse(register.home_url_name) if register.home_url_name else "",
                "home_label": register.home_label,
                "export_url": register.url("export") + (f"?{query}" if query else ""),
                "new_url": register.url("new") if register.may_manage(user) else "",
                "new_label": register.new_label}


class RegisterDetailView(AreaScopedMixin, TemplateView):
    register: Register = None
    template_name = "registers/detail.html"

    @cached_property
    def object(self):
        return get_object_or_404(self.register.rows_for(self.request.user), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        register, obj, user = self.register, self.object, self.request.user
        return {**super().get_context_data(**kwargs), "object": obj, "title": str(obj),
                "kind": obj._meta.verbose_name, "facts": register.facts(obj),
                "sections": register.sections(obj, user), "notice": register.notice(obj),
                "list_url": register.url("list"), "list_label": register.title,
                "edit_url": register.url("edit", obj.pk) if register.may_manage(user, obj) else ""}


class RegisterExportView(AreaScopedMixin, TemplateView):
    """The filtered rows as an .xlsx sheet with the page's columns; the export is logged."""

    register: Register = None
    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        import xlsxwriter

        register = self.register
        objects = list(register.filtered(request.GET, request.user))
        title = str(register.title)
        response = HttpResponse(content_type=XLSX_TYPE)
        filename = f"{title}-{timezone.localdate():%Y%m%d}.xlsx"
        response["Content-Disposition"] = (f"attachment; filename=\"{register.name}.xlsx\"; "
                                           f"filename*=UTF-8''{quote(filename)}")
        workbook = xlsxwriter.Workbook(response, {"in_memory": True})
        sheet = workbook.add_worksheet(title[:31])
        sheet.write_row(0, 0, [str(column.label) for column in register.columns], workbook.add_format({"bold": True}))
        sheet.set_column(0, len(register.columns) - 1, 18)
        for index, obj in enumerate(objects, start=1):
            sheet.write_row(index, 0, [cell_text(column.value(obj)) for column in register.columns])
        workbook.close()
        log_access(actor=request.user, kind=AccessLog.Kind.EXPORT, area_code=request.user.place.code,
                   target=title, detail={"title": title, "rows": len(objects),
                                         "filters": {k: v for k, v in request.GET.items() if v}})
        return response


class ServiceFormView(PermissionRequiredMixin, FormView):
    """A form page: the form parses, a service writes; a service error is shown by its field and
    the page answers 400 with nothing written. `model` names the row of `pk`, read through
    `restrict(user, required_perm)`; `perform(form)` calls the service."""

    template_name = "registers/form.html"
    model = None
    title = ""
    submit_label = _("保存")
    success_message = _("已保存。")
    back_label = _("返回")

    @cached_property
    def object(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(self.model.objects.restrict(self.request.user, self.required_perm),
                                 pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, **self.form_extra()}

    def form_extra(self) -> dict:
        return {}

    def perform(self, form):
        raise NotImplementedError(f"{type(self).__name__} names the service it calls")

    def form_valid(self, form):
        try:
            obj = self.perform(form)
        except ServiceError as error:
            form.add_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(self.success_url_for(obj))

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def back_url(self) -> str:
        raise NotImplementedError(f"{type(self).__name__} names the page it leads back to")

    def success_url_for(self, obj) -> str:
        return self.back_url()

    def subject(self) -> str:
        return str(self.object) if self.object is not None else ""

    def extra_context_data(self) -> dict:
        return {}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "title": self.title, "submit_label": self.submit_label,
                "back_url": self.back_url(), "back_label": self.back_label, "subject": self.subject(),
                **self.extra_context_data()}

    def initial_from(self, obj, names) -> dict:
        return {**{name: getattr(obj, name) for name in names}, "version": obj.version}


class RegisterFormView(ServiceFormView):
    """A register's create (no `pk`) and update form; the row edited must lie in the user's own area."""

    register: Register = None

    @cached_property
    def object(self):
        obj = super().object
        if obj is not None and not self.register.may_manage(self.request.user, obj):
            raise Http404
        return obj

    @property
    def title(self):
        return self.register.title_edit if self.object is not None else self.register.title_new

    def form_extra(self):
        return self.register.form_kwargs(self)

    def get_initial(self):
        if self.object is None:
            return self.register.initial_new(self)
        return self.initial_from(self.object, self.register.edit_fields)

    def perform(self, form):
        if self.object is None:
            return self.register.add(form, self)
        return self.register.update(form, self)

    def back_url(self):
        return self.register.url("list")

    def success_url_for(self, obj):
        return self.register.url("detail", obj.pk)


class RowFormView(ServiceFormView):
    """A form for a row that hangs under a register row (an employee of a workshop, a repayment of a
    loan), declared by its attributes: the row of `pk` is `model`'s; with `edit_fields` the form
    edits that row (version and reason go to the verb), without them it adds a row under it."""

    verb = None  # the service function called with actor=, <row_argument>=the row, and the form's data
    row_argument = ""
    edit_fields: tuple[str, ...] = ()
    new_initial: dict = {}  # field -> callable giving its starting value
    back_route = ""  # the page to return to, named with the pk of `back_row(row)`
    back_row = staticmethod(lambda row: row)
    subject_of = staticmethod(str)

    def get_initial(self):
        if self.edit_fields:
            return self.initial_from(self.object, self.edit_fields)
        return {name: make() for name, make in self.new_initial.items()}

    def verb_arguments(self, form) -> dict:
        return form.service_fields()

    def perform(self, form):
        arguments = {self.row_argument: self.object, **self.verb_arguments(form)}
        if self.edit_fields:
            arguments.update(version=form.cleaned_data["version"], reason=form.cleaned_data["reason"])
        return self.verb(actor=self.request.user, **arguments)

    def subject(self):
        return self.subject_of(self.object)

    def back_url(self):
        return reverse(self.back_route, args=[self.back_row(self.object).pk])
