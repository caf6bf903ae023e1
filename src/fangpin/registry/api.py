"""Registry API: households, members and incomes.

Reads are area-scoped by `AreaScopedViewSet`; the household list shares `HouseholdFilter` with the
web page and exports. Writes parse input and call `registry.services`, which check permission and
area again, keep the invariants and write the change log.
"""

import django_filters
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from fangpin.core.api import (
    AreaScopedViewSet,
    MaskedField,
    ScopedPrimaryKeyRelatedField,
    error_responses,
    invalid_input,
    unmask_parameters,
)
from fangpin.core.errors import CoreErrorCode, ServiceError, ValidationFailed
from fangpin.core.masking import mask, personal_fields
from fangpin.core.models import User
from fangpin.core.roles import Perm, Role
from fangpin.regions.models import Place

from . import services
from .choices import EndReason, Relation
from .filters import HouseholdFilter
from .models import Household, Income, Member

# ---------------------------------------------------------------- read serializers


class IncomeSerializer(serializers.ModelSerializer):
    household_number = serializers.CharField(source="household.number", read_only=True, label=_("户编号"))
    member_count = serializers.IntegerField(read_only=True, label=_("年末家庭人口"))
    net_income = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, label=_("家庭纯收入"))
    per_capita_net_income = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, allow_null=True, label=_("人均纯收入"))
    per_capita_after_rigid_spending = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, allow_null=True, label=_("扣除刚性支出后人均纯收入"))

    class Meta:
        model = Income
        fields = ["id", "household", "household_number", "year", "quarter", *Income.MONEY_FIELDS,
                  "member_count", "net_income", "per_capita_net_income", "per_capita_after_rigid_spending",
                  "version", "updated_at"]
        read_only_fields = fields


class IncomeSummarySerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True, label=_("年末家庭人口"))
    net_income = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    per_capita_net_income = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True,
                                                     allow_null=True)
    per_capita_after_rigid_spending = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True,
                                                               allow_null=True)

    class Meta:
        model = Income
        fields = ["id", "year", "member_count", "net_income", "per_capita_net_income",
                  "per_capita_after_rigid_spending"]
        read_only_fields = fields


class MemberSerializer(serializers.ModelSerializer):
    household_number = serializers.CharField(source="household.number", read_only=True, label=_("户编号"))
    id_number = MaskedField("id_number", label=_("证件号码"))
    birth_date = MaskedField("id_number", hidden_when_masked=True, label=_("出生日期"),
                             help_text=_("仅在显示完整身份证号时给出，否则为 null（出生日期是身份证号中被遮住的部分）"))
    age = serializers.SerializerMethodField(label=_("年龄"))
    relation_label = serializers.CharField(source="get_relation_display", read_only=True)
    is_active = serializers.BooleanField(read_only=True, label=_("在户"))

    class Meta:
        model = Member
        fields = ["id", "household", "household_number", "name", "id_number", "relation", "relation_label",
                  "sex", "birth_date", "age", "ethnicity", "education", "schooling", "health", "disability_grade",
                  "labour_capacity", "work_place", "work_months", "medical_insurance",
                  "critical_illness_insurance", "pension_insurance", "supplementary_insurance", "dibao", "tekun",
                  "welfare_post", "welfare_post_months", "joined_on", "ended_on", "end_reason", "is_active",
                  "version", "updated_at"]
        read_only_fields = fields

    def get_age(self, member) -> int:
        return member.age_on(timezone.localdate())


