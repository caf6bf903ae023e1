"""Per-county locks that serialise whole-county writes (ledger merges, department feed merges).

    with transaction.atomic():
        county_lock("510101", "ledger_merge")
        ...  # nobody else holds this county's "ledger_merge" lock until the transaction ends

On PostgreSQL the lock is a transaction-level advisory lock (`pg_advisory_xact_lock`) on a 64-bit
key derived from the purpose and the county code; it is released at commit or rollback, also when
the process dies. On SQLite a transaction already holds the database's write lock from its start
(the settings use IMMEDIATE transactions); the lock is made explicit as a `CountyLock` row, updated
inside the transaction, so that both databases share one API and the row says who took it last."""

from __future__ import annotations

import hashlib
import os
import socket
from contextlib import contextmanager

from django.db import connection, transaction
from django.utils import timezone

from .models import CountyLock

__all__ = ["county_lock", "county_locks", "county_lock_try", "county_prefix", "county_transaction", "lock_holder",
           "holder_is_gone"]


class LockOutsideTransaction(RuntimeError):
    """A county lock only makes sense inside `transaction.atomic()`: it is released at its end."""


def county_prefix(code: str) -> str:
    """The 6-digit county part of a place code (county, township, village or group)."""
    code = (code or "").strip()
    if len(code) < 6 or not code[:6].isdigit():
        raise ValueError(f"not a county or lower place code: {code!r}")
    return code[:6]


def _key(county: str, purpose: str) -> str:
    return f"{purpose}:{county}"


def _advisory_key(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def lock_holder() -> str:
    """This process, as recorded by whoever takes a lock or starts long work: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_is_gone(holder: str) -> bool | None:
    """True when `holder` (from `lock_holder`) names a process on this host that no longer runs,
    False when it runs, None when it is on another host (or unreadable) and cannot be checked."""
    host, _sep, pid = (holder or "").rpartition(":")
    if not host or not pid.isdigit() or host != socket.gethostname():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it exists, under another user
    return False


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise LockOutsideTransaction("county locks are held until the transaction ends: take them inside atomic()")


def _take_row(key: str) -> None:
    CountyLock.objects.get_or_create(key=key)
    # The UPDATE is what holds it: SQLite's write lock (taken at BEGIN IMMEDIATE) or a row lock elsewhere.
    CountyLock.objects.select_for_update().filter(key=key).update(acquired_at=timezone.now(), holder=lock_holder())


def county_lock(county_code: str, purpose: str) -> None:
    """Wait for and take the county's lock for `purpose`; it is held until the transaction ends."""
    _require_transaction()
    key = _key(county_prefix(county_code), purpose)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_advisory_key(key)])
        return
    _take_row(key)


def county_locks(county_codes, purpose: str) -> list[str]:
    """Take several counties' locks in one order (sorted), so that two holders never wait on each
    other; returns the county prefixes locked."""
    counties = sorted({county_prefix(code) for code in county_codes})
    for county in counties:
        county_lock(county, purpose)
    return counties


def county_lock_try(county_code: str, purpose: str) -> bool:
    """Take the county's lock only if nobody holds it; True when taken (held until the transaction
    ends). On SQLite the transaction that runs this already has the database's write lock, so a
    running merge has either finished or not started: the lock is free."""
    _require_transaction()
    key = _key(county_prefix(county_code), purpose)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_advisory_key(key)])
            return bool(cursor.fetchone()[0])
    _take_row(key)
    return True


@contextmanager
def county_transaction(county_code: str, purpose: str):
    """`transaction.atomic()` that starts by taking the county's lock for `purpose`."""
    with transaction.atomic():
        county_lock(county_code, purpose)
        yield
