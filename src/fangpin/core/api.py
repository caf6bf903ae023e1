"""API plumbing shared by every app: area-scoped viewsets, permission by name, personal-data
masking with accountable unmasking, and one error format.

Every error body is `{"code", "message", "field"?, "details"?}`: `code` is stable for programs,
`message` is for people (Chinese), `field` names the input that was wrong.
"""

import os

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .audit import log_access
from .errors import CoreErrorCode, MissingPermission, ServiceError, ValidationFailed, error_code_choices
from .masking import mask_id_number, mask_phone
from .models import AccessLog
from .roles import Perm

# ---------------------------------------------------------------- errors


def exception_handler(exc, context):
    """Service errors keep their code and status; DRF's own errors get the same body shape."""
    if isinstance(exc, NamedPermissionDenied):
        exc = exc.error
    if isinstance(exc, ServiceError):
        set_rollback()
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        response.data = _error_body(exc)
    return response


def _error_body(exc: exceptions.APIException) -> dict:
    if not isinstance(exc, exceptions.ValidationError):
        return {"code": exc.get_codes(), "message": str(exc.detail)}
    field, error = _first_error(exc.detail)
    body = {"code": field_error_code(error).value,
            "message": f"{field}：{error}" if field else str(error),
            "details": exc.detail}
    if field:
        body["field"] = field
    return body


def _first_error(detail, path: str = ""):
    """The first message in a nested DRF error structure, with the dotted path of its field."""
    if isinstance(detail, dict):
        key, value = next(iter(detail.items()))
        name = "" if key == "non_field_errors" else str(key)
        return _first_error(value, f"{path}.{name}".strip(".") if name else path)
    if isinstance(detail, list) and detail:
        return _first_error(detail[0], path)
    return path, detail


def field_error_code(error) -> CoreErrorCode:
    """The code of a DRF field error: its own when core declares it (required, max_length...), else
    the generic `invalid` (the message and the details still say what was wrong)."""
    code = getattr(error, "code", None)
    return CoreErrorCode(code) if code in CoreErrorCode._value2member_map_ else CoreErrorCode.INVALID


def invalid_input(serializer: serializers.Serializer) -> ValidationFailed:
    """The error for input a serializer refused, worded with the field's label for people."""
    field, error = _first_error(serializer.errors)
    top = field.split(".")[0]
    label = serializer.fields[top].label if top in serializer.fields else None
    message = f"{label or field}：{error}" if field else str(error)
    return ValidationFailed(field_error_code(error), message, field=field or None,
                            details=serializer.errors)


class ErrorSerializer(serializers.Serializer):
    """The body of every error response (for the schema)."""

    code = serializers.ChoiceField(choices=(), help_text=gettext_lazy("稳定的错误代码，供程序判断（各代码的含义见枚举说明）"))
    message = serializers.CharField(help_text=gettext_lazy("给人看的说明"))
    field = serializers.CharField(required=False, help_text=gettext_lazy("出错的输入字段"))
    details = serializers.JSONField(required=False, help_text=gettext_lazy("更多信息，如缺少的权限代码或各字段的错误"))

    def get_fields(self):
        fields = super().get_fields()
        fields["code"].choices = error_code_choices()
        return fields


def error_responses(*statuses: int) -> dict:
    """Schema entries for the error statuses a write action can answer with."""
    meaning = {
        400: gettext_lazy("输入有误，未写入任何数据"),
        403: gettext_lazy("缺少权限（details 中给出权限代码）或不在辖区内"),
        404: gettext_lazy("记录不存在或不在您的辖区内"),
        409: gettext_lazy("记录已被他人修改（version 过期），请重新读取"),
    }
    return {status: OpenApiResponse(ErrorSerializer, description=meaning[status]) for status in statuses}


# ---------------------------------------------------------------- permissions


class HasNamedPermission(permissions.BasePermission):
    """The view names the permission of the current action; the user's role must hold it.

    A refusal is a 403 whose body names the missing permission. A view that names none is closed.
    """

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        perm = view.get_required_perm() if hasattr(view, "get_required_perm") else getattr(view, "required_perm", "")
        if not perm:
            return False
        try:
            request.user.require(perm)
        except MissingPermission as error:
            raise NamedPermissionDenied(error) from None
        return True


class NamedPermissionDenied(exceptions.PermissionDenied):
    """A missing named permission as DRF's own refusal, so that DRF code probing permissions (the
    browsable API deciding which forms to offer) treats it as "no" rather than crashing; the answer
    keeps the service error's body (code, message, the permission in details)."""

    def __init__(self, error: MissingPermission):
        self.error = error
        super().__init__(error.message, error.code)


# ---------------------------------------------------------------- personal data

# What `?unmask=` can reveal, and the permission each kind needs.
PERSONAL_KINDS: dict[str, str] = {"id_number": Perm.UNMASK_ID_NUMBER, "phone": Perm.UNMASK_PHONE}
_MASKERS = {"id_number": mask_id_number, "phone": mask_phone}
_ALL = {"1", "true", "yes", "all"}
_NONE = {"", "0", "false", "no"}


