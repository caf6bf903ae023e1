"""Personal data in the change log: masked wherever a history is shown, by the field's own
declaration (`core.masking.IdNumberField` / `PhoneField`), and shown in full only through a
reasoned unmask that writes an access-log row."""

import pytest
from django.urls import reverse

from fangpin.cases import notices as case_notices, services as case_services
from fangpin.cases.models import Case
from fangpin.core.audit import change_entry
from fangpin.core.masking import mask, personal_fields, personal_models
from fangpin.core.models import AccessLog, ChangeLog
from fangpin.core.roles import Role
from fangpin.core.views import describe_changes
from fangpin.monitoring import services
from fangpin.monitoring.choices import Channel, RiskType

from ..factories import id_number, make_household, make_user

OBJECTOR_PHONE = "13698761234"


def test_change_log_page_masks_reporter_personal_data(client, county_admin, places):
    household = make_household(county_admin, places["t1v1"])
    reporter_id = id_number()
    services.lead_raise(actor=None, channel=Channel.SELF_DECLARATION, risk_types=[RiskType.ILLNESS],
                        household=household, summary="住院", reporter_name="张三", reporter_phone="13912345678",
                        reporter_id_number=reporter_id)
    client.force_login(county_admin)
    page = client.get(reverse("change-log")).content.decode()
    assert "13912345678" not in page and reporter_id not in page
    assert "139****5678" in page


@pytest.fixture
def objection(county_admin, places):
    """An objection with the objector's phone, recorded on a household's public notice."""
    household = make_household(county_admin, places["t1v1"])
    lead = services.lead_raise(actor=county_admin, channel="helper_visit", risk_types=["illness"],
                               household=household, summary="因病").lead
    services.lead_accept(actor=county_admin, lead=lead)
    case = case_services.case_open_identification(actor=county_admin, household=household, lead=lead,
                                                  category="marginal", risk_types=["illness"], summary="因病")
    Case.objects.filter(pk=case.pk).update(stage_index=3)  # at the notice stage
    case.refresh_from_db()
    case_notices.notice_publish(actor=county_admin, cases=[case], objection_phone="0816-1234567")
    return case_notices.objection_record(actor=county_admin, case=case, content="家中有车",
                                          objector_name="李四", objector_phone=OBJECTOR_PHONE)


@pytest.mark.parametrize("role", [Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICER, Role.VILLAGE_CADRE, Role.AUDITOR])
def test_objector_phone_is_masked_in_the_change_log_and_the_household_history(client, places, objection, role):
    user = make_user(role, places["t1v1"] if role == Role.VILLAGE_CADRE else places["county"], f"u_{role}")
    client.force_login(user)
    for url in (reverse("change-log"), reverse("household-detail", args=[objection.case.household_id])):
        page = client.get(url).content.decode()
        assert "异议人电话" in page, url  # the objection's entry is listed ...
        assert OBJECTOR_PHONE not in page and "136****1234" in page, url  # ... with the phone masked
    assert not AccessLog.objects.exists()  # a masked history reads nothing that needs logging


def test_every_declared_personal_field_is_masked_in_a_history():
    """Derived from the models, not from a list: a field declared personal later is covered too."""
    assert {"registry.household", "registry.member", "monitoring.lead", "cases.objection"} <= {
        m._meta.label_lower for m in personal_models()}
    for model, fields in personal_models().items():
        values = {attname: ("51010119800517123X" if kind == "id_number" else "13812345678")
                  for attname, kind in fields.items()}
        entry = ChangeLog(pk=1, action="update", object_type=model._meta.label_lower, object_id=1,
                          area_code="510101001001", before={k: "" for k in values}, after=values)
        describe_changes([entry])
        shown = {change.attname: change.after for change in entry.changes}
        for attname, kind in fields.items():
            assert shown[attname] == mask(kind, values[attname]), (model, attname)


