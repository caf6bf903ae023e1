"""Typed errors with stable codes. The UI shows `message`; API clients read `code`."""

from django.utils.translation import gettext as _

from .roles import Perm


class ServiceError(Exception):
    status = 400

    def __init__(self, code: str, message: str, *, field: str | None = None, details=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = details or []

    def as_dict(self) -> dict:
        data = {"code": self.code, "message": self.message}
        if self.field:
            data["field"] = self.field
        if self.details:
            data["details"] = self.details
        return data


class ValidationFailed(ServiceError):
    """Input broke a rule; nothing was written."""


class PermissionDenied(ServiceError):
    status = 403


class MissingPermission(PermissionDenied):
    def __init__(self, perm: str):
        label = Perm(perm).label if perm in Perm.values else perm
        super().__init__("missing_permission", _("缺少权限：%(perm)s") % {"perm": label}, details=[perm])


class Conflict(ServiceError):
    status = 409
