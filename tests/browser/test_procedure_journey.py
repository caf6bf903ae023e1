"""One household from a lead to a monitored household and back out of monitoring, in the browser.

A village cadre starts the identification from an accepted lead; the helper verifies on a phone with
the signed commitment and names the grid worker, who signs in on their own phone and confirms taking
part; a county officer compares the data; the cadre holds the village review and
publishes the notice (the daily round closes it when its five days have passed); a township officer
reviews; the county admin confirms; the county officer publishes the announcement. The cadre adds a
measure from the recommendations. Six months on, with wages back above the line, the elimination
check passes and the same people walk the elimination case to its announcement.

With FANGPIN_DOC_SCREENSHOTS=1 the screenshots go to docs/images/procedure/ for the user guide."""

import datetime
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from fangpin.cases import daily as case_daily, services as case_services
from fangpin.cases.choices import CaseStatus
from fangpin.cases.eligibility import last_completed_quarters
from fangpin.cases.models import Case
from fangpin.core.roles import Role
from fangpin.demo.monitoring import DEFAULT_STANDARD
from fangpin.monitoring import services as monitoring_services
from fangpin.monitoring.choices import LeadStatus, MonitoringStatus
from fangpin.monitoring.models import Monitoring
from fangpin.registry import services as registry_services

from ..factories import make_household, make_places, make_user
from .conftest import CHROMIUM_ARGS, DESKTOP, PHONE  # noqa: F401 - sizes shared with the other journeys

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Test-pass-2026"
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images" / "procedure"


@pytest.fixture
def county():
    places = make_places()
    people = {
        "admin": make_user(Role.COUNTY_ADMIN, places["county"], "admin"),
        "officer": make_user(Role.COUNTY_OFFICER, places["county"], "officer"),
        "township": make_user(Role.TOWNSHIP_OFFICER, places["t1"], "township"),
        "cadre": make_user(Role.VILLAGE_CADRE, places["t1v1"], "cadre"),
        "helper": make_user(Role.HELPER, places["t1v1"], "helper"),
        "grid": make_user(Role.GRID_WORKER, places["t1v1"], "grid"),
    }
    for username, name in (("admin", "郑县长"), ("officer", "钱干事"), ("township", "孙镇长"), ("cadre", "李书记"),
                           ("helper", "周帮扶"), ("grid", "吴网格")):
        people[username].first_name = name
        people[username].save()
    admin = people["admin"]
    monitoring_services.thresholds_adopt(actor=admin, county=places["county"], year=2026,
                                         effective_from=datetime.date(2026, 1, 1), **DEFAULT_STANDARD)
    for kind in ("identification", "elimination"):
        from fangpin.cases.procedure import DEFAULT_NOTICE_DAYS, DEFAULT_STAGES, DEFAULT_TOTAL_DAYS
        case_services.procedure_adopt(actor=admin, county=places["county"], kind=kind, stages=DEFAULT_STAGES[kind],
                                      total_limit_days=DEFAULT_TOTAL_DAYS[kind], notice_days=DEFAULT_NOTICE_DAYS[kind],
                                      objection_phone="0816-1234567", effective_from=datetime.date(2026, 1, 1))
    from fangpin.assistance.services import catalogue_ensure_default
    catalogue_ensure_default(places["county"], actor=admin)
    household = make_household(admin, places["t1v1g1"], members=3, house_grade="A", water_safe=True)
    lead = monitoring_services.lead_raise(actor=people["helper"], channel="helper_visit", risk_types=["illness"],
                                          household=household, summary="户主突发脑梗住院，自付医疗费约三万元").lead
    monitoring_services.lead_accept(actor=people["township"], lead=lead)
    return {"places": places, "people": people, "household": household, "lead": lead}


@pytest.fixture
def browse(chromium, live_server, tmp_path):
    """browse(username, phone=False) → a signed-in page; shot(page, name) keeps a screenshot."""
    contexts = []
    shots = DOCS_IMAGES if os.environ.get("FANGPIN_DOC_SCREENSHOTS") else tmp_path
    shots.mkdir(parents=True, exist_ok=True)

    def open_as(username, phone=False):
        context = chromium.new_context(viewport=PHONE if phone else DESKTOP, locale="zh-CN", is_mobile=phone,
                                       has_touch=phone)
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        expect(page).not_to_have_url(re.compile(r"/login/"))
        # The live server shares the test's SQLite connection between its threads: let the landing page
        # finish before the next request or the test's own query starts, or two of them meet mid-transaction.
        page.wait_for_load_state("networkidle")
        return page

    def shot(page, name, selector=None):
        if selector:
            page.locator(selector).screenshot(path=shots / f"{name}.png")
        else:
            page.screenshot(path=shots / f"{name}.png", full_page=True)

    open_as.shot = shot
    open_as.url = live_server.url
    yield open_as
    for context in contexts:
        context.close()


