"""Lists, details and filters of every resource, scoped by role, with bounded query counts."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fangpin.core.roles import Role
from fangpin.registry import services

from ..factories import make_household, make_user

pytestmark = pytest.mark.django_db

RESOURCES = ["places", "households", "members", "incomes", "cases", "notices", "monitorings",
             # the assistance registers (tests/assistance/test_register_declarations.py reads them)
             "workshops", "welfare-posts", "training", "micro-credit", "projects", "pairings"]


def rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def household_numbers(client, query="") -> set[str]:
    return {row["number"] for row in rows(client.get(f"/api/households/{query}"))}


def test_household_list_carries_place_size_head_and_latest_income(api, registry, county_admin):
    this_year = timezone.localdate().year
    services.income_set(actor=county_admin, household=registry["a1"], year=this_year, wage_income="30000",
                        operating_income="6000", operating_costs="2000", medical_spending="1000")
    listed = {row["number"]: row for row in rows(api(Role.COUNTY_ADMIN).get("/api/households/"))}
    assert set(listed) == {h.number for h in registry.values()}
    a1 = listed[registry["a1"].number]
    assert a1["place_code"] == "510101001001" and a1["place_name"] == "第1镇1村"
    assert a1["size"] == 3
    assert a1["head_name"] == registry["a1"].head.name
    assert a1["household_type"] == "ordinary" and a1["household_type_label"] == "一般农户"
    income = a1["latest_income"]
    assert income["year"] == this_year and income["member_count"] == 3
    assert Decimal(income["net_income"]) == Decimal("34000.00")
    assert Decimal(income["per_capita_net_income"]) == Decimal("11333.33")
    assert Decimal(income["per_capita_after_rigid_spending"]) == Decimal("11000.00")


def test_household_detail_has_members_and_their_history(api, registry, county_admin):
    household = registry["a1"]
    leaving = household.members.exclude(relation="head").first()
    services.member_end(actor=county_admin, member=leaving, reason="moved_out")
    body = api(Role.COUNTY_ADMIN).get(f"/api/households/{household.pk}/").json()
    assert body["number"] == household.number and body["size"] == 2
    assert {m["name"] for m in body["members"]} == set(household.members.values_list("name", flat=True))
    ended = next(m for m in body["members"] if m["id"] == leaving.pk)
    assert ended["is_active"] is False and ended["end_reason"] == "moved_out"
    assert body["address"] == "甲村一号" and body["version"] == household.version


@pytest.mark.parametrize("query, expected", [
    ("?place=510101001001", {"a1", "a2"}),
    ("?place=510101001001001", {"a2"}),
    ("?place=510101001000", {"a1", "a2", "a_sibling"}),
    ("?place=999999999999", set()),
    ("?household_type=exited", set()),
    ("?status=active", {"a1", "a2", "a_sibling", "b1"}),
])
def test_household_list_filters(api, registry, query, expected):
    assert household_numbers(api(Role.COUNTY_ADMIN), query) == {registry[k].number for k in expected}


def test_household_search_by_name_number_and_id_number(api, registry, county_admin):
    client = api(Role.COUNTY_ADMIN)
    a2 = registry["a2"]
    head = a2.head
    assert household_numbers(client, f"?q={head.name}") == {a2.number}
    assert household_numbers(client, f"?q={a2.number}") == {a2.number}
    assert household_numbers(client, f"?q={head.id_number}") == {a2.number}
    services.member_update(actor=county_admin, member=head, dibao=True)
    assert household_numbers(client, "?has_dibao=true") == {a2.number}


def test_member_and_income_filters(api, registry):
    client = api(Role.COUNTY_ADMIN)
    a1 = registry["a1"]
    members = rows(client.get(f"/api/members/?household={a1.pk}"))
    assert {m["id"] for m in members} == set(a1.members.values_list("pk", flat=True))
    head = a1.head
    assert [m["id"] for m in rows(client.get(f"/api/members/?id_number={head.id_number.lower()}"))] == [head.pk]
    incomes = rows(client.get(f"/api/incomes/?household={a1.pk}&yearly=true&year=2024"))
    assert len(incomes) == 1
    income = incomes[0]
    assert income["household_number"] == a1.number
    assert Decimal(income["net_income"]) == Decimal("34000.00")
    assert income["member_count"] == 3 and Decimal(income["per_capita_net_income"]) == Decimal("11333.33")


def test_income_detail_derives_per_capita_figures(api, registry, county_admin):
    this_year = timezone.localdate().year
    income = services.income_set(actor=county_admin, household=registry["b1"], year=this_year,
                                 wage_income="20000", transfer_income="1000", operating_costs="1000",
                                 education_spending="3000", insurance_payout="500")
    body = api(Role.COUNTY_ADMIN).get(f"/api/incomes/{income.pk}/").json()
    assert body["member_count"] == 2
    assert Decimal(body["net_income"]) == Decimal("20000.00")
    assert Decimal(body["per_capita_net_income"]) == Decimal("10000.00")
    assert Decimal(body["per_capita_after_rigid_spending"]) == Decimal("8750.00")


def test_places_of_a_village_cadre_are_the_village_and_its_groups(api, places):
    listed = rows(api(Role.VILLAGE_CADRE).get("/api/places/"))
    assert [(p["code"], p["level"]) for p in listed] == [("510101001001", "village"), ("510101001001001", "group")]
    assert listed[1]["full_name"] == "示范县第1镇第1镇1村一组" and listed[1]["parent_code"] == "510101001001"
    county = api(Role.COUNTY_ADMIN)
    townships = rows(county.get("/api/places/?level=township&parent=510101000000"))
    assert [p["code"] for p in townships] == ["510101001000", "510101002000"]
    assert [p["name"] for p in rows(county.get("/api/places/?code=510101002001"))] == ["第2镇1村"]


# ---------------------------------------------------------------- scoping per role

VISIBLE = {
    Role.COUNTY_ADMIN: {"a1", "a2", "a_sibling", "b1"},
    Role.TOWNSHIP_OFFICER: {"a1", "a2", "a_sibling"},
    Role.VILLAGE_CADRE: {"a1", "a2"},
    Role.HELPER: {"a1", "a2"},
}


def _household_of(row, resource):
    return row["id"] if resource == "households" else row["household"]


@pytest.mark.parametrize("role", list(VISIBLE))
@pytest.mark.parametrize("resource", ["households", "members", "incomes"])
def test_each_role_lists_only_its_area(api, registry, role, resource):
    client = api(role)
    seen = {_household_of(row, resource) for row in rows(client.get(f"/api/{resource}/"))}
    assert seen == {registry[k].pk for k in VISIBLE[role]}


@pytest.mark.parametrize("role", [Role.TOWNSHIP_OFFICER, Role.VILLAGE_CADRE])
def test_details_outside_the_area_are_not_found(api, registry, role):
    client = api(role)
    outside = registry["b1"] if role == Role.TOWNSHIP_OFFICER else registry["a_sibling"]
    urls = [f"/api/households/{outside.pk}/", f"/api/members/{outside.members.first().pk}/",
            f"/api/incomes/{outside.incomes.first().pk}/", f"/api/places/{outside.place_id}/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"
    inside = registry["a1"]
    assert client.get(f"/api/households/{inside.pk}/").status_code == 200


@pytest.mark.parametrize("place", ["t1v2", "t2"])
def test_filters_cannot_reach_outside_the_area(api, registry, places, place):
    client = api(Role.VILLAGE_CADRE)
    code = places[place].code
    assert household_numbers(client, f"?place={code}") == set()
    assert household_numbers(client, f"?q={registry['b1'].number}") == set()
    assert household_numbers(client, f"?q={registry['b1'].head.id_number}") == set()
    assert rows(client.get(f"/api/members/?household={registry['b1'].pk}")) == []
    assert rows(client.get(f"/api/places/?code={code}")) == []


def test_a_user_without_a_role_is_refused_naming_the_permission(places, registry):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(make_user("", places["county"], "no_role"))
    response = client.get("/api/households/")
    assert response.status_code == 403
    assert response.json()["code"] == "missing_permission"
    assert "查看农户档案" in response.json()["message"] and response.json()["details"] == ["registry.view"]


def test_anonymous_callers_are_refused(registry):
    from rest_framework.test import APIClient

    for resource in RESOURCES:
        response = APIClient().get(f"/api/{resource}/")
        assert response.status_code in (401, 403)
        assert response.json()["code"] == "not_authenticated"


def test_token_authentication(registry, user_of):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=user_of(Role.INSURER))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert len(rows(client.get("/api/households/"))) == 4
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/households/").status_code in (401, 403)


# ---------------------------------------------------------------- query counts


def _query_count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/api/households/", "/api/households/?has_dibao=false&q=户主",
                                 "/api/members/", "/api/incomes/", "/api/places/",
                                 "/api/households/?unmask=1&unmask_reason=核对", "/api/members/?unmask=1&unmask_reason=核对"])
def test_list_queries_do_not_grow_with_rows(api, county_admin, places, url, django_assert_max_num_queries):
    client = api(Role.COUNTY_ADMIN)
    for _ in range(2):
        household = make_household(county_admin, places["t1v1"], members=2)
        services.income_set(actor=county_admin, household=household, year=2024, wage_income="1000")
    few = _query_count(client, url)
    for _ in range(8):
        household = make_household(county_admin, places["t2v2"], members=3)
        services.income_set(actor=county_admin, household=household, year=2024, wage_income="1000")
        services.income_set(actor=county_admin, household=household, year=2025, wage_income="2000")
    many = _query_count(client, url)
    assert many == few
    # Session, user, place, count, page, the income prefetch, an access-log row, session save.
    with django_assert_max_num_queries(10):
        client.get(url)


def test_api_root_links_to_the_api_not_to_the_pages_of_the_same_name(api):
    links = api(Role.VILLAGE_CADRE).get("/api/").json()
    assert links == {r: f"http://testserver/api/{r}/" for r in RESOURCES}
