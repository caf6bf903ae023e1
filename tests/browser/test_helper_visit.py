"""A helper's morning on a phone: sign in to today's to-do list, open the household that is due,
record "all unchanged" in one tap and see it leave the list; then record a change, and record one
more visit while the phone has no signal."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangpin.core.roles import Role
from fangpin.monitoring.choices import RiskTier
from fangpin.monitoring.models import HouseholdTier, Visit
from fangpin.registry.models import Household

from ..factories import make_household, make_places, make_user
from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Test-pass-2026"


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def helper_round():
    places = make_places()
    admin = make_user(Role.COUNTY_ADMIN, places["county"], "admin")
    helper = make_user(Role.HELPER, places["t1v1"], "helper_a")
    due = make_household(admin, places["t1v1g1"], members=3, helper=helper, house_grade="A")
    HouseholdTier.objects.create(household=due, risk_tier=RiskTier.KEY, computed_at=timezone.now())
    Visit.objects.create(household=due, visitor=helper, card={"items": {}},
                         visited_on=timezone.localdate() - datetime.timedelta(days=35))
    make_household(admin, places["t1v1"], members=2, helper=helper)  # registered today: not due yet
    return helper, due


def sign_in(page, live_server):
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "helper_a")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/monitoring/todo/$"))


def test_helper_records_an_unchanged_visit_then_a_change(phone, live_server, helper_round, tmp_path):
    helper, household = helper_round
    head = household.head.name
    sign_in(phone, live_server)
    entry = phone.locator("#todo-list li", has_text=head)
    expect(entry).to_contain_text("逾期5天未走访")
    expect(entry).to_contain_text("我的帮扶户")
    expect(phone.locator("#count-visits")).to_have_text("1")
    phone.screenshot(path=tmp_path / "todo.png", full_page=True)

    entry.locator("a").click()
    expect(phone).to_have_url(re.compile(rf"/monitoring/households/{household.pk}/visit/$"))
    expect(phone.locator("#item-housing .item-summary")).to_contain_text("A级（安全）")
    expect(phone.locator("#id_housing__house_grade")).to_be_hidden()
    phone.screenshot(path=tmp_path / "card.png", full_page=True)
    phone.get_by_role("button", name="全部无变化，提交").click()

    expect(phone).to_have_url(re.compile(r"/monitoring/visits/\d+/$"))
    expect(phone.locator("#visit-result")).to_have_text("全部无变化")
    visit = Visit.objects.filter(household=household).latest("id")
    assert visit.changes == {} and visit.seconds_spent is not None and visit.visited_on == timezone.localdate()

    phone.get_by_role("link", name="回到今日待办").click()
    expect(phone.locator("#todo-empty")).to_be_visible()
    expect(phone.locator("#count-visits")).to_have_text("0")

    phone.goto(f"{live_server.url}/monitoring/households/{household.pk}/visit/")
    phone.locator("#item-housing label", has_text="有变化").click()
    expect(phone.get_by_role("button", name="全部无变化，提交")).to_be_hidden()
    phone.select_option("#id_housing__house_grade", "C")
    phone.screenshot(path=tmp_path / "card-changed.png", full_page=True)
    phone.get_by_role("button", name="提交走访").click()
    expect(phone.locator("#visit-changes")).to_contain_text("危房等级：C级（局部危房）")
    assert Household.objects.get(pk=household.pk).house_grade == "C"
    assert Visit.objects.filter(household=household).count() == 3


def test_a_visit_made_without_signal_is_sent_when_the_phone_is_back_online(phone, live_server, helper_round):
    helper, household = helper_round
    sign_in(phone, live_server)
    phone.goto(f"{live_server.url}/monitoring/households/{household.pk}/visit/")
    phone.locator("#item-industry label", has_text="有变化").click()
    phone.fill("#id_industry__industries", "养蜂")
    phone.context.set_offline(True)
    phone.get_by_role("button", name="提交走访").click()
    expect(phone.locator("#visit-offline-status")).to_contain_text("没有信号")
    assert Visit.objects.filter(household=household).count() == 1

    phone.context.set_offline(False)
    phone.evaluate("window.dispatchEvent(new Event('online'))")
    expect(phone.locator("#visit-offline-status")).to_contain_text("离线保存的走访已提交")
    assert Visit.objects.filter(household=household).count() == 2
    assert Household.objects.get(pk=household.pk).industries == "养蜂"

    assert phone.evaluate("JSON.parse(localStorage.getItem('fangpin.visits.outbox') || '[]').length") == 0
    phone.reload()
    assert Visit.objects.filter(household=household).count() == 2


def test_a_half_filled_card_survives_closing_the_page(phone, live_server, helper_round):
    helper, household = helper_round
    sign_in(phone, live_server)
    url = f"{live_server.url}/monitoring/households/{household.pk}/visit/"
    phone.goto(url)
    phone.locator("#item-housing label", has_text="有变化").click()
    phone.select_option("#id_housing__house_grade", "D")
    phone.goto(f"{live_server.url}/monitoring/todo/")
    phone.goto(url)
    expect(phone.locator("#visit-offline-status")).to_contain_text("已恢复")
    expect(phone.locator("#id_housing__house_grade")).to_have_value("D")
    expect(phone.locator("#id_changed_housing")).to_be_checked()


def test_a_card_corrected_after_the_server_asks_leaves_no_draft_behind(phone, live_server, helper_round):
    helper, household = helper_round
    sign_in(phone, live_server)
    url = f"{live_server.url}/monitoring/households/{household.pk}/visit/"
    phone.goto(url)
    phone.locator("#item-risks label", has_text="发现风险").click()
    phone.get_by_role("button", name="提交走访").click()
    expect(phone.locator("#item-risks .invalid-feedback")).to_contain_text("请选择发现的风险类型")
    phone.locator("#item-risks label", has_text="因病").click()
    phone.fill("#id_note", "户主住院")
    phone.get_by_role("button", name="提交走访").click()
    expect(phone.locator("#visit-result")).to_contain_text("因病")
    visit = Visit.objects.filter(household=household).latest("id")
    assert visit.lead is not None and visit.lead.channel == "helper_visit"
    phone.goto(url)
    expect(phone.locator("#visit-offline-status")).to_be_hidden()
    expect(phone.locator("#id_risk_found")).not_to_be_checked()