def choose(page, selector):
    """Tick a radio button or checkbox the way a person does: on its label (which covers the row)."""
    page.click(f"label[for='{page.locator(selector).get_attribute('id')}']")
    expect(page.locator(selector)).to_be_checked()


def decide(page, reason, participants=None, commitment_file=None):
    """Approve the current stage on the open case page; `participants` are ticked by name among the
    accounts offered, and the page then waits for them to confirm."""
    choose(page, "#decision-form input[name=decision][value=approve]")
    page.fill("#decision-form [name=reason]", reason)
    for name in participants or ():
        page.locator("#decision-form label", has_text=name).click()
    if commitment_file:
        choose(page, "#decision-form [name=commitment_signed]")
        choose(page, "#decision-form [name=data_authorised]")
        page.set_input_files("#decision-form [name=commitment_file]", commitment_file)
    page.click("#decide-button")
    expect(page.locator(".alert-success")).to_contain_text("等待" if participants else "已通过")
    page.wait_for_load_state("networkidle")


def confirm_participation(browse, username, case, shot_name=None):
    """The participant signs in on their phone, finds the request in the case inbox and confirms."""
    page = browse(username, phone=True)
    page.goto(f"{browse.url}/cases/")
    page.locator("#to-confirm a").first.click()
    expect(page.locator("#confirm-participation")).to_contain_text("请确认您参与了入户核实")
    if shot_name:
        browse.shot(page, shot_name)
    page.click("#confirm-button")
    expect(page.locator(".alert-success")).to_contain_text("已确认您参与了")
    page.wait_for_load_state("networkidle")
    return page


def walk_stage(browse, username, case, reason, **kwargs):
    page = browse(username)
    page.goto(f"{browse.url}/cases/{case.pk}/")
    decide(page, reason, **kwargs)
    return page


def publish_and_run_out_the_notice(browse, case, shot_name=None):
    page = browse("cadre")
    page.goto(f"{browse.url}/cases/{case.pk}/")
    page.click("#publish-button")
    expect(page).to_have_url(re.compile(r"/cases/notices/\d+/$"))   # straight to the notice to print
    expect(page.locator(".alert-success")).to_contain_text("已发布公示")
    expect(page.locator("body")).to_contain_text("异议受理电话：0816-1234567")
    if shot_name:
        browse.shot(page, shot_name)
    pdf_path = page.get_by_role("link", name=re.compile("PDF")).first.get_attribute("href")
    pdf = page.request.get(browse.url + pdf_path)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    notice = case.notices.get() if case.kind == "elimination" else case.notices.order_by("-pk").first()
    # The notice runs its five calendar days; the daily round (fangpin cases-daily) then moves the case on.
    assert case_daily.notices_conclude_due(today=notice.ends_on + datetime.timedelta(days=1)) == 1


