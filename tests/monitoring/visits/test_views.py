"""Visit pages: the to-do list per role, the card form, visit pages, policy page, household panel,
area and permission."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from fangpin.core.roles import Role
from fangpin.monitoring import services as monitoring
from fangpin.monitoring.choices import Channel, RiskTier
from fangpin.monitoring.models import Visit, VisitPolicy
from fangpin.monitoring.visits.services import sweep_checklist_generate, visit_record
from fangpin.registry.choices import Relation

from ...factories import make_household, make_user
from .conftest import registered_days_ago, set_tier, visited_days_ago

TODAY = timezone.localdate


@pytest.mark.parametrize("role,start", [
    (Role.HELPER, "todo"), (Role.GRID_WORKER, "todo"), (Role.VILLAGE_CADRE, "todo"),
    (Role.TOWNSHIP_OFFICER, "household-list"), (Role.COUNTY_OFFICER, "household-list"),
    (Role.AUDITOR, "household-list"),
])
def test_field_workers_start_at_their_to_do_list(client, places, role, start):
    client.force_login(make_user(role, places["t1v1"]))
    assert client.get(reverse("home")).url == reverse(start)


def test_the_to_do_list_puts_own_households_first_then_leads_and_sweeps(client, county_admin, places, helper,
                                                                        household, other_helper):
    neighbour = make_household(county_admin, places["t1v1"], members=1)
    not_due = make_household(county_admin, places["t1v1"], members=1, helper=helper)
    elsewhere = make_household(county_admin, places["t2v1"], members=1, helper=other_helper)
    set_tier(household, RiskTier.KEY)
    visited_days_ago(household, helper, 31)
    registered_days_ago(neighbour, 200)
    registered_days_ago(elsewhere, 200)
    monitoring.lead_raise(actor=county_admin, channel=Channel.TIP, risk_types=["illness"], household=not_due,
                          summary="邻居反映户主生病")
    registry_head = not_due.members.get(relation=Relation.HEAD)
    from fangpin.registry import services as registry

    registry.member_update(actor=county_admin, member=registry_head, health="serious")
    cadre = make_user(Role.VILLAGE_CADRE, places["t1v1"], "cadre_x")
    sweep_checklist_generate(actor=cadre, village=places["t1v1"], period=TODAY().strftime("%Y-%m"))

    client.force_login(helper)
    response = client.get(reverse("todo"))
    todo = response.context["todo"]
    kinds = [(entry.kind, entry.household_id) for entry in todo.entries]
    assert kinds[:2] == [("visit", household.pk), ("visit", neighbour.pk)]
    assert todo.entries[0].own and not todo.entries[1].own
    assert ("lead", not_due.pk) in kinds and ("sweep", not_due.pk) in kinds
    assert all(h != elsewhere.pk for _, h in kinds)
    assert (todo.visits_due, todo.leads_new, todo.sweeps_pending) == (2, 1, 1)
    html = response.content.decode()
    assert "我的帮扶户" in html and "逾期1天未走访" in html and "邻居反映户主生病" in html

    visit_record(actor=helper, household=household, visited_on=TODAY(), changes={})
    todo = client.get(reverse("todo")).context["todo"]
    assert [e.household_id for e in todo.entries if e.kind == "visit"] == [neighbour.pk]

    client.force_login(other_helper)
    todo = client.get(reverse("todo")).context["todo"]
    assert [e.household_id for e in todo.entries] == [elsewhere.pk]


def test_the_to_do_list_is_for_roles_that_visit(client, places):
    client.force_login(make_user(Role.AUDITOR, places["t1v1"]))
    assert client.get(reverse("todo")).status_code == 403


def test_the_card_form_is_prefilled_and_one_tap_records_an_unchanged_visit(client, helper, household):
    client.force_login(helper)
    url = reverse("visit-new", args=[household.pk])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "全部无变化，提交" in html
    assert "A级（安全）" in html and household.head.name in html
    form = page.context["form"]
    response = client.post(url, {"visited_on": TODAY().isoformat(), "visit_key": form.initial["visit_key"],
                                 "all_unchanged": "1", "changed_housing": "on", "housing__house_grade": "D",
                                 "seconds_spent": "21"})
    visit = Visit.objects.get()
    assert response.url == reverse("visit-detail", args=[visit.pk])
    assert visit.changes == {} and visit.seconds_spent == 21  # "all unchanged" wins over a stray switch
    household.refresh_from_db()
    assert household.house_grade == "A"
    detail = client.get(response.url).content.decode()
    assert "全部无变化" in detail


def test_a_changed_item_from_the_form_reaches_the_registry(client, helper, household):
    client.force_login(helper)
    url = reverse("visit-new", args=[household.pk])
    form = client.get(url).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v not in (None, False)}
    data.update({"changed_housing": "on", "housing__house_grade": "C", "visited_on": TODAY().isoformat()})
    response = client.post(url, data)
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.house_grade == "C"
    visit = Visit.objects.get()
    assert visit.changes == {"housing": {"house_grade": "C"}}
    assert "C级（局部危房）" in client.get(response.url).content.decode()
    page = client.get(reverse("household-detail", args=[household.pk])).content.decode()
    assert 'id="visits"' in page and reverse("visit-panel", args=[household.pk]) in page
    panel = client.get(reverse("visit-panel", args=[household.pk])).content.decode()
    assert "危房等级：C级（局部危房）" in panel


def test_form_errors_are_shown_and_nothing_is_written(client, helper, household):
    client.force_login(helper)
    url = reverse("visit-new", args=[household.pk])
    head = household.members.get(relation=Relation.HEAD)
    response = client.post(url, {"visited_on": TODAY().isoformat(), "changed_members": "on",
                                 f"members__m{head.pk}__health": "disabled"})
    assert response.status_code == 400
    assert "残疾成员必须填写残疾等级" in response.content.decode()
    risk = client.post(url, {"visited_on": TODAY().isoformat(), "risk_found": "on"})
    assert risk.status_code == 400 and "请选择发现的风险类型" in risk.content.decode()
    assert not Visit.objects.exists()


def test_the_offline_resubmission_gets_json_and_is_idempotent(client, helper, household):
    client.force_login(helper)
    url = reverse("visit-new", args=[household.pk])
    data = {"visited_on": TODAY().isoformat(), "visit_key": "offline-1", "all_unchanged": "1"}
    first = client.post(url, data, HTTP_ACCEPT="application/json")
    second = client.post(url, data, HTTP_ACCEPT="application/json")
    assert first.status_code == second.status_code == 200
    assert json.loads(first.content) == json.loads(second.content)
    assert Visit.objects.count() == 1
    bad = client.post(url, {"visited_on": "tomorrow"}, HTTP_ACCEPT="application/json")
    assert bad.status_code == 400 and "visited_on" in json.loads(bad.content)["errors"]


def test_another_villages_helper_meets_404(client, helper, other_helper, household):
    visit = visit_record(actor=helper, household=household, visited_on=TODAY(), changes={})
    client.force_login(other_helper)
    assert client.get(reverse("visit-new", args=[household.pk])).status_code == 404
    assert client.post(reverse("visit-new", args=[household.pk]), {"visited_on": TODAY().isoformat()}).status_code == 404
    assert client.get(reverse("visit-detail", args=[visit.pk])).status_code == 404
    assert client.get(reverse("visit-panel", args=[household.pk])).status_code == 404
    assert not Visit.objects.filter(visitor=other_helper).exists()


def test_the_household_panel_shows_tier_due_date_visits_and_open_leads(client, helper, household):
    set_tier(household, RiskTier.WARNING)
    visit_record(actor=helper, household=household, visited_on=TODAY() - datetime.timedelta(days=10), changes={},
                 risk_types=["accident"])
    client.force_login(helper)
    assert reverse("visit-new", args=[household.pk]) in client.get(
        reverse("household-detail", args=[household.pk])).content.decode()
    html = client.get(reverse("visit-panel", args=[household.pk])).content.decode()
    assert "预警（红）" in html and "逾期3天" in html and "因意外事故" in html


def test_the_county_admin_adopts_a_visit_policy_from_the_page(client, county_admin, village_cadre):
    client.force_login(county_admin)
    page = client.get(reverse("visit-policy")).content.decode()
    assert "默认频次" in page
    response = client.post(reverse("visit-policy"), {"effective_from": TODAY().isoformat(),
                                                     "warning_interval_days": "14", "key_interval_days": "30",
                                                     "general_interval_days": "60"})
    assert response.status_code == 302
    assert VisitPolicy.objects.get().general_interval_days == 60
    wrong = client.post(reverse("visit-policy"), {"effective_from": TODAY().isoformat(),
                                                  "warning_interval_days": "40", "key_interval_days": "30",
                                                  "general_interval_days": "60"})
    assert wrong.status_code == 400 and "风险越高走访应越勤" in wrong.content.decode()
    client.force_login(village_cadre)
    assert client.get(reverse("visit-policy")).status_code == 403


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_visit_pages_run_a_fixed_number_of_queries(client, county_admin, places, helper, township_officer):
    """No page asks the database once per household: twice the households, the same queries."""
    cadre = make_user(Role.VILLAGE_CADRE, places["t1v1"], "cadre_q")
    period = TODAY().strftime("%Y-%m")
    counts = []
    for _ in range(2):
        for _ in range(4):
            household = make_household(county_admin, places["t1v1g1"], helper=helper)
            registered_days_ago(household, 100)
            monitoring.lead_raise(actor=county_admin, channel=Channel.TIP, risk_types=["illness"],
                                  household=household, summary="反映")
            from fangpin.registry import services as registry

            registry.member_update(actor=county_admin, member=household.head, health="chronic")
            visit_record(actor=helper, household=household, visited_on=TODAY() - datetime.timedelta(days=1),
                         changes={"housing": {"house_grade": "B"}})
            Visit.objects.filter(household=household).update(visited_on=TODAY() - datetime.timedelta(days=95))
        checklist = sweep_checklist_generate(actor=cadre, village=places["t1v1"], period=period)
        client.force_login(helper)
        todo = _queries(client, reverse("todo"))
        client.force_login(township_officer)
        overdue = _queries(client, reverse("visits-overdue"))
        drill = _queries(client, reverse("visits-overdue") + f"?helper={helper.pk}")
        sweeps = _queries(client, reverse("sweep-list"))
        client.force_login(cadre)
        sweep = _queries(client, reverse("sweep-detail", args=[checklist.pk]))
        counts.append((todo, overdue, drill, sweeps, sweep))
    assert counts[0] == counts[1], counts
