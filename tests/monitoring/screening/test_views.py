import pytest
from django.urls import reverse

from fangpin.core.models import Job
from fangpin.core.roles import Role
from fangpin.monitoring.models import Lead, ScreeningRun
from fangpin.monitoring.screening.services import screening_run
from fangpin.regions.models import Level, Place

from ...factories import make_user
from .conftest import MONTH, make_home


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client
    return sign_in


def test_run_list_detail_and_rules(signed_in, county_admin, thresholds, places):
    make_home(places["t1v1"], house_grade="D")
    run = screening_run(actor=county_admin, county=places["county"], period=MONTH)
    client = signed_in(county_admin)
    page = client.get(reverse("screening-runs")).content.decode()
    assert f"#{run.pk}" in page and "住房安全无保障" in page
    detail = client.get(reverse("screening-run-detail", args=[run.pk])).content.decode()
    assert "住房为D级危房。" in detail
    rules = client.get(reverse("screening-rules")).content.decode()
    assert "income_below_line" in rules and "收入偏低或骤减" in rules and "v1" in rules


def test_run_button_screens_the_current_month_in_the_background(signed_in, county_admin, places, thresholds,
                                                                 run_jobs):
    from django.utils import timezone

    make_home(places["t1v1"], house_grade="C")
    client = signed_in(county_admin)
    with run_jobs():
        response = client.post(reverse("screening-runs"), {"county": places["county"].pk, "engine": "duckdb"})
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("job-detail", args=[job.pk])
    run = ScreeningRun.objects.get()
    assert job.status == Job.Status.DONE and job.created_by == county_admin and job.area_code == places["county"].code
    assert run.period == timezone.localdate().strftime("%Y-%m") and run.engine == "duckdb"
    assert run.started_by == county_admin
    assert Lead.objects.filter(rule_code="house_unsafe").exists()
    page = client.get(response.url).content.decode()
    assert "完成" in page and "系统筛查完成" in page and reverse("screening-run-detail", args=[run.pk]) in page


def test_run_button_with_an_unknown_engine_queues_nothing(signed_in, county_admin, places, thresholds, run_jobs):
    client = signed_in(county_admin)
    with run_jobs():
        page = client.post(reverse("screening-runs"), {"county": places["county"].pk, "engine": "oracle"},
                           follow=True).content.decode()
    assert "未知的计算引擎" in page
    assert not Job.objects.exists() and not ScreeningRun.objects.exists()


def test_field_roles_are_refused(signed_in, places, village_cadre):
    township = make_user(Role.TOWNSHIP_OFFICER, places["t1"], "township")
    for user in (village_cadre, township):
        client = signed_in(user)
        assert client.get(reverse("screening-runs")).status_code == 403
        assert client.get(reverse("screening-rules")).status_code == 403
        assert client.post(reverse("screening-runs"), {"county": places["county"].pk}).status_code == 403
    assert not ScreeningRun.objects.exists()


def test_other_county_sees_none_of_our_runs(signed_in, county_admin, thresholds, places):
    run = screening_run(actor=county_admin, county=places["county"], period=MONTH)
    other = Place.objects.create(code="510102000000", name="邻县", level=Level.COUNTY)
    officer = make_user(Role.COUNTY_OFFICER, other, "other_officer")
    client = signed_in(officer)
    assert f"#{run.pk}" not in client.get(reverse("screening-runs")).content.decode()
    assert client.get(reverse("screening-run-detail", args=[run.pk])).status_code == 404
    refused = client.post(reverse("screening-runs"), {"county": places["county"].pk}, follow=True)
    assert "请选择本辖区的县" in refused.content.decode()
    assert ScreeningRun.objects.count() == 1 and not Job.objects.exists()