def test_lead_to_monitored_to_risk_eliminated(county, browse, tmp_path):
    household, lead = county["household"], county["lead"]
    signed_form = tmp_path / "承诺授权书.jpg"
    signed_form.write_bytes(b"\xff\xd8\xff\xe0 signed commitment and authorisation")

    # 1. The cadre starts the identification from the accepted lead.
    cadre = browse("cadre")
    cadre.goto(f"{browse.url}/monitoring/leads/{lead.pk}/")
    browse.shot(cadre, "01-lead")
    cadre.get_by_role("link", name="发起识别认定").click()
    expect(cadre.locator("[name=summary]")).to_have_value(lead.summary)
    choose(cadre, "input[name=category][value=sudden_hardship]")
    browse.shot(cadre, "02-open-case")
    cadre.get_by_role("button", name=re.compile("发起")).last.click()
    expect(cadre).to_have_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.get(household=household)
    assert case.lead == lead and case.stage["code"] == "verification"

    # 2. The helper verifies on a phone: two people, the commitment signed and photographed.
    helper = browse("helper", phone=True)
    helper.goto(f"{browse.url}/cases/")
    helper.get_by_role("link", name=case.number).first.click()
    choose(helper, "#decision-form input[name=decision][value=approve]")
    helper.click("#decide-button")   # nothing filled in: told what is missing, nothing written
    expect(helper.locator("#decision-form")).to_contain_text("至少2人")
    assert case.records.count() == 0
    browse.shot(helper, "03-verification-phone")
    decide(helper, "入户核实：户主住院，自付医疗费属实", participants=["吴网格"],
           commitment_file=str(signed_form))
    expect(helper.locator("#awaiting-confirmation")).to_contain_text("吴网格")
    case.refresh_from_db()
    assert case.stage["code"] == "verification"   # done only once the grid worker confirms
    confirm_participation(browse, "grid", case, "03b-confirm-participation-phone")
    case.refresh_from_db()
    assert case.stage["code"] == "data_comparison"

    # 3-4. Data comparison at the county, village review by the cadre, who may not verify again.
    walk_stage(browse, "officer", case, "比对医保数据：自付31,260元，属实")
    cadre.goto(f"{browse.url}/cases/{case.pk}/")
    decide(cadre, "村民主评议：参会23人（村民代表王某、赵某等），一致同意")
    browse.shot(cadre, "04-case-at-notice")

    # 5. The notice: page, PDF, then its period runs out.
    publish_and_run_out_the_notice(browse, case, "05-notice")

    # 6-8. Township review, county confirmation, announcement.
    township = walk_stage(browse, "township", case, "乡镇审核通过")
    township.goto(f"{browse.url}/cases/")
    browse.shot(township, "06-case-list")
    walk_stage(browse, "admin", case, "县级审定：认定为突发严重困难户")
    officer = browse("officer")
    officer.goto(f"{browse.url}/cases/{case.pk}/")
    # The officer compared the data earlier; publishing the announcement is not a second decision.
    officer.click("#announce-button")
    expect(officer.locator(".alert-success")).to_contain_text("已发布公告")
    browse.shot(officer, "07-case-confirmed")
    case.refresh_from_db()
    lead.refresh_from_db()
    monitoring = Monitoring.objects.get(household=household, status=MonitoringStatus.MONITORED)
    assert case.status == CaseStatus.CONFIRMED and lead.status == LeadStatus.IDENTIFIED
    assert sorted({r.actor.username for r in case.records.exclude(actor=None)}) == [
        "admin", "cadre", "helper", "officer", "township"]
    verification = case.records.get(stage_code="verification")
    assert [(c.person.username, c.status) for c in verification.confirmations.all()] == [("grid", "confirmed")]

    # 9. A measure from the recommendations; the household page shows the status and the timeline.
    cadre.goto(f"{browse.url}/assistance/households/{household.pk}/plan/")
    browse.shot(cadre, "08-plan")
    cadre.get_by_role("link", name="采用").first.click()
    cadre.fill("[name=responsible_unit]", "县医疗保障局")
    cadre.select_option("[name=status]", "in_progress")
    cadre.get_by_role("button", name=re.compile("保存|制定")).last.click()
    expect(cadre.locator(".alert-success")).to_be_visible()
    assert household.measures.count() == 1
    cadre.goto(f"{browse.url}/households/{household.pk}/")
    expect(cadre.locator("#monitoring-status")).to_contain_text("突发严重困难户")
    expect(cadre.locator("#timeline")).to_contain_text("公示期满无异议")
    browse.shot(cadre, "09-household-monitoring", "#monitoring-status")
    browse.shot(cadre, "09-household-timeline", "#timeline")

    # 10. Six months on: wages back above the line, everyone insured; the check passes.
    today = datetime.date.today()
    Monitoring.objects.filter(pk=monitoring.pk).update(identified_on=today - datetime.timedelta(days=200))
    household.measures.update(starts_on=today - datetime.timedelta(days=190))
    admin = county["people"]["admin"]
    for member in household.members.all():
        registry_services.member_update(actor=admin, member=member, medical_insurance="resident")
    for year, quarter in last_completed_quarters(today):
        registry_services.income_set(actor=admin, household=household, year=year, quarter=quarter,
                                     wage_income=Decimal("9000"))
    cadre.goto(f"{browse.url}/households/{household.pk}/")
    cadre.get_by_role("link", name="风险消除核查").click()
    expect(cadre.locator("body")).to_contain_text("全部符合")
    browse.shot(cadre, "10-elimination-check")
    choose(cadre, "input[name=method][value=assistance]")
    cadre.get_by_role("button", name="发起风险消除").click()
    expect(cadre).to_have_url(re.compile(r"/cases/\d+/$"))
    elimination = Case.objects.get(household=household, kind="elimination")

    # 11. The elimination case through its stages.
    walk_stage(browse, "helper", elimination, "入户核实：务工收入稳定", participants=["吴网格"])
    confirm_participation(browse, "grid", elimination)
    cadre.goto(f"{browse.url}/cases/{elimination.pk}/")
    decide(cadre, "村民主评议：同意消除风险")
    publish_and_run_out_the_notice(browse, elimination)
    walk_stage(browse, "township", elimination, "乡镇审核通过")
    walk_stage(browse, "admin", elimination, "县级审定：帮扶消除")
    officer.goto(f"{browse.url}/cases/{elimination.pk}/")
    officer.click("#announce-button")
    expect(officer.locator(".alert-success")).to_contain_text("已发布公告")
    monitoring.refresh_from_db()
    assert monitoring.status == MonitoringStatus.ELIMINATED and monitoring.elimination_method == "assistance"
    cadre.goto(f"{browse.url}/households/{household.pk}/")
    expect(cadre.locator("#monitoring-status")).to_contain_text("已消除风险")
    browse.shot(cadre, "11-eliminated", "#monitoring-status")
