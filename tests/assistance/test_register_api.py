"""The six registers written through the API: the same form, service verbs, permission and area
rules as their form pages; every refusal names the field or the permission and writes nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from fangpin.assistance import services
from fangpin.assistance.models import (
    EnterprisePairing,
    IndustryProject,
    MicroCredit,
    TrainingCourse,
    WelfarePost,
    Workshop,
)
from fangpin.assistance.registers import REGISTERS
from fangpin.core.models import ChangeLog

from ..factories import make_household
from .conftest import monitor

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
MODELS = [Workshop, WelfarePost, TrainingCourse, MicroCredit, IndustryProject, EnterprisePairing]
NAMES = [register.name for register in REGISTERS.values()]
# What each register's PATCH changes, and the value it sends.
CHANGES = {"workshop": ("name", "改名车间"), "welfare": ("post_name", "保洁员"), "course": ("name", "改名培训班"),
           "loan": ("lender", "县信用社"), "project": ("name", "改名项目"), "pairing": ("enterprise", "改名公司")}


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def household(county_admin, places):
    return make_household(county_admin, places["t1v1"], members=2, household_type="exited", exit_year=2019)


def new_rows(places, household) -> dict[str, dict]:
    """A create payload per register for a cadre of village t1v1, as its form page takes it."""
    day, member = TODAY().isoformat(), household.members.order_by("pk").first()
    village = places["t1v1"].pk
    return {
        "workshop": {"place": village, "name": "甲村车间", "operator": "某公司", "opened_on": day},
        "welfare": {"id_number": member.id_number, "place": village, "post_name": "护林员", "starts_on": day,
                    "months": 12, "monthly_wage": "800.00"},
        "course": {"place": village, "name": "电工班", "organiser": "县人社局", "skill": "电工", "held_from": day,
                   "held_to": day},
        "loan": {"id_number": member.id_number, "lender": "农商行", "amount": "30000", "term_months": 12,
                 "issued_on": day, "rate": "3.45"},
        "project": {"place": village, "name": "养牛项目", "category": "livestock", "support_per_household": "5000",
                    "capacity": 5, "open": True},
        "pairing": {"household_number": household.number, "enterprise": "食品公司", "started_on": day,
                    "content": "消费帮扶"},
    }


class Unchanged:
    """Asserts that a refused request wrote nothing: no register row, no change-log row."""

    def __init__(self):
        self.counts = self.snapshot()

    @staticmethod
    def snapshot():
        return [list(model.objects.unrestricted().order_by("pk").values()) for model in MODELS] + [
            ChangeLog.objects.count()]

    def check(self):
        assert self.snapshot() == self.counts


def refused(response, status, code, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert body["message"] and not body["message"].isascii(), body
    if field:
        assert body.get("field") == field, body
    return body


@pytest.mark.parametrize("name", NAMES)
def test_create_and_change_through_the_api(village_cadre, places, household, name):
    client = client_of(village_cadre)
    created = client.post(reverse(f"api:{name}-list"), new_rows(places, household)[name], format="json")
    assert created.status_code == 201, created.content
    row = created.json()
    register = next(r for r in REGISTERS.values() if r.name == name)
    obj = register.model.objects.unrestricted().get(pk=row["id"])
    entry = ChangeLog.objects.get(object_type=obj._meta.label_lower, object_id=str(obj.pk), action="create")
    assert entry.actor == village_cadre and entry.source == "api"

    field, value = CHANGES[name]
    url = reverse(f"api:{name}-detail", args=[obj.pk])
    changed = client.patch(url, {"version": obj.version, field: value, "reason": "核实"}, format="json")
    assert changed.status_code == 200, changed.content
    obj.refresh_from_db()
    assert getattr(obj, field) == value and obj.version == 2
    entry = ChangeLog.objects.get(object_type=obj._meta.label_lower, object_id=str(obj.pk), action="update")
    assert entry.reason.startswith("核实") and entry.after[field] == value

    # A second change from the version read before the first is refused; nothing is written.
    before = Unchanged()
    refused(client.patch(url, {"version": 1, field: "又改"}, format="json"), 409, "stale_version")
    before.check()


def test_put_sends_the_whole_form_and_patch_keeps_what_is_not_sent(village_cadre, places, household):
    client = client_of(village_cadre)
    payload = new_rows(places, household)["workshop"]
    pk = client.post(reverse("api:workshop-list"), payload, format="json").json()["id"]
    url = reverse("api:workshop-detail", args=[pk])
    before = Unchanged()
    refused(client.put(url, {"version": 1, "name": "只给名称"}, format="json"), 400, "required", "place")
    refused(client.patch(url, {"version": 1, "closed_on": "2000-01-01"}, format="json"), 400, "date_order",
            "closed_on")
    before.check()
    closed = (TODAY() + datetime.timedelta(days=1)).isoformat()
    answer = client.put(url, {**payload, "version": 1, "address": "村委旁", "closed_on": closed}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["closed_on"] == closed and answer.json()["sign_eligible"] is False
    answer = client.patch(url, {"version": 2, "products": "竹编"}, format="json").json()
    assert answer["products"] == "竹编" and answer["address"] == "村委旁" and answer["closed_on"] == closed


def test_a_household_in_the_address_picks_its_member_and_measure(village_cadre, county_admin, places, household,
                                                                 catalogue):
    monitor(household, county_admin)
    measure = services.measure_add(actor=county_admin, household=household, catalogue_item=catalogue["micro_credit"],
                                   responsible_unit="乡农商行", starts_on=TODAY(), status="planned")
    member = household.members.order_by("pk").first()
    payload = {key: value for key, value in new_rows(places, household)["loan"].items() if key != "id_number"}
    answer = client_of(village_cadre).post(f"{reverse('api:loan-list')}?household={household.pk}",
                                           {**payload, "member": member.pk, "measure": measure.pk}, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["borrower"] == member.pk and answer.json()["measure"] == measure.pk


@pytest.mark.parametrize("name", NAMES)
def test_rows_outside_the_area_are_not_found_whatever_the_cause(village_cadre, other_village_cadre, places,
                                                                 household, name):
    pk = client_of(village_cadre).post(reverse(f"api:{name}-list"), new_rows(places, household)[name],
                                       format="json").json()["id"]
    field, value = CHANGES[name]
    before = Unchanged()
    client = client_of(other_village_cadre)
    outside = refused(client.patch(reverse(f"api:{name}-detail", args=[pk]), {"version": 1, field: value},
                                   format="json"), 404, "not_found")
    missing = refused(client.patch(reverse(f"api:{name}-detail", args=[pk + 1000]), {"version": 1, field: value},
                                   format="json"), 404, "not_found")
    assert outside["message"] == missing["message"]
    assert client.put(reverse(f"api:{name}-detail", args=[pk]), {"version": 1, field: value},
                      format="json").status_code == 404
    before.check()


@pytest.mark.parametrize("name", NAMES)
def test_places_and_people_outside_the_area_are_refused_naming_the_field(other_village_cadre, places, household,
                                                                         name):
    payload = new_rows(places, household)[name]
    field = next(key for key in ("id_number", "household_number", "place") if key in payload)
    before = Unchanged()
    body = refused(client_of(other_village_cadre).post(reverse(f"api:{name}-list"), payload, format="json"), 400,
                   "invalid_choice" if field == "place" else "invalid", field)
    assert "place" not in payload or "place" in body["details"]
    before.check()


def test_a_row_of_an_area_above_is_read_but_not_changed(village_cadre, county_admin, places):
    """A county's project serves the villages under it; only the county changes it (as on the page)."""
    project = services.industry_project_add(actor=county_admin, place=places["county"], name="县级项目",
                                            category="livestock", support_per_household="5000", capacity=5)
    client = client_of(village_cadre)
    url = reverse("api:project-detail", args=[project.pk])
    assert client.get(url).status_code == 200
    before = Unchanged()
    refused(client.patch(url, {"version": 1, "name": "改"}, format="json"), 404, "not_found")
    before.check()
    assert client_of(county_admin).patch(url, {"version": 1, "name": "改"}, format="json").status_code == 200


