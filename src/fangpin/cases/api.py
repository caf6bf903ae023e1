"""Cases API: identification and elimination cases with their stage records, public notices and
monitoring periods, read area-scoped; and the actions `open` (identification), `decide` and
`announce`, which call the same services as the web pages."""

import django_filters
from django.utils.translation import gettext, gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from fangpin.cases.errors import CasesErrorCode
from fangpin.core.api import AreaScopedViewSet, ScopedPrimaryKeyRelatedField, error_responses
from fangpin.core.errors import PermissionDenied
from fangpin.core.roles import Perm
from fangpin.monitoring.choices import MAX_RISK_TYPES, DisasterSubtype, MonitoredCategory, MonitoringStatus, RiskType
from fangpin.monitoring.models import Lead, Monitoring, MonthlyListLine
from fangpin.regions.models import Place
from fangpin.registry.api import parse
from fangpin.registry.idnumber import normalise_text
from fangpin.registry.models import Household

from . import services
from .choices import CaseKind, CaseStatus, ConfirmationStatus, Decision
from .models import Case, PublicNotice, StageRecord
from .procedure import stage_label

# ---------------------------------------------------------------- read serializers


class StageRecordSerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(source="actor.display_name", read_only=True, allow_null=True,
                                       label=_("办理人"))
    decision_label = serializers.CharField(source="get_decision_display", read_only=True)
    attachments = serializers.SerializerMethodField(label=_("附件"))
    confirmations = serializers.SerializerMethodField(label=_("参与确认"))

    class Meta:
        model = StageRecord
        fields = ["id", "stage_index", "stage_code", "stage_name", "stage_kind", "actor", "actor_name",
                  "actor_role", "decision", "decision_label", "return_to", "reason", "participants", "details",
                  "started_on", "due_on", "decided_at", "overdue", "attachments", "confirmations"]
        read_only_fields = fields

    def get_attachments(self, record) -> list[dict]:
        return [{"id": a.pk, "kind": a.kind, "name": a.name, "size": a.size} for a in record.attachments.all()]

    def get_confirmations(self, record) -> list[dict]:
        return [{"id": c.pk, "person": c.person_id, "name": c.person.display_name, "status": c.status,
                 "answered_at": c.answered_at, "reason": c.reason} for c in record.confirmations.all()]


class CaseSerializer(serializers.ModelSerializer):
    household_number = serializers.CharField(source="household.number", read_only=True, label=_("户编号"))
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    stage_code = serializers.SerializerMethodField(label=_("当前环节代码"))
    stage_name = serializers.SerializerMethodField(label=_("当前环节"))

    class Meta:
        model = Case
        fields = ["id", "number", "kind", "kind_label", "status", "status_label", "household", "household_number",
                  "category", "risk_types", "disaster_subtype", "method", "summary", "green_channel",
                  "stage_index", "stage_code", "stage_name", "stage_started_on", "stage_due_on", "due_on",
                  "lead", "monthly_line", "monitoring", "procedure", "opened_at", "closed_at", "outcome_reason",
                  "escalated_at", "version"]
        read_only_fields = fields

    def get_stage_code(self, case) -> str | None:
        return case.stage["code"] if case.is_open else None

    def get_stage_name(self, case) -> str | None:
        return stage_label(case.stage) if case.is_open else None


class CaseDetailSerializer(CaseSerializer):
    records = StageRecordSerializer(many=True, read_only=True, label=_("办理记录"))

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "stages", "eligibility", "green_channel_reason", "records"]
        read_only_fields = fields


class NoticeSerializer(serializers.ModelSerializer):
    village_name = serializers.CharField(source="village.name", read_only=True, label=_("村"))
    publisher = serializers.CharField(source="published_by.display_name", read_only=True, label=_("发布人"))
    cases = serializers.PrimaryKeyRelatedField(many=True, read_only=True, label=_("公示案件"))

    class Meta:
        model = PublicNotice
        fields = ["id", "number", "kind", "village", "village_name", "starts_on", "ends_on", "objection_phone",
                  "cases", "publisher", "published_at"]
        read_only_fields = fields


class MonitoringSerializer(serializers.ModelSerializer):
    household_number = serializers.CharField(source="household.number", read_only=True, label=_("户编号"))
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Monitoring
        fields = ["id", "household", "household_number", "category", "category_label", "risk_types",
                  "disaster_subtype", "status", "status_label", "identified_on", "identification_case",
                  "eliminated_on", "elimination_case", "elimination_method", "version"]
        read_only_fields = fields


