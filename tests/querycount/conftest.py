"""Query-count checks: a list page (or API list) asks the database the same number of questions for
N rows as for 3N rows. A page that grows has a per-row query (a relation read in a loop, a count per
row) that select_related, prefetch_related or an annotation should answer in one go."""

import collections
import itertools
import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangpin.regions.models import Level, Place

# Rows seeded first; then twice as many more, so the second request lists 3N rows. N stays below
# every page size, so all rows are on the page both times.
N = 2


_place_numbers = itertools.count(100)


def add_place(parent: Place) -> Place:
    """A new township, village or group under `parent` (a county, township or village), with a code and
    a name no other place of the test has."""
    n = next(_place_numbers)
    level, code, name = {
        Level.COUNTY: (Level.TOWNSHIP, f"{parent.code[:6]}{n:03d}000", f"新{n}镇"),
        Level.TOWNSHIP: (Level.VILLAGE, f"{parent.code[:9]}{n:03d}", f"新{n}村"),
        Level.VILLAGE: (Level.GROUP, f"{parent.code}{n:03d}", f"{n}组"),
    }[parent.level]
    return Place.objects.create(code=code, name=name, level=level, parent=parent)


def _shape(sql: str) -> str:
    return re.sub(r"\b\d+\b|'[^']*'", "?", sql)


def count_queries(client, url: str, markers: list[str]) -> CaptureQueriesContext:
    """The queries of one GET of `url`, after a first request that warms one-time caches. Every marker
    (something each seeded row shows: a number, a name) must be on the page."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    body = response.content.decode()
    missing = [marker for marker in markers if marker not in body]
    assert not missing, f"{url} does not list {missing}"
    return captured


def assert_flat(client, url: str | Callable[[], str], seed: Callable[[int], list[str]], n: int = N) -> int:
    """Seed `n` rows, count the queries of the page; seed 2n more, count again: the counts must be
    equal. `seed(k)` adds k rows and returns what each shows on the page; `url` may be a callable
    (for a page about a row `seed` made). Returns the query count."""
    resolve = url if callable(url) else (lambda: url)
    markers = seed(n)
    first = count_queries(client, resolve(), markers)
    markers += seed(2 * n)
    second = count_queries(client, resolve(), markers)
    if len(second) != len(first):
        before = collections.Counter(_shape(q["sql"]) for q in first.captured_queries)
        after = collections.Counter(_shape(q["sql"]) for q in second.captured_queries)
        grown = [f"{after[s] - before[s]:+d} × {s[:300]}" for s in after if after[s] != before[s]]
        pytest.fail(f"{resolve()}: {len(first)} queries with {n} rows, {len(second)} with {3 * n}; "
                    "queries that grew:\n" + "\n".join(grown))
    return len(first)


@pytest.fixture
def signed_in(client):
    """A test client signed in as `user`."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
