"""Forms of the intake pages. They parse and give each field its clear message; the services in
services.py check again and write."""

from django import forms
from django.utils.translation import gettext, gettext_lazy as _

from fangpin.core import uploads
from fangpin.core.errors import ValidationFailed
from fangpin.core.forms import StyledForm
from fangpin.regions.models import Level, Place
from fangpin.registry.idnumber import parse_id_number

from ..choices import OPEN_LEAD_STATUSES, Channel, DisasterSubtype, RiskType
from ..models import Lead
from . import services
from .words import PLAIN_RISK_WORDS


def _checked(cleaner, value, **kwargs):
    """Run a service check and turn its error into the form's."""
    try:
        return cleaner(value, **kwargs)
    except ValidationFailed as error:
        raise forms.ValidationError(error.message, code=error.code) from None


def public_place_choices():
    """(townships, villages grouped by township) for the public selects. With more than one county
    in the database a township is named with its county."""
    villages = list(services.public_villages())
    counties = {v.parent.parent_id for v in villages if v.parent}
    townships, grouped = [], {}
    for village in villages:
        township = village.parent
        label = f"{township.parent.name} {township.name}" if len(counties) > 1 and township.parent else township.name
        if township.code not in grouped:
            townships.append((township.code, label))
            grouped[township.code] = (label, [])
        grouped[township.code][1].append((village.code, village.name))
    return townships, list(grouped.values())


class PublicPlaceForm(StyledForm):
    """Township then village. Only the village counts; the township narrows the village list on
    the phone (the village select works alone when scripts are off)."""

    township = forms.ChoiceField(label=_("乡镇"), required=False)
    village = forms.ChoiceField(label=_("村"), error_messages={"required": _("请选择您所在的村。"),
                                                               "invalid_choice": _("请选择您所在的村。")})
    website = forms.CharField(required=False, label=_("网址"),
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        townships, grouped = public_place_choices()
        self.fields["township"].choices = [("", _("请选择乡镇"))] + townships
        self.fields["village"].choices = [("", _("请选择村"))] + grouped
        self.village_township = {code: township for township, (_label, villages) in zip(
            [code for code, _ in townships], grouped) for code, _name in villages}

    def preselect(self, village_code: str) -> None:
        """Start with a village chosen (the village's QR code carries it)."""
        township = self.village_township.get(village_code)
        if township:
            self.initial.update(village=village_code, township=township)

    def clean_village(self):
        return _checked(services.public_place, self.cleaned_data["village"])

    @property
    def robot(self) -> bool:
        """The hidden field: people never see it, form-filling robots fill it in."""
        return bool(self.data.get("website"))


def risk_field(choices, label, help_text=""):
    return forms.MultipleChoiceField(
        label=label, choices=choices, widget=forms.CheckboxSelectMultiple, help_text=help_text,
        error_messages={"required": _("请至少选一项遇到的困难。"), "invalid_choice": _("选择的困难类型不对，请重新选择。")})


ID_ATTRS = {"autocomplete": "off", "maxlength": "22", "spellcheck": "false", "autocapitalize": "characters"}
PHONE_ATTRS = {"type": "tel", "inputmode": "tel", "autocomplete": "tel", "maxlength": "20"}


class DeclarationForm(PublicPlaceForm):
    head_name = forms.CharField(label=_("户主姓名"), max_length=60,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}),
                                error_messages={"required": _("请填写户主姓名。")})
    id_number = forms.CharField(label=_("户主身份证号码"), max_length=30, widget=forms.TextInput(attrs=ID_ATTRS),
                                error_messages={"required": _("请填写户主的身份证号码（18位）。")})
    phone = forms.CharField(label=_("联系电话"), max_length=30, widget=forms.TextInput(attrs=PHONE_ATTRS),
                            help_text=_("查询办理进度时要用"), error_messages={"required": _("请填写联系电话。")})
    risk_types = risk_field(PLAIN_RISK_WORDS, _("遇到了什么困难？（可多选）"))
    summary = forms.CharField(label=_("具体情况（可以不填）"), required=False, max_length=services.SUMMARY_MAX,
                              widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("例如：父亲3月住院做手术，自己付了2万多元")}))

    field_order = ["township", "village", "head_name", "id_number", "phone", "risk_types", "summary", "website"]

    def clean_head_name(self):
        return _checked(services.clean_person_name, self.cleaned_data["head_name"])

    def clean_id_number(self):
        return _checked(parse_id_number, self.cleaned_data["id_number"]).number

    def clean_phone(self):
        return _checked(services.clean_phone, self.cleaned_data["phone"])

    def clean_risk_types(self):
        return _checked(services.clean_risk_types, self.cleaned_data["risk_types"])


