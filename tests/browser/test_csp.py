"""The pages keep working under the Content-Security-Policy, and the browser refuses nothing on them.

Each page is opened in Chromium by the role that uses it; a script added before any page script reports
every `securitypolicyviolation` event to the console, and the test fails on any such report or any
console message "Refused to ..." (Chromium's own words when the policy blocks something). Each page's
script is then seen doing its job: the chart drawn, the village list narrowed, the form fields shown or
filled, htmx's preview loaded, the API documentation rendered."""

import datetime
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from fangpin.assistance.services import catalogue_ensure_default
from fangpin.core.roles import Role
from fangpin.demo.monitoring import DEFAULT_STANDARD
from fangpin.monitoring import services as monitoring_services
from fangpin.registry import services as registry_services

from ..factories import make_household, make_places, make_user
from .conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Test-pass-2026"
# Requests the policy refuses on purpose, and why; any other refusal fails the test.
EXPECTED_REFUSALS = {
    "https://cdn.redoc.ly/redoc/logo-mini.svg":
        "Redoc always shows its vendor's logo from the vendor's CDN (the img hides itself when refused); "
        "the county intranet has no internet and the page needs no outside resource",
}
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
                " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def county():
    places = make_places()
    people = {
        "admin": make_user(Role.COUNTY_ADMIN, places["county"], "admin"),
        "cadre": make_user(Role.VILLAGE_CADRE, places["t1v1"], "cadre"),
        "helper": make_user(Role.HELPER, places["t1v1"], "helper"),
    }
    admin = people["admin"]
    monitoring_services.thresholds_adopt(actor=admin, county=places["county"], year=2026,
                                         effective_from=datetime.date(2026, 1, 1), **DEFAULT_STANDARD)
    catalogue_ensure_default(places["county"], actor=admin)
    households = []
    for i, place in enumerate(("t1v1g1", "t1v2g1", "t2v1g1", "t2v2g1")):
        household = make_household(admin, places[place], members=2 + i)
        for year in (2023, 2024, 2025):
            registry_services.income_set(actor=admin, household=household, year=year, wage_income="30000",
                                         medical_spending=str(1000 * (i + 1) * (year - 2021)))
        households.append(household)
    return {"places": places, "people": people, "households": households}


