import pytest
from django.core.cache import cache


from ...factories import make_household


@pytest.fixture(autouse=True)
def fresh_limits():
    """Rate-limit counts live in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()





@pytest.fixture
def household(county_admin, places):
    return make_household(county_admin, places["t1v1"], members=3, phone="13912345678")
