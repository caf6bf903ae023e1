"""Personal data per role: masked by default, unmasked only with the permission, and logged."""

import pytest

from fangpin.core.masking import mask_id_number, mask_phone
from fangpin.core.models import AccessLog
from fangpin.core.roles import Role

pytestmark = pytest.mark.django_db

MAY_UNMASK_ID = {Role.COUNTY_ADMIN, Role.COUNTY_OFFICER, Role.TOWNSHIP_OFFICER, Role.VILLAGE_CADRE}
MAY_UNMASK_PHONE = MAY_UNMASK_ID | {Role.HELPER, Role.GRID_WORKER}


def _members(client, household, query=""):
    response = client.get(f"/api/members/?household={household.pk}{query}")
    return response, {m["id"]: m for m in response.json().get("results", [])}


@pytest.mark.parametrize("role", Role.values)
def test_everyone_sees_masked_data_by_default(api, registry, role):
    client = api(role)
    household = registry["a1"]
    response, members = _members(client, household)
    assert response.status_code == 200
    for member in household.members.all():
        shown = members[member.pk]
        assert shown["id_number"] == mask_id_number(member.id_number) != member.id_number
        assert shown["birth_date"] is None and shown["age"] >= 0
    listed = {row["id"]: row for row in client.get("/api/households/").json()["results"]}
    assert listed[household.pk]["phone"] == mask_phone(household.phone) == "138****0001"
    detail = client.get(f"/api/households/{household.pk}/").json()
    assert all("*" in m["id_number"] for m in detail["members"])
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("role", Role.values)
def test_unmasking_id_numbers(api, registry, role):
    client = api(role)
    household = registry["a1"]
    response, members = _members(client, household, "&unmask=1")
    if role not in MAY_UNMASK_ID:
        assert response.status_code == 403
        body = response.json()
        assert body["code"] == "missing_permission" and body["details"] == ["personal.unmask_id"]
        assert "查看完整身份证号" in body["message"]
        assert not AccessLog.objects.exists()
        return
    assert response.status_code == 200
    for member in household.members.all():
        assert members[member.pk]["id_number"] == member.id_number
        assert members[member.pk]["birth_date"] == member.birth_date.isoformat()
    entry = AccessLog.objects.get()
    assert entry.kind == AccessLog.Kind.UNMASK and entry.actor == client.user
    assert entry.detail == {"fields": ["birth_date", "id_number"],
                            "objects": {"registry.member": sorted(members)}}
    assert entry.area_code == household.place.code
    assert entry.target == f"/api/members/?household={household.pk}&unmask=1"
    assert entry.request_id == response["X-Request-Id"]


@pytest.mark.parametrize("role", Role.values)
def test_unmasking_phones(api, registry, role):
    client = api(role)
    response = client.get("/api/households/?unmask=phone")
    if role not in MAY_UNMASK_PHONE:
        assert response.status_code == 403
        assert response.json()["details"] == ["personal.unmask_phone"]
        assert "查看完整电话号码" in response.json()["message"]
        assert not AccessLog.objects.exists()
        return
    listed = {row["id"]: row["phone"] for row in response.json()["results"]}
    assert all(listed[h.pk] == h.phone for h in registry.values() if h.pk in listed)
    entry = AccessLog.objects.get()
    assert entry.detail == {"fields": ["phone"], "objects": {"registry.household": sorted(listed)}}


@pytest.mark.parametrize("role, area_code", [
    (Role.VILLAGE_CADRE, "510101001001"),     # a village and one of its groups
    (Role.TOWNSHIP_OFFICER, "510101001000"),  # two villages of one township
    (Role.COUNTY_ADMIN, "510101000000"),      # two townships
])
def test_access_log_belongs_to_the_smallest_place_holding_what_was_shown(api, registry, role, area_code):
    api(role).get("/api/households/?unmask=1")
    assert AccessLog.objects.get().area_code == area_code


def test_household_detail_unmasks_phone_and_member_ids_together(api, registry):
    client = api(Role.VILLAGE_CADRE)
    household = registry["a1"]
    body = client.get(f"/api/households/{household.pk}/?unmask=1").json()
    assert body["phone"] == household.phone
    assert {m["id_number"] for m in body["members"]} == set(household.members.values_list("id_number", flat=True))
    entry = AccessLog.objects.get()
    assert entry.detail["fields"] == ["birth_date", "id_number", "phone"]
    assert entry.detail["objects"]["registry.household"] == [household.pk]
    assert len(entry.detail["objects"]["registry.member"]) == 3


def test_a_helper_may_unmask_phones_but_not_ids(api, registry):
    client = api(Role.HELPER)
    household = registry["a1"]
    assert client.get(f"/api/households/{household.pk}/?unmask=phone").json()["phone"] == household.phone
    refused = client.get(f"/api/households/{household.pk}/?unmask=1")
    assert refused.status_code == 403 and refused.json()["details"] == ["personal.unmask_id"]
    assert AccessLog.objects.count() == 1


def test_nothing_shown_nothing_logged(api, registry):
    client = api(Role.VILLAGE_CADRE)
    assert client.get("/api/households/?unmask=1&place=510101002001").json()["results"] == []
    assert client.get("/api/households/?unmask=0").status_code == 200
    assert client.get("/api/places/?unmask=1").status_code == 200
    assert not AccessLog.objects.exists()


def test_unknown_unmask_value_is_refused(api, registry):
    response = api(Role.COUNTY_ADMIN).get("/api/members/?unmask=phone")
    assert response.status_code == 400
    assert response.json()["field"] == "unmask" and response.json()["code"] == "unmask_value"


def test_access_log_is_itself_area_scoped(api, registry, user_of):
    api(Role.VILLAGE_CADRE).get("/api/households/?unmask=1")
    other = user_of(Role.VILLAGE_CADRE, "t2v1")
    assert AccessLog.objects.restrict(other).count() == 0
    assert AccessLog.objects.restrict(user_of(Role.TOWNSHIP_OFFICER)).count() == 1