@pytest.mark.parametrize("name", NAMES)
def test_writing_needs_the_manage_permission(auditor, village_cadre, places, household, name):
    pk = client_of(village_cadre).post(reverse(f"api:{name}-list"), new_rows(places, household)[name],
                                       format="json").json()["id"]
    client = client_of(auditor)
    assert client.get(reverse(f"api:{name}-detail", args=[pk])).status_code == 200
    before = Unchanged()
    field, value = CHANGES[name]
    for response in (client.post(reverse(f"api:{name}-list"), new_rows(places, household)[name], format="json"),
                     client.patch(reverse(f"api:{name}-detail", args=[pk]), {"version": 1, field: value},
                                  format="json")):
        body = refused(response, 403, "missing_permission")
        assert body["details"] == ["assistance.manage_registers"]
    before.check()


BAD = {
    "workshop": [({"name": ""}, "required", "name"), ({"opened_on": "yesterday"}, "invalid", "opened_on"),
                 ({"place": 999999}, "invalid_choice", "place")],
    "welfare": [({"months": 0}, "min_value", "months"), ({"monthly_wage": "-1"}, "min_value", "monthly_wage"),
                ({"id_number": "123"}, "invalid", "id_number")],
    "course": [({"held_to": "2000-01-01"}, "date_order", "held_to"), ({"skill": "x" * 200}, "max_length", "skill")],
    "loan": [({"amount": "many"}, "invalid", "amount"), ({"term_months": "0"}, "min_value", "term_months"),
             ({"rate": "-2"}, "min_value", "rate")],
    "project": [({"category": "gold"}, "invalid_choice", "category"), ({"capacity": 0}, "min_value", "capacity")],
    "pairing": [({"household_number": "nope"}, "invalid", "household_number"),
                ({"content": ""}, "required", "content")],
}


