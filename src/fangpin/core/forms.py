"""Form bases every app's pages share: Bootstrap classes on every widget, service errors shown next
to the field they name, fieldsets, parse-only model forms and the version an edit started from."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .errors import ServiceError
from .views import style_widgets


class StyledFormMixin:
    """Bootstrap classes on every widget, so that one template renders any of these forms, and
    service errors put next to the field they name."""

    fieldsets: list[tuple[str, list[str]]] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self.fields)

    def full_clean(self):
        super().full_clean()
        self._mark_invalid()

    def add_service_error(self, error: ServiceError) -> None:
        self.add_error(error.field if error.field in self.fields else None, error.message)
        self._mark_invalid()

    def _mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()

    def grouped_fields(self):
        """(title, bound fields) per fieldset; a form without fieldsets is one untitled group."""
        if not self.fieldsets:
            return [("", [field for field in self if not field.is_hidden])]
        return [(title, [self[name] for name in names]) for title, names in self.fieldsets]


class StyledForm(StyledFormMixin, forms.Form):
    """A plain form rendered like the model-backed ones."""


class ParsingModelForm(StyledFormMixin, forms.ModelForm):
    """Takes fields, labels and initial values from the model but only parses: the service
    validates the whole record and writes it, so the model instance is left untouched here."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                if field.empty_label is not None:
                    field.empty_label = _("（未指定）")
            elif isinstance(field, forms.ChoiceField) and field.choices and field.choices[0][0] == "":
                field.choices = [("", _("（未填写）")), *field.choices[1:]]

    def _post_clean(self):
        return None


class VersionedMixin(forms.Form):
    """The row version the person started from (services refuse stale ones) and why they edit."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("修改原因"), max_length=200, required=False,
                             help_text=_("选填，记入修改记录，例如“入户核实”"))
