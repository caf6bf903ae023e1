"""One filter definition for the household list page, the API and exports."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from .choices import Health, HouseGrade, HouseholdStatus, HouseholdType
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
        from fangpin.regions.models import Place

        place = Place.objects.filter(code=normalise_text(value)).first()
        if place is None:
            return queryset.none()
        return queryset.filter(place__code__startswith=place.scope_prefix)

    def filter_water_unsafe(self, queryset, name, value):
        return queryset.filter(water_safe=False) if value else queryset.exclude(water_safe=False)

    def filter_member_flag(self, queryset, name, value):
        flagged = Member.objects.filter(household=OuterRef("pk"), ended_on__isnull=True).filter(self.MEMBER_FLAGS[name])
        return queryset.filter(Exists(flagged)) if value else queryset.exclude(Exists(flagged))
