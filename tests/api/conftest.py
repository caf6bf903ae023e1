import pytest
from rest_framework.test import APIClient

from fangpin.core.roles import Role
from fangpin.registry import services

from ..factories import make_household, make_user

# Where each role's test user works: county staff and outside bodies at the county, the township
# officer in township 1, village people in village 1 of township 1.
ROLE_PLACE = {
    Role.COUNTY_ADMIN: "county",
    Role.COUNTY_OFFICER: "county",
    Role.TOWNSHIP_OFFICER: "t1",
    Role.VILLAGE_CADRE: "t1v1",
    Role.HELPER: "t1v1",
    Role.GRID_WORKER: "t1v1",
    Role.DEPARTMENT_CLERK: "county",
    Role.INSURER: "county",
    Role.AUDITOR: "county",
}


@pytest.fixture
def user_of(places):
    """A user of `role` at the role's usual place (or at `place`, a key of `places`)."""

    made = {}

    def make(role: str, place: str | None = None):
        key = (role, place or ROLE_PLACE[role])
        if key not in made:
            made[key] = make_user(role, places[key[1]], "_".join(key))
        return made[key]

    return make


@pytest.fixture
def api(user_of):
    """An API client signed in (session) as a user of `role`."""

    def make(role: str, place: str | None = None) -> APIClient:
        client = APIClient()
        client.user = user_of(role, place)
        client.force_login(client.user)
        return client

    return make


@pytest.fixture
def registry(county_admin, places):
    """Households in village t1v1 (one in its group), in t1v2 and in t2v1, each with a yearly income."""
    data = {
        "a1": make_household(county_admin, places["t1v1"], members=3, phone="13800000001", address="甲村一号"),
        "a2": make_household(county_admin, places["t1v1g1"], members=2, phone="13800000002", address="甲村一组二号"),
        "a_sibling": make_household(county_admin, places["t1v2"], members=2, phone="13800000003", address="甲镇二村"),
        "b1": make_household(county_admin, places["t2v1"], members=2, phone="13900000004", address="乙镇一村"),
    }
    for key, household in data.items():
        services.income_set(actor=county_admin, household=household, year=2024, wage_income="30000",
                            operating_income="6000", operating_costs="2000", medical_spending="1000")
    return data
