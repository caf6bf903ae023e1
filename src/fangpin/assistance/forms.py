"""Forms of the assistance pages: they parse what people type; services check and write it.

A person is picked either from a household named in the address (`?household=`), as a list of its
members, or by ID number within the user's area; a household by its number within the area."""

from django import forms
from django.utils.translation import gettext, gettext_lazy as _

from fangpin.core import uploads
from fangpin.core.errors import ServiceError
from fangpin.core.forms import StyledFormMixin
from fangpin.core.roles import Perm
from fangpin.core.views import style_widgets
from fangpin.monitoring.choices import RiskType
from fangpin.regions.models import Level, Place
from fangpin.registry.idnumber import parse_id_number
from fangpin.registry.models import Household, Member

from . import services
from .choices import ChoiceStatus, MeasureCategory, MeasureStatus
from .models import (
    EnterprisePairing,
    IndustryProject,
    Measure,
    MeasureCatalogueItem,
    MicroCredit,
    ProjectCategory,
    TrainingCourse,
    WelfarePost,
    Workshop,
)

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _date(label, required=True, **kwargs):
    return forms.DateField(label=label, required=required, widget=DATE_INPUT, **kwargs)


def _money(label, required=True, **kwargs):
    return forms.DecimalField(label=label, required=required, min_value=0, max_digits=12, decimal_places=2, **kwargs)


def _text(model, name, required=None, widget=None):
    field = model._meta.get_field(name)
    return forms.CharField(label=field.verbose_name, max_length=field.max_length,
                           required=(not field.blank) if required is None else required, widget=widget)


class Form(StyledFormMixin, forms.Form):
    """A styled form that knows the user (for area-restricted choices) and maps to service kwargs."""

    service_fields_exclude = {"version", "reason"}

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def service_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k not in self.service_fields_exclude
                and k not in getattr(self, "helper_fields", ())}

    def grouped_fields(self):
        """One group; the reason for a change comes last."""
        shown = [field for field in self if not field.is_hidden]
        return [("", [f for f in shown if f.name != "reason"] + [f for f in shown if f.name == "reason"])]


class Versioned(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("修改原因"), max_length=200, required=False,
                             help_text=_("选填，记入修改记录"))


def place_field(user, levels, label):
    queryset = Place.objects.restrict(user).filter(level__in=levels).select_related("parent")
    field = forms.ModelChoiceField(label=label, queryset=queryset, empty_label=_("（请选择）"))
    field.label_from_instance = lambda p: f"{p.parent.name} {p.name}" if p.parent_id and p.level != Level.COUNTY \
        else p.name
    return field


def measure_field(user, household, required=False):
    queryset = (Measure.objects.restrict(user, Perm.VIEW_ASSISTANCE).filter(household=household)
                if household is not None else Measure.objects.none())
    field = forms.ModelChoiceField(label=_("对应帮扶措施"), queryset=queryset, required=required,
                                   empty_label=_("（不关联）"))
    field.label_from_instance = lambda m: f"{m.name}（{m.get_status_display()}）"
    return field


class PersonPickMixin:
    """Adds `member`: a list of the household's members when the household is known, otherwise an
    ID number looked up among the active members in the user's area."""

    person_label = _("人员")
    helper_fields = ("id_number",)

    def add_person_field(self, household):
        self.household = household
        if household is not None:
            field = forms.ModelChoiceField(label=self.person_label, queryset=household.active_members(),
                                           empty_label=_("（请选择）"))
            self.fields = {"member": field, **self.fields}
        else:
            self.fields = {"id_number": forms.CharField(
                label=_("%(who)s身份证号") % {"who": self.person_label}, max_length=18,
                help_text=_("输入18位身份证号，在您辖区的在册人员中查找")), **self.fields}

    def clean_id_number(self):
        value = (self.cleaned_data.get("id_number") or "").strip().upper()
        try:
            number = parse_id_number(value).number
        except ServiceError as error:
            raise forms.ValidationError(error.message) from None
        member = (Member.objects.restrict(self.user, Perm.VIEW_REGISTRY).active().filter(id_number=number)
                  .select_related("household").first())
        if member is None:
            raise forms.ValidationError(_("您的辖区内没有这个身份证号的在册人员。"))
        self.cleaned_data["member"] = member
        return value

    def picked_member(self):
        return self.cleaned_data.get("member")


class HouseholdPickMixin:
    helper_fields = ("household_number",)

    def add_household_field(self, household):
        self.household = household
        if household is None:
            self.fields = {"household_number": forms.CharField(label=_("户编号"), max_length=30,
                                                               help_text=_("在您辖区的农户中查找")), **self.fields}

    def clean_household_number(self):
        value = (self.cleaned_data.get("household_number") or "").strip()
        household = Household.objects.restrict(self.user, Perm.VIEW_REGISTRY).filter(number=value).first()
        if household is None:
            raise forms.ValidationError(_("您的辖区内没有户编号为“%(n)s”的农户。") % {"n": value})
        self.household = household
        return value


