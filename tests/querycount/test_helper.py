"""The query-count check itself: it passes a page that reads its rows in one query and fails one that
reads a relation per row, naming the query that grew."""

import pytest
from django.http import HttpResponse

from fangpin.registry.models import Household

from ..factories import make_household
from .conftest import assert_flat


class RowsPage:
    """Answers every GET like a list page: each household's number and village name."""

    def __init__(self, per_row: bool):
        self.per_row = per_row

    def get(self, url):
        households = Household.objects.order_by("pk")
        if not self.per_row:
            households = households.select_related("place")
        return HttpResponse(" ".join(f"{h.number} {h.place.name}" for h in households))


def seed_households(county_admin, place):
    def seed(k):
        return [make_household(county_admin, place).number for _i in range(k)]

    return seed


def test_a_page_reading_rows_in_one_query_passes(county_admin, places):
    assert assert_flat(RowsPage(per_row=False), "/rows/", seed_households(county_admin, places["t1v1g1"])) == 1


def test_a_page_reading_a_relation_per_row_fails(county_admin, places):
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_flat(RowsPage(per_row=True), "/rows/", seed_households(county_admin, places["t1v1g1"]))
    assert "3 queries with 2 rows, 7 with 6" in str(failure.value)
    assert '+4 × SELECT "regions_place"' in str(failure.value)


def test_a_row_missing_from_the_page_fails(county_admin, places):
    seed = seed_households(county_admin, places["t1v1g1"])
    with pytest.raises(AssertionError, match="does not list"):
        assert_flat(RowsPage(per_row=False), "/rows/", lambda k: [*seed(k), "不存在的户"])
