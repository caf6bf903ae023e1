"""Forms of the case pages. They parse what people type and give each field its message; the services
in services.py check everything again and write."""

import json

import django_filters
from django import forms
from django.utils.translation import gettext, gettext_lazy as _

from fangpin.core import uploads
from fangpin.core.forms import StyledForm
from fangpin.core.roles import Perm
from fangpin.core.views import style_widgets
from fangpin.monitoring.choices import (MAX_RISK_TYPES, DisasterSubtype, EliminationMethod, MonitoredCategory,
                                       MonitoringStatus, RiskType)
from fangpin.monitoring.models import Monitoring
from fangpin.regions.models import Place
from fangpin.registry.filters import area_place_choices
from fangpin.registry.idnumber import normalise_text

from .choices import AttachmentKind, CaseKind, CaseStatus, Decision, DutyRule, StageKind, StageLevel
from .models import Case
from .procedure import CASE_PERMS, DEFAULT_STAGES, stage_label
from .selectors import stage_q
from .services import StageInput, participant_candidates

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; an empty input is an empty list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True, "accept": uploads.DOCUMENTS.accept}))
        kwargs.setdefault("required", False)
        kwargs.setdefault("validators", [uploads.form_validator(uploads.DOCUMENTS)])
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


# ---------------------------------------------------------------- opening a case


