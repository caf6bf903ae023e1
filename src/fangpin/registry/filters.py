"""One filter definition for the household list page, the API and exports."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from fangpin.core.views import style_widgets
from fangpin.regions.models import Level, Place

from .choices import Health, HouseGrade, HouseholdStatus, HouseholdType
from .conditions import WATER_UNSAFE
from .idnumber import normalise_text
from .models import Household, Member


class HouseholdFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("姓名、证件号码或户编号"), method="filter_q")
    place = django_filters.CharFilter(label=_("区划代码"), method="filter_place")
    household_type = django_filters.ChoiceFilter(label=_("户类型"), choices=HouseholdType.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=HouseholdStatus.choices)
    house_grade = django_filters.ChoiceFilter(label=_("危房等级"), choices=HouseGrade.choices)
    relocated = django_filters.BooleanFilter(label=_("易地扶贫搬迁"))
    water_unsafe = django_filters.BooleanFilter(label=_("饮水不安全"), method="filter_water_unsafe")
    has_dibao = django_filters.BooleanFilter(label=_("有低保成员"), method="filter_member_flag")
    has_tekun = django_filters.BooleanFilter(label=_("有特困成员"), method="filter_member_flag")
    has_disabled = django_filters.BooleanFilter(label=_("有残疾成员"), method="filter_member_flag")
    has_serious_illness = django_filters.BooleanFilter(label=_("有大病成员"), method="filter_member_flag")

    MEMBER_FLAGS = {
        "has_dibao": Q(dibao=True),
        "has_tekun": Q(tekun=True),
        "has_disabled": Q(health=Health.DISABLED),
        "has_serious_illness": Q(health=Health.SERIOUS),
    }

    class Meta:
        model = Household
        fields = ["q", "place", "household_type", "status", "house_grade", "relocated"]

    def filter_q(self, queryset, name, value):
        text = normalise_text(value).replace(" ", "")
        if not text:
            return queryset
        if text.isdigit() or text.upper().endswith("X") and text[:-1].isdigit():
            if len(text) == 18:
                members = Member.objects.filter(id_number=text.upper())
                return queryset.filter(Q(number=text) | Q(pk__in=members.values("household_id")))
            return queryset.filter(number__startswith=text)
        members = Member.objects.filter(name__contains=text)
        return queryset.filter(pk__in=members.values("household_id"))

    def filter_place(self, queryset, name, value):
        return within_place(queryset, value)

    def filter_water_unsafe(self, queryset, name, value):
        return queryset.filter(WATER_UNSAFE.q()) if value else queryset.exclude(WATER_UNSAFE.q())

    def filter_member_flag(self, queryset, name, value):
        flagged = Member.objects.filter(household=OuterRef("pk"), ended_on__isnull=True).filter(self.MEMBER_FLAGS[name])
        return queryset.filter(Exists(flagged)) if value else queryset.exclude(Exists(flagged))


class FlagCheckbox(forms.CheckboxInput):
    """A search-form tick box: ticked means "only those", unticked means "any" (never "not")."""

    def value_from_datadict(self, data, files, name):
        return True if data.get(name) in ("true", "True", "on", "1") else None


class HouseholdSearchFilter(HouseholdFilter):
    """The household filter as the search page shows it: places limited to the user's area, member
    and household flags as tick boxes."""

    FLAG_NAMES = ("relocated", "water_unsafe", "has_dibao", "has_tekun", "has_disabled", "has_serious_illness")
    CHOICE_NAMES = ("household_type", "status", "house_grade")

    def __init__(self, data=None, queryset=None, *, request=None, **kwargs):
        super().__init__(data, queryset, request=request, **kwargs)
        # The form's own fields are adjusted (not the filters), so the API's filters stay as they are.
        fields = self.form.fields
        place_choices = [("", _("全部"))] + area_place_choices(request.user)
        fields["place"].widget = forms.Select(choices=place_choices)
        for name in self.CHOICE_NAMES:
            fields[name].empty_label = _("全部")
            fields[name].choices = self.filters[name].extra["choices"]
        for name in self.FLAG_NAMES:
            fields[name].widget = FlagCheckbox()
        style_widgets(fields)

    def choice_fields(self):
        return [self.form[name] for name in self.CHOICE_NAMES]

    def flag_fields(self):
        return [self.form[name] for name in self.FLAG_NAMES]


def within_place(queryset, code: str, place_field: str = "place"):
    """The rows whose place (`place_field`) lies in the place with this code; none when no place has it."""
    # The place only narrows `queryset`, which the view restricted to the user's area.
    place = Place.objects.unrestricted().filter(code=normalise_text(code)).first()
    if place is None:
        return queryset.none()
    return queryset.filter(**{f"{place_field}__code__startswith": place.scope_prefix})


def area_place_choices(user) -> list[tuple[str, str]]:
    """Townships and villages in the user's area (and groups when the area is one village), as
    (code, indented name) pairs for a select."""
    levels = [Level.TOWNSHIP, Level.VILLAGE]
    if user.place_id and user.place.level in (Level.VILLAGE, Level.GROUP):
        levels.append(Level.GROUP)
    indent = {Level.TOWNSHIP: "", Level.VILLAGE: "\u3000", Level.GROUP: "\u3000\u3000"}
    places = Place.objects.restrict(user).filter(level__in=levels).order_by("code")
    return [(place.code, indent[place.level] + place.name) for place in places]
