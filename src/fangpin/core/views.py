"""Web plumbing shared by every app: area-scoped views and permission by name."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied


class PermissionRequiredMixin(LoginRequiredMixin):
    """The view names `required_perm`; the user's role must hold it (403 names what is missing)."""

    required_perm: str = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm_named(self.required_perm):
            from .roles import Perm

            raise DjangoPermissionDenied(Perm(self.required_perm).label)
        return super().dispatch(request, *args, **kwargs)


class AreaScopedMixin(PermissionRequiredMixin):
    """List and detail views read `model.objects.restrict(user, perm)`; objects outside the area 404."""

    model = None

    def get_queryset(self):
        return self.model.objects.restrict(self.request.user, self.required_perm)
