import datetime

import pytest
from django.utils import timezone

from fangpin.core.roles import Role
from fangpin.monitoring.models import HouseholdTier, Visit
from fangpin.registry.models import Household

from ...factories import make_household, make_user


@pytest.fixture
def helper(places):
    return make_user(Role.HELPER, places["t1v1"], "helper_a")


@pytest.fixture
def other_helper(places):
    return make_user(Role.HELPER, places["t2v1"], "helper_b")



@pytest.fixture
def household(county_admin, places, helper):
    return make_household(county_admin, places["t1v1g1"], members=3, helper=helper, house_grade="A",
                          water_quantity_ok=True)


def registered_days_ago(household, days: int) -> None:
    """Pretend the household was registered `days` ago (the schedule counts from then when it was never visited)."""
    Household.objects.filter(pk=household.pk).update(created_at=timezone.now() - datetime.timedelta(days=days))


def visited_days_ago(household, visitor, days: int) -> Visit:
    return Visit.objects.create(household=household, visitor=visitor, card={"items": {}},
                                visited_on=timezone.localdate() - datetime.timedelta(days=days))


def set_tier(household, tier: str) -> HouseholdTier:
    return HouseholdTier.objects.update_or_create(household=household, defaults={
        "risk_tier": tier, "computed_at": timezone.now()})[0]
