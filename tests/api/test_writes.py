"""Writes go through the registry services: success, garbage, stale versions, permissions, area."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from fangpin.core.models import ChangeLog
from fangpin.core.roles import Role
from fangpin.registry.models import Household, Income, Member

from ..factories import id_number

pytestmark = pytest.mark.django_db


class Unchanged:
    """Asserts that a refused request wrote nothing: no change-log row, no changed registry row."""

    def __init__(self):
        self.log = ChangeLog.objects.count()
        self.rows = self.snapshot()

    @staticmethod
    def snapshot():
        return [list(model.objects.order_by("pk").values()) for model in (Household, Member, Income)]

    def check(self):
        assert ChangeLog.objects.count() == self.log
        assert self.snapshot() == self.rows


def refused(response, status, code, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["message"] and not body["message"].isascii(), body  # a sentence in Chinese for people
    if field:
        assert body["field"] == field, body
    return body


# ---------------------------------------------------------------- households


def test_household_update(api, registry):
    client = api(Role.VILLAGE_CADRE)
    household = registry["a1"]
    response = client.patch(f"/api/households/{household.pk}/", {
        "version": household.version, "address": "甲村新址八号", "phone": "０２８-８５５５１２３４",
        "relocated": True, "house_grade": "C", "reason": "入户核实",
    }, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["address"] == "甲村新址八号" and body["house_grade"] == "C" and body["relocated"] is True
    assert body["phone"] == "028****1234" and body["version"] == household.version + 1
    household.refresh_from_db()
    assert household.phone == "028-85551234"
    entry = ChangeLog.objects.filter(object_type="registry.household", action="update").get()
    assert entry.actor == client.user and entry.source == "api" and entry.reason == "入户核实"
    assert entry.request_id == response["X-Request-Id"]
    assert entry.before["address"] == "甲村一号" and entry.after["address"] == "甲村新址八号"


def test_household_moves_to_a_group_of_the_same_village_only(api, registry, places):
    client = api(Role.VILLAGE_CADRE)
    household = registry["a1"]
    moved = client.patch(f"/api/households/{household.pk}/",
                         {"version": household.version, "place": places["t1v1g1"].pk}, format="json")
    assert moved.status_code == 200 and moved.json()["place_code"] == "510101001001001"
    household.refresh_from_db()
    before = Unchanged()
    body = refused(client.patch(f"/api/households/{household.pk}/",
                                {"version": household.version, "place": places["t2v1"].pk}, format="json"),
                   400, "does_not_exist", "place")
    assert str(places["t2v1"].pk) in body["message"]
    before.check()


@pytest.mark.parametrize("payload, code, field", [
    ({"household_type": "rich"}, "invalid_choice", "household_type"),
    ({"relocated": "maybe"}, "invalid", "relocated"),
    ({"phone": "12345"}, "phone_format", "phone"),
    ({"exit_year": 2019}, "exit_year_ordinary", "exit_year"),
    ({"household_type": "exited"}, "exit_year_missing", "exit_year"),
    ({"house_area": "-3"}, "money_negative", "house_area"),
    ({"house_area": "a lot"}, "invalid", "house_area"),
    ({"adress": "typo"}, "unknown_field", "adress"),
    ({"number": "123"}, "unknown_field", "number"),
    ({"version": "one"}, "invalid", "version"),
])
def test_household_garbage_is_refused_and_nothing_written(api, registry, payload, code, field):
    household = registry["a1"]
    before = Unchanged()
    payload = {"version": household.version, **payload}
    refused(api(Role.VILLAGE_CADRE).patch(f"/api/households/{household.pk}/", payload, format="json"),
            400, code, field)
    before.check()


def test_household_update_needs_a_version(api, registry):
    before = Unchanged()
    refused(api(Role.VILLAGE_CADRE).patch(f"/api/households/{registry['a1'].pk}/", {"address": "x"},
                                          format="json"), 400, "required", "version")
    before.check()


def test_stale_household_version_is_a_conflict(api, registry):
    client = api(Role.VILLAGE_CADRE)
    household = registry["a1"]
    url = f"/api/households/{household.pk}/"
    assert client.patch(url, {"version": household.version, "address": "先改"}, format="json").status_code == 200
    before = Unchanged()
    body = refused(client.patch(url, {"version": household.version, "address": "后改"}, format="json"),
                   409, "stale_version")
    assert household.number in body["message"]
    before.check()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.INSURER, Role.DEPARTMENT_CLERK])
def test_read_only_roles_are_refused_naming_the_permission(api, registry, role):
    client = api(role)
    household = registry["a1"]
    member = household.head
    income = household.incomes.get()
    before = Unchanged()
    attempts = [
        client.patch(f"/api/households/{household.pk}/", {"version": 1, "address": "x"}, format="json"),
        client.post("/api/members/", {"household": household.pk, "name": "某", "id_number": id_number(),
                                      "relation": "son"}, format="json"),
        client.patch(f"/api/members/{member.pk}/", {"version": 1, "name": "某"}, format="json"),
        client.post(f"/api/members/{member.pk}/end/", {"end_reason": "deceased"}, format="json"),
        client.post("/api/incomes/", {"household": household.pk, "year": 2024, "wage_income": "1"}, format="json"),
        client.patch(f"/api/incomes/{income.pk}/", {"version": 1, "wage_income": "1"}, format="json"),
    ]
    for response in attempts:
        body = refused(response, 403, "missing_permission")
        assert body["details"] == ["registry.edit"] and "编辑农户档案" in body["message"]
    before.check()


def test_writes_outside_the_area_are_not_found(api, registry):
    client = api(Role.VILLAGE_CADRE)
    outside = registry["a_sibling"]
    member = outside.members.exclude(relation="head").first()
    before = Unchanged()
    for response in [
        client.patch(f"/api/households/{outside.pk}/", {"version": 1, "address": "x"}, format="json"),
        client.patch(f"/api/members/{member.pk}/", {"version": 1, "name": "某"}, format="json"),
        client.post(f"/api/members/{member.pk}/end/", {"end_reason": "deceased"}, format="json"),
        client.patch(f"/api/incomes/{outside.incomes.get().pk}/", {"version": 1}, format="json"),
    ]:
        refused(response, 404, "not_found")
    for response in [
        client.post("/api/members/", {"household": outside.pk, "name": "某", "id_number": id_number(),
                                      "relation": "son"}, format="json"),
        client.post("/api/incomes/", {"household": outside.pk, "year": 2024}, format="json"),
    ]:
        refused(response, 400, "does_not_exist", "household")
    before.check()


# ---------------------------------------------------------------- members


def test_member_add_update_and_end(api, registry):
    client = api(Role.VILLAGE_CADRE)
    household = registry["a2"]
    number = id_number(birth=datetime.date(2012, 9, 1))
    added = client.post("/api/members/", {"household": household.pk, "name": " 新 成员 ", "id_number": number,
                                          "relation": "son", "schooling": "grade8"}, format="json")
    assert added.status_code == 201, added.content
    member = Member.objects.get(pk=added.json()["id"])
    assert member.name == "新成员" and member.birth_date == datetime.date(2012, 9, 1) and member.sex == "M"
    assert added.json()["id_number"] == number[:6] + "********" + number[-4:]
    assert ChangeLog.objects.filter(object_type="registry.member", object_id=member.pk, action="create").exists()

    updated = client.patch(f"/api/members/{member.pk}/", {"version": member.version, "health": "disabled",
                                                          "disability_grade": "2"}, format="json")
    assert updated.status_code == 200, updated.content
    assert updated.json()["health"] == "disabled" and updated.json()["version"] == member.version + 1

    ended = client.post(f"/api/members/{member.pk}/end/", {"end_reason": "moved_out"}, format="json")
    assert ended.status_code == 200, ended.content
    assert ended.json()["is_active"] is False and ended.json()["ended_on"] == timezone.localdate().isoformat()
    assert client.get(f"/api/households/{household.pk}/").json()["size"] == 2


@pytest.mark.parametrize("payload, code, field", [
    ({"id_number": "510101198005170000"}, "id_checksum", "id_number"),
    ({"id_number": "51010119800517"}, "id_length", "id_number"),
    ({"id_number": ""}, "blank", "id_number"),
    ({"name": ""}, "blank", "name"),
    ({"relation": "cousin"}, "invalid_choice", "relation"),
    ({"relation": "head"}, "head_exists", "relation"),
    ({"sex": "F"}, "id_sex_mismatch", "sex"),
    ({"work_months": 13}, "months_range", "work_months"),
    ({"joined_on": "yesterday"}, "invalid", "joined_on"),
    ({"health": "disabled"}, "disability_grade_missing", "disability_grade"),
    ({"birth_date": "1990-01-01"}, "unknown_field", "birth_date"),
    ({"household": None}, "null", "household"),
])
def test_member_add_garbage_is_refused_and_nothing_written(api, registry, payload, code, field):
    base = {"household": registry["a1"].pk, "name": "某人", "id_number": id_number(), "relation": "son"}
    before = Unchanged()
    refused(api(Role.VILLAGE_CADRE).post("/api/members/", {**base, **payload}, format="json"), 400, code, field)
    before.check()


def test_a_person_already_in_a_household_elsewhere_cannot_be_added(api, registry):
    elsewhere = registry["b1"].head
    before = Unchanged()
    refused(api(Role.VILLAGE_CADRE).post("/api/members/", {
        "household": registry["a1"].pk, "name": elsewhere.name, "id_number": elsewhere.id_number,
        "relation": "other"}, format="json"), 400, "id_number_refused", "id_number")
    before.check()


def test_member_update_stale_version_and_garbage(api, registry):
    client = api(Role.VILLAGE_CADRE)
    member = registry["a1"].members.exclude(relation="head").first()
    url = f"/api/members/{member.pk}/"
    assert client.patch(url, {"version": member.version, "ethnicity": "彝族"}, format="json").status_code == 200
    before = Unchanged()
    refused(client.patch(url, {"version": member.version, "ethnicity": "藏族"}, format="json"), 409, "stale_version")
    refused(client.patch(url, {"version": member.version + 1, "welfare_post_months": -1}, format="json"),
            400, "min_value", "welfare_post_months")
    refused(client.patch(url, {"version": member.version + 1, "household": registry["a2"].pk}, format="json"),
            400, "unknown_field", "household")
    refused(client.patch(url, ["not", "an", "object"], format="json"), 400, "invalid")
    before.check()


@pytest.mark.parametrize("payload, code, field", [
    ({}, "required", "end_reason"),
    ({"end_reason": "vanished"}, "invalid_choice", "end_reason"),
    ({"end_reason": "deceased", "ended_on": "2999-01-01"}, "end_in_future", "ended_on"),
    ({"end_reason": "deceased", "ended_on": "1.1.2020"}, "invalid", "ended_on"),
])
def test_member_end_garbage(api, registry, payload, code, field):
    member = registry["a1"].members.exclude(relation="head").first()
    before = Unchanged()
    refused(api(Role.VILLAGE_CADRE).post(f"/api/members/{member.pk}/end/", payload, format="json"), 400, code, field)
    before.check()


def test_the_head_cannot_leave_before_another_member_is_head(api, registry):
    head = registry["a1"].head
    before = Unchanged()
    refused(api(Role.VILLAGE_CADRE).post(f"/api/members/{head.pk}/end/", {"end_reason": "deceased"}, format="json"),
            400, "head_leaving", "relation")
    before.check()


# ---------------------------------------------------------------- incomes


def test_income_create_then_update(api, registry):
    client = api(Role.VILLAGE_CADRE)
    household = registry["a1"]
    this_year = timezone.localdate().year
    created = client.post("/api/incomes/", {"household": household.pk, "year": this_year, "quarter": 2,
                                            "wage_income": "8000.50", "medical_spending": 1200}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["quarter"] == 2 and Decimal(body["net_income"]) == Decimal("8000.50")
    assert Decimal(body["per_capita_after_rigid_spending"]) == Decimal("2266.83")
    income = Income.objects.get(pk=body["id"])

    again = client.post("/api/incomes/", {"household": household.pk, "year": this_year, "quarter": 2,
                                          "version": income.version, "wage_income": "9000"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == income.pk
    assert Decimal(again.json()["wage_income"]) == Decimal("9000.00")

    patched = client.patch(f"/api/incomes/{income.pk}/", {"version": income.version + 1,
                                                          "transfer_income": "600"}, format="json")
    assert patched.status_code == 200, patched.content
    assert Decimal(patched.json()["net_income"]) == Decimal("9600.00") and patched.json()["version"] == 3
    assert ChangeLog.objects.filter(object_type="registry.income", object_id=income.pk).count() == 3


@pytest.mark.parametrize("payload, code, field", [
    ({"year": 1999}, "year_range", "year"),
    ({"year": "last"}, "invalid", "year"),
    ({"quarter": 5}, "quarter_range", "quarter"),
    ({"wage_income": "-10"}, "money_negative", "wage_income"),
    ({"wage_income": "十万"}, "invalid", "wage_income"),
    ({"wage_income": "1.234"}, "max_decimal_places", "wage_income"),
    ({"net_income": "1"}, "unknown_field", "net_income"),
    ({"household": "abc"}, "incorrect_type", "household"),
])
def test_income_garbage_is_refused_and_nothing_written(api, registry, payload, code, field):
    base = {"household": registry["a1"].pk, "year": 2023, "wage_income": "100"}
    before = Unchanged()
    refused(api(Role.VILLAGE_CADRE).post("/api/incomes/", {**base, **payload}, format="json"), 400, code, field)
    before.check()


def test_income_stale_version_is_a_conflict(api, registry):
    client = api(Role.VILLAGE_CADRE)
    income = registry["a1"].incomes.get()
    url = f"/api/incomes/{income.pk}/"
    assert client.patch(url, {"version": income.version, "wage_income": "1"}, format="json").status_code == 200
    before = Unchanged()
    refused(client.patch(url, {"version": income.version, "wage_income": "2"}, format="json"), 409, "stale_version")
    refused(client.post("/api/incomes/", {"household": registry["a1"].pk, "year": 2024, "version": income.version,
                                          "wage_income": "3"}, format="json"), 409, "stale_version")
    refused(client.patch(url, {"wage_income": "2"}, format="json"), 400, "required", "version")
    before.check()
