"""Forms of the visit pages. The card form is built from the card itself: one "有变化" switch per
item and, behind it, an input per value, prefilled with the value as it stands."""

import uuid
from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangpin.core.errors import ServiceError
from fangpin.core.views import style_widgets

from ..choices import MAX_RISK_TYPES, DisasterSubtype, RiskType
from . import card as cards

BOOL_CHOICES = [("", _("不清楚")), ("true", _("是")), ("false", _("否"))]


class ServiceErrorsMixin:
    def add_service_error(self, error: ServiceError) -> None:
        self.add_error(error.field if error.field in self.fields else None, error.message)


def _input_for(spec: cards.CardField, initial):
    label = spec.label
    if spec.kind == cards.CHOICE:
        return forms.ChoiceField(label=label, required=False, choices=[("", "—"), *spec.choices], initial=initial)
    if spec.kind == cards.BOOL:
        choices = BOOL_CHOICES[1:] if spec.name in cards.NOT_NULL_BOOLEANS else BOOL_CHOICES
        shown = "" if initial is None else ("true" if initial else "false")
        return forms.ChoiceField(label=label, required=False, choices=choices, initial=shown)
    if spec.kind == cards.MONTHS:
        return forms.IntegerField(label=label, required=False, min_value=0, max_value=12, initial=initial)
    if spec.kind == cards.MONEY:
        return forms.DecimalField(label=label, required=False, min_value=0, max_digits=11, decimal_places=2,
                                  initial=initial or None)
    return forms.CharField(label=label, required=False, max_length=300, initial=initial)


@dataclass
class ItemBlock:
    """One item of the card as the page lays it out."""

    code: str
    label: str
    summary: str
    toggle: forms.BoundField
    household_fields: list
    members: list  # (name, [bound fields])


class VisitCardForm(ServiceErrorsMixin, forms.Form):
    visit_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    seconds_spent = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    sweep_item = forms.IntegerField(widget=forms.HiddenInput, required=False)
    all_unchanged = forms.BooleanField(widget=forms.HiddenInput, required=False)
    visited_on = forms.DateField(label=_("走访日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    risk_found = forms.BooleanField(label=_("发现风险"), required=False)
    risk_types = forms.MultipleChoiceField(label=_("风险类型"), required=False, choices=RiskType.choices,
                                           widget=forms.CheckboxSelectMultiple)
    disaster_subtype = forms.ChoiceField(label=_("灾害类型"), required=False,
                                         choices=[("", "—"), *DisasterSubtype.choices])
    note = forms.CharField(label=_("情况说明"), required=False, max_length=500,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, card: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.card = card
        self.initial.setdefault("visit_key", uuid.uuid4().hex)
        self.initial.setdefault("visited_on", timezone.localdate())
        for item in cards.ITEMS:
            values = card["items"][item.code]
            self.fields[f"changed_{item.code}"] = forms.BooleanField(label=_("有变化"), required=False)
            for spec in item.household_fields:
                self.fields[cards.field_key(item.code, spec.name)] = _input_for(spec, values[spec.name])
            for member_id, member_values in values.get("members", {}).items():
                for spec in item.member_fields:
                    self.fields[cards.field_key(item.code, spec.name, member_id)] = _input_for(
                        spec, member_values[spec.name])
        self.fields[cards.field_key("members", "member_note")].help_text = _(
            "出生、死亡、婚嫁、迁入迁出请记在这里，并在农户档案中办理成员增减。")
        style_widgets(self.fields)
        self.fields["risk_found"].widget.attrs["class"] = "form-check-input item-toggle"

    def blocks(self) -> list[ItemBlock]:
        blocks = []
        for item in cards.ITEMS:
            values = self.card["items"][item.code]
            members = [(member_values["name"],
                        [self[cards.field_key(item.code, spec.name, member_id)] for spec in item.member_fields])
                       for member_id, member_values in values.get("members", {}).items()]
            toggle = self[f"changed_{item.code}"]
            toggle.field.widget.attrs["class"] = "form-check-input item-toggle"
            blocks.append(ItemBlock(item.code, str(item.label), cards.summarise_item(item, values), toggle,
                                    [self[cards.field_key(item.code, spec.name)] for spec in item.household_fields],
                                    members))
        return blocks

    def clean(self):
        data = super().clean()
        if data.get("risk_found") and not data.get("all_unchanged"):
            risks = data.get("risk_types") or []
            if not risks:
                self.add_error("risk_types", _("请选择发现的风险类型。"))
            elif len(risks) > MAX_RISK_TYPES:
                self.add_error("risk_types", _("风险类型最多5种。"))
        return data

    def changes(self) -> dict:
        """What the visitor changed: for each item switched to "有变化", its submitted values (the
        service keeps only those that differ from the card)."""
        data = self.cleaned_data
        if data.get("all_unchanged"):
            return {}
        changes = {}
        for item in cards.ITEMS:
            if not data.get(f"changed_{item.code}"):
                continue
            values = {spec.name: _raw(data[cards.field_key(item.code, spec.name)]) for spec in item.household_fields}
            members = {}
            for member_id in self.card["items"][item.code].get("members", {}):
                members[member_id] = {spec.name: _raw(data[cards.field_key(item.code, spec.name, member_id)])
                                      for spec in item.member_fields}
            if members:
                values["members"] = members
            changes[item.code] = values
        return changes

    def risks(self) -> list[str]:
        data = self.cleaned_data
        if data.get("all_unchanged") or not data.get("risk_found"):
            return []
        return list(data.get("risk_types") or [])


def _raw(value):
    return "" if value is None else value


class VisitPolicyForm(ServiceErrorsMixin, forms.Form):
    effective_from = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    warning_interval_days = forms.IntegerField(label=_("预警（红）走访间隔天数"), min_value=1, max_value=366)
    key_interval_days = forms.IntegerField(label=_("重点（黄）走访间隔天数"), min_value=1, max_value=366)
    general_interval_days = forms.IntegerField(label=_("一般（绿）走访间隔天数"), min_value=1, max_value=366)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self.fields)
