"""Counting what the public pages accept from one phone or one address, without an account.

Counts live in Django's cache in fixed windows. A county may change any limit in settings:

    FANGPIN_INTAKE_LIMITS = {"declare_ip": (5, 3600), "declare_phone": (3, 86400), ...}

each value (how many, seconds). With several server processes the cache must be shared
(database or Redis cache) for the counts to hold across them.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

DEFAULT_LIMITS = {
    "declare_ip": (5, 3600),  # self-declarations accepted per client address per hour
    "declare_phone": (3, 86400),  # self-declarations per phone per day
    "tip_ip": (5, 3600),
    "tip_phone": (3, 86400),
    "status_ip": (20, 3600),  # status look-ups (ack number + phone) per address per hour
    "refused_ip": (30, 3600),  # refused submissions (bad input, honeypot) per address per hour
}


def limit_of(name: str) -> tuple[int, int]:
    configured = getattr(settings, "FANGPIN_INTAKE_LIMITS", {}) or {}
    count, seconds = configured.get(name, DEFAULT_LIMITS[name])
    return int(count), int(seconds)


def client_address(request) -> str:
    """The client's address. Behind a reverse proxy, set FANGPIN_INTAKE_CLIENT_IP_HEADER to the
    header the proxy writes (e.g. "HTTP_X_REAL_IP"); a header the client can write is not trusted
    otherwise."""
    header = getattr(settings, "FANGPIN_INTAKE_CLIENT_IP_HEADER", "")
    value = request.META.get(header, "") if header else ""
    return (value.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "")) or "unknown"


@dataclass(frozen=True)
class Counter:
    name: str
    key: str

    @property
    def cache_key(self) -> str:
        return f"fangpin:intake:{self.name}:{self.key}"

    def used(self) -> int:
        return cache.get(self.cache_key, 0)

    def exhausted(self) -> bool:
        count, _seconds = limit_of(self.name)
        return self.used() >= count

    def hit(self) -> None:
        _count, seconds = limit_of(self.name)
        if cache.add(self.cache_key, 1, seconds):
            return
        try:
            cache.incr(self.cache_key)
        except ValueError:  # expired between add and incr
            cache.add(self.cache_key, 1, seconds)


def counters(kind: str, *, address: str, phone: str = "") -> list[Counter]:
    found = [Counter(f"{kind}_ip", address)]
    if phone and f"{kind}_phone" in DEFAULT_LIMITS:
        found.append(Counter(f"{kind}_phone", phone))
    return found
