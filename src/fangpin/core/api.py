"""API plumbing shared by every app: area-scoped viewsets, permission by name, error format."""

from rest_framework import permissions, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ServiceError


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return Response(exc.as_dict(), status=exc.status)
    return drf_exception_handler(exc, context)


class HasNamedPermission(permissions.BasePermission):
    """The view names `required_perm`; the user's role must hold it."""

    def has_permission(self, request, view):
        perm = getattr(view, "required_perm", None)
        return bool(perm and request.user.is_authenticated and request.user.has_perm_named(perm))


class AreaScopedViewSet(viewsets.ReadOnlyModelViewSet):
    """Reads go through `Model.objects.restrict(user, perm)`: no route can forget the area."""

    permission_classes = [permissions.IsAuthenticated, HasNamedPermission]
    required_perm: str = ""
    model = None
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()

    def get_queryset(self):
        queryset = self.model.objects.restrict(self.request.user, self.required_perm)
        return queryset.select_related(*self.select_related).prefetch_related(*self.prefetch_related)