class TipForm(PublicPlaceForm):
    person_name = forms.CharField(label=_("被反映人姓名（知道就填）"), max_length=60, required=False)
    id_number = forms.CharField(label=_("被反映人身份证号码（知道就填）"), max_length=30, required=False,
                                widget=forms.TextInput(attrs=ID_ATTRS))
    risk_types = risk_field(PLAIN_RISK_WORDS, _("这户遇到了什么困难？（可多选）"))
    summary = forms.CharField(label=_("看到的情况"), max_length=services.SUMMARY_MAX,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              error_messages={"required": _("请写一写看到的情况。")})
    anonymous = forms.BooleanField(label=_("匿名反映（不留姓名和电话）"), required=False)
    reporter_name = forms.CharField(label=_("您的姓名（可不填）"), max_length=60, required=False)
    reporter_phone = forms.CharField(label=_("您的电话（可不填，填了才能查询办理进度）"), max_length=30, required=False,
                                     widget=forms.TextInput(attrs=PHONE_ATTRS))

    field_order = ["township", "village", "person_name", "id_number", "risk_types", "summary", "anonymous",
                   "reporter_name", "reporter_phone", "website"]

    def clean_person_name(self):
        return _checked(services.clean_person_name, self.cleaned_data["person_name"], field="person_name",
                        required=False)

    def clean_id_number(self):
        value = self.cleaned_data["id_number"].strip()
        return _checked(parse_id_number, value).number if value else ""

    def clean_reporter_name(self):
        return _checked(services.clean_person_name, self.cleaned_data["reporter_name"], field="reporter_name",
                        required=False)

    def clean_reporter_phone(self):
        return _checked(services.clean_phone, self.cleaned_data["reporter_phone"], field="reporter_phone",
                        required=False)

    def clean_risk_types(self):
        return _checked(services.clean_risk_types, self.cleaned_data["risk_types"])


class StatusForm(StyledForm):
    ack_number = forms.CharField(label=_("受理编号"), max_length=30,
                                 widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                               "spellcheck": "false"}),
                                 error_messages={"required": _("请填写受理编号。")})
    phone = forms.CharField(label=_("申报时填的电话"), max_length=30, widget=forms.TextInput(attrs=PHONE_ATTRS),
                            error_messages={"required": _("请填写申报时填的电话。")})

    def clean_phone(self):
        return _checked(services.clean_phone, self.cleaned_data["phone"])


# ---------------------------------------------------------------- staff forms


def area_villages(user):
    return (Place.objects.restrict(user).filter(level__in=[Level.VILLAGE, Level.GROUP])
            .select_related("parent").order_by("code"))


def village_label(place: Place) -> str:
    return f"{place.parent.name} {place.name}" if place.level == Level.GROUP else place.name


class StaffLeadForm(StyledForm):
    channel = forms.ChoiceField(label=_("线索来源"))
    place = forms.ModelChoiceField(label=_("所在村组"), queryset=Place.objects.none(), required=False,
                                   empty_label=_("请选择"))
    person_name = forms.CharField(label=_("所涉人员姓名"), max_length=60, required=False)
    id_number = forms.CharField(label=_("所涉人员身份证号码"), max_length=30, required=False,
                                widget=forms.TextInput(attrs=ID_ATTRS),
                                help_text=_("在档人员的线索记到其所在农户；不在档的新建待核实农户"))
    phone = forms.CharField(label=_("农户联系电话"), max_length=30, required=False,
                            widget=forms.TextInput(attrs=PHONE_ATTRS))
    risk_types = forms.MultipleChoiceField(label=_("风险类型"), choices=RiskType.choices,
                                           widget=forms.CheckboxSelectMultiple,
                                           error_messages={"required": _("请至少选择一种风险类型。")})
    disaster_subtype = forms.ChoiceField(label=_("灾害类型"), required=False,
                                         choices=[("", _("（不是因灾）"))] + DisasterSubtype.choices)
    summary = forms.CharField(label=_("情况说明"), max_length=services.SUMMARY_MAX,
                              widget=forms.Textarea(attrs={"rows": 3}))
    reporter_name = forms.CharField(label=_("反映人姓名"), max_length=60, required=False)
    reporter_phone = forms.CharField(label=_("反映人电话"), max_length=30, required=False,
                                     widget=forms.TextInput(attrs=PHONE_ATTRS))

    PERSON_FIELDS = ("place", "person_name", "id_number", "phone")

    def __init__(self, *args, user, household=None, **kwargs):
        super().__init__(*args, **kwargs)
        channels = services.staff_channels(user)
        self.fields["channel"].choices = [(channel, Channel(channel).label) for channel in channels]
        self.fields["place"].queryset = area_villages(user)
        self.fields["place"].label_from_instance = village_label
        self.household = household
        if household is not None:
            for name in self.PERSON_FIELDS:
                del self.fields[name]


class DismissForm(StyledForm):
    reason = forms.CharField(label=_("排除理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("排除线索必须说明理由。")})


class MergeForm(StyledForm):
    into = forms.ModelChoiceField(label=_("并入哪条线索"), queryset=Lead.objects.none(), empty_label=_("请选择"))

    def __init__(self, *args, lead: Lead, leads, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = (leads.filter(household_id=lead.household_id, status__in=OPEN_LEAD_STATUSES)
                                        .exclude(pk=lead.pk)) if lead.household_id else leads.none()
        self.fields["into"].label_from_instance = lambda other: gettext("%(n)s（%(c)s，%(d)s）") % {
            "n": other, "c": other.get_channel_display(), "d": other.raised_at.date().isoformat()}


class PushedListForm(StyledForm):
    file = forms.FileField(label=_("推送名单文件"),
                           help_text=_("Excel（.xlsx，读取第一个工作表）或 CSV；列：证件号码、姓名、区划代码、风险类型、原因"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
                           validators=[uploads.form_validator(uploads.TABLES)])
    source = forms.CharField(label=_("推送单位"), max_length=100,
                             widget=forms.TextInput(attrs={"placeholder": _("例如：市乡村振兴局")}))


class QrPlaceForm(forms.Form):
    place = forms.ChoiceField(label=_("乡镇或村"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        places = Place.objects.restrict(user).filter(level__in=[Level.TOWNSHIP, Level.VILLAGE]).order_by("code")
        self.fields["place"].choices = [("", _("请选择"))] + [
            (p.code, ("" if p.level == Level.TOWNSHIP else "\u3000") + p.name) for p in places]
        self.fields["place"].widget.attrs["class"] = "form-select"
