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
    response, members = _members(client, household, "&unmask=1&unmask_reason=核对")
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
                            "objects": {"registry.member": sorted(members)}, "reason": "核对"}
    assert entry.area_code == household.place.code
    assert entry.target.startswith(f"/api/members/?household={household.pk}&unmask=1&unmask_reason=")
    assert entry.request_id == response["X-Request-Id"]


@pytest.mark.parametrize("role", Role.values)
def test_unmasking_phones(api, registry, role):
    client = api(role)
    response = client.get("/api/households/?unmask=phone&unmask_reason=核对")
    if role not in MAY_UNMASK_PHONE:
        assert response.status_code == 403
        assert response.json()["details"] == ["personal.unmask_phone"]
        assert "查看完整电话号码" in response.json()["message"]
        assert not AccessLog.objects.exists()
        return
    listed = {row["id"]: row["phone"] for row in response.json()["results"]}
    assert all(listed[h.pk] == h.phone for h in registry.values() if h.pk in listed)
    entry = AccessLog.objects.get()
    assert entry.detail == {"fields": ["phone"], "objects": {"registry.household": sorted(listed)}, "reason": "核对"}


@pytest.mark.parametrize("role, area_code", [
    (Role.VILLAGE_CADRE, "510101001001"),     # a village and one of its groups
    (Role.TOWNSHIP_OFFICER, "510101001000"),  # two villages of one township
    (Role.COUNTY_ADMIN, "510101000000"),      # two townships
])
def test_access_log_belongs_to_the_smallest_place_holding_what_was_shown(api, registry, role, area_code):
    api(role).get("/api/households/?unmask=1&unmask_reason=核对")
    assert AccessLog.objects.get().area_code == area_code


def test_household_detail_unmasks_phone_and_member_ids_together(api, registry):
    client = api(Role.VILLAGE_CADRE)
    household = registry["a1"]
    body = client.get(f"/api/households/{household.pk}/?unmask=1&unmask_reason=核对").json()
    assert body["phone"] == household.phone
    assert {m["id_number"] for m in body["members"]} == set(household.members.values_list("id_number", flat=True))
    entry = AccessLog.objects.get()
    assert entry.detail["fields"] == ["birth_date", "id_number", "phone"]
    assert entry.detail["objects"]["registry.household"] == [household.pk]
    assert len(entry.detail["objects"]["registry.member"]) == 3


def test_a_helper_may_unmask_phones_but_not_ids(api, registry):
    client = api(Role.HELPER)
    household = registry["a1"]
    assert client.get(f"/api/households/{household.pk}/?unmask=phone&unmask_reason=核对").json()["phone"] == household.phone
    refused = client.get(f"/api/households/{household.pk}/?unmask=1&unmask_reason=核对")
    assert refused.status_code == 403 and refused.json()["details"] == ["personal.unmask_id"]
    assert AccessLog.objects.count() == 1


def test_nothing_shown_nothing_logged(api, registry):
    client = api(Role.VILLAGE_CADRE)
    assert client.get("/api/households/?unmask=1&unmask_reason=核对&place=510101002001").json()["results"] == []
    assert client.get("/api/households/?unmask=0").status_code == 200
    assert client.get("/api/places/?unmask=1").status_code == 200
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("reason", ["", "&unmask_reason=", "&unmask_reason=%20%20"])
def test_unmasking_without_a_reason_is_refused_and_shows_nothing(api, registry, reason):
    response = api(Role.COUNTY_ADMIN).get(f"/api/households/?unmask=1{reason}")
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "unmask_reason" and body["code"] == "unmask_reason_missing"
    assert "原因" in body["message"]
    assert all(h.phone not in response.content.decode() for h in registry.values())
    assert not AccessLog.objects.exists()


def test_unknown_unmask_value_is_refused(api, registry):
    response = api(Role.COUNTY_ADMIN).get("/api/members/?unmask=phone&unmask_reason=核对")
    assert response.status_code == 400
    assert response.json()["field"] == "unmask" and response.json()["code"] == "unmask_value"


def test_access_log_is_itself_area_scoped(api, registry, user_of):
    api(Role.VILLAGE_CADRE).get("/api/households/?unmask=1&unmask_reason=核对")
    other = user_of(Role.VILLAGE_CADRE, "t2v1")
    assert AccessLog.objects.restrict(other).count() == 0
    assert AccessLog.objects.restrict(user_of(Role.TOWNSHIP_OFFICER)).count() == 1


# ---------------------------------------------------------------- every personal field, every serializer