@pytest.mark.parametrize("name, change, code, field",
                         [(name, *case) for name, cases in BAD.items() for case in cases],
                         ids=lambda value: value if isinstance(value, str) else None)
def test_bad_input_is_400_naming_the_field_and_nothing_is_written(village_cadre, places, household, name, change,
                                                                   code, field):
    before = Unchanged()
    payload = {**new_rows(places, household)[name], **change}
    body = refused(client_of(village_cadre).post(reverse(f"api:{name}-list"), payload, format="json"), 400, code,
                   field)
    assert not body["message"].startswith(field)  # the field's label, for people
    before.check()


@pytest.mark.parametrize("name", NAMES)
def test_unknown_fields_and_a_missing_version_are_refused(village_cadre, places, household, name):
    client = client_of(village_cadre)
    payload = new_rows(places, household)[name]
    before = Unchanged()
    refused(client.post(reverse(f"api:{name}-list"), {**payload, "colour": "red"}, format="json"), 400,
            "unknown_field", "colour")
    before.check()
    pk = client.post(reverse(f"api:{name}-list"), payload, format="json").json()["id"]
    before = Unchanged()
    field, value = CHANGES[name]
    url = reverse(f"api:{name}-detail", args=[pk])
    refused(client.patch(url, {field: value}, format="json"), 400, "required", "version")
    refused(client.patch(url, {"version": "one", field: value}, format="json"), 400, "invalid", "version")
    before.check()


def test_the_schema_documents_the_register_writes(village_cadre):
    schema = client_of(village_cadre).get("/api/schema/?format=json").json()
    for prefix in REGISTERS:
        assert {"get", "post"} <= set(schema["paths"][f"/api/{prefix}/"])
        detail = schema["paths"][f"/api/{prefix}/{{id}}/"]
        assert {"get", "put", "patch"} <= set(detail)
        assert set(detail["patch"]["responses"]) >= {"200", "400", "403", "404", "409"}
    components = schema["components"]["schemas"]
    assert {"id_number", "lender", "amount"} <= set(components["MicroCreditsCreateInput"]["properties"])
    update = components["MicroCreditsUpdateInput"]
    assert {"version", "measure", "reason"} <= set(update["properties"]) and "version" in update["required"]
