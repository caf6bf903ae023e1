"""Edit pages: each goes through its service, shows service errors next to the field, writes nothing on
bad input, and refuses stale versions with a message."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fangpin.core.models import ChangeLog
from fangpin.core.roles import Role
from fangpin.registry import services
from fangpin.registry.choices import Sex
from fangpin.registry.forms import HouseholdForm
from fangpin.registry.models import Household, Income, Member

from ..factories import id_number, make_household, make_user


@pytest.fixture
def household(county_admin, places):
    return make_household(county_admin, places["t1v1g1"], members=2, phone="13912345678")


@pytest.fixture
def cadre_client(client, village_cadre):
    client.force_login(village_cadre)
    return client


def household_form_data(household, **changes):
    """What the edit page posts back when the person changes only `changes`."""
    form = HouseholdForm(instance=household, user=household.county.users.get(username="county_admin"))
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if field.widget.__class__.__name__ == "NullBooleanSelect":
            data[name] = {True: "true", False: "false", None: "unknown"}[value]
        elif value not in (None, False):
            data[name] = value
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def change_count():
    return ChangeLog.objects.count()


# ---------------------------------------------------------------- household edit


def test_household_edit_page_opens_for_editors_only(client, places, household, other_village_cadre):
    url = reverse("household-edit", args=[household.pk])
    client.force_login(make_user(Role.VILLAGE_CADRE, places["t1v1"]))
    assert client.get(url).status_code == 200
    client.force_login(make_user(Role.AUDITOR, places["t1v1"]))
    assert client.get(url).status_code == 403
    assert client.post(url, {}).status_code == 403
    client.force_login(other_village_cadre)
    assert client.get(url).status_code == 404


def test_household_edit_saves_through_the_service(cadre_client, household):
    data = household_form_data(household, house_grade="C", cultivated_land_mu="3.5", reason="入户核实")
    response = cadre_client.post(reverse("household-edit", args=[household.pk]), data)
    assert response.status_code == 302 and response.url == reverse("household-detail", args=[household.pk])
    household.refresh_from_db()
    assert household.house_grade == "C" and str(household.cultivated_land_mu) == "3.50"
    assert household.phone == "13912345678"  # the empty phone input keeps the stored number
    entry = ChangeLog.objects.filter(object_type="registry.household", action="update").get()
    assert entry.reason == "入户核实" and entry.source == "web"


def test_household_edit_page_never_contains_the_full_phone(cadre_client, household):
    html = cadre_client.get(reverse("household-edit", args=[household.pk])).content.decode()
    assert "13912345678" not in html and "139****5678" in html


def test_household_phone_can_be_replaced_or_cleared(cadre_client, household):
    url = reverse("household-edit", args=[household.pk])
    cadre_client.post(url, household_form_data(household, phone="0812-1234567"))
    household.refresh_from_db()
    assert household.phone == "0812-1234567"
    cadre_client.post(url, household_form_data(household, clear_phone="on"))
    household.refresh_from_db()
    assert household.phone == ""


@pytest.mark.parametrize("changes,field,message", [
    ({"household_type": "ordinary", "exit_year": "2018"}, "exit_year", "一般农户不能有脱贫年度"),
    ({"household_type": "exited", "exit_year": ""}, "exit_year", "脱贫户必须填写脱贫年度"),
    ({"household_type": "exited", "exit_year": "2023"}, "exit_year", "不在2014-2020之间"),
    ({"phone": "12345"}, "phone", "不是11位手机号"),
    ({"house_area": "很大"}, "house_area", "数"),
])
def test_household_edit_shows_errors_next_to_the_field_and_writes_nothing(changes, field, message, cadre_client,
                                                                          household):
    before, logged = Household.objects.values().get(pk=household.pk), change_count()
    response = cadre_client.post(reverse("household-edit", args=[household.pk]), household_form_data(household, **changes))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert message in response.content.decode()
    assert Household.objects.values().get(pk=household.pk) == before and change_count() == logged


def test_household_edit_with_a_stale_version_shows_the_conflict(cadre_client, county_admin, household):
    data = household_form_data(household, address="新地址")
    services.household_update(actor=county_admin, household=household, address="别人改的地址")
    response = cadre_client.post(reverse("household-edit", args=[household.pk]), data)
    assert response.status_code == 200
    assert "已被他人修改" in response.content.decode()
    household.refresh_from_db()
    assert household.address == "别人改的地址"


def test_household_edit_cannot_move_it_out_of_the_area(cadre_client, places, household):
    response = cadre_client.post(reverse("household-edit", args=[household.pk]),
                                 household_form_data(household, place=places["t2v1"].pk))
    assert response.status_code == 200 and "place" in response.context["form"].errors
    household.refresh_from_db()
    assert household.place == places["t1v1g1"]


def test_dissolve_needs_a_reason_then_ends_the_household(cadre_client, household):
    url = reverse("household-dissolve", args=[household.pk])
    response = cadre_client.post(url, {"on": timezone.localdate().isoformat(), "reason": ""})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    assert Household.objects.get(pk=household.pk).status == "active"
    response = cadre_client.post(url, {"on": timezone.localdate().isoformat(), "reason": "全户迁出"})
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.status == "dissolved" and not household.active_members().exists()
    # An ended household has no edit buttons and its forms answer with the service's message.
    html = cadre_client.get(reverse("household-detail", args=[household.pk])).content.decode()
    assert reverse("household-edit", args=[household.pk]) not in html
    response = cadre_client.post(reverse("income-add", args=[household.pk]), {"year": "2024", "wage_income": "1"})
    assert "已销户" in response.content.decode()


# ---------------------------------------------------------------- members


def member_data(**fields):
    data = {"name": "王小红", "id_number": id_number(Sex.FEMALE, datetime.date(2001, 4, 9)), "relation": "daughter",
            "ethnicity": "汉族", "work_months": "0", "welfare_post_months": "0", "medical_insurance": "resident"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_member_add(cadre_client, household):
    data = member_data(health="chronic", dibao="on")
    response = cadre_client.post(reverse("member-add", args=[household.pk]), data)
    assert response.status_code == 302
    member = household.members.get(name="王小红")
    assert member.sex == "F" and member.birth_date == datetime.date(2001, 4, 9)
    assert member.health == "chronic" and member.dibao and member.medical_insurance == "resident"


@pytest.mark.parametrize("fields,field,message", [
    ({"id_number": "510101200104090000"}, "id_number", "校验位不正确"),
    ({"id_number": "51010119800517"}, "id_number", "应为18位"),
    ({"name": "  "}, "name", ""),
    ({"relation": "head"}, "relation", "该户已有户主"),
    ({"health": "disabled"}, "disability_grade", "残疾成员必须填写残疾等级"),
    ({"work_months": "13"}, "work_months", "0-12"),
    ({"work_months": "三个月"}, "work_months", ""),
])
def test_member_add_rejects_bad_input_and_writes_nothing(fields, field, message, cadre_client, household):
    members, logged = Member.objects.count(), change_count()
    response = cadre_client.post(reverse("member-add", args=[household.pk]), member_data(**fields))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert Member.objects.count() == members and change_count() == logged


def test_member_add_refuses_a_person_already_in_another_household(cadre_client, county_admin, places, household):
    other = make_household(county_admin, places["t1v2"])
    response = cadre_client.post(reverse("member-add", args=[household.pk]),
                                 member_data(id_number=other.head.id_number))
    message = " ".join(response.context["form"].errors["id_number"])
    # The other household lies in another village: the cadre learns neither that it exists nor where.
    assert "不能在此登记" in message and other.number not in message and "其他农户" not in message


def test_member_edit_keeps_the_id_number_when_left_empty(cadre_client, household):
    spouse = household.members.get(relation="spouse")
    url = reverse("member-edit", args=[spouse.pk])
    page = cadre_client.get(url).content.decode()
    assert spouse.id_number not in page
    data = member_data(name=spouse.name, id_number="", relation="spouse", labour_capacity="weak",
                       version=spouse.version, reason="入户核实")
    response = cadre_client.post(url, data)
    assert response.status_code == 302
    spouse.refresh_from_db()
    assert spouse.labour_capacity == "weak" and spouse.id_number == household.members.get(pk=spouse.pk).id_number
    assert ChangeLog.objects.filter(object_id=spouse.pk, action="update").get().reason == "入户核实"


def test_member_edit_with_a_stale_version_shows_the_conflict(cadre_client, county_admin, household):
    spouse = household.members.get(relation="spouse")
    stale = spouse.version
    services.member_update(actor=county_admin, member=spouse, education="junior")
    response = cadre_client.post(reverse("member-edit", args=[spouse.pk]),
                                 member_data(name=spouse.name, id_number="", relation="spouse", version=stale))
    assert response.status_code == 200 and "已被他人修改" in response.content.decode()
    spouse.refresh_from_db()
    assert spouse.education == "junior"


def test_member_end_deceased(cadre_client, household):
    spouse = household.members.get(relation="spouse")
    day = timezone.localdate() - datetime.timedelta(days=3)
    response = cadre_client.post(reverse("member-end", args=[spouse.pk]), {"reason": "deceased", "on": day.isoformat()})
    assert response.status_code == 302
    spouse.refresh_from_db()
    assert spouse.ended_on == day and spouse.end_reason == "deceased"
    html = cadre_client.get(reverse("household-detail", args=[household.pk])).content.decode()
    assert "已离户成员" in html and day.isoformat() in html


@pytest.mark.parametrize("data,field,message", [
    ({"reason": "deceased", "on": "2999-01-01"}, "on", "不能晚于今天"),
    ({"reason": "household_dissolved", "on": "2024-01-01"}, "reason", ""),
    ({"reason": "moved_out", "on": "昨天"}, "on", ""),
])
def test_member_end_rejects_bad_input(data, field, message, cadre_client, household):
    spouse = household.members.get(relation="spouse")
    response = cadre_client.post(reverse("member-end", args=[spouse.pk]), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    spouse.refresh_from_db()
    assert spouse.is_active


def test_head_cannot_leave_before_another_head_is_named(cadre_client, household):
    head = household.head
    response = cadre_client.post(reverse("member-end", args=[head.pk]),
                                 {"reason": "moved_out", "on": timezone.localdate().isoformat()})
    assert "户主离户前请先指定新户主" in response.content.decode()
    assert Member.objects.get(pk=head.pk).is_active


def test_members_of_another_area_are_404(client, other_village_cadre, household):
    client.force_login(other_village_cadre)
    spouse = household.members.get(relation="spouse")
    assert client.get(reverse("member-edit", args=[spouse.pk])).status_code == 404
    assert client.post(reverse("member-end", args=[spouse.pk]), {"reason": "deceased"}).status_code == 404
    assert client.get(reverse("member-add", args=[household.pk])).status_code == 404


# ---------------------------------------------------------------- incomes


def test_income_add_reads_ledger_style_amounts(cadre_client, household):
    response = cadre_client.post(reverse("income-add", args=[household.pk]), {
        "year": "2024", "quarter": "", "wage_income": "1,200元", "transfer_income": "３００", "medical_spending": "",
    })
    assert response.status_code == 302 and response.url.endswith("#incomes")
    income = household.incomes.get(year=2024, quarter__isnull=True)
    assert str(income.wage_income) == "1200.00" and str(income.transfer_income) == "300.00"
    assert str(income.medical_spending) == "0.00"


@pytest.mark.parametrize("data,field,message", [
    ({"year": "2024", "wage_income": "abc"}, "wage_income", "不是金额"),
    ({"year": "2024", "wage_income": "-5"}, "wage_income", "不能为负数"),
    ({"year": "2024", "wage_income": "1.234"}, "wage_income", "最多两位小数"),
    ({"year": "1999", "wage_income": "1"}, "year", ""),
    ({"year": "2024", "quarter": "5"}, "quarter", ""),
])
def test_income_add_rejects_garbage_and_writes_nothing(data, field, message, cadre_client, household):
    response = cadre_client.post(reverse("income-add", args=[household.pk]), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Income.objects.exists()


def test_income_add_for_a_recorded_year_points_to_edit(cadre_client, county_admin, household):
    services.income_set(actor=county_admin, household=household, year=2024, wage_income="100")
    response = cadre_client.post(reverse("income-add", args=[household.pk]), {"year": "2024", "wage_income": "999"})
    assert "该期间的收支已录入" in response.content.decode()
    assert str(household.incomes.get().wage_income) == "100.00"


def test_income_edit_saves_and_appears_in_the_history(cadre_client, county_admin, household):
    income = services.income_set(actor=county_admin, household=household, year=2024, wage_income="100")
    page = cadre_client.get(reverse("income-edit", args=[income.pk]))
    assert page.status_code == 200 and 'value="100.00"' in page.content.decode()
    response = cadre_client.post(reverse("income-edit", args=[income.pk]), {
        "version": income.version, "wage_income": "8000", "operating_income": "0", "reason": "年终核算"})
    assert response.status_code == 302
    income.refresh_from_db()
    assert str(income.wage_income) == "8000.00" and income.version == 2
    html = cadre_client.get(reverse("household-detail", args=[household.pk])).content.decode()
    assert "工资性收入" in html and "100.00" in html and "8000.00" in html and "年终核算" in html


def test_income_edit_with_a_stale_version_shows_the_conflict(cadre_client, county_admin, household):
    income = services.income_set(actor=county_admin, household=household, year=2024, wage_income="100")
    services.income_set(actor=county_admin, household=household, year=2024, version=1, wage_income="200")
    response = cadre_client.post(reverse("income-edit", args=[income.pk]), {"version": 1, "wage_income": "300"})
    assert response.status_code == 200 and "已被他人修改" in response.content.decode()
    assert "载入最新数据" in response.content.decode()
    income.refresh_from_db()
    assert str(income.wage_income) == "200.00"


def test_forms_render_for_each_edit_page(cadre_client, county_admin, household):
    income = services.income_set(actor=county_admin, household=household, year=2024, wage_income="100")
    spouse = household.members.get(relation="spouse")
    for url in (reverse("household-edit", args=[household.pk]), reverse("household-dissolve", args=[household.pk]),
                reverse("member-add", args=[household.pk]), reverse("member-edit", args=[spouse.pk]),
                reverse("member-end", args=[spouse.pk]), reverse("income-add", args=[household.pk]),
                reverse("income-edit", args=[income.pk])):
        response = cadre_client.get(url)
        assert response.status_code == 200, url
        assert 'name="csrfmiddlewaretoken"' in response.content.decode()
