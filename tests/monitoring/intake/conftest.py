import pytest
from django.core.cache import cache

from fangpin.core.roles import Role

from ...factories import make_household, make_user


@pytest.fixture(autouse=True)
def fresh_limits():
    """Rate-limit counts live in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def township_officer(places):
    return make_user(Role.TOWNSHIP_OFFICER, places["t1"], "township1")


@pytest.fixture
def other_township_officer(places):
    return make_user(Role.TOWNSHIP_OFFICER, places["t2"], "township2")


@pytest.fixture
def county_officer(places):
    return make_user(Role.COUNTY_OFFICER, places["county"], "county1")


@pytest.fixture
def household(county_admin, places):
    return make_household(county_admin, places["t1v1"], members=3, phone="13912345678")
