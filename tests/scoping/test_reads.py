"""Reading writes nothing: every GET route, walked as several roles with their own rows and other
areas' rows, leaves the change log and the row count of every table as they were. (The access log
is the exception by design: it records reads of personal data, such as exports and unmasking.)"""

import pytest
from django.apps import apps
from django.test import Client

from fangpin.core.models import AccessLog, ChangeLog
from fangpin.core.roles import Role

from ..factories import make_user
from .routes import NOT_WALKED, SAMPLED, SKIPPED_PREFIXES, Pools, Walk, all_routes, fillings, queries_for

# Tables a read may write to, and why.
WRITTEN_BY_READS = {
    AccessLog: "the access log records reads of personal data (exports, unmasking) by design",
}

READERS = [
    (Role.VILLAGE_CADRE, "t1v1"),
    (Role.TOWNSHIP_OFFICER, "t1"),
    (Role.COUNTY_ADMIN, "county"),
]


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()
            if model not in WRITTEN_BY_READS and model._meta.managed and not model._meta.proxy
            and model._meta.label != "sessions.Session"}


def get_walk(client, pools):
    """Every route requested with GET only (as the scoping walk fills it), and the routes after whose
    requests a table's row count or the change log had changed."""
    walk = Walk(client, set(), pools)
    writers = []
    for route in all_routes():
        if route.short_name in NOT_WALKED:
            continue
        before, last_change = row_counts(), ChangeLog.objects.order_by("-pk").values_list("pk", flat=True).first()
        for values, foreign_row in fillings(route, pools):
            url = route.url(values)
            if url.startswith(SKIPPED_PREFIXES):
                break
            walk.walked.add(route.name)
            for query, headers in queries_for(route, pools, foreign_row):
                walk.look(route, "get", url, query, headers)
        after = row_counts()
        changed = {label: (before[label], after[label]) for label in before if before[label] != after[label]}
        newest = ChangeLog.objects.order_by("-pk").values_list("pk", flat=True).first()
        if changed or newest != last_change:
            writers.append(f"GET {route.name}: row counts {changed}, change log {last_change} → {newest}")
    return walk, writers


@pytest.mark.django_db
@pytest.mark.parametrize("role, place_key", READERS, ids=[f"{r}@{p}" for r, p in READERS])
def test_no_get_route_writes(world, role, place_key):
    user = make_user(role, world.places[place_key], "reader")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    walk, writers = get_walk(client, Pools.for_user(user, SAMPLED, seed=READERS.index((role, place_key))))
    assert not writers, "\n".join(writers)
    assert not walk.problems, "\n".join(walk.problems[:20])
    assert len(walk.walked) > 100  # the walk reached the project's routes, not a handful
