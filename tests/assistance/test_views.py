"""Pages: allowed users get them, other areas get 404, roles without the permission 403; forms write
through the services."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from fangpin.assistance import services
from fangpin.assistance.models import (
    Measure,
    MeasureCatalogueItem,
    MeasureEvidence,
    MicroCredit,
    Workshop,
)
from fangpin.core.roles import Role

from ..factories import make_household, make_user
from .conftest import monitor

TODAY = timezone.localdate


@pytest.fixture
def world(county_admin, village_cadre, places, catalogue):
    """One of each record in village t1v1."""
    household = make_household(county_admin, places["t1v1"], members=2, household_type="exited", exit_year=2019)
    monitor(household, county_admin, days_ago=40)
    member = household.members.first()
    measure = services.measure_add(actor=village_cadre, household=household, catalogue_item=catalogue["workshop_job"],
                                   responsible_unit="镇人社所", starts_on=TODAY())
    services.measure_add_evidence(actor=village_cadre, measure=measure,
                                  file=SimpleUploadedFile("照片.jpg", b"\xff\xd8\xff\xe0 jpeg"))
    workshop = services.workshop_add(actor=village_cadre, place=places["t1v1"], name="竹编车间", operator="竹业公司",
                                     opened_on=TODAY())
    employee = services.workshop_employee_add(actor=village_cadre, workshop=workshop, member=member, since=TODAY(),
                                              monthly_wage="2400", measure=measure)
    post = services.welfare_post_add(actor=village_cadre, place=places["t1v1"], post_name="护林员",
                                     holder=household.members.last(), starts_on=TODAY(), months=12, monthly_wage="800")
    course = services.training_course_add(actor=county_admin, place=places["t1"], name="电工班", organiser="县人社局",
                                          held_from=TODAY(), held_to=TODAY(), skill="电工")
    participant = services.training_participant_add(actor=village_cadre, course=course, member=member)
    loan = services.micro_credit_add(actor=village_cadre, borrower=member, lender="县农商行", amount="30000",
                                     term_months=36, issued_on=TODAY(), rate="3.45")
    project = services.industry_project_add(actor=county_admin, place=places["county"], name="肉牛养殖",
                                            category="livestock", support_per_household="5000", capacity=5)
    choice = services.project_choose(actor=village_cadre, project=project, household=household)
    pairing = services.pairing_add(actor=village_cadre, household=household, enterprise="食品公司", started_on=TODAY(),
                                   content="消费帮扶")
    return {"household": household, "measure": measure, "workshop": workshop, "employee": employee, "post": post,
            "course": course, "participant": participant, "loan": loan, "project": project, "choice": choice,
            "pairing": pairing, "evidence": measure.evidence.get()}


LISTS = ["index", "without-measure", "workshop-list", "welfare-list", "course-list", "loan-list", "project-list",
         "pairing-list", "workshop-new", "welfare-new", "course-new", "loan-new", "project-new", "pairing-new"]
DETAILS = [("plan", "household"), ("measure-edit", "measure"), ("evidence-file", "evidence"),
           ("workshop-detail", "workshop"), ("workshop-edit", "workshop"), ("employee-new", "workshop"),
           ("employee-edit", "employee"), ("welfare-detail", "post"), ("welfare-edit", "post"),
           ("course-detail", "course"), ("participant-new", "course"), ("participant-edit", "participant"),
           ("loan-detail", "loan"), ("loan-edit", "loan"), ("repayment-new", "loan"), ("project-detail", "project"),
           ("project-choose", "project"), ("choice-edit", "choice"), ("pairing-detail", "pairing"),
           ("pairing-edit", "pairing"), ("measure-new", "household")]


def test_pages_open_for_the_village_cadre(client, village_cadre, world):
    client.force_login(village_cadre)
    for name in LISTS:
        assert client.get(reverse(f"assistance:{name}")).status_code == 200, name
    for name, key in DETAILS:
        response = client.get(reverse(f"assistance:{name}", args=[world[key].pk]))
        assert response.status_code == 200, name
    plan = client.get(reverse("assistance:plan", args=[world["household"].pk])).content.decode()
    assert "扶贫车间就近就业" in plan and "照片.jpg" in plan and "竹编车间" in plan


def test_other_areas_get_404(client, other_village_cadre, world):
    client.force_login(other_village_cadre)
    for name, key in DETAILS:
        if name in ("course-detail", "participant-new", "project-detail", "project-choose"):
            continue  # township and county rows serve the villages under them, but not this one
        response = client.get(reverse(f"assistance:{name}", args=[world[key].pk]))
        assert response.status_code == 404, name
    assert client.get(reverse("assistance:course-detail", args=[world["course"].pk])).status_code == 404
    # The county's project supermarket is open to every village of the county, their choices are not.
    page = client.get(reverse("assistance:project-detail", args=[world["project"].pk])).content.decode()
    assert "肉牛养殖" in page and world["household"].number not in page
    listed = client.get(reverse("assistance:workshop-list")).content.decode()
    assert "竹编车间" not in listed
    assert client.get(reverse("assistance:without-measure")).context["page_obj"].paginator.count == 0


def test_roles_without_the_permission_get_403(client, places, village_cadre, world):
    insurer = make_user(Role.INSURER, places["t1v1"], "insurer")
    client.force_login(insurer)
    assert client.get(reverse("assistance:workshop-list")).status_code == 403
    assert client.get(reverse("assistance:plan", args=[world["household"].pk])).status_code == 403
    client.force_login(village_cadre)
    assert client.get(reverse("assistance:catalogue")).status_code == 403
    grid = make_user(Role.GRID_WORKER, places["t1v1"], "grid")
    client.force_login(grid)
    assert client.get(reverse("assistance:measure-new", args=[world["household"].pk])).status_code == 403
    assert client.get(reverse("assistance:workshop-new")).status_code == 403


def test_catalogue_pages(client, county_admin, places):
    client.force_login(county_admin)
    assert client.get(reverse("assistance:catalogue")).status_code == 200
    response = client.post(reverse("assistance:catalogue"))
    assert response.status_code == 302
    page = client.get(reverse("assistance:catalogue")).content.decode()
    assert "脱贫人口小额信贷" in page and "50000.00" in page
    count = MeasureCatalogueItem.objects.count()
    response = client.post(reverse("assistance:catalogue-new"), {"category": "industry", "name": "茶叶补贴",
                                                                 "standard_amount": "-5"})
    assert response.status_code == 400 and MeasureCatalogueItem.objects.count() == count
    response = client.post(reverse("assistance:catalogue-new"), {"category": "industry", "name": "脱贫人口小额信贷"})
    assert response.status_code == 400 and "已有" in response.content.decode()
    response = client.post(reverse("assistance:catalogue-new"), {"category": "industry", "name": "茶叶补贴",
                                                                 "standard_amount": "2000", "risk_types": ["income"],
                                                                 "active": "on"})
    assert response.status_code == 302


def test_without_measure_page_lists_the_late_household(client, village_cadre, county_admin, places):
    late = make_household(county_admin, places["t1v1"])
    monitor(late, county_admin, days_ago=45)
    client.force_login(village_cadre)
    response = client.get(reverse("assistance:without-measure"))
    assert late.number in response.content.decode()


def test_measure_form_prefills_from_the_catalogue_and_saves(client, village_cadre, county_admin, places, catalogue):
    household = make_household(county_admin, places["t1v1"])
    monitor(household, county_admin, risk_types=("schooling",))
    client.force_login(village_cadre)
    url = reverse("assistance:measure-new", args=[household.pk])
    item = catalogue["yulu_plan"]
    form = client.get(f"{url}?item={item.pk}").context["form"]
    assert form.initial["amount"] == item.standard_amount and form.initial["risk_types"] == ["schooling"]
    response = client.post(url, {"catalogue_item": item.pk, "responsible_unit": "县教育局", "starts_on": "2999-01-01",
                                 "status": "in_progress"})
    assert response.status_code == 400 and "计划" in response.content.decode()
    assert not Measure.objects.exists()
    response = client.post(url, {"catalogue_item": item.pk, "responsible_unit": "县教育局",
                                 "starts_on": TODAY().isoformat(), "status": "planned", "risk_types": ["schooling"],
                                 "runs_after_elimination": "on"})
    assert response.status_code == 302
    measure = Measure.objects.get()
    assert measure.amount == item.standard_amount and measure.name == item.name and measure.risk_types == ["schooling"]
    edit = reverse("assistance:measure-edit", args=[measure.pk])
    response = client.post(edit, {"version": 1, "category": measure.category, "name": measure.name,
                                  "responsible_unit": "县教育局", "starts_on": TODAY().isoformat(),
                                  "status": "stopped", "amount": "1500"})
    assert response.status_code == 400 and "原因" in response.content.decode()
    upload = client.post(reverse("assistance:evidence-upload", args=[measure.pk]),
                         {"file": SimpleUploadedFile("通知书.pdf", b"%PDF-1.4"), "name": ""})
    assert upload.status_code == 302 and MeasureEvidence.objects.get().name == "通知书.pdf"


def test_measure_form_refuses_a_household_not_monitored(client, village_cadre, county_admin, places, catalogue):
    household = make_household(county_admin, places["t1v1"])
    client.force_login(village_cadre)
    response = client.post(reverse("assistance:measure-new", args=[household.pk]),
                           {"catalogue_item": catalogue["dibao"].pk, "responsible_unit": "民政",
                            "starts_on": TODAY().isoformat(), "status": "planned"})
    assert response.status_code == 400 and "不是监测对象" in response.content.decode()


def test_register_forms_find_people_in_the_area_only(client, village_cadre, county_admin, places):
    mine = make_household(county_admin, places["t1v1"]).members.first()
    theirs = make_household(county_admin, places["t2v1"]).members.first()
    client.force_login(village_cadre)
    url = reverse("assistance:loan-new")
    data = {"lender": "县农商行", "amount": "60000", "term_months": "12", "issued_on": TODAY().isoformat(), "rate": "3.45"}
    response = client.post(url, {**data, "id_number": mine.id_number})
    assert response.status_code == 400 and "50,000" in response.content.decode()
    response = client.post(url, {**data, "amount": "20000", "id_number": theirs.id_number})
    assert response.status_code == 400 and "辖区内没有" in response.content.decode()
    response = client.post(url, {**data, "amount": "20000", "id_number": mine.id_number})
    assert response.status_code == 302
    loan = MicroCredit.objects.get()
    assert loan.borrower == mine
    response = client.get(f"{url}?household={theirs.household_id}")
    assert response.status_code == 404


def test_workshop_page_shows_the_sign_rule(client, village_cadre, county_admin, places):
    workshop = services.workshop_add(actor=village_cadre, place=places["t1v1"], name="竹编车间", operator="竹业公司",
                                     opened_on=TODAY() - datetime.timedelta(days=10))
    client.force_login(village_cadre)
    page = client.get(reverse("assistance:workshop-detail", args=[workshop.pk])).content.decode()
    assert "暂不符合" in page and "不少于10人" in page
    assert Workshop.objects.count() == 1


def test_household_measures_tag(rf, village_cadre, world):
    html = Template("{% load assistance_tags %}{% household_measures household user %}").render(
        Context({"household": world["household"], "user": village_cadre}))
    assert "扶贫车间就近就业" in html and reverse("assistance:plan", args=[world["household"].pk]) in html
    insurer_html = Template("{% load assistance_tags %}{% household_measures household user %}").render(
        Context({"household": world["household"], "user": make_user(Role.INSURER, world["household"].place, "ins")}))
    assert insurer_html.strip() == ""
