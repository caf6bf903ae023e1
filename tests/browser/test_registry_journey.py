"""A village cadre's round: sign in, find a household, open it, reveal an ID number (with a reason), correct an
income and see the correction in the household's history — on a desktop and on a phone."""

import re

import pytest
from playwright.sync_api import expect

from fangpin.core.models import AccessLog
from fangpin.core.roles import Role
from fangpin.registry import services
from fangpin.registry.models import Income

from ..factories import make_household, make_places, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Test-pass-2026"


@pytest.fixture
def cadre_household():
    places = make_places()
    cadre = make_user(Role.VILLAGE_CADRE, places["t1v1"], "cadre_a")
    household = make_household(cadre, places["t1v1g1"], members=3, phone="13912345678")
    make_household(cadre, places["t1v1"], members=2)
    services.income_set(actor=cadre, household=household, year=2024, wage_income="20000", transfer_income="600")
    return cadre, household


def sign_in(page, live_server):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.fill("#id_username", "cadre_a")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/monitoring/todo/$"))  # a village cadre starts at the to-do list
    page.goto(f"{live_server.url}/households/")


def test_search_open_edit_income_and_see_history(page, live_server, cadre_household, tmp_path):
    cadre, household = cadre_household
    head = household.head
    sign_in(page, live_server)
    expect(page.locator("#area-summary .stat-value").first).to_have_text("2")

    page.fill("input[name=q]", head.name)
    page.click("button:has-text('查询')")
    expect(page.locator("#result-count")).to_contain_text("共 1 户")
    expect(page).to_have_url(re.compile(r"q="))
    page.click(f".household-table a:has-text('{head.name}')")
    expect(page).to_have_url(re.compile(rf"/households/{household.pk}/$"))
    expect(page.locator("h1")).to_contain_text(head.name)

    id_cell = page.locator(".member-table tbody tr").first.locator(".reveal")
    expect(id_cell).not_to_contain_text(head.id_number)
    id_cell.locator("summary").click()
    id_cell.locator("button").click()  # no reason given: the browser asks for one, nothing is shown
    expect(page.locator(".member-table .unmasked")).to_have_count(0)
    id_cell.locator("input[name=reason]").fill("入户核实身份")
    id_cell.locator("button").click()
    expect(page.locator(".member-table .unmasked").first).to_have_text(head.id_number)
    entry = AccessLog.objects.get(actor=cadre, kind="unmask")
    assert entry.detail["reason"] == "入户核实身份"

    page.locator("#incomes").get_by_role("link", name="修改").first.click()
    page.fill("#id_wage_income", "26,000")
    page.fill("#id_reason", "年终核算")
    page.click("button:has-text('保存')")
    expect(page).to_have_url(re.compile(rf"/households/{household.pk}/#incomes$"))
    expect(page.locator(".alert-success")).to_contain_text("已保存")

    entry = page.locator("#history .change-entry").first
    expect(entry).to_contain_text("工资性收入")
    expect(entry.locator(".before")).to_have_text("20000.00")
    expect(entry.locator(".after")).to_have_text("26000.00")
    expect(entry).to_contain_text("年终核算")
    assert str(Income.objects.get(household=household).wage_income) == "26000.00"

    page.screenshot(path=tmp_path / f"household-{page.viewport_name}.png", full_page=True)


def test_bad_income_input_is_explained_next_to_the_field(page, live_server, cadre_household, tmp_path):
    cadre, household = cadre_household
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/households/{household.pk}/incomes/add/")
    page.select_option("#id_year", "2023")
    page.fill("#id_wage_income", "一万")
    page.click("button:has-text('保存')")
    expect(page.locator("#id_wage_income")).to_have_class(re.compile("is-invalid"))
    expect(page.locator(".invalid-feedback").first).to_contain_text("不是金额")
    assert not Income.objects.filter(household=household, year=2023).exists()
    page.screenshot(path=tmp_path / f"income-error-{page.viewport_name}.png", full_page=True)
