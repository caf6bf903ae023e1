"""County locks: taken inside a transaction only, keyed by the county part of a place code and the
purpose, recorded as a row on SQLite and as an advisory lock on PostgreSQL."""

import os
import socket
import threading

import pytest
from django.db import connection, connections, transaction

from fangpin.core.locks import (LockOutsideTransaction, county_lock, county_lock_try, county_locks, county_prefix,
                                county_transaction, holder_is_gone, lock_holder)
from fangpin.core.models import CountyLock


def test_county_prefix_takes_the_county_part_of_any_lower_code():
    assert county_prefix("510101002001") == "510101" == county_prefix("510101")
    for bad in ("", "5101", "abcdef123456"):
        with pytest.raises(ValueError):
            county_prefix(bad)


def test_holder_names_this_process_and_sees_a_dead_one():
    assert lock_holder() == f"{socket.gethostname()}:{os.getpid()}"
    assert holder_is_gone(lock_holder()) is False
    assert holder_is_gone("some-other-host:1") is None
    assert holder_is_gone("garbage") is None


@pytest.mark.django_db(transaction=True)
def test_a_lock_is_only_taken_inside_a_transaction():
    with pytest.raises(LockOutsideTransaction):
        county_lock("510101", "ledger_merge")


@pytest.mark.django_db
def test_locks_in_one_order_and_the_sqlite_row(places):
    with transaction.atomic():
        assert county_locks(["510102001001", "510101000000", "510101002000"], "feed_merge") == ["510101", "510102"]
        assert county_lock_try("510101", "ledger_merge")
    with county_transaction("510103001", "feed_merge"):
        assert connection.in_atomic_block
    if connection.vendor == "sqlite":
        rows = dict(CountyLock.objects.values_list("key", "holder"))
        assert rows == {"feed_merge:510101": lock_holder(), "feed_merge:510102": lock_holder(),
                        "ledger_merge:510101": lock_holder(), "feed_merge:510103": lock_holder()}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="another connection holding the lock needs PostgreSQL")
def test_a_held_lock_is_not_free_for_another_connection_until_its_transaction_ends():
    taken, checked = threading.Event(), threading.Event()
    seen = {}

    def holder():
        try:
            with transaction.atomic():
                county_lock("510101", "ledger_merge")
                taken.set()
                checked.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    taken.wait(10)
    with transaction.atomic():
        seen["while_held"] = county_lock_try("510101", "ledger_merge")
        seen["other_purpose"] = county_lock_try("510101", "feed_merge")
        seen["other_county"] = county_lock_try("510102", "ledger_merge")
    checked.set()
    thread.join(10)
    with transaction.atomic():
        seen["after"] = county_lock_try("510101", "ledger_merge")
    assert seen == {"while_held": False, "other_purpose": True, "other_county": True, "after": True}