# ---------------------------------------------------------------- input serializers


class DecideInput(serializers.Serializer):
    expected_version = serializers.IntegerField(min_value=1, label=_("版本号"),
                                                help_text=_("读取案件时得到的 version；案件已被他人办理时返回 409"))
    decision = serializers.ChoiceField([Decision.APPROVE, Decision.REJECT, Decision.RETURN], label=_("审核决定"))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, label=_("意见和理由"))
    return_to = serializers.IntegerField(required=False, allow_null=True, min_value=0, label=_("退回至环节"),
                                         help_text=_("退回时必填：要退回到的环节序号（从0起）"))
    participants = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False,
                                         label=_("其他参与人员（账号 id）"),
                                         help_text=_("通过时列出一同办理的其他账号；每人须用自己的账号确认参与"))
    details = serializers.DictField(required=False, label=_("办理情况"),
                                    help_text=_("须承诺授权的环节填 commitment_signed 和 data_authorised"))


class ParticipationInput(serializers.Serializer):
    expected_version = serializers.IntegerField(min_value=1, label=_("版本号"))
    confirmed = serializers.BooleanField(label=_("确认参与"), help_text=_("false 表示不确认，须说明理由，本环节退回"))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, label=_("不确认的理由"))


class AnnounceInput(serializers.Serializer):
    expected_version = serializers.IntegerField(min_value=1, label=_("版本号"))
    text = serializers.CharField(required=False, allow_blank=True, max_length=2000, label=_("公告说明"))


@extend_schema_field(OpenApiTypes.INT)
class ScopedId(ScopedPrimaryKeyRelatedField):
    """A row of the requester's area, named by its id."""


class OpenInput(serializers.Serializer):
    household = ScopedId(Household, Perm.OPEN_CASE, label=_("农户"))
    category = serializers.ChoiceField(MonitoredCategory.choices, label=_("监测对象类别"))
    risk_types = serializers.ListField(child=serializers.ChoiceField(RiskType.choices), min_length=1,
                                       max_length=MAX_RISK_TYPES, label=_("风险类型"))
    disaster_subtype = serializers.ChoiceField(DisasterSubtype.choices, required=False, allow_blank=True,
                                               label=_("灾害类型"))
    summary = serializers.CharField(required=False, allow_blank=True, max_length=500, label=_("情况说明"))
    lead = ScopedId(Lead, Perm.OPEN_CASE, required=False, allow_null=True, label=_("来源线索"))
    monthly_line = ScopedId(MonthlyListLine, Perm.OPEN_CASE, required=False, allow_null=True,
                                                label=_("来源月度名单"))
    green_channel = serializers.BooleanField(required=False, default=False, label=_("绿色通道"))
    green_channel_reason = serializers.CharField(required=False, allow_blank=True, max_length=300,
                                                 label=_("绿色通道理由"))


# ---------------------------------------------------------------- filters
# Households and places are named by id or code, never offered as a list of every row.


def _in_place(queryset, field: str, value: str):
    place = Place.objects.unrestricted().filter(code=normalise_text(value)).first()  # narrows a restricted list
    if place is None:
        return queryset.none()
    return queryset.filter(**{f"{field}__startswith": place.scope_prefix})


class CaseApiFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=CaseKind.choices, label=_("办理事项"))
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices, label=_("状态"))
    household = django_filters.NumberFilter(field_name="household_id", label=_("农户（id）"))
    place = django_filters.CharFilter(method="filter_place", label=_("区划代码"))

    class Meta:
        model = Case
        fields = ["kind", "status", "household", "place"]

    def filter_place(self, queryset, name, value):
        return _in_place(queryset, "household__place__code", value)


class NoticeApiFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=CaseKind.choices, label=_("公示事项"))
    place = django_filters.CharFilter(method="filter_place", label=_("区划代码"))

    class Meta:
        model = PublicNotice
        fields = ["kind", "place"]

    def filter_place(self, queryset, name, value):
        return _in_place(queryset, "village__code", value)


class MonitoringApiFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=MonitoringStatus.choices, label=_("状态"))
    category = django_filters.ChoiceFilter(choices=MonitoredCategory.choices, label=_("监测对象类别"))
    household = django_filters.NumberFilter(field_name="household_id", label=_("农户（id）"))
    place = django_filters.CharFilter(method="filter_place", label=_("区划代码"))

    class Meta:
        model = Monitoring
        fields = ["status", "category", "household", "place"]

    def filter_place(self, queryset, name, value):
        return _in_place(queryset, "household__place__code", value)


# ---------------------------------------------------------------- viewsets


@extend_schema_view(list=extend_schema(summary=_("案件列表")), retrieve=extend_schema(summary=_("案件详情（含办理记录）")))
class CaseViewSet(AreaScopedViewSet):
    model = Case
    required_perm = Perm.VIEW_CASES
    action_perms = {"open": Perm.OPEN_CASE}
    select_related = ("household",)
    filterset_class = CaseApiFilter

    def refine_queryset(self, queryset):
        if self.action != "list":
            queryset = queryset.prefetch_related("records__actor", "records__attachments",
                                                 "records__confirmations__person")
        return queryset

    def get_serializer_class(self):
        return CaseSerializer if self.action == "list" else CaseDetailSerializer

    def _answer(self, case, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=case.pk)
        return Response(CaseDetailSerializer(fresh, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(summary=_("办理当前环节：通过、不予通过或退回"), request=DecideInput,
                   responses={200: CaseDetailSerializer, **error_responses(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def decide(self, request, *args, **kwargs):
        case = self.get_object()
        data = parse(DecideInput, request)
        decision = services.StageInput(decision=data["decision"], reason=data.get("reason", ""),
                                       return_to=data.get("return_to"), participants=data.get("participants", []),
                                       details=data.get("details", {}))
        case = services.case_decide(actor=request.user, case=case, expected_version=data["expected_version"],
                                    decision=decision)
        return self._answer(case)

    @extend_schema(summary=_("参与人员确认或不确认参与本环节"), request=ParticipationInput,
                   responses={200: CaseDetailSerializer, **error_responses(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def participation(self, request, *args, **kwargs):
        case = self.get_object()
        data = parse(ParticipationInput, request)
        mine = case.confirmations.filter(person=request.user).order_by("-pk")
        confirmation = mine.filter(status=ConfirmationStatus.PENDING).first() or mine.first()
        if confirmation is None:
            raise PermissionDenied(CasesErrorCode.NOT_PARTICIPANT, gettext("%(who)s没有被列为本案件的参与人员，不能确认：每位参与人须用自己的账号确认。")
                                   % {"who": request.user.display_name})
        if data["confirmed"]:
            services.participation_confirm(actor=request.user, confirmation=confirmation,
                                           expected_version=data["expected_version"])
        else:
            services.participation_decline(actor=request.user, confirmation=confirmation,
                                           expected_version=data["expected_version"], reason=data.get("reason", ""))
        return self._answer(case)

    @extend_schema(summary=_("发布公告（最后一个环节）"), request=AnnounceInput,
                   responses={200: CaseDetailSerializer, **error_responses(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def announce(self, request, *args, **kwargs):
        case = self.get_object()
        data = parse(AnnounceInput, request)
        case = services.case_announce(actor=request.user, case=case, expected_version=data["expected_version"],
                                      text=data.get("text", ""))
        return self._answer(case)

    @extend_schema(summary=_("发起识别认定"), request=OpenInput,
                   responses={201: CaseDetailSerializer, **error_responses(400, 403, 409)})
    @action(detail=False, methods=["post"])
    def open(self, request, *args, **kwargs):
        data = parse(OpenInput, request)
        case = services.case_open_identification(actor=request.user, **data)
        return self._answer(case, status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(summary=_("公示列表")), retrieve=extend_schema(summary=_("公示详情")))
class NoticeViewSet(AreaScopedViewSet):
    model = PublicNotice
    required_perm = Perm.VIEW_CASES
    serializer_class = NoticeSerializer
    select_related = ("village", "published_by")
    prefetch_related = ("cases",)
    filterset_class = NoticeApiFilter


@extend_schema_view(list=extend_schema(summary=_("监测对象列表")), retrieve=extend_schema(summary=_("监测对象详情")))
class MonitoringViewSet(AreaScopedViewSet):
    model = Monitoring
    required_perm = Perm.VIEW_CASES
    serializer_class = MonitoringSerializer
    select_related = ("household",)
    filterset_class = MonitoringApiFilter
