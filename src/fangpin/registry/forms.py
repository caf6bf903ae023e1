"""Forms parse what people type on the registry pages; the services check it and write it.

Labels, choices and input types come from the models. Full ID numbers and phone numbers are never
put into a form: those inputs start empty, show the masked value, and an empty input keeps the
stored one, so editing a record does not reveal what the role may not see.
"""

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy as _

from fangpin.core.forms import ParsingModelForm, StyledForm, VersionedMixin
from fangpin.core.masking import mask_id_number, mask_phone
from fangpin.core.models import User
from fangpin.core.roles import Role
from fangpin.regions.models import Level, Place

from .choices import EndReason
from .filters import area_place_choices
from .models import Household, Income, Member
from .quality import ANY_RULE, RULES

# Who may be named as a household's helper or grid worker.
HELPER_ROLES = [Role.HELPER, Role.VILLAGE_CADRE, Role.TOWNSHIP_OFFICER, Role.COUNTY_OFFICER, Role.COUNTY_ADMIN]
GRID_WORKER_ROLES = [Role.GRID_WORKER, Role.VILLAGE_CADRE]
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _place_label(place: Place) -> str:
    return f"{place.parent.name} {place.name}" if place.level == Level.GROUP else place.name


def _staff_label(user: User) -> str:
    return f"{user.display_name}（{user.get_role_display()} · {user.place.name if user.place_id else '—'}）"


class HouseholdForm(VersionedMixin, ParsingModelForm):
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
                            help_text=_("留空则不修改"))
    clear_phone = forms.BooleanField(label=_("删除已登记的电话号码"), required=False)

    fieldsets = [
        (_("基本信息"), ["place", "address", "phone", "clear_phone", "household_type", "exit_year", "relocated",
                     "relocation_site"]),
        (_("住房与饮水"), ["house_grade", "house_area", "water_safe", "water_quantity_ok", "water_quality_ok",
                      "water_convenient_ok", "water_supply_ok"]),
        (_("土地与产业"), ["cultivated_land_mu", "forest_land_mu", "cooperative_member", "industries"]),
        (_("帮扶责任人与网格员"), ["helper", "grid_worker"]),
        ("", ["reason"]),
    ]

    class Meta:
        model = Household
        fields = [
            "place", "address", "household_type", "exit_year", "relocated", "relocation_site", "house_grade",
            "house_area", "water_safe", "water_quantity_ok", "water_quality_ok", "water_convenient_ok",
            "water_supply_ok", "cultivated_land_mu", "forest_land_mu", "cooperative_member", "industries",
            "helper", "grid_worker",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        household = self.instance
        self.initial.setdefault("version", household.version)
        if household.phone:
            self.fields["phone"].widget.attrs["placeholder"] = mask_phone(household.phone)
        else:
            del self.fields["clear_phone"]
            self.fieldsets = [(title, [n for n in names if n != "clear_phone"]) for title, names in self.fieldsets]
        place = self.fields["place"]
        place.queryset = (Place.objects.restrict(user).filter(level__in=[Level.VILLAGE, Level.GROUP])
                          .select_related("parent"))
        place.label_from_instance = _place_label
        place.empty_label = None
        county_staff = User.objects.filter(is_active=True, place__code__startswith=household.county.scope_prefix)
        for name, roles in (("helper", HELPER_ROLES), ("grid_worker", GRID_WORKER_ROLES)):
            current = getattr(household, f"{name}_id")
            field = self.fields[name]
            field.queryset = (User.objects.filter(Q(pk__in=county_staff.filter(role__in=roles).values("pk"))
                                                  | Q(pk=current))
                              .select_related("place").order_by("first_name", "username"))
            field.label_from_instance = _staff_label

    def service_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        if self.cleaned_data.get("clear_phone"):
            data["phone"] = ""
        elif self.cleaned_data["phone"]:
            data["phone"] = self.cleaned_data["phone"]
        return data


class MemberForm(ParsingModelForm):
    """Adding a member needs the ID number; editing keeps the stored one unless a new one is typed."""

    id_number = forms.CharField(label=_("证件号码"), max_length=30,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
                                help_text=_("18位居民身份证号码；性别和出生日期由号码得出"))

    fieldsets = [
        (_("基本信息"), ["name", "id_number", "relation", "ethnicity", "joined_on"]),
        (_("教育与健康"), ["education", "schooling", "health", "disability_grade"]),
        (_("劳动与务工"), ["labour_capacity", "work_place", "work_months", "welfare_post", "welfare_post_months"]),
        (_("保险与救助"), ["medical_insurance", "critical_illness_insurance", "pension_insurance",
                      "supplementary_insurance", "dibao", "tekun"]),
    ]

    class Meta:
        model = Member
        fields = [
            "name", "relation", "ethnicity", "joined_on", "education", "schooling", "health", "disability_grade",
            "labour_capacity", "work_place", "work_months", "welfare_post", "welfare_post_months",
            "medical_insurance", "critical_illness_insurance", "pension_insurance", "supplementary_insurance",
            "dibao", "tekun",
        ]
        widgets = {"joined_on": DATE_INPUT}

    def service_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        if self.cleaned_data["id_number"]:
            data["id_number"] = self.cleaned_data["id_number"]
        return data


class MemberEditForm(VersionedMixin, MemberForm):
    fieldsets = [*MemberForm.fieldsets, ("", ["reason"])]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("version", self.instance.version)
        id_number = self.fields["id_number"]
        id_number.required = False
        id_number.help_text = _("留空则不修改；更正号码时填写完整的18位号码")
        id_number.widget.attrs["placeholder"] = mask_id_number(self.instance.id_number)


class MemberEndForm(StyledForm):
    reason = forms.ChoiceField(label=_("离户原因"), widget=forms.RadioSelect,
                               choices=[(r.value, r.label) for r in (EndReason.MOVED_OUT, EndReason.DECEASED)])
    on = forms.DateField(label=_("离户日期"), widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("on", timezone.localdate())


def amount_fields() -> dict[str, forms.Field]:
    """Yuan amounts as text: the service reads what people write in ledgers (1,200 元, full-width digits)."""
    return {
        name: forms.CharField(
            label=Income._meta.get_field(name).verbose_name, required=False, max_length=30,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "form-control num",
                                          "autocomplete": "off"}),
        )
        for name in Income.MONEY_FIELDS
    }