def _api_serializers():
    """Every serializer class the API's viewsets answer with or read, found from the router."""
    from rest_framework import serializers as drf

    from fangpin.api_urls import router

    found = set()

    def visit(serializer_class):
        if serializer_class in found or not isinstance(serializer_class, type):
            return
        found.add(serializer_class)
        for field in serializer_class().fields.values():
            nested = getattr(field, "child", field)
            if isinstance(nested, drf.BaseSerializer):
                visit(type(nested))

    for _prefix, viewset, _basename in router.registry:
        for name in dir(viewset):
            value = getattr(viewset, name, None)
            if isinstance(value, type) and issubclass(value, drf.BaseSerializer):
                visit(value)
        if getattr(viewset, "serializer_class", None):
            visit(viewset.serializer_class)
        module = __import__(viewset.__module__, fromlist=["*"])
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, drf.ModelSerializer) and value.__module__ == module.__name__:
                visit(value)
    return found


def test_every_personal_model_field_is_masked_in_every_api_serializer():
    """A field declared personal (IdNumberField, PhoneField) that a serializer shows must go through
    MaskedField: found from the field declarations, not from a list of names."""
    from fangpin.core.api import MaskedField
    from fangpin.core.masking import personal_fields

    checked = 0
    for serializer_class in _api_serializers():
        meta = getattr(serializer_class, "Meta", None)
        if meta is None or not hasattr(meta, "model"):
            continue
        personal = personal_fields(meta.model)
        for name, field in serializer_class().fields.items():
            source = field.source if field.source not in (None, "*") else name
            # Input serializers (writable fields) only parse what a client sends; what the API
            # answers with is read-only, and there a personal field must be masked.
            if source in personal and field.read_only:
                checked += 1
                assert isinstance(field, MaskedField), f"{serializer_class.__name__}.{name} shows {source} unmasked"
    assert checked >= 2  # members' ID numbers and households' phones at least


# ---------------------------------------------------------------- no existence oracle


def _refusal(client, household, number):
    response = client.post("/api/members/", {"household": household.pk, "name": "某人", "id_number": number,
                                             "relation": "other"}, format="json")
    assert response.status_code == 400
    return response.json()


def test_adding_a_person_registered_in_another_area_does_not_tell_where_or_whether(api, registry, county_admin,
                                                                                   places):
    from ..factories import make_household

    client = api(Role.VILLAGE_CADRE)
    own = registry["a1"]
    in_other_township = registry["b1"].head
    in_other_village = registry["a_sibling"].head
    third = make_household(county_admin, places["t2v2"]).head
    bodies = [_refusal(client, own, person.id_number) for person in (in_other_township, in_other_village, third)]
    for body, person in zip(bodies, (in_other_township, in_other_village, third)):
        assert body["code"] == "id_number_refused" and body["field"] == "id_number"
        assert "农户" not in body["message"] and "辖区外" not in body["message"]
        assert person.household.number not in body["message"]
    # The same words whichever household elsewhere holds the person: the answer carries no place.
    assert len({body["message"].replace(person.id_number, "#") for body, person in
                zip(bodies, (in_other_township, in_other_village, third))}) == 1
    # Inside the user's own area the clash is explained in full.
    mine = _refusal(client, own, registry["a2"].head.id_number)
    assert mine["code"] == "person_in_other_household" and registry["a2"].number in mine["message"]


def test_filtering_members_by_a_foreign_id_number_finds_nothing(api, registry):
    from ..factories import id_number

    client = api(Role.VILLAGE_CADRE)
    foreign = client.get(f"/api/members/?id_number={registry['b1'].head.id_number}").json()
    unknown = client.get(f"/api/members/?id_number={id_number()}").json()
    assert foreign == unknown and foreign["results"] == []
    own = client.get(f"/api/members/?id_number={registry['a1'].head.id_number}").json()
    assert [m["id"] for m in own["results"]] == [registry["a1"].head.pk]


def test_a_staff_lead_for_a_person_registered_elsewhere_is_refused_without_saying_where(registry, user_of,
                                                                                       places):
    from fangpin.core.errors import ValidationFailed
    from fangpin.monitoring import services as monitoring_services

    cadre = user_of(Role.VILLAGE_CADRE, "t1v1")
    person = registry["b1"].head
    with pytest.raises(ValidationFailed) as caught:
        monitoring_services.lead_raise_for_person(actor=cadre, channel="cadre_sweep", place=places["t1v1"],
                                                  person_name=person.name, id_number=person.id_number,
                                                  risk_types=["illness"], summary="因病")
    assert caught.value.code == "id_number_refused"
    assert registry["b1"].number not in caught.value.message and "农户" not in caught.value.message
