"""Sign-in, the start page and the change-log page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fangpin.core.models import ChangeLog, User
from fangpin.core.roles import Role
from fangpin.core.views import describe_changes
from fangpin.registry import services

from ..factories import make_household, make_user

PASSWORD = "Test-pass-2026"


@pytest.fixture
def household(county_admin, places):
    return make_household(county_admin, places["t1v1g1"], members=2, phone="13912345678")


# ---------------------------------------------------------------- sign-in


def test_login_page_is_chinese_and_signs_in_to_the_search(client, village_cadre):
    page = client.get(reverse("login"))
    assert page.status_code == 200 and "登录" in page.content.decode()
    response = client.post(reverse("login"), {"username": "cadre_a", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("todo")  # field workers start at their to-do list
    assert response.context["user"] == village_cadre


def test_wrong_password_says_so_and_five_failures_lock_the_account(client, village_cadre):
    response = client.post(reverse("login"), {"username": "cadre_a", "password": "wrong-password"})
    assert response.status_code == 200 and "请输入一个正确的" in response.content.decode()
    for _ in range(4):
        client.post(reverse("login"), {"username": "cadre_a", "password": "wrong-password"})
    locked = client.post(reverse("login"), {"username": "cadre_a", "password": PASSWORD})
    assert "账号已暂时锁定" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_ends_the_session(client, village_cadre):
    client.force_login(village_cadre)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response.url == reverse("login")
    assert client.get(reverse("household-list")).status_code == 302


def test_home_sends_each_role_to_its_start_page(client, places):
    field_roles = {Role.HELPER, Role.GRID_WORKER, Role.VILLAGE_CADRE}
    for role in Role.values:
        client.force_login(make_user(role, places["t1v1"]))
        assert client.get(reverse("home")).url == reverse("todo" if role in field_roles else "household-list")


def test_home_tells_a_user_without_a_role_what_to_do(client, places):
    client.force_login(User.objects.create_user("newcomer", password=PASSWORD, place=places["t1v1"]))
    response = client.get(reverse("home"))
    assert response.status_code == 200 and "请联系县级管理员" in response.content.decode()


def test_home_needs_sign_in(client, db):
    assert client.get(reverse("home")).url.startswith(reverse("login"))


# ---------------------------------------------------------------- change log page


@pytest.mark.parametrize("role,status", [(Role.VILLAGE_CADRE, 200), (Role.AUDITOR, 200), (Role.HELPER, 200),
                                         (Role.DEPARTMENT_CLERK, 403), (Role.INSURER, 403)])
def test_change_log_page_needs_its_permission(role, status, client, places, household):
    client.force_login(make_user(role, places["t1v1"]))
    assert client.get(reverse("change-log")).status_code == status


def test_change_log_shows_only_the_users_area(client, county_admin, village_cadre, places, household):
    far = make_household(county_admin, places["t2v1"])
    client.force_login(village_cadre)
    entries = client.get(reverse("change-log")).context["page_obj"].object_list
    assert {e.household_id for e in entries} == {household.pk}
    assert far.pk not in {e.household_id for e in entries}


def test_change_log_filters(client, county_admin, village_cadre, household):
    services.household_update(actor=village_cadre, household=household, address="新村路1号", reason="入户核实")
    client.force_login(county_admin)

    def listed(**params):
        return list(client.get(reverse("change-log"), params).context["page_obj"].object_list)

    assert {e.object_type for e in listed(object_type="registry.member")} == {"registry.member"}
    assert [e.reason for e in listed(actor="cadre_a")] == ["入户核实"]
    assert [e.action for e in listed(action="update")] == ["update"]
    today = timezone.localdate()
    assert len(listed(since=today.isoformat(), until=today.isoformat())) == ChangeLog.objects.count()
    assert listed(until=(today - datetime.timedelta(days=1)).isoformat()) == []
    assert len(listed(household=household.pk)) == ChangeLog.objects.filter(household_id=household.pk).count()
    html = client.get(reverse("change-log"), {"actor": "cadre_a"}).content.decode()
    assert "家庭住址" in html and "新村路1号" in html and "入户核实" in html


def test_change_log_rejects_a_bad_date_with_a_message(client, county_admin, household):
    client.force_login(county_admin)
    response = client.get(reverse("change-log"), {"since": "上个月"})
    assert response.status_code == 200
    assert response.context["filter"].form.errors["since"]


def test_change_rows_read_like_the_form_and_mask_personal_data(county_admin, household):
    services.household_update(actor=county_admin, household=household, phone="13600001111", house_grade="D",
                              relocated=True)
    member = household.members.get(relation="spouse")
    services.member_update(actor=county_admin, member=member, education="junior")
    update = ChangeLog.objects.filter(object_type="registry.household", action="update").get()
    created = ChangeLog.objects.filter(object_type="registry.member", object_id=member.pk, action="create").get()
    describe_changes([update, created])
    rows = {c.label: (c.before, c.after) for c in update.changes}
    assert rows["联系电话"] == ("139****5678", "136****1111")
    assert rows["危房等级"] == ("—", "D级（整栋危房）")
    assert rows["易地扶贫搬迁"] == ("否", "是")
    assert update.type_label == "农户"
    created_rows = {c.label: c.after for c in created.changes}
    assert created_rows["证件号码"] == member.id_number[:6] + "********" + member.id_number[-4:]
    assert created_rows["农户"] == household.number
    assert created_rows["与户主关系"] == "配偶"


# ---------------------------------------------------------------- languages


def test_english_is_available_through_the_language_switch(client, village_cadre, household):
    client.force_login(village_cadre)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("household-list")})
    assert response.status_code == 302
    html = client.get(reverse("household-list")).content.decode()
    assert "Household search" in html and "农户查询" not in html
    detail = client.get(reverse("household-detail", args=[household.pk])).content.decode()
    for words in ("Basic information", "Housing and water", "Members", "Edit", "Show"):
        assert words in detail
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "农户查询" in client.get(reverse("household-list")).content.decode()


def test_english_catalog_has_no_untranslated_entries():
    from pathlib import Path

    import fangpin

    catalog = Path(fangpin.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
    entries = catalog.read_text(encoding="utf-8").split("\n\n")[1:]
    empty = [e for e in entries if e.rstrip().endswith('msgstr ""') or 'msgstr[0] ""' in e or "#, fuzzy" in e]
    assert not empty, empty[:3]