class CaseOpenForm(StyledForm):
    household_number = forms.CharField(label=_("户编号"), max_length=30, required=False,
                                       help_text=_("不是从线索、月度名单或农户页面发起时，填写要识别的农户的户编号"))
    category = forms.ChoiceField(label=_("监测对象类别"), choices=MonitoredCategory.choices, widget=forms.RadioSelect,
                                 error_messages={"required": _("请选择监测对象类别。")})
    risk_types = forms.MultipleChoiceField(label=_("风险类型（最多5项）"), choices=RiskType.choices,
                                           widget=forms.CheckboxSelectMultiple,
                                           error_messages={"required": _("请至少选择一种风险类型。")})
    disaster_subtype = forms.ChoiceField(label=_("灾害类型"), required=False,
                                         choices=[("", _("（不是因灾）"))] + DisasterSubtype.choices)
    summary = forms.CharField(label=_("情况说明"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    green_channel = forms.BooleanField(label=_("启用绿色通道（先帮扶后补手续）"), required=False,
                                       help_text=_("只用于因灾或因意外事故的明确情形"))
    green_channel_reason = forms.CharField(label=_("绿色通道理由"), max_length=300, required=False,
                                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, source_given: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if source_given:
            del self.fields["household_number"]

    def clean_risk_types(self):
        risk_types = self.cleaned_data["risk_types"]
        if len(risk_types) > MAX_RISK_TYPES:
            raise forms.ValidationError(gettext("风险类型最多选择%(n)d项。") % {"n": MAX_RISK_TYPES})
        return risk_types

    def clean(self):
        data = super().clean()
        if data.get("green_channel") and not (data.get("green_channel_reason") or "").strip():
            self.add_error("green_channel_reason", gettext("启用绿色通道须说明理由。"))
        return data


class EliminationOpenForm(StyledForm):
    method = forms.ChoiceField(label=_("消除方式"), choices=EliminationMethod.choices, widget=forms.RadioSelect,
                               error_messages={"required": _("请选择消除方式（帮扶消除或自然消除）。")})
    summary = forms.CharField(label=_("情况说明"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))


# ---------------------------------------------------------------- acting on a case


class DecisionForm(StyledForm):
    """The form of a decision stage. Fields depend on the stage: earlier decision stages to return to,
    the commitment boxes and file on a stage that needs the household's signed commitment."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(label=_("审核决定"), widget=forms.RadioSelect,
                                 error_messages={"required": _("请选择通过、不予通过或退回。")})
    return_to = forms.TypedChoiceField(label=_("退回至环节"), required=False, coerce=int, empty_value=None)
    reason = forms.CharField(label=_("意见和理由"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("不予通过或退回必须说明理由"))
    participants = forms.ModelMultipleChoiceField(
        label=_("其他参与人员"), required=False, queryset=None, widget=forms.CheckboxSelectMultiple,
        help_text=_("选择一同入户的人员账号；所选人员须用自己的账号确认参与后，本环节才算办结"))
    commitment_signed = forms.BooleanField(label=_("农户已签署承诺书"), required=False)
    data_authorised = forms.BooleanField(label=_("已签署数据授权书"), required=False)
    commitment_file = forms.FileField(label=_("承诺授权书（签字件照片或扫描件）"), required=False,
                                      validators=[uploads.form_validator(uploads.DOCUMENTS)])
    files = MultipleFileField(label=_("其他材料（可多选）"))
    file_kind = forms.ChoiceField(label=_("材料类型"), required=False, initial=AttachmentKind.PHOTO,
                                  choices=[c for c in AttachmentKind.choices if c[0] != AttachmentKind.OBJECTION])

    def __init__(self, *args, case: Case, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        stage = case.stage
        self.stage = stage
        earlier = [(index, stage_label(s)) for index, s in enumerate(case.stages[:case.stage_index])
                   if s["kind"] == StageKind.DECISION]
        choices = [(Decision.APPROVE, Decision.APPROVE.label), (Decision.REJECT, Decision.REJECT.label)]
        if earlier:
            choices.append((Decision.RETURN, Decision.RETURN.label))
            self.fields["return_to"].choices = [("", _("请选择"))] + earlier
            self.fields["return_to"].initial = earlier[-1][0]
        else:
            del self.fields["return_to"]
        self.fields["decision"].choices = choices
        min_people = int(stage.get("min_people", 1) or 1)
        self.min_people = min_people
        if min_people > 1:
            candidates = participant_candidates(case)
            if user is not None:
                candidates = candidates.exclude(pk=user.pk)
            field = self.fields["participants"]
            field.queryset = candidates
            field.label_from_instance = participant_label
            field.label = gettext("其他参与人员（本环节至少%(n)d人，办理人已计入，请再选择至少%(m)d人）") % {
                "n": min_people, "m": min_people - 1}
        else:
            del self.fields["participants"]
        if not stage.get("commitment"):
            for name in ("commitment_signed", "data_authorised", "commitment_file"):
                del self.fields[name]
            self.has_commitment = False
        else:
            self.has_commitment = True
            if case.attachments.filter(kind=AttachmentKind.COMMITMENT).exists():
                self.fields["commitment_file"].help_text = _("本案件已上传过承诺授权书，可不再上传")
        self.initial.setdefault("version", case.version)

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        reason = (data.get("reason") or "").strip()
        # Participants confirm an approval; a rejection or return is the decider's own.
        data["participants"] = list(data.get("participants") or []) if decision == Decision.APPROVE else []
        if decision in (Decision.REJECT, Decision.RETURN) and not reason:
            self.add_error("reason", gettext("不予通过或退回必须说明理由。"))
        if decision == Decision.RETURN and data.get("return_to") is None and "return_to" in self.fields:
            self.add_error("return_to", gettext("请选择退回到哪个环节。"))
        return data

    def stage_input(self):
        data = self.cleaned_data
        details = {}
        attachments = []
        if self.has_commitment:
            details = {"commitment_signed": bool(data.get("commitment_signed")),
                       "data_authorised": bool(data.get("data_authorised"))}
            if data.get("commitment_file"):
                attachments.append((AttachmentKind.COMMITMENT, data["commitment_file"]))
        kind = data.get("file_kind") or AttachmentKind.OTHER
        attachments += [(kind, upload) for upload in data.get("files") or []]
        return StageInput(decision=data["decision"], reason=(data.get("reason") or "").strip(),
                          return_to=data.get("return_to") if data["decision"] == Decision.RETURN else None,
                          participants=[user.pk for user in data["participants"]], details=details,
                          attachments=attachments)


def participant_label(user) -> str:
    """A person in the participant list: name, role and place, so two people of one name differ."""
    return f"{user.display_name}（{user.get_role_display()} · {user.place.name}）"


class ConfirmationForm(StyledForm):
    """A participant's answer: confirm with one click, or decline with the reason."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("不确认的理由"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("不确认时必填：例如没有参与入户、记录的情况与实际不符"))


class AnnounceForm(StyledForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(label=_("公告说明（可不填）"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class NoticePublishForm(StyledForm):
    cases = forms.ModelMultipleChoiceField(label=_("公示的农户"), queryset=Case.objects.none(),
                                           widget=forms.CheckboxSelectMultiple,
                                           error_messages={"required": _("请选择要公示的农户。")})
    starts_on = forms.DateField(label=_("公示开始日期"), widget=DATE_INPUT)
    objection_phone = forms.CharField(label=_("异议受理电话"), max_length=40, required=False,
                                      help_text=_("不填则用本县流程中设定的电话"))

    def __init__(self, *args, waiting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cases"].queryset = waiting
        self.fields["cases"].label_from_instance = case_label


def case_label(case: Case) -> str:
    head = case.household.head
    return f"{head.name if head else case.household.number}（{case.number}）"


class ObjectionForm(StyledForm):
    content = forms.CharField(label=_("异议内容"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"required": _("请填写异议内容。")})
    objector_name = forms.CharField(label=_("异议人"), max_length=50, required=False)
    objector_phone = forms.CharField(label=_("异议人电话"), max_length=20, required=False,
                                     widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}))
    received_on = forms.DateField(label=_("收到日期"), widget=DATE_INPUT)
    files = MultipleFileField(label=_("异议材料（可多选）"))


# ---------------------------------------------------------------- configuration


class ProcedureForm(StyledForm):
    kind = forms.ChoiceField(label=_("办理事项"), choices=CaseKind.choices, widget=forms.HiddenInput)
    effective_from = forms.DateField(label=_("生效日期"), widget=DATE_INPUT)
    total_limit_days = forms.IntegerField(label=_("总时限（工作日）"), min_value=1, max_value=60)
    notice_days = forms.IntegerField(label=_("公示天数（自然日）"), min_value=1, max_value=30)
    objection_phone = forms.CharField(label=_("异议受理电话"), max_length=40,
                                      error_messages={"required": _("请填写异议受理电话。")})
    green_channel = forms.BooleanField(label=_("允许绿色通道（先帮扶后补手续）"), required=False)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class StageRowForm(forms.Form):
    """One row of the stage table."""

    code = forms.SlugField(label=_("代码"), max_length=40)
    name = forms.CharField(label=_("名称"), max_length=60)
    kind = forms.ChoiceField(label=_("类型"), choices=StageKind.choices)
    level = forms.ChoiceField(label=_("层级"), choices=StageLevel.choices)
    perm = forms.ChoiceField(label=_("办理权限"), choices=[(p.value, p.label) for p in Perm if p in CASE_PERMS])
    limit_days = forms.IntegerField(label=_("时限（工作日）"), min_value=1, max_value=60)
    min_people = forms.IntegerField(label=_("最少人数"), min_value=1, max_value=9, initial=1)
    commitment = forms.BooleanField(label=_("须承诺授权"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.use_required_attribute = False  # a row is dropped by clearing its code and name
        style_widgets(self.fields)
        for name in ("limit_days", "min_people"):
            self.fields[name].widget.attrs["class"] += " num"

    def full_clean(self):
        """A row without code and name is an empty row (its selects still send values): no stage."""
        if self.is_bound and not any(str(self.data.get(self.add_prefix(name), "")).strip() for name in ("code", "name")):
            self._errors = forms.utils.ErrorDict()
            self.cleaned_data = {"blank": True}
            return
        super().full_clean()


StageFormSet = forms.formset_factory(StageRowForm, extra=2, can_delete=True, max_num=20, validate_max=True)


def stage_rows(formset) -> list[dict]:
    """The stage list a formset holds: filled rows in order, rows ticked for deletion left out."""
    stages = []
    for form in formset.forms:
        if form.cleaned_data.get("blank") or form.cleaned_data.get("DELETE"):
            continue
        data = {key: value for key, value in form.cleaned_data.items() if key != "DELETE"}
        stages.append(data)
    return stages


def stages_initial(stages) -> list[dict]:
    return [{"code": s["code"], "name": s["name"], "kind": s["kind"], "level": s["level"], "perm": s["perm"],
             "limit_days": s["limit_days"], "min_people": s.get("min_people", 1),
             "commitment": bool(s.get("commitment"))} for s in stages]


class StagesJsonField(forms.CharField):
    """The stage list as JSON, for counties that keep their configuration in a file."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(gettext("JSON格式不对：%(e)s") % {"e": error}) from None


class DutyRowForm(forms.Form):
    """One row of the segregation-of-duties table."""

    rule = forms.ChoiceField(label=_("规则"), choices=[("", "—")] + DutyRule.choices, required=False)
    level = forms.ChoiceField(label=_("层级（发起人规则）"), choices=[("", "—")] + StageLevel.choices, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.use_required_attribute = False
        style_widgets(self.fields)


DutyFormSet = forms.formset_factory(DutyRowForm, extra=1, can_delete=True, max_num=10, validate_max=True)


def duty_rows(formset) -> list[dict]:
    """The rules a formset holds: rows with a rule, rows ticked for deletion left out. The services check
    the rest (a level on an opener rule, duplicates, the basic rule)."""
    rules = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data.get("rule") or data.get("DELETE"):
            continue
        rule = {"rule": data["rule"]}
        if data["rule"] == DutyRule.OPENER_NOT_AT_LEVEL:
            rule["level"] = data.get("level") or ""
        rules.append(rule)
    return rules


def duties_initial(duties) -> list[dict]:
    return [{"rule": r.get("rule", ""), "level": r.get("level", "")} for r in duties]


class HolidayForm(StyledForm):
    date = forms.DateField(label=_("日期"), widget=DATE_INPUT)
    is_workday = forms.TypedChoiceField(label=_("这一天"), coerce=lambda v: v == "1", widget=forms.RadioSelect,
                                        choices=[("0", _("放假（节假日）")), ("1", _("上班（调休上班日）"))],
                                        error_messages={"required": _("请选择放假还是上班。")})
    name = forms.CharField(label=_("名称"), max_length=40, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("例如：春节")}))


# ---------------------------------------------------------------- list filters


def stage_code_choices():
    seen = {}
    for stages in DEFAULT_STAGES.values():
        for stage in stages:
            seen.setdefault(stage["code"], stage_label(stage))
    return list(seen.items())


class HouseholdPlaceFilterSet(django_filters.FilterSet):
    """A filter set over rows of households, with a township-or-village choice from the user's area."""

    place = django_filters.CharFilter(label=_("乡镇或村"), method="filter_place")

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        fields = self.form.fields
        if request is not None:
            fields["place"].widget = forms.Select(choices=[("", _("全部"))] + area_place_choices(request.user))
        style_widgets(fields)

    def filter_place(self, queryset, name, value):
        place = Place.objects.unrestricted().filter(code=normalise_text(value)).first()  # narrows a restricted list
        if place is None:
            return queryset.none()
        return queryset.filter(household__place__code__startswith=place.scope_prefix)


class CaseFilter(HouseholdPlaceFilterSet):
    kind = django_filters.ChoiceFilter(label=_("办理事项"), choices=CaseKind.choices, empty_label=_("全部"))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=CaseStatus.choices, empty_label=_("办理中"),
                                         method="filter_status")
    stage = django_filters.ChoiceFilter(label=_("当前环节"), choices=stage_code_choices, empty_label=_("全部"),
                                        method="filter_stage")
    class Meta:
        model = Case
        fields = ["kind", "status", "stage", "place"]


    @property
    def qs(self):
        queryset = super().qs
        if not (self.form.is_bound and self.form.is_valid() and self.form.cleaned_data.get("status")):
            queryset = queryset.filter(status=CaseStatus.OPEN)
        return queryset

    def filter_status(self, queryset, name, value):
        return queryset.filter(status=value)

    def filter_stage(self, queryset, name, value):
        return queryset.filter(status=CaseStatus.OPEN).filter(stage_q(queryset, lambda s: s["code"] == value))


class MonitoringFilter(HouseholdPlaceFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=MonitoringStatus.choices, empty_label=_("全部"))
    category = django_filters.ChoiceFilter(label=_("监测对象类别"), choices=MonitoredCategory.choices,
                                           empty_label=_("全部"))
    risk_type = django_filters.ChoiceFilter(label=_("风险类型"), choices=RiskType.choices, empty_label=_("全部"),
                                            method="filter_risk_type")
    class Meta:
        model = Monitoring
        fields = ["status", "category", "risk_type", "place"]


    def filter_risk_type(self, queryset, name, value):
        return queryset.filter(risk_types__icontains=f'"{value}"')