class IncomeForm(StyledForm):
    year = forms.TypedChoiceField(label=_("年度"), coerce=int)
    quarter = forms.TypedChoiceField(label=_("期间"), coerce=int, required=False, empty_value=None)

    fieldsets = [
        (_("期间"), ["year", "quarter"]),
        (_("收入（元）"), ["wage_income", "operating_income", "property_income", "transfer_income",
                      "insurance_payout"]),
        (_("支出（元）"), ["operating_costs", "medical_spending", "education_spending", "disaster_loss"]),
    ]

    def __init__(self, *args, household: Household, **kwargs):
        super().__init__(*args, **kwargs)
        self.household = household
        this_year = timezone.localdate().year
        self.fields["year"].choices = [(y, y) for y in range(this_year, 2013, -1)]
        self.initial.setdefault("year", this_year - 1)
        self.fields["quarter"].choices = [("", gettext("全年"))] + [
            (q, gettext("第%(q)s季度") % {"q": q}) for q in (1, 2, 3, 4)]
        self.fields.update(amount_fields())

    def clean(self):
        data = super().clean()
        year, quarter = data.get("year"), data.get("quarter")
        if year and Income.objects.unrestricted().filter(household=self.household, year=year, quarter=quarter).exists():
            raise forms.ValidationError(_("该期间的收支已录入，请在收支表中点“修改”。"), code="income_exists")
        return data

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in ("year", "quarter", *Income.MONEY_FIELDS)}


class IncomeEditForm(VersionedMixin, StyledForm):
    fieldsets = [*IncomeForm.fieldsets[1:], ("", ["reason"])]

    def __init__(self, *args, income: Income, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(amount_fields())
        for name in ("version", *Income.MONEY_FIELDS):
            self.initial.setdefault(name, getattr(income, name))

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in Income.MONEY_FIELDS}


class DissolveForm(StyledForm):
    on = forms.DateField(label=_("销户日期"), widget=DATE_INPUT)
    reason = forms.CharField(label=_("销户原因"), max_length=200,
                             help_text=_("例如：全户迁出、全户死亡、并入其他户籍"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("on", timezone.localdate())


class UnmaskForm(forms.Form):
    field = forms.ChoiceField(choices=[("phone", "phone"), ("id_number", "id_number")])
    member = forms.IntegerField(required=False)


class DataQualityForm(StyledForm):
    place = forms.ChoiceField(label=_("区域"), required=False)
    rule = forms.ChoiceField(label=_("规则"), required=False)

    def __init__(self, *args, user, check, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [("", _("全部"))] + area_place_choices(user)
        self.fields["rule"].choices = [("", "—"), (ANY_RULE, _("任一规则"))] + [(r.code, r.describe(check)) for r in RULES]
