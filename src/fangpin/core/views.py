"""Web plumbing shared by every app: area-scoped views and permission by name."""

from collections import defaultdict
from dataclasses import dataclass

import django_filters
from django import forms
from django.apps import apps
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import models
from django.db.models import Q
from django.shortcuts import redirect
from django.utils.translation import gettext, gettext_lazy as _
from django.views.generic import ListView, TemplateView

from .masking import mask_id_number, mask_phone
from .models import AccessLog, ChangeLog
from .roles import Perm, Role


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


class ChangeLogFilter(django_filters.FilterSet):
    object_type = django_filters.ChoiceFilter(label=_("对象类型"), empty_label=_("全部"), choices=[])
    action = django_filters.ChoiceFilter(label=_("操作"), choices=ChangeLog.Action.choices, empty_label=_("全部"))
    actor = django_filters.CharFilter(label=_("操作人"), method="filter_actor")
    since = django_filters.DateFilter(label=_("起始日期"), field_name="time", lookup_expr="date__gte",
                                      widget=forms.DateInput(attrs={"type": "date"}))
    until = django_filters.DateFilter(label=_("截止日期"), field_name="time", lookup_expr="date__lte",
                                      widget=forms.DateInput(attrs={"type": "date"}))
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


class ChangeLogView(AreaScopedMixin, ListView):
    model = ChangeLog
    required_perm = Perm.VIEW_CHANGE_LOG
    template_name = "core/change_log.html"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = ChangeLogFilter(self.request.GET or None, queryset=super().get_queryset())
        return self.filterset.qs.select_related("actor")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        describe_changes(context["page_obj"].object_list)
        query = self.request.GET.copy()
        query.pop("page", None)
        return {**context, "filter": self.filterset, "query": query.urlencode()}


# ---------------------------------------------------------------- change-log rows as people read them

MASKERS = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "reporter_id_number": mask_id_number,
    "reporter_phone": mask_phone,
}
EMPTY = "—"


@dataclass
class FieldChange:
    label: str
    before: str
    after: str


def describe_changes(entries) -> None:
    """Give each change-log row `.type_label` and `.changes`: field labels with the values before and
    after as a person reads them (choice labels, names of linked records, yes/no, masked ID numbers
    and phones). Linked records are fetched in one query per model for all rows together."""
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
    names = {model: {obj.pk: getattr(obj, "display_name", str(obj)) for obj in model._default_manager.filter(pk__in=ids)}
             for model, ids in wanted.items()}
    for entry in entries:
        model = _model(entry.object_type)
        entry.type_label = model._meta.verbose_name if model else entry.object_type
        rows = []
        for attname, before, after in entry.changed_fields():
            field = fields_of[entry.pk].get(attname)
            if entry.before is None and after in (None, "", False, 0, "0.00"):
                continue  # a new record: list what it holds, not every empty column
            rows.append(FieldChange(
                label=str(field.verbose_name) if field is not None else attname,
                before=_shown(field, attname, before, names),
                after=_shown(field, attname, after, names),
            ))
        entry.changes = rows


def _model(label: str):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _shown(field, attname: str, value, names) -> str:
    if value in (None, ""):
        return EMPTY
    if attname in MASKERS:
        return MASKERS[attname](str(value))
    if field is not None and field.is_relation:
        return str(names.get(field.related_model, {}).get(value, value))
    return display_value(field, value)


def display_value(field, value) -> str:
    """A stored value as a person reads it: choice labels, yes/no, names, a dash for nothing."""
    if value in (None, ""):
        return EMPTY
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if isinstance(value, models.Model):
        return str(getattr(value, "display_name", value))
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)
