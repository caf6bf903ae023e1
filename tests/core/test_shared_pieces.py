"""Pieces every app shares from core: the county of a place, YYYY-MM periods and month arithmetic, money
as pages show it, and the working-day calendar with a county's own entries."""

import datetime
from decimal import Decimal

import pytest

from fangpin.core.areas import county_of, user_county
from fangpin.core.calendar import WorkCalendar
from fangpin.core.errors import ValidationFailed
from fangpin.core.models import User
from fangpin.core.money import money_text
from fangpin.core.periods import add_months, parse_period
from fangpin.regions.models import Level, Place


@pytest.mark.parametrize("key", ["county", "t1", "t1v2", "t2v1g1"])
def test_county_of_every_level(places, key):
    assert county_of(places[key]) == places["county"]


def test_county_of_reads_parents_already_loaded_without_a_query(places, django_assert_num_queries):
    group = Place.objects.select_related("parent__parent__parent").get(pk=places["t1v1g1"].pk)
    with django_assert_num_queries(0):
        assert county_of(group).code == "510101000000"


def test_a_place_under_no_county_is_refused(db):
    township = Place.objects.create(code="520101001000", name="无县之镇", level=Level.TOWNSHIP)
    with pytest.raises(ValidationFailed) as refused:
        county_of(township)
    assert refused.value.code == "county_missing"


def test_user_county(places, village_cadre):
    assert user_county(village_cadre) == places["county"]
    assert user_county(User(username="no_place_yet")) is None


@pytest.mark.parametrize("text, first", [("2026-03", datetime.date(2026, 3, 1)), (" 2025-12 ", datetime.date(2025, 12, 1))])
def test_parse_period(text, first):
    assert parse_period(text) == first


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-3", "26-03", "1999-05", "", None, "2026/03"])
def test_a_period_that_is_not_a_month_is_refused(text):
    with pytest.raises(ValidationFailed) as refused:
        parse_period(text)
    assert refused.value.code == "period_format" and refused.value.field == "period"


@pytest.mark.parametrize("day, months, expected", [
    (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
    (datetime.date(2024, 1, 31), 1, datetime.date(2024, 2, 29)),
    (datetime.date(2025, 8, 31), 6, datetime.date(2026, 2, 28)),
    (datetime.date(2025, 11, 15), 3, datetime.date(2026, 2, 15)),
    (datetime.date(2026, 3, 31), -1, datetime.date(2026, 2, 28)),
])
def test_add_months_keeps_the_day_or_takes_the_last_of_the_month(day, months, expected):
    assert add_months(day, months) == expected


def test_money_text():
    assert money_text(Decimal("1234567.5")) == "1,234,567.50"
    assert money_text(None) == "—"


def test_work_calendar_entries_override_the_published_days():
    national_day = datetime.date(2026, 10, 1)
    assert not WorkCalendar().is_workday(national_day)
    assert WorkCalendar({national_day: True}).is_workday(national_day)
