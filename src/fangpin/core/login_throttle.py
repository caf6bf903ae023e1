"""Login throttling with a separate failure limit for each way of counting failures.

django-axes counts failed sign-ins by each entry of `AXES_LOCKOUT_PARAMETERS` but compares every count
with one limit. A county office signs in from one address, so the address needs a higher limit than a
user name: `FANGPIN_LOGIN_FAILURE_LIMITS` gives each counting its own, keyed "username+ip_address",
"username" and "ip_address". The sign-in is refused as soon as any count reaches its limit.
"""

from django.conf import settings
from django.db.models import Sum

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit, get_lockout_parameters


def _key(parameter) -> str:
    return parameter if isinstance(parameter, str) else "+".join(parameter)


class LoginThrottleHandler(AxesDatabaseHandler):
    """axes' database handler, with the limit chosen per counting.

    axes compares `get_failures()` with `AXES_FAILURE_LIMIT` everywhere (before authenticating and after a
    failure). This handler returns, for the counting closest to its own limit, the failures shifted onto the
    `AXES_FAILURE_LIMIT` scale: `failures + AXES_FAILURE_LIMIT - own_limit`. That value reaches
    `AXES_FAILURE_LIMIT` exactly when some count reaches its own limit.
    """

    def get_failures(self, request, credentials=None) -> int:
        base_limit = get_failure_limit(request, credentials)
        limits = getattr(settings, "FANGPIN_LOGIN_FAILURE_LIMITS", {})
        parameters = get_lockout_parameters(request, credentials)
        worst = 0
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            if not failures:
                continue
            own_limit = limits.get(_key(parameter), base_limit)
            worst = max(worst, failures + base_limit - own_limit)
        return worst

    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a successful sign-in, forget that user name's failures only. axes would also clear every
        failure counted against the address, so that signing in to one's own account would wipe the
        failures of user names sprayed from the same address."""
        parameters = get_lockout_parameters(request, credentials)
        count = 0
        for parameter, attempts in zip(parameters, self.filter_user_attempts(request, credentials), strict=True):
            if "username" in ([parameter] if isinstance(parameter, str) else parameter):
                count += attempts.delete()[0]
        return count


def client_address_behind_proxy(request) -> str | None:
    """The client's address when a TLS proxy (FANGPIN_PROXY_SSL_HEADER) stands in front: the last entry of
    X-Forwarded-For is the one our proxy appended; earlier entries come from the client and can be forged."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    entries = [entry.strip() for entry in forwarded.split(",") if entry.strip()]
    return entries[-1] if entries else request.META.get("REMOTE_ADDR")