class HouseholdSerializer(serializers.ModelSerializer):
    place_code = serializers.CharField(source="place.code", read_only=True, label=_("区划代码"))
    place_name = serializers.CharField(source="place.name", read_only=True, label=_("所在村组"))
    household_type_label = serializers.CharField(source="get_household_type_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    size = serializers.IntegerField(source="member_total", read_only=True, label=_("在户人口"))
    head_name = serializers.CharField(read_only=True, allow_null=True, label=_("户主姓名"))
    phone = MaskedField("phone", label=_("联系电话"))
    latest_income = serializers.SerializerMethodField(label=_("最近年度收支"))

    class Meta:
        model = Household
        fields = ["id", "number", "place", "place_code", "place_name", "address", "household_type",
                  "household_type_label", "status", "status_label", "size", "head_name", "phone",
                  "latest_income", "version"]
        read_only_fields = fields

    @extend_schema_field(IncomeSummarySerializer(allow_null=True))
    def get_latest_income(self, household):
        yearly = household.yearly_incomes
        return IncomeSummarySerializer(yearly[0], context=self.context).data if yearly else None


class HouseholdDetailSerializer(HouseholdSerializer):
    helper_name = serializers.CharField(source="helper.display_name", read_only=True, allow_null=True,
                                        label=_("帮扶责任人"))
    grid_worker_name = serializers.CharField(source="grid_worker.display_name", read_only=True,
                                             allow_null=True, label=_("网格员"))
    members = MemberSerializer(source="member_rows", many=True, read_only=True, label=_("家庭成员（含已离户）"))

    class Meta(HouseholdSerializer.Meta):
        fields = [*HouseholdSerializer.Meta.fields, "exit_year", "relocated", "relocation_site", "house_grade",
                  "house_area", "water_safe", "water_quantity_ok", "water_quality_ok", "water_convenient_ok",
                  "water_supply_ok", "cultivated_land_mu", "forest_land_mu", "cooperative_member", "industries",
                  "helper", "helper_name", "grid_worker", "grid_worker_name", "ended_on", "merged_into",
                  "members", "created_at", "updated_at"]
        read_only_fields = fields


# ---------------------------------------------------------------- input serializers


class StaffField(serializers.PrimaryKeyRelatedField):
    """A helper or grid worker: an active user of that role working in the requester's area or in
    a place above it (county and township staff help village households too)."""

    def __init__(self, role: str, **kwargs):
        self.role = role
        super().__init__(**kwargs)

    def get_queryset(self):
        user = self.context["request"].user
        if not user.place_id:
            return User.objects.none()
        above = [place.pk for place in user.place.ancestors()]
        return User.objects.filter(is_active=True, role=self.role).filter(
            Q(place__code__startswith=user.area_prefix) | Q(place_id__in=above))


class MaskedRepresentation:
    """For input serializers: the only place they show a stored row is the browsable API's edit
    form, and there the row's personal fields (as the model declares them) are masked too."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        for name, kind in personal_fields(self.Meta.model).items():
            if data.get(name):
                data[name] = mask(kind, data[name])
        return data


def _optional(fields) -> dict:
    """Every input field optional: a PATCH sends what changed; the service says what is missing."""
    return {name: {"required": False} for name in fields}


class VersionedInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, label=_("版本号"),
                                       help_text=_("读取时得到的 version；记录已被他人修改时返回 409"))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, label=_("修改原因"))


class HouseholdUpdateSerializer(MaskedRepresentation, VersionedInput, serializers.ModelSerializer):
    place = ScopedPrimaryKeyRelatedField(Place, Perm.EDIT_REGISTRY, required=False, label=_("所在村组"))
    helper = StaffField(Role.HELPER, required=False, allow_null=True, label=_("帮扶责任人"))
    grid_worker = StaffField(Role.GRID_WORKER, required=False, allow_null=True, label=_("网格员"))

    class Meta:
        model = Household
        fields = sorted(services.HOUSEHOLD_FIELDS) + ["version", "reason"]
        extra_kwargs = _optional(services.HOUSEHOLD_FIELDS)
        validators = []


class MemberFieldsInput(MaskedRepresentation, serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = sorted(services.MEMBER_FIELDS)
        extra_kwargs = {**_optional(services.MEMBER_FIELDS), "id_number": {"required": False, "validators": []}}
        validators = []


class MemberAddSerializer(MemberFieldsInput):
    household = ScopedPrimaryKeyRelatedField(Household, Perm.VIEW_REGISTRY, label=_("农户"))

    class Meta(MemberFieldsInput.Meta):
        fields = ["household", *MemberFieldsInput.Meta.fields]


class MemberUpdateSerializer(VersionedInput, MemberFieldsInput):
    class Meta(MemberFieldsInput.Meta):
        fields = [*MemberFieldsInput.Meta.fields, "version", "reason"]


class MemberEndSerializer(serializers.Serializer):
    end_reason = serializers.ChoiceField(EndReason.choices, label=_("离户原因"))
    ended_on = serializers.DateField(required=False, label=_("离户日期"), help_text=_("默认今天"))


class IncomeAmountsInput(serializers.ModelSerializer):
    class Meta:
        model = Income
        fields = list(Income.MONEY_FIELDS)
        extra_kwargs = _optional(Income.MONEY_FIELDS)
        validators = []


class IncomeSetSerializer(IncomeAmountsInput):
    household = ScopedPrimaryKeyRelatedField(Household, Perm.VIEW_REGISTRY, label=_("农户"))
    year = serializers.IntegerField(label=_("年度"))
    quarter = serializers.IntegerField(required=False, allow_null=True, label=_("季度"),
                                       help_text=_("1-4；不填表示全年"))
    version = serializers.IntegerField(required=False, min_value=1, label=_("版本号"),
                                       help_text=_("该期收支已存在时，填读取时得到的 version 以防覆盖他人的修改"))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, label=_("修改原因"))

    class Meta(IncomeAmountsInput.Meta):
        fields = ["household", "year", "quarter", *IncomeAmountsInput.Meta.fields, "version", "reason"]


class IncomeUpdateSerializer(VersionedInput, IncomeAmountsInput):
    class Meta(IncomeAmountsInput.Meta):
        fields = [*IncomeAmountsInput.Meta.fields, "version", "reason"]


def parse(serializer_class, request) -> dict:
    """Validated input of a write action, or a 400 naming the first bad field. Unknown fields are
    refused rather than ignored: a misspelt field must not look like a successful edit."""
    serializer = serializer_class(data=request.data, context={"request": request})
    if hasattr(request.data, "keys"):
        unknown = sorted(set(request.data.keys()) - set(serializer.fields))
        if unknown:
            raise ValidationFailed(CoreErrorCode.UNKNOWN_FIELD, _("不认识这些字段：%(f)s") % {"f": ", ".join(unknown)},
                                   field=unknown[0])
    if not serializer.is_valid():
        raise invalid_input(serializer)
    return dict(serializer.validated_data)


# ---------------------------------------------------------------- filters


class MemberFilter(django_filters.FilterSet):
    household = django_filters.NumberFilter(field_name="household_id", label=_("农户编号（id）"))
    active = django_filters.BooleanFilter(field_name="ended_on", lookup_expr="isnull", label=_("在户"))
    id_number = django_filters.CharFilter(method="filter_id_number", label=_("完整证件号码"))

    class Meta:
        model = Member
        fields = ["household", "active", "id_number"]

    def filter_id_number(self, queryset, name, value):
        return queryset.filter(id_number=value.strip().upper())


class IncomeFilter(django_filters.FilterSet):
    household = django_filters.NumberFilter(field_name="household_id", label=_("农户编号（id）"))
    year = django_filters.NumberFilter(label=_("年度"))
    quarter = django_filters.NumberFilter(label=_("季度"))
    yearly = django_filters.BooleanFilter(field_name="quarter", lookup_expr="isnull", label=_("仅全年"))

    class Meta:
        model = Income
        fields = ["household", "year", "quarter", "yearly"]


# ---------------------------------------------------------------- viewsets


def _active_member_count():
    active = (Member.objects.filter(household=OuterRef("pk"), ended_on__isnull=True).order_by()
              .values("household").annotate(n=Count("id")).values("n")[:1])
    return Coalesce(Subquery(active, output_field=IntegerField()), 0)


def _head_name():
    heads = Member.objects.filter(household=OuterRef("pk"), ended_on__isnull=True, relation=Relation.HEAD)
    return Subquery(heads.values("name")[:1])


UNMASK_HOUSEHOLD = unmask_parameters(("phone", "id_number"))
UNMASK_MEMBER = unmask_parameters(("id_number",))


@extend_schema_view(
    list=extend_schema(summary=_("农户列表"), parameters=UNMASK_HOUSEHOLD),
    retrieve=extend_schema(summary=_("农户详情（含家庭成员）"), parameters=UNMASK_HOUSEHOLD),
)
class HouseholdViewSet(AreaScopedViewSet):
    model = Household
    required_perm = Perm.VIEW_REGISTRY
    action_perms = {"partial_update": Perm.EDIT_REGISTRY}
    personal_kinds = ("phone", "id_number")
    filterset_class = HouseholdFilter
    select_related = ("place",)

    def refine_queryset(self, queryset):
        queryset = queryset.annotate(member_total=_active_member_count(), head_name=_head_name())
        yearly = Income.objects.with_member_count().filter(quarter__isnull=True).order_by("-year")
        queryset = queryset.prefetch_related(Prefetch("incomes", queryset=yearly, to_attr="yearly_incomes"))
        if self.action != "list":
            queryset = queryset.select_related("helper", "grid_worker").prefetch_related(
                Prefetch("members", queryset=Member.objects.order_by("id"), to_attr="member_rows"))
        return queryset

    def get_serializer_class(self):
        if self.action == "partial_update":
            return HouseholdUpdateSerializer
        return HouseholdSerializer if self.action == "list" else HouseholdDetailSerializer

    @extend_schema(summary=_("修改农户信息"), request=HouseholdUpdateSerializer,
                   responses={200: HouseholdDetailSerializer, **error_responses(400, 403, 404, 409)})
    def partial_update(self, request, *args, **kwargs):
        household = self.get_object()
        data = parse(HouseholdUpdateSerializer, request)
        services.household_update(actor=request.user, household=household, **data)
        return Response(HouseholdDetailSerializer(self.get_object(), context=self.get_serializer_context()).data)


@extend_schema_view(
    list=extend_schema(summary=_("家庭成员列表"), parameters=UNMASK_MEMBER),
    retrieve=extend_schema(summary=_("家庭成员详情"), parameters=UNMASK_MEMBER),
)
class MemberViewSet(AreaScopedViewSet):
    model = Member
    required_perm = Perm.VIEW_REGISTRY
    action_perms = {"create": Perm.EDIT_REGISTRY, "partial_update": Perm.EDIT_REGISTRY, "end": Perm.EDIT_REGISTRY}
    personal_kinds = ("id_number",)
    filterset_class = MemberFilter
    select_related = ("household__place",)

    def get_serializer_class(self):
        return {"create": MemberAddSerializer, "partial_update": MemberUpdateSerializer,
                "end": MemberEndSerializer}.get(self.action, MemberSerializer)

    def _answer(self, member, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=member.pk)
        return Response(MemberSerializer(fresh, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(summary=_("新增家庭成员"), request=MemberAddSerializer,
                   responses={201: MemberSerializer, **error_responses(400, 403)})
    def create(self, request, *args, **kwargs):
        data = parse(MemberAddSerializer, request)
        member = services.member_add(actor=request.user, **data)
        return self._answer(member, status.HTTP_201_CREATED)

    @extend_schema(summary=_("修改家庭成员"), request=MemberUpdateSerializer,
                   responses={200: MemberSerializer, **error_responses(400, 403, 404, 409)})
    def partial_update(self, request, *args, **kwargs):
        member = self.get_object()
        data = parse(MemberUpdateSerializer, request)
        return self._answer(services.member_update(actor=request.user, member=member, **data))

    @extend_schema(summary=_("成员离户（迁出、死亡等）"), request=MemberEndSerializer,
                   responses={200: MemberSerializer, **error_responses(400, 403, 404)})
    @action(detail=True, methods=["post"])
    def end(self, request, *args, **kwargs):
        member = self.get_object()
        data = parse(MemberEndSerializer, request)
        try:
            ended = services.member_end(actor=request.user, member=member, reason=data["end_reason"],
                                        on=data.get("ended_on"))
        except ServiceError as exc:
            # The service names its own arguments; the client sent the member's field names.
            exc.field = {"reason": "end_reason", "on": "ended_on"}.get(exc.field, exc.field)
            raise
        return self._answer(ended)


@extend_schema_view(
    list=extend_schema(summary=_("收支列表")),
    retrieve=extend_schema(summary=_("收支详情")),
)
class IncomeViewSet(AreaScopedViewSet):
    model = Income
    required_perm = Perm.VIEW_REGISTRY
    action_perms = {"create": Perm.EDIT_REGISTRY, "partial_update": Perm.EDIT_REGISTRY}
    filterset_class = IncomeFilter
    select_related = ("household__place",)

    def refine_queryset(self, queryset):
        return queryset.with_member_count()

    def get_serializer_class(self):
        return {"create": IncomeSetSerializer, "partial_update": IncomeUpdateSerializer}.get(
            self.action, IncomeSerializer)

    def _answer(self, income, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=income.pk)
        return Response(IncomeSerializer(fresh, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(
        summary=_("填报某年（或某季度）收支"),
        description=_("该期收支不存在时新建（201），已存在时修改（200）。"),
        request=IncomeSetSerializer,
        responses={201: IncomeSerializer, 200: IncomeSerializer, **error_responses(400, 403, 409)},
    )
    def create(self, request, *args, **kwargs):
        data = parse(IncomeSetSerializer, request)
        existed = Income.objects.unrestricted().filter(household=data["household"], year=data["year"],
                                                       quarter=data.get("quarter")).exists()
        income = services.income_set(actor=request.user, **data)
        return self._answer(income, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    @extend_schema(summary=_("修改收支"), request=IncomeUpdateSerializer,
                   responses={200: IncomeSerializer, **error_responses(400, 403, 404, 409)})
    def partial_update(self, request, *args, **kwargs):
        income = self.get_object()
        data = parse(IncomeUpdateSerializer, request)
        income = services.income_set(actor=request.user, household=income.household, year=income.year,
                                     quarter=income.quarter, **data)
        return self._answer(income)
