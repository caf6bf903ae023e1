"""The access-log page: who saw personal data in full or exported it, for the county admin and the
auditor, filtered, in local time, area-scoped, exportable (and the export is logged too)."""

import datetime
import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from fangpin.core.audit import log_access
from fangpin.core.models import AccessLog
from fangpin.core.roles import ROLE_PERMISSIONS, Perm, Role

from ..factories import make_household, make_user


@pytest.fixture
def readings(county_admin, village_cadre, places):
    """Two unmaskings in two townships and an export, at known times."""
    near = make_household(county_admin, places["t1v1"], phone="13800001111")
    far = make_household(county_admin, places["t2v1"], phone="13900002222")
    member = near.members.first()
    rows = [
        log_access(actor=village_cadre, kind=AccessLog.Kind.UNMASK, area_code=near.area_code,
                   target=f"registry.member:{member.pk} {member.name}",
                   detail={"field": "id_number", "household_id": near.pk}),
        log_access(actor=county_admin, kind=AccessLog.Kind.UNMASK, area_code=far.area_code,
                   target=f"registry.household:{far.pk} {far}",
                   detail={"field": "phone", "household_id": far.pk, "reason": "回访核实"}),
        log_access(actor=county_admin, kind=AccessLog.Kind.EXPORT, area_code=places["county"].code,
                   target="户成员台账", detail={"title": "户成员台账", "rows": 2}),
    ]
    AccessLog.objects.filter(pk=rows[0].pk).update(
        time=datetime.datetime(2026, 3, 1, 16, 30, tzinfo=datetime.UTC))  # 2026-03-02 00:30 in Shanghai
    return {"near": near, "far": far, "rows": rows}


def test_only_the_county_admin_and_the_auditor_may_read_it():
    holders = {role for role, perms in ROLE_PERMISSIONS.items() if Perm.VIEW_ACCESS_LOG in perms}
    assert holders == {Role.COUNTY_ADMIN, Role.AUDITOR}


def test_the_page_lists_readings_with_names_local_times_and_reasons(client, county_admin, readings, places):
    client.force_login(county_admin)
    page = client.get(reverse("access-log")).content.decode()
    assert "2026-03-02 00:30" in page  # shown in Asia/Shanghai, not UTC
    assert "cadre_a" in page and "第1镇1村" in page  # names beside accounts and codes
    assert readings["near"].number in page and readings["far"].number in page
    assert "证件号码" in page and "电话号码" in page and "回访核实" in page and "户成员台账" in page
    member = readings["near"].members.first()
    assert f"家庭成员 {member.name}" in page and "registry.member:" not in page  # words, not codes
    assert reverse("access-log") in client.get(reverse("household-list")).content.decode()  # in the menu


def test_filters(client, county_admin, readings):
    client.force_login(county_admin)

    def listed(**query):
        response = client.get(reverse("access-log"), query)
        assert response.status_code == 200
        return {entry.pk for entry in response.context["page_obj"].object_list}

    near, far, export = (row.pk for row in readings["rows"])
    assert listed() == {near, far, export}
    assert listed(actor="cadre") == {near}
    assert listed(kind="export") == {export}
    assert listed(household=readings["near"].number) == {near}
    assert listed(household=readings["far"].number) == {far}
    assert listed(household="99999999") == set()
    assert listed(since="2026-03-02", until="2026-03-02") == {near}
    today = timezone.localdate().isoformat()
    assert listed(since=today) == {far, export}


def test_the_auditor_sees_only_the_area_and_a_cadre_is_refused(client, places, readings, village_cadre):
    auditor = make_user(Role.AUDITOR, places["t1"], "auditor_t1")
    client.force_login(auditor)
    response = client.get(reverse("access-log"))
    assert {entry.pk for entry in response.context["page_obj"].object_list} == {readings["rows"][0].pk}
    assert readings["far"].number not in response.content.decode()
    client.force_login(village_cadre)
    assert client.get(reverse("access-log")).status_code == 403
    assert client.get(reverse("access-log-export")).status_code == 403


def test_the_export_holds_the_filtered_rows_and_is_logged(client, county_admin, readings):
    client.force_login(county_admin)
    before = AccessLog.objects.count()
    response = client.get(reverse("access-log-export"), {"kind": "unmask"})
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        sheet = archive.read("xl/sharedStrings.xml").decode()
    assert "cadre_a" in sheet and "2026-03-02 00:30" in sheet and "回访核实" in sheet
    assert "户成员台账" not in sheet  # the export row was filtered out
    assert AccessLog.objects.count() == before + 1
    logged = AccessLog.objects.latest("id")
    assert (logged.actor, logged.kind, logged.detail["rows"]) == (county_admin, AccessLog.Kind.EXPORT, 2)
    assert logged.detail["filters"] == {"kind": "unmask"}