def unmask_parameters(kinds: tuple[str, ...]) -> list[OpenApiParameter]:
    """`unmask` and the `unmask_reason` it requires, for the schema of a resource holding `kinds`."""
    return [
        OpenApiParameter(
            "unmask",
            OpenApiTypes.STR,
            description=gettext_lazy(
                "显示完整的个人信息（默认脱敏）。取值 1 表示本资源含有的全部种类（%(kinds)s），也可用逗号列出种类。"
                "每个种类需要对应权限（身份证号：查看完整身份证号；电话：查看完整电话号码）；缺少时返回 403，"
                "并在 details 中给出缺少的权限代码，不会悄悄返回脱敏数据。须同时给出 unmask_reason。"
                "每次显示完整信息都连同原因记入敏感信息访问记录。"
            ) % {"kinds": ", ".join(kinds)},
        ),
        OpenApiParameter(
            "unmask_reason",
            OpenApiTypes.STR,
            description=gettext_lazy("查看完整信息的原因（与 unmask 同用，必填，最多200字），记入敏感信息访问记录。"),
        ),
    ]


@extend_schema_field(OpenApiTypes.STR)
class MaskedField(serializers.Field):
    """A personal value shown masked unless the request unmasked its kind.

    `kind` picks the permission and the mask; `hidden_when_masked` shows nothing at all instead
    (a birth date would reveal the digits an ID-number mask hides). Every value shown in full is
    recorded in the serializer context for the access log.
    """

    def __init__(self, kind: str, *, hidden_when_masked: bool = False, **kwargs):
        self.kind = kind
        self.hidden_when_masked = hidden_when_masked
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return instance, super().get_attribute(instance)

    def to_representation(self, data):
        instance, value = data
        if value in (None, ""):
            return None if self.hidden_when_masked else ""
        if self.kind in self.context.get("unmask", ()):
            self.context["revealed"].append((instance, self.field_name))
            return value.isoformat() if hasattr(value, "isoformat") else value
        return None if self.hidden_when_masked else _MASKERS[self.kind](value)


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """Input reference to an area-scoped row: only rows the requesting user may see can be named,
    and only those are offered in the browsable API's forms."""

    def __init__(self, model, perm: str, **kwargs):
        self.scoped_model = model
        self.perm = perm
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return self.scoped_model.objects.restrict(getattr(request, "user", None), self.perm)


# ---------------------------------------------------------------- viewsets


class AreaScopedViewSet(viewsets.ReadOnlyModelViewSet):
    """Reads go through `Model.objects.restrict(user, perm)`: no route can forget the area.

    `required_perm` guards reading; `action_perms` names the permission of each write action.
    Writes look their row up through the same restricted queryset and hand the input to a service.
    `personal_kinds` lists what `?unmask=` may reveal on this resource.
    """

    permission_classes = [permissions.IsAuthenticated, HasNamedPermission]
    required_perm: str = ""
    action_perms: dict[str, str] = {}
    personal_kinds: tuple[str, ...] = ()
    model = None
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple = ()

    def get_required_perm(self) -> str:
        return self.action_perms.get(self.action, self.required_perm)

    def get_queryset(self):
        queryset = self.model.objects.restrict(self.request.user, self.required_perm)
        queryset = queryset.select_related(*self.select_related).prefetch_related(*self.prefetch_related)
        return self.refine_queryset(queryset)

    def refine_queryset(self, queryset):
        """Annotations a resource needs on top of the restricted rows."""
        return queryset

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.unmasked = self._requested_unmask(request)
        self.revealed: list = []
        for kind in sorted(self.unmasked):
            request.user.require(PERSONAL_KINDS[kind])
        self.unmask_reason = " ".join(request.query_params.get("unmask_reason", "").split())[:200]
        if self.unmasked and not self.unmask_reason:
            raise ValidationFailed(CoreErrorCode.UNMASK_REASON_MISSING, _("请用 unmask_reason 说明查看完整信息的原因。"),
                                   field="unmask_reason")

    def _requested_unmask(self, request) -> frozenset[str]:
        raw = request.query_params.get("unmask", "").strip().lower()
        if raw in _NONE or not self.personal_kinds:
            return frozenset()
        if raw in _ALL:
            return frozenset(self.personal_kinds)
        kinds = {part.strip() for part in raw.split(",") if part.strip()}
        unknown = kinds - set(self.personal_kinds)
        if unknown:
            raise ValidationFailed(
                CoreErrorCode.UNMASK_VALUE,
                _("unmask 只能是 1 或这些种类：%(kinds)s") % {"kinds": ", ".join(self.personal_kinds)},
                field="unmask",
            )
        return frozenset(kinds)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["unmask"] = getattr(self, "unmasked", frozenset())
        context["revealed"] = getattr(self, "revealed", [])
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        if getattr(self, "revealed", None) and response.status_code < 400:
            self._log_unmasking(request)
        return super().finalize_response(request, response, *args, **kwargs)

    def _log_unmasking(self, request) -> None:
        objects: dict[str, set[int]] = {}
        fields: set[str] = set()
        codes: set[str] = set()
        for instance, field in self.revealed:
            objects.setdefault(instance._meta.label_lower, set()).add(instance.pk)
            fields.add(field)
            codes.add(instance.area_code)
        log_access(
            actor=request.user,
            kind=AccessLog.Kind.UNMASK,
            area_code=containing_code(codes),
            target=request.get_full_path(),
            detail={"fields": sorted(fields), "objects": {k: sorted(v) for k, v in objects.items()},
                    "reason": self.unmask_reason},
        )
        self.revealed.clear()


def containing_code(codes: set[str]) -> str:
    """The code of the smallest place holding all `codes`: their common prefix cut back to a
    level boundary (county 6, township 9, village 12, group 15 digits), padded to 12 digits."""
    ordered = sorted(codes)
    prefix = os.path.commonprefix([ordered[0], ordered[-1]])
    level = max((n for n in (6, 9, 12, 15) if n <= len(prefix)), default=0)
    return prefix[:level].ljust(12, "0")