def test_history_unmask_needs_a_reason_and_writes_the_access_log(client, places, objection, county_admin):
    entry = ChangeLog.objects.get(object_type="cases.objection", object_id=objection.pk)
    url = reverse("change-unmask", args=[entry.pk])
    client.force_login(county_admin)
    page = client.get(reverse("change-log")).content.decode()
    assert url in page  # the admin is offered the reveal

    refused = client.post(url, {"field": "objector_phone", "side": "after", "reason": "  "})
    assert refused.status_code == 400 and "请填写查看完整信息的原因" in refused.content.decode()
    assert OBJECTOR_PHONE not in refused.content.decode()
    assert not AccessLog.objects.exists()

    shown = client.post(url, {"field": "objector_phone", "side": "after", "reason": "核实异议，回电"})
    assert shown.status_code == 200 and OBJECTOR_PHONE in shown.content.decode()
    row = AccessLog.objects.get()
    assert (row.actor, row.kind, row.area_code) == (county_admin, AccessLog.Kind.UNMASK, objection.area_code)
    assert row.detail["reason"] == "核实异议，回电" and row.detail["field"] == "objector_phone"
    assert row.detail["household_id"] == objection.case.household_id

    # Fields that hold no personal data are not "unmasked" through this route.
    assert client.post(url, {"field": "content", "side": "after", "reason": "x"}).status_code == 404


def test_the_auditor_may_not_unmask_history(client, places, objection):
    auditor = make_user(Role.AUDITOR, places["county"], "auditor")
    entry = ChangeLog.objects.get(object_type="cases.objection", object_id=objection.pk)
    client.force_login(auditor)
    page = client.get(reverse("change-log")).content.decode()
    assert reverse("change-unmask", args=[entry.pk]) not in page
    response = client.post(reverse("change-unmask", args=[entry.pk]),
                           {"field": "objector_phone", "side": "after", "reason": "看看"})
    assert response.status_code == 403 and OBJECTOR_PHONE not in response.content.decode()
    assert not AccessLog.objects.exists()


def test_history_unmask_stays_in_the_area(client, places, objection):
    other = make_user(Role.VILLAGE_CADRE, places["t2v1"], "cadre_other")
    entry = ChangeLog.objects.get(object_type="cases.objection", object_id=objection.pk)
    client.force_login(other)
    response = client.post(reverse("change-unmask", args=[entry.pk]),
                           {"field": "objector_phone", "side": "after", "reason": "看看"})
    assert response.status_code == 404
    assert not AccessLog.objects.exists()


def test_lead_history_masks_the_reporter_by_field_declaration(client, county_admin, places):
    household = make_household(county_admin, places["t1v1"])
    reporter_id = id_number()
    lead = services.lead_raise(actor=None, channel=Channel.SELF_DECLARATION, risk_types=[RiskType.ILLNESS],
                               household=household, summary="住院", reporter_name="张三",
                               reporter_phone="13912345678", reporter_id_number=reporter_id).lead
    client.force_login(county_admin)
    page = client.get(reverse("lead-detail", args=[lead.pk])).content.decode()
    assert "13912345678" not in page and reporter_id not in page
    assert "139****5678" in page and mask("id_number", reporter_id) in page


def test_change_entries_store_personal_values_by_attname(county_admin, places):
    """The renderer maps the stored keys back to fields: they must be attnames."""
    household = make_household(county_admin, places["t1v1"], phone="13812345678")
    entry = change_entry(household, "create", actor=county_admin)
    assert set(personal_fields(type(household))) <= set(entry.after)


def test_a_missing_reason_comes_back_in_place_for_htmx(client, objection, county_admin):
    entry = ChangeLog.objects.get(object_type="cases.objection", object_id=objection.pk)
    client.force_login(county_admin)
    response = client.post(reverse("change-unmask", args=[entry.pk]), {"field": "objector_phone", "side": "after"},
                           HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert response.status_code == 200 and "请填写查看完整信息的原因" in text and "136****1234" in text
    assert OBJECTOR_PHONE not in text and not AccessLog.objects.exists()