@pytest.fixture
def browse(chromium, live_server):
    """browse(username or None) → (page, problems): a fresh tab, signed in unless the username is None,
    and the list the tab's CSP complaints and script errors are collected in."""
    contexts = []

    def open_as(username):
        context = chromium.new_context(viewport=DESKTOP, locale="zh-CN")
        context.set_default_timeout(20_000)
        context.add_init_script(REPORT_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()
        problems = []

        def on_console(message):
            if any(expected in message.text for expected in EXPECTED_REFUSALS):
                return
            if "CSP violation" in message.text or "Refused to" in message.text:
                problems.append(f"{page.url}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"{page.url}: script error {error}"))
        if username:
            page.goto(f"{live_server.url}/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            expect(page).not_to_have_url(re.compile(r"/login/"))
        return page, problems

    open_as.url = live_server.url
    yield open_as
    for context in contexts:
        context.close()


def settle(page):
    page.wait_for_load_state("networkidle")


def visit(page, url):
    """Open the page and check it came with the policy (a page without one would refuse nothing)."""
    response = page.goto(url)
    assert response.ok, (url, response.status)
    assert "script-src 'self';" in response.headers["content-security-policy"] + ";", url
    return response


def test_county_admin_pages(county, browse):
    page, problems = browse("admin")
    household = county["households"][0]

    visit(page, browse.url + reverse("household-list"))
    expect(page.locator(".household-table")).to_be_visible()
    visit(page, browse.url + reverse("household-detail", args=[household.pk]))
    expect(page.locator("h1")).to_contain_text(household.head.name)
    # htmx still works: revealing an ID number swaps the masked cell for the full one.
    reveal = page.locator(".member-table .reveal").first
    reveal.locator("summary").click()
    reveal.locator("input[name=reason]").fill("核对")
    reveal.locator("button").click()
    expect(page.locator(".member-table .unmasked").first).to_have_text(household.head.id_number)

    visit(page, browse.url + reverse("calibration") + ("?measure=medical&basis=household&dimension=township"
              "&percentiles=50,90,95"))
    chart = page.locator("#calibration-chart")
    expect(chart.locator(".main-svg").first).to_be_attached()
    expect(chart.locator("g.point").first).to_be_attached()  # the bars are drawn
    expect(chart.locator(".annotation-text", has_text="现行预警线")).to_have_count(1)

    visit(page, browse.url + reverse("thresholds-new"))
    method = page.locator("#id_line_method")
    shown = page.locator("[data-param]:not([hidden])")
    options = method.locator("option").evaluate_all("(os) => os.map((o) => o.value)")
    counts = set()
    for value in options:
        method.select_option(value)
        counts.add(shown.count())
    assert len(counts) > 1, "choosing another line method shows other parameters"
    expect(page.locator("#line-preview")).not_to_be_empty()  # htmx's hx-trigger="load" preview arrived

    visit(page, browse.url + reverse("assistance:measure-new", args=[household.pk]))
    select = page.locator('[data-prefill="catalogue"]')
    expect(select).to_be_visible()
    select.select_option(index=1)
    expect(page.locator("input[name=name]")).not_to_have_value("")

    visit(page, browse.url + reverse("village-qr") + f"?place={county['places']['t1'].code}")
    expect(page.locator(".qr-poster")).to_have_count(2)
    page.evaluate("window.print = function () { window.printed = true; }")
    page.click("[data-print-page]")
    assert page.evaluate("window.printed") is True

    # Pages whose styles moved from inline <style> blocks to static sheets: the sheets apply.
    visit(page, browse.url + reverse("cases:case-list"))
    expect(page.locator("h1")).to_be_visible()
    visit(page, browse.url + reverse("lead-inbox"))
    expect(page.locator("h1")).to_be_visible()
    stylesheets = page.evaluate("() => [...document.styleSheets].map((s) => s.href || 'inline')")
    assert any(href.endswith("/fangpin/intake/staff.css") for href in stylesheets), stylesheets
    assert "inline" not in stylesheets

    visit(page, browse.url + reverse("api-docs"))
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("fangpin API", timeout=30_000)
    expect(page.locator(".opblock").first).to_be_visible()
    visit(page, browse.url + reverse("api-redoc"))
    expect(page.locator("h1", has_text="fangpin API")).to_be_visible(timeout=60_000)  # Redoc parses the schema first
    settle(page)
    assert problems == [], "\n".join(problems)


def test_field_staff_pages(county, browse):
    household = county["households"][0]
    page, problems = browse("helper")
    visit(page, browse.url + reverse("todo"))
    expect(page.locator("h1")).to_be_visible()
    visit(page, browse.url + reverse("visit-new", args=[household.pk]))
    expect(page.locator("form.visit-form, form").first).to_be_visible()
    settle(page)
    assert problems == [], "\n".join(problems)

    page, problems = browse("cadre")
    visit(page, browse.url + reverse("household-list"))
    expect(page.locator(".household-table")).to_be_visible()
    visit(page, browse.url + reverse("village-qr"))
    expect(page.locator(".qr-poster")).to_have_count(1)
    settle(page)
    assert problems == [], "\n".join(problems)


def test_public_pages(county, browse):
    page, problems = browse(None)
    places = county["places"]
    visit(page, browse.url + reverse("tip"))
    village = page.locator("#id_village")
    page.select_option("#id_township", label=places["t2"].name)
    # The township narrows the village list: only its own villages stay selectable.
    expect(village.locator(f"optgroup[label='{places['t1'].name}']")).to_have_attribute("hidden", "")
    expect(village.locator(f"optgroup[label='{places['t2'].name}']")).not_to_have_attribute("hidden", "")
    reporter = page.locator("#reporter-fields")
    expect(reporter).to_be_visible()
    page.check("#id_anonymous")
    expect(reporter).to_be_hidden()
    visit(page, browse.url + reverse("declare"))
    expect(page.locator("#id_village")).to_be_visible()
    visit(page, browse.url + reverse("login"))
    settle(page)
    assert problems == [], "\n".join(problems)
