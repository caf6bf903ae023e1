"""Registry pages: who may open them, what they show, search, unmasking and query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fangpin.core.masking import mask_id_number
from fangpin.core.models import AccessLog, User
from fangpin.core.roles import Role
from fangpin.registry import quality, services
from fangpin.registry.models import Household, Member

from ..factories import ALL_ROLES, make_household, make_user


@pytest.fixture
def household(county_admin, places):
    household = make_household(county_admin, places["t1v1g1"], members=3, phone="13912345678",
                               household_type="exited", exit_year=2018)
    services.income_set(actor=county_admin, household=household, year=2024, wage_income="24000",
                        operating_income="3000", transfer_income="900")
    return household


@pytest.fixture
def far_household(county_admin, places):
    return make_household(county_admin, places["t2v1"], members=2)


def client_for(client, user):
    client.force_login(user)
    return client


def user_with(role, place, name=None):
    return make_user(role, place, name)


# ---------------------------------------------------------------- who may open what


@pytest.mark.parametrize("role", ALL_ROLES)
def test_search_and_household_page_open_for_every_role_in_the_area(role, client, places, household):
    client_for(client, user_with(role, places["t1v1"]))
    assert client.get(reverse("household-list")).status_code == 200
    assert client.get(reverse("household-detail", args=[household.pk])).status_code == 200


def test_household_outside_the_area_is_404(client, other_village_cadre, household):
    client_for(client, other_village_cadre)
    assert client.get(reverse("household-detail", args=[household.pk])).status_code == 404


def test_user_without_role_gets_403(client, places, household):
    nobody = User.objects.create_user("nobody", password="Test-pass-2026", place=places["t1v1"])
    client_for(client, nobody)
    assert client.get(reverse("household-list")).status_code == 403
    assert client.get(reverse("household-detail", args=[household.pk])).status_code == 403
    assert client.get(reverse("data-quality")).status_code == 403


@pytest.mark.parametrize("name", ["household-list", "data-quality", "area-summary"])
def test_anonymous_is_sent_to_login(client, places, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role,status", [(Role.VILLAGE_CADRE, 200), (Role.AUDITOR, 200),
                                         (Role.DEPARTMENT_CLERK, 403), (Role.INSURER, 403)])
def test_data_quality_page_needs_its_permission(role, status, client, places, household):
    client_for(client, user_with(role, places["t1v1"]))
    assert client.get(reverse("data-quality")).status_code == status


# ---------------------------------------------------------------- search


def search(client, **params):
    response = client.get(reverse("household-list"), params)
    assert response.status_code == 200
    return {h.number for h in response.context["page_obj"].object_list}


def test_search_by_name_id_number_household_number_and_place(client, county_admin, places, household, far_household):
    client_for(client, county_admin)
    head = household.head
    assert search(client, q=head.name) == {household.number}
    assert search(client, q=head.id_number) == {household.number}
    assert search(client, q=head.id_number.lower()[:17] + head.id_number[17].lower()) == {household.number}
    assert search(client, q=household.number) == {household.number}
    assert search(client, place=places["t2"].code) == {far_household.number}
    assert search(client, place=places["t1v1"].code) == {household.number}
    assert search(client) == {household.number, far_household.number}


def test_search_by_type_and_flags(client, county_admin, places, household, far_household):
    client_for(client, county_admin)
    Member.objects.filter(household=far_household, relation="spouse").update(dibao=True)
    assert search(client, household_type="exited") == {household.number}
    assert search(client, has_dibao="on") == {far_household.number}
    assert search(client, has_dibao="true", household_type="exited") == set()


def test_search_never_leaves_the_area(client, village_cadre, places, household, far_household):
    client_for(client, village_cadre)
    assert search(client) == {household.number}
    assert search(client, q=far_household.head.name) == set()
    assert search(client, place=places["t2v1"].code) == set()
    response = client.get(reverse("household-list"))
    place_codes = [code for code, _ in response.context["filter"].form.fields["place"].widget.choices if code]
    assert place_codes and all(code.startswith(places["t1v1"].code) for code in place_codes)


def test_result_table_shows_head_masked_id_village_size_and_income(client, county_admin, household):
    client_for(client, county_admin)
    html = client.get(reverse("household-list")).content.decode()
    head = household.head
    assert head.name in html
    assert mask_id_number(head.id_number) in html and head.id_number not in html
    assert "第1镇1村" in html and "脱贫户" in html
    assert "9300" in html  # (24000 + 3000 + 900) / 3 members


def test_htmx_search_returns_only_the_results(client, county_admin, household):
    client_for(client, county_admin)
    response = client.get(reverse("household-list"), {"q": household.number}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert 'id="result-count"' in html and "<html" not in html


def test_paging_25_per_page(client, county_admin, places):
    for _ in range(27):
        make_household(county_admin, places["t1v2"], members=1)
    client_for(client, county_admin)
    first = client.get(reverse("household-list"))
    assert len(first.context["page_obj"].object_list) == 25
    second = client.get(reverse("household-list"), {"page": 2})
    assert len(second.context["page_obj"].object_list) == 2


def list_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("household-list")).status_code == 200
    return len(queries)


def test_search_query_count_does_not_grow_with_rows(client, county_admin, places, django_assert_max_num_queries):
    client_for(client, county_admin)
    make_household(county_admin, places["t1v1"], members=2)
    few = list_queries(client)
    for _ in range(24):
        household = make_household(county_admin, places["t1v2g1"], members=3)
        services.income_set(actor=county_admin, household=household, year=2024, wage_income="10000")
    assert list_queries(client) == few
    with django_assert_max_num_queries(11):
        client.get(reverse("household-list"))


def test_area_summary_counts_the_users_area(client, village_cadre, household, far_household):
    client_for(client, village_cadre)
    response = client.get(reverse("area-summary"))
    summary = response.context["summary"]
    assert summary["households"] == 1 and summary["people"] == 3 and summary["exited"] == 1
    assert summary["warnings"] == quality.flagged_by_any(Household.objects.filter(pk=household.pk)).count()


# ---------------------------------------------------------------- household page


def test_household_page_shows_all_groups_members_incomes_and_history(client, county_admin, household):
    services.household_update(actor=county_admin, household=household, house_grade="C", reason="入户核实")
    spouse = household.members.get(relation="spouse")
    services.member_end(actor=county_admin, member=spouse, reason="deceased")
    client_for(client, county_admin)
    html = client.get(reverse("household-detail", args=[household.pk])).content.decode()
    for heading in ("基本信息", "住房与饮水", "土地与产业", "帮扶责任人与网格员", "家庭成员", "已离户成员", "收支情况", "修改记录"):
        assert heading in html
    assert "9300.00" in html  # 27900 / members at the end of 2024: the spouse ended this year still counts
    assert "危房等级" in html and "C级（局部危房）" in html and "入户核实" in html
    assert "死亡" in html
    assert household.phone not in html and "139****5678" in html
    for member in household.members.all():
        assert member.id_number not in html


def test_household_page_lists_its_data_quality_warnings(client, county_admin, household):
    client_for(client, county_admin)
    response = client.get(reverse("household-detail", args=[household.pk]))
    expected = quality.warnings_for(household)
    assert expected and response.context["warnings"] == expected
    assert expected[0] in response.content.decode()


def test_roles_without_the_permissions_see_no_history_warnings_or_reveal_buttons(client, places, household):
    client_for(client, user_with(Role.INSURER, places["t1v1"]))
    response = client.get(reverse("household-detail", args=[household.pk]))
    assert "history" not in response.context and "warnings" not in response.context
    assert "hx-post" not in response.content.decode()


def _page_queries(client, household) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("household-detail", args=[household.pk])).status_code == 200
    return len(queries)


def test_household_page_query_count_is_bounded(client, county_admin, household, places):
    """A fixed number of queries however long the household's history: the registry sections, then the
    monitoring box, the measures and the timeline, each reading its tables once."""
    from fangpin.cases.services import case_open_identification
    from fangpin.monitoring.services import lead_raise

    for year in (2021, 2022, 2023):
        services.income_set(actor=county_admin, household=household, year=year, wage_income="1000")
    client_for(client, county_admin)
    _page_queries(client, household)   # session and caches settle
    bare = _page_queries(client, household)
    assert bare <= 25

    def add_history(risk):
        lead_raise(actor=county_admin, channel="helper_visit", risk_types=[risk], household=household, summary="走访")
    add_history("illness")
    case = case_open_identification(actor=county_admin, household=household, category="marginal",
                                     risk_types=["illness"])
    with_one = _page_queries(client, household)
    add_history("schooling")
    add_history("housing")
    from fangpin.cases.models import Case
    Case.objects.filter(pk=case.pk).update(status="rejected")
    case_open_identification(actor=county_admin, household=household, category="marginal", risk_types=["housing"])
    # The same count with more history; over the bare page: stage records, notices, objections, and the
    # history's linked records read once per model (the case's procedure, its users and places, the
    # intake policy a lead's deadline came from).
    assert _page_queries(client, household) == with_one <= bare + 6


# ---------------------------------------------------------------- unmasking


def unmask(client, household, reason="入户核实", **data):
    return client.post(reverse("household-unmask", args=[household.pk]), {**data, "reason": reason},
                       headers={"HX-Request": "true"})


def test_unmask_id_number_shows_it_and_writes_the_access_log(client, village_cadre, household):
    client_for(client, village_cadre)
    head = household.head
    response = unmask(client, household, field="id_number", member=head.pk)
    assert response.status_code == 200 and head.id_number in response.content.decode()
    entry = AccessLog.objects.get()
    assert entry.actor == village_cadre and entry.kind == "unmask" and entry.area_code == household.place.code
    assert entry.detail == {"field": "id_number", "household_id": household.pk, "kind": "id_number",
                            "reason": "入户核实", "unmasked": True}


@pytest.mark.parametrize("reason", ["", "   "])
def test_unmask_without_a_reason_asks_for_one_and_shows_nothing(client, village_cadre, household, reason):
    client_for(client, village_cadre)
    response = unmask(client, household, reason=reason, field="id_number", member=household.head.pk)
    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps the form back in place with the error
    assert household.head.id_number not in body and "请填写查看完整信息的原因" in body
    assert 'name="member" value="%d"' % household.head.pk in body
    assert not AccessLog.objects.exists()


def test_unmask_phone(client, village_cadre, household):
    client_for(client, village_cadre)
    response = unmask(client, household, field="phone")
    assert "13912345678" in response.content.decode()
    assert AccessLog.objects.filter(kind="unmask", detail__field="phone").count() == 1


@pytest.mark.parametrize("role,field", [(Role.HELPER, "id_number"), (Role.GRID_WORKER, "id_number"),
                                        (Role.AUDITOR, "phone"), (Role.INSURER, "phone"),
                                        (Role.DEPARTMENT_CLERK, "id_number")])
def test_unmask_is_refused_without_the_permission(role, field, client, places, household):
    client_for(client, user_with(role, places["t1v1"]))
    response = unmask(client, household, field=field, member=household.head.pk)
    assert response.status_code == 403
    assert household.head.id_number not in response.content.decode()
    assert not AccessLog.objects.exists()


def test_helper_sees_no_id_reveal_button_but_a_phone_one(client, places, household):
    client_for(client, user_with(Role.HELPER, places["t1v1"]))
    html = client.get(reverse("household-detail", args=[household.pk])).content.decode()
    assert 'name="field" value="phone"' in html and 'name="field" value="id_number"' not in html


def test_unmask_outside_the_area_or_of_another_households_member_is_404(client, village_cadre, other_village_cadre,
                                                                       household, far_household):
    client_for(client, other_village_cadre)
    assert unmask(client, household, field="phone").status_code == 404
    client_for(client, village_cadre)
    assert unmask(client, household, field="id_number", member=far_household.head.pk).status_code == 404
    assert unmask(client, household, field="bank_card").status_code == 404
    assert client.get(reverse("household-unmask", args=[household.pk])).status_code == 405
    assert not AccessLog.objects.exists()


# ---------------------------------------------------------------- data-quality page


def test_data_quality_page_counts_per_rule_and_lists_on_request(client, village_cadre, county_admin, places,
                                                               household, far_household):
    Member.objects.filter(household__in=[household, far_household]).update(medical_insurance="none")
    client.force_login(village_cadre)
    page = client.get(reverse("data-quality"))
    counts = {row["rule"].code: row["count"] for row in page.context["rows"]}
    assert counts["no_basic_medical_insurance"] == 1  # the other village's household is not counted
    assert "page_obj" not in page.context

    listed = client.get(reverse("data-quality"), {"rule": "no_basic_medical_insurance"})
    assert [h.number for h in listed.context["page_obj"].object_list] == [household.number]
    assert household.head.name in listed.content.decode()
    every = client.get(reverse("data-quality"), {"rule": "any"})
    assert [h.number for h in every.context["page_obj"].object_list] == [household.number]


def test_data_quality_page_narrows_to_a_place(client, county_admin, places, household, far_household):
    Member.objects.filter(household__in=[household, far_household]).update(medical_insurance="none")
    client.force_login(county_admin)
    page = client.get(reverse("data-quality"), {"place": places["t2"].code, "rule": "no_basic_medical_insurance"})
    assert [h.number for h in page.context["page_obj"].object_list] == [far_household.number]
    counts = {row["rule"].code: row["count"] for row in page.context["rows"]}
    assert counts["no_basic_medical_insurance"] == 1


def test_data_quality_page_ignores_unknown_input(client, county_admin, household):
    client.force_login(county_admin)
    response = client.get(reverse("data-quality"), {"rule": "drop table", "place": "999"})
    assert response.status_code == 200 and "page_obj" not in response.context
