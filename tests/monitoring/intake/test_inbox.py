"""The lead inbox per level, each lead's page and its actions, overdue acceptance, hand entry."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangpin.core.models import AccessLog
from fangpin.core.roles import Role
from fangpin.monitoring import services as monitoring_services
from fangpin.monitoring.choices import Channel, LeadStatus, RiskType
from fangpin.monitoring.models import Lead

from ...factories import id_number, make_household, make_user

pytestmark = pytest.mark.django_db


def raise_lead(actor, household, risks, channel=Channel.CADRE_SWEEP, **kwargs):
    return monitoring_services.lead_raise(actor=actor, channel=channel, risk_types=risks, household=household,
                                          summary="排查发现", **kwargs).lead


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_overdue(lead, days=3):
    Lead.objects.filter(pk=lead.pk).update(accept_due=timezone.now() - datetime.timedelta(days=days))


@pytest.fixture
def two_villages(county_admin, places):
    """A lead in t1v1 and one in t2v1."""
    here = make_household(county_admin, places["t1v1"])
    there = make_household(county_admin, places["t2v1"])
    return raise_lead(county_admin, here, [RiskType.ILLNESS]), raise_lead(county_admin, there, [RiskType.DISASTER])


def test_inbox_shows_only_the_users_area(two_villages, village_cadre, other_village_cadre, county_officer):
    here, there = two_villages
    body = signed_in(village_cadre).get(reverse("lead-inbox")).content.decode()
    assert f"/leads/{here.pk}/" in body and f"/leads/{there.pk}/" not in body
    body = signed_in(other_village_cadre).get(reverse("lead-inbox")).content.decode()
    assert f"/leads/{there.pk}/" in body and f"/leads/{here.pk}/" not in body
    body = signed_in(county_officer).get(reverse("lead-inbox")).content.decode()
    assert f"/leads/{here.pk}/" in body and f"/leads/{there.pk}/" in body


def test_a_cadre_of_another_village_sees_nothing(two_villages, places):
    here, _there = two_villages
    neighbour = make_user(Role.VILLAGE_CADRE, places["t1v2"], "cadre_t1v2")
    client = signed_in(neighbour)
    body = client.get(reverse("lead-inbox")).content.decode()
    assert "/leads/" not in body.split('id="result-count"')[1].split("</table>")[0] or "没有符合条件的线索" in body
    assert client.get(reverse("lead-detail", args=[here.pk])).status_code == 404
    assert client.get(reverse("lead-inbox") + f"?place={places['t1v1'].code}").content.decode().count(
        f"/leads/{here.pk}/") == 0


def test_roles_without_lead_access_are_refused(two_villages, places):
    clerk = make_user(Role.DEPARTMENT_CLERK, places["county"], "clerk")
    assert signed_in(clerk).get(reverse("lead-inbox")).status_code == 403
    assert Client().get(reverse("lead-inbox")).status_code == 302


@pytest.mark.parametrize("query,expected", [
    ("status=new", {"illness", "disaster"}),
    ("status=accepted", set()),
    ("channel=cadre_sweep", {"illness", "disaster"}),
    ("channel=tip", set()),
    ("risk_type=illness", {"illness"}),
    ("risk_type=other", set()),
    ("place=510101002000", {"disaster"}),
    ("place=510101001001", {"illness"}),
    ("overdue=true", {"illness"}),
])
def test_inbox_filters(two_villages, county_officer, query, expected):
    here, there = two_villages
    make_overdue(here)
    body = signed_in(county_officer).get(reverse("lead-inbox") + "?" + query).content.decode()
    shown = {risk for lead, risk in ((here, "illness"), (there, "disaster")) if f"/leads/{lead.pk}/" in body}
    assert shown == expected


def test_overdue_leads_are_highlighted_in_the_township_inbox(two_villages, township_officer):
    here, _there = two_villages
    make_overdue(here)
    body = signed_in(township_officer).get(reverse("lead-inbox")).content.decode()
    assert 'class="lead-overdue"' in body and "逾期未受理" in body
    assert '<div class="stat-value" id="overdue-count">1</div>' in body


def test_overdue_acceptance_at_county_level(county_admin, places, county_officer, township_officer):
    t1 = [raise_lead(county_admin, make_household(county_admin, places["t1v1"]), [RiskType.ILLNESS]) for _ in range(3)]
    t2 = raise_lead(county_admin, make_household(county_admin, places["t2v2"]), [RiskType.ILLNESS])
    make_overdue(t1[0])
    make_overdue(t1[1], days=5)
    monitoring_services.lead_accept(actor=township_officer, lead=t1[2])
    make_overdue(t1[2])  # accepted: never overdue, whatever its old deadline

    response = signed_in(county_officer).get(reverse("leads-overdue"))
    rows = {row.township.code: (row.waiting, row.overdue) for row in response.context["rows"]}
    assert rows == {places["t1"].code: (2, 2), places["t2"].code: (1, 0)}
    assert response.context["total_overdue"] == 2
    listed = [lead.pk for lead in response.context["page_obj"].object_list]
    assert listed == [t1[1].pk, t1[0].pk] and t2.pk not in listed

    # The township sees its own row only.
    response = signed_in(township_officer).get(reverse("leads-overdue"))
    assert [row.township for row in response.context["rows"]] == [places["t1"]]


def test_lead_page_shows_source_evidence_figures_reporter_and_history(county_admin, places, township_officer):
    household = make_household(county_admin, places["t1v1"])
    lead = monitoring_services.lead_raise(
        actor=None, channel=Channel.TIP, risk_types=[RiskType.ILLNESS], household=household, summary="邻居反映",
        reporter_name="赵六", reporter_phone="13912340000", evidence={"person_name": "某某"},
        figures={"medical_spending": "23000.00", "line": {"amount": 8700}}).lead
    client = signed_in(township_officer)
    body = client.get(reverse("lead-detail", args=[lead.pk])).content.decode()
    assert "社会监督举报" in body and lead.ack_number in body and "因病" in body
    assert "medical_spending" in body and "23000.00" in body and "所涉人员姓名" in body
    assert "139****0000" in body and "13912340000" not in body
    assert 'id="history"' in body and "新增" in body
    asked = client.post(reverse("lead-reveal", args=[lead.pk]))
    assert asked.status_code == 400 and "13912340000" not in asked.content.decode()
    assert not AccessLog.objects.exists()
    revealed = client.post(reverse("lead-reveal", args=[lead.pk]), {"reason": "回电核实反映情况"})
    assert "13912340000" in revealed.content.decode()
    entry = AccessLog.objects.get(actor=township_officer, kind="unmask")
    assert entry.detail["reason"] == "回电核实反映情况"


def test_accept_needs_handle_permission_and_area(two_villages, village_cadre, township_officer,
                                                 other_township_officer):
    here, _there = two_villages
    url = reverse("lead-accept", args=[here.pk])
    assert signed_in(village_cadre).post(url).status_code == 403
    assert signed_in(other_township_officer).post(url).status_code == 404
    assert signed_in(township_officer).get(url).status_code == 405
    response = signed_in(township_officer).post(url)
    assert response.status_code == 302
    here.refresh_from_db()
    assert here.status == LeadStatus.ACCEPTED and here.accepted_by == township_officer
    again = signed_in(township_officer).post(url, follow=True)
    assert "不能受理" in again.content.decode()


def test_dismiss_needs_a_reason(two_villages, township_officer):
    here, _there = two_villages
    client = signed_in(township_officer)
    response = client.post(reverse("lead-dismiss", args=[here.pk]), {"reason": ""}, follow=True)
    assert "排除线索必须说明理由" in response.content.decode()
    here.refresh_from_db()
    assert here.status == LeadStatus.NEW
    client.post(reverse("lead-dismiss", args=[here.pk]), {"reason": "核实后医疗费已报销九成"})
    here.refresh_from_db()
    assert here.status == LeadStatus.DISMISSED and here.close_reason == "核实后医疗费已报销九成"


def test_merge_into_another_open_lead_of_the_same_household(county_admin, places, township_officer,
                                                            village_cadre, two_villages):
    household = make_household(county_admin, places["t1v1"])
    first = raise_lead(county_admin, household, [RiskType.ILLNESS])
    second = raise_lead(county_admin, household, [RiskType.DISASTER])
    _here, there = two_villages
    client = signed_in(township_officer)
    page = client.get(reverse("lead-detail", args=[second.pk])).content.decode()
    assert f'value="{first.pk}"' in page
    assert signed_in(village_cadre).post(reverse("lead-merge", args=[second.pk]), {"into": first.pk}).status_code == 403
    refused = client.post(reverse("lead-merge", args=[second.pk]), {"into": there.pk}, follow=True)
    assert "请选择同一农户的另一条未办结线索" in refused.content.decode()
    client.post(reverse("lead-merge", args=[second.pk]), {"into": first.pk})
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == LeadStatus.MERGED and second.merged_into == first
    assert set(first.risk_types) == {RiskType.ILLNESS, RiskType.DISASTER}
    body = client.get(reverse("lead-detail", args=[first.pk])).content.decode()
    assert 'id="merged"' in body and f"/leads/{second.pk}/" in body


def test_staff_raise_a_lead_for_a_person_by_hand(village_cadre, places, household):
    client = signed_in(village_cadre)
    form = client.get(reverse("lead-new")).content.decode()
    assert 'value="cadre_sweep"' in form and 'value="pushed_list"' not in form
    response = client.post(reverse("lead-new"), {
        "channel": "cadre_sweep", "place": places["t1v1"].pk, "person_name": "王户主",
        "id_number": household.head.id_number, "risk_types": [RiskType.UNSTABLE_EMPLOYMENT],
        "summary": "外出务工停工三个月"})
    lead = Lead.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("lead-detail", args=[lead.pk])
    assert lead.household == household and lead.raised_by == village_cadre and lead.channel == Channel.CADRE_SWEEP


def test_staff_raise_from_a_household_page(village_cadre, household):
    client = signed_in(village_cadre)
    url = reverse("lead-new") + f"?household={household.pk}"
    assert household.number in client.get(url).content.decode()
    client.post(url, {"channel": "self_declaration", "risk_types": [RiskType.ILLNESS], "summary": "电话12317申报",
                      "reporter_phone": "13912345678"})
    lead = Lead.objects.get()
    assert lead.household == household and lead.ack_number.startswith("SB") and lead.raised_by == village_cadre


def test_staff_cannot_pick_a_channel_outside_their_role_or_a_household_outside_their_area(
        village_cadre, other_village_cadre, places, household):
    helper = make_user(Role.HELPER, places["t1v1"], "helper1")
    response = signed_in(helper).post(reverse("lead-new") + f"?household={household.pk}", {
        "channel": "tip", "risk_types": [RiskType.ILLNESS], "summary": "x"})
    assert response.status_code == 200 and not Lead.objects.exists()
    assert signed_in(other_village_cadre).get(reverse("lead-new") + f"?household={household.pk}").status_code == 404


def test_staff_lead_for_an_unknown_person_needs_an_id_unless_a_tip(village_cadre, places):
    client = signed_in(village_cadre)
    response = client.post(reverse("lead-new"), {"channel": "cadre_sweep", "place": places["t1v1"].pk,
                                                  "person_name": "无名", "risk_types": [RiskType.OTHER],
                                                  "summary": "x"})
    assert "请填写所涉人员的身份证号码" in response.content.decode() and not Lead.objects.exists()
    client.post(reverse("lead-new"), {"channel": "tip", "place": places["t1v1"].pk, "person_name": "无名",
                                      "risk_types": [RiskType.OTHER], "summary": "群众电话反映"})
    assert Lead.objects.get().household is None
    client.post(reverse("lead-new"), {"channel": "cadre_sweep", "place": places["t1v1"].pk, "person_name": "新人",
                                      "id_number": id_number(), "risk_types": [RiskType.OTHER], "summary": "y"})
    assert Lead.objects.filter(household__status="provisional").count() == 1


def test_a_department_clerk_enters_department_leads(places, household):
    clerk = make_user(Role.DEPARTMENT_CLERK, places["county"], "clerk")
    client = signed_in(clerk)
    assert 'value="department"' in client.get(reverse("lead-new")).content.decode()
    response = client.post(reverse("lead-new"), {"channel": "department", "place": places["t1v1"].pk,
                                                  "person_name": "王户主", "id_number": household.head.id_number,
                                                  "risk_types": [RiskType.ILLNESS], "summary": "医保：住院自付3.2万"})
    assert response.status_code == 302 and response["Location"] == reverse("lead-new")
    assert Lead.objects.get().channel == Channel.DEPARTMENT


def test_village_qr_posters(places, township_officer, village_cadre, county_officer):
    body = signed_in(township_officer).get(reverse("village-qr")).content.decode()
    assert body.count('class="qr-poster"') == 2 and "<svg" in body
    assert f"/monitoring/declare/?v={places['t1v1'].code}" in body
    body = signed_in(village_cadre).get(reverse("village-qr") + f"?place={places['t2'].code}").content.decode()
    assert body.count('class="qr-poster"') == 1 and places["t2v1"].code not in body
    body = signed_in(county_officer).get(reverse("village-qr")).content.decode()
    assert 'class="qr-poster"' not in body
    body = signed_in(county_officer).get(reverse("village-qr") + f"?place={places['t2'].code}").content.decode()
    assert body.count('class="qr-poster"') == 2


def test_qr_uses_the_public_address_when_set(places, township_officer, settings):
    settings.FANGPIN_PUBLIC_URL = "https://fp.example.gov.cn/"
    body = signed_in(township_officer).get(reverse("village-qr")).content.decode()
    assert f"https://fp.example.gov.cn/monitoring/declare/?v={places['t1v1'].code}" in body


def test_inbox_and_overdue_pages_cost_the_same_queries_for_more_leads(county_admin, places, county_officer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = signed_in(county_officer)

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    def add_leads(n):
        for i in range(n):
            place = places["t1v1g1"] if i % 2 else places["t2v2"]
            lead = raise_lead(county_admin, make_household(county_admin, place), [RiskType.ILLNESS])
            make_overdue(lead)

    add_leads(3)
    few = queries(reverse("lead-inbox")), queries(reverse("leads-overdue"))
    add_leads(12)
    assert (queries(reverse("lead-inbox")), queries(reverse("leads-overdue"))) == few
