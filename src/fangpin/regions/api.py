"""Places API: the part of the administrative tree inside the caller's area."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from fangpin.core.api import AreaScopedViewSet
from fangpin.core.roles import Perm

from .models import Level, Place


class PlaceSerializer(serializers.ModelSerializer):
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    parent_code = serializers.CharField(source="parent.code", read_only=True, allow_null=True, label=_("上级代码"))
    full_name = serializers.CharField(read_only=True, label=_("全称"))

    class Meta:
        model = Place
        fields = ["id", "code", "name", "level", "level_label", "parent", "parent_code", "full_name"]
        read_only_fields = fields


class PlaceFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(label=_("区划代码"))
    level = django_filters.ChoiceFilter(choices=Level.choices, label=_("级别"))
    parent = django_filters.CharFilter(field_name="parent__code", label=_("上级区划代码"))

    class Meta:
        model = Place
        fields = ["code", "level", "parent"]


@extend_schema_view(list=extend_schema(summary=_("行政区划列表")), retrieve=extend_schema(summary=_("行政区划详情")))
class PlaceViewSet(AreaScopedViewSet):
    model = Place
    required_perm = Perm.VIEW_REGISTRY
    serializer_class = PlaceSerializer
    filterset_class = PlaceFilter
    # Three levels of parents cover a group's village, township and county: full_name needs no query.
    select_related = ("parent__parent__parent",)