# ---------------------------------------------------------------- catalogue


class CatalogueItemForm(Versioned, Form):
    category = forms.ChoiceField(label=_("措施类别"), choices=MeasureCategory.choices)
    name = _text(MeasureCatalogueItem, "name")
    standard_amount = _money(_("标准金额（元）"), required=False)
    unit = _text(MeasureCatalogueItem, "unit", required=False)
    risk_types = forms.MultipleChoiceField(label=_("适用风险类型"), choices=RiskType.choices, required=False,
                                           widget=forms.CheckboxSelectMultiple)
    runs_after_elimination = forms.BooleanField(label=_("风险消除后可延续"), required=False)
    active = forms.BooleanField(label=_("启用"), required=False, initial=True,
                                help_text=_("停用后不再出现在措施选择中，已制定的措施不受影响"))
    description = _text(MeasureCatalogueItem, "description", required=False,
                        widget=forms.Textarea(attrs={"rows": 2}))


# ---------------------------------------------------------------- measures


class MeasureForm(Versioned, Form):
    catalogue_item = forms.ModelChoiceField(label=_("从目录选择"), queryset=MeasureCatalogueItem.objects.none(),
                                            required=False, empty_label=_("（不从目录选择）"))
    category = forms.ChoiceField(label=_("措施类别"), choices=[("", _("（请选择）")), *MeasureCategory.choices],
                                 required=False)
    name = _text(Measure, "name", required=False)
    risk_types = forms.MultipleChoiceField(label=_("针对风险类型"), choices=RiskType.choices, required=False,
                                           widget=forms.CheckboxSelectMultiple)
    responsible_unit = _text(Measure, "responsible_unit")
    responsible_person = _text(Measure, "responsible_person", required=False)
    starts_on = _date(_("开始日期"))
    ends_on = _date(_("结束日期"), required=False)
    amount = _money(_("金额（元）"), required=False, help_text=_("选择目录措施时自动填入标准金额，可按实际修改"))
    status = forms.ChoiceField(label=_("状态"), choices=MeasureStatus.choices)
    runs_after_elimination = forms.BooleanField(label=_("风险消除后延续"), required=False,
                                                help_text=_("如小额信贷到期、公益岗位到合同期满、助学补助到学段结束"))
    note = _text(Measure, "note", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, household, new: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.new = new
        items = services.catalogue_offered(household)
        field = self.fields["catalogue_item"]
        field.queryset = items
        field.label_from_instance = lambda i: (f"{i.get_category_display()} · {i.name}"
                                               + (f"（{i.standard_amount:,.2f} {i.unit}）" if i.standard_amount else ""))
        field.widget.attrs["data-prefill"] = "catalogue"
        if new:
            del self.fields["version"], self.fields["reason"]
            self.fields["status"].choices = [c for c in MeasureStatus.choices if c[0] != MeasureStatus.STOPPED]

    def clean(self):
        data = super().clean()
        if self.new and not data.get("catalogue_item"):
            if not data.get("category"):
                self.add_error("category", _("不从目录选择时，请选择措施类别。"))
            if not data.get("name"):
                self.add_error("name", _("不从目录选择时，请填写措施名称。"))
        elif not self.new:
            for name in ("category", "name"):
                if not data.get(name):
                    self.add_error(name, _("此项必填。"))
        return data

    def service_fields(self) -> dict:
        data = super().service_fields()
        if self.new:
            # Empty fields fall back to the catalogue item's values in the service.
            for key in ("category", "name", "amount"):
                if data.get(key) in (None, ""):
                    data.pop(key, None)
            if data.get("catalogue_item") and not data.get("risk_types") and "risk_types" not in self.data:
                data.pop("risk_types", None)
        return data


class EvidenceForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label=_("佐证材料"), validators=[uploads.form_validator(uploads.DOCUMENTS)],
                           widget=forms.ClearableFileInput(attrs={"accept": uploads.DOCUMENTS.accept}))
    name = forms.CharField(label=_("材料名称"), max_length=200, required=False,
                           help_text=_("选填，默认用文件名"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = gettext("照片、签字表格、发放记录等，%(n)sMB以内") % {
            "n": uploads.megabytes(uploads.max_upload_bytes())}


# ---------------------------------------------------------------- registers


def style_new(form, new: bool, drop=()):
    """New records carry no version, reason or end fields; restyle the fields added late."""
    if new:
        for name in ("version", "reason", *drop):
            form.fields.pop(name, None)
    style_widgets({name: field for name, field in form.fields.items() if "class" not in field.widget.attrs})


class RegisterForm(PersonPickMixin, HouseholdPickMixin, Form):
    """A register row's form. A new row may ask for a place (`place_levels`, `place_label`), for
    whom it is (`pick`: "person" or "household"); when the household is known, which of its
    measures the row carries out (`links_measure`). `drop_when_new` leaves out end fields."""

    pick = ""
    place_levels: tuple = ()
    place_label = ""
    links_measure = True
    drop_when_new: tuple = ()
    helper_fields = ("id_number", "household_number")

    def __init__(self, *args, household=None, new: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.household = household
        if self.place_levels:
            self.fields = {"place": place_field(self.user, self.place_levels, self.place_label), **self.fields}
        if new and self.pick == "person":
            self.add_person_field(household)
        elif new and self.pick == "household":
            self.add_household_field(household)
        if household is not None and self.links_measure:
            self.fields["measure"] = measure_field(self.user, household)
        style_new(self, new, drop=self.drop_when_new)


class WorkshopForm(Versioned, RegisterForm):
    place_levels, place_label, links_measure = (Level.VILLAGE, Level.TOWNSHIP), _("所在村（乡镇）"), False
    drop_when_new = ("closed_on",)
    name = _text(Workshop, "name")
    operator = _text(Workshop, "operator")
    address = _text(Workshop, "address", required=False)
    products = _text(Workshop, "products", required=False)
    opened_on = _date(_("开办日期"))
    closed_on = _date(_("停办日期"), required=False)


class EmployeeForm(RegisterForm):
    pick, person_label = "person", _("务工人员")
    since = _date(_("入职日期"))
    until = _date(_("离职日期"), required=False)
    monthly_wage = _money(_("月工资（元）"))


class EmployeeEditForm(Versioned, RegisterForm):
    since = _date(_("入职日期"))
    until = _date(_("离职日期"), required=False)
    monthly_wage = _money(_("月工资（元）"))


class WelfarePostForm(Versioned, RegisterForm):
    pick, person_label = "person", _("在岗人员")
    place_levels, place_label = (Level.VILLAGE, Level.GROUP, Level.TOWNSHIP), _("岗位所在地")
    post_name = _text(WelfarePost, "post_name")
    starts_on = _date(_("上岗日期"))
    months = forms.IntegerField(label=_("聘用月数"), min_value=1, max_value=36, initial=12)
    monthly_wage = _money(_("月补贴（元）"))


class CourseForm(Versioned, RegisterForm):
    place_levels, place_label, links_measure = (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE), _("举办地"), False
    name = _text(TrainingCourse, "name")
    organiser = _text(TrainingCourse, "organiser")
    skill = _text(TrainingCourse, "skill")
    held_from = _date(_("开班日期"))
    held_to = _date(_("结业日期"))


class ParticipantForm(Versioned, RegisterForm):
    pick, person_label = "person", _("学员")
    skill_gained = forms.CharField(label=_("掌握技能"), max_length=100, required=False)
    certificate = forms.BooleanField(label=_("取得证书"), required=False)


class LoanForm(Versioned, RegisterForm):
    pick, person_label = "person", _("借款人")
    lender = _text(MicroCredit, "lender")
    amount = _money(_("贷款金额（元）"), help_text=_("每户最多50,000元"))
    term_months = forms.IntegerField(label=_("期限（月）"), min_value=1, help_text=_("最长36个月"))
    issued_on = _date(_("放款日期"))
    rate = forms.DecimalField(label=_("年利率（%）"), min_value=0, max_digits=5, decimal_places=2)


class RepaymentForm(RegisterForm):
    links_measure = False
    paid_on = _date(_("还款日期"))
    amount = _money(_("还款金额（元）"))


class ProjectForm(Versioned, RegisterForm):
    place_levels, place_label, links_measure = (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE), _("发布地区"), False
    name = _text(IndustryProject, "name")
    category = forms.ChoiceField(label=_("项目类别"), choices=ProjectCategory.choices)
    support_per_household = _money(_("每户扶持金额（元）"))
    capacity = forms.IntegerField(label=_("可选户数"), min_value=1)
    open = forms.BooleanField(label=_("开放选择"), required=False, initial=True)
    description = forms.CharField(label=_("项目说明"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))


class ChooseForm(RegisterForm):
    pick = "household"
    chosen_on = _date(_("选择日期"))


class ChoiceEditForm(Versioned, RegisterForm):
    status = forms.ChoiceField(label=_("状态"), choices=ChoiceStatus.choices)


class PairingForm(Versioned, RegisterForm):
    pick = "household"
    enterprise = _text(EnterprisePairing, "enterprise")
    contact = _text(EnterprisePairing, "contact", required=False)
    started_on = _date(_("结对日期"))
    content = _text(EnterprisePairing, "content", widget=forms.Textarea(attrs={"rows": 2}))
    ended_on = _date(_("结束日期"), required=False)
