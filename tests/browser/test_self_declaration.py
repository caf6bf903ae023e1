"""A farmer self-declares on a phone and gets an ack number; a township officer accepts the lead;
a county officer sees it accepted; the farmer's status check says so — all at phone size."""

import re

import pytest
from playwright.sync_api import expect

from fangpin.core.roles import Role
from fangpin.monitoring.choices import LeadStatus
from fangpin.monitoring.models import Lead

from ..factories import id_number, make_places, make_user
from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Test-pass-2026"


@pytest.fixture
def county():
    places = make_places()
    make_user(Role.TOWNSHIP_OFFICER, places["t1"], "township1")
    make_user(Role.COUNTY_OFFICER, places["county"], "county1")
    return places


@pytest.fixture
def phone_context(chromium):
    contexts = []

    def new():
        context = chromium.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield new
    for context in contexts:
        context.close()


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login/"))


def test_farmer_declares_township_accepts_county_sees_farmer_checks(county, live_server, phone_context, tmp_path):
    village = county["t1v2"]
    farmer = phone_context()
    farmer.goto(f"{live_server.url}/monitoring/declare/")
    farmer.screenshot(path=tmp_path / "declare-empty.png", full_page=True)

    # A first try with a mistyped ID number: told next to the field, nothing written.
    farmer.select_option("#id_township", county["t1"].code)
    farmer.select_option("#id_village", village.code)
    farmer.fill("#id_head_name", "王大山")
    farmer.fill("#id_id_number", "510101198005170000")
    farmer.fill("#id_phone", "13800001111")
    farmer.get_by_text("家里有人生病、住院，看病花钱多").click()
    farmer.get_by_role("button", name="提交申报").click()
    expect(farmer.locator("#id_id_number-error")).to_contain_text("校验位不正确")
    farmer.screenshot(path=tmp_path / "declare-error.png", full_page=True)
    assert not Lead.objects.exists()

    farmer.fill("#id_id_number", id_number())
    farmer.fill("#id_summary", "父亲住院做手术，自己付了两万多")
    expect(farmer.locator("#id_village")).to_have_value(village.code)
    farmer.get_by_role("button", name="提交申报").click()
    expect(farmer).to_have_url(re.compile(r"/monitoring/declare/done/$"))
    ack = farmer.locator("#ack-number").inner_text().strip()
    lead = Lead.objects.get()
    assert ack == lead.ack_number and lead.status == LeadStatus.NEW
    farmer.screenshot(path=tmp_path / "declare-done.png", full_page=True)

    officer = phone_context()
    sign_in(officer, live_server, "township1")
    officer.goto(f"{live_server.url}/monitoring/leads/")
    expect(officer.locator("#waiting-count")).to_have_text("1")
    officer.screenshot(path=tmp_path / "inbox.png", full_page=True)
    officer.get_by_role("link", name=ack).click()
    expect(officer.locator("h1")).to_contain_text(ack)
    officer.screenshot(path=tmp_path / "lead-detail.png", full_page=True)
    officer.locator("#accept-button").click()
    expect(officer.locator(".alert-success")).to_contain_text("已受理")
    expect(officer.locator("#lead-status")).to_have_text("已受理")

    county_officer = phone_context()
    sign_in(county_officer, live_server, "county1")
    county_officer.goto(f"{live_server.url}/monitoring/leads/?status=accepted")
    row = county_officer.locator(".lead-table tbody tr", has_text=ack)
    expect(row).to_contain_text("已受理")
    expect(row).to_contain_text("王大山")
    county_officer.goto(f"{live_server.url}/monitoring/leads/overdue/")
    expect(county_officer.locator("#total-overdue")).to_have_text("0")
    county_officer.screenshot(path=tmp_path / "overdue.png", full_page=True)

    farmer.get_by_role("link", name="查询办理进度").click()
    expect(farmer.locator("#id_ack_number")).to_have_value(ack)
    farmer.fill("#id_phone", "13800001111")
    farmer.get_by_role("button", name="查询").click()
    expect(farmer.locator("#status-result")).to_contain_text("乡镇已受理")
    farmer.screenshot(path=tmp_path / "status.png", full_page=True)

    farmer.goto(f"{live_server.url}/monitoring/tip/")
    farmer.screenshot(path=tmp_path / "tip.png", full_page=True)
    assert Lead.objects.get().status == LeadStatus.ACCEPTED


def test_township_prints_the_village_qr_posters(county, live_server, chromium, tmp_path):
    from .conftest import DESKTOP

    context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
    try:
        page = context.new_page()
        sign_in(page, live_server, "township1")
        page.goto(f"{live_server.url}/monitoring/declare/qr/")
        posters = page.locator(".qr-poster")
        expect(posters).to_have_count(2)
        expect(posters.first).to_contain_text(county["t1v1"].name)
        assert posters.first.locator("svg").count() == 1
        page.screenshot(path=tmp_path / "qr.png", full_page=True)
        target = posters.first.locator(".qr-url").inner_text()
        assert target.endswith(f"/monitoring/declare/?v={county['t1v1'].code}")
        page.goto(target)
        expect(page.locator("#id_village")).to_have_value(county["t1v1"].code)
        expect(page.locator("#id_township")).to_have_value(county["t1"].code)
    finally:
        context.close()
