"""Calibration on a small fixed county whose percentiles are worked out by hand below (linear
interpolation between order statistics: h = (n - 1) p, v[⌊h⌋] + (h - ⌊h⌋)(v[⌊h⌋+1] - v[⌊h⌋])). The same
figures are expected on SQLite and PostgreSQL."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from fangpin.monitoring import services as monitoring_services
from fangpin.monitoring.choices import Channel, RiskType
from fangpin.monitoring.models import Thresholds
from fangpin.monitoring.standards import calibration
from fangpin.monitoring.standards.calibration import Question
from fangpin.monitoring.standards.services import warning_line_adopt
from fangpin.registry import services as registry_services
from fangpin.registry.models import Income

from ...factories import make_household

pytestmark = pytest.mark.django_db

# household: (place, type, members, medical spending 2023, 2024, 2025); 2022 is older than three years.
HOUSEHOLDS = {
    "h1": ("t1v1", "exited", 1, ("0", "100", "200")),
    "h2": ("t1v2", "ordinary", 2, ("300", "400", "500")),
    "h3": ("t2v1", "ordinary", 3, ("600", "700", "800")),
    "h4": ("t2v2", "exited", 4, ("900", "1000", "12000")),
}


@pytest.fixture
def county(county_admin, places):
    made = {}
    for key, (place, kind, members, amounts) in HOUSEHOLDS.items():
        household = make_household(county_admin, places[place], members=members, household_type=kind,
                                   exit_year=2018 if kind == "exited" else None)
        registry_services.income_set(actor=county_admin, household=household, year=2022, medical_spending="99999")
        for year, amount in zip((2023, 2024, 2025), amounts):
            registry_services.income_set(actor=county_admin, household=household, year=year, medical_spending=amount,
                                         education_spending="0", wage_income="30000")
        # A quarterly update is not a closed year: calibration leaves it out.
        registry_services.income_set(actor=county_admin, household=household, year=2025, quarter=4,
                                     medical_spending="50000")
        made[key] = household
    places["county"].made = made
    return places["county"]


def stats(county, **question):
    return calibration.calibrate(county, Question(percentiles=(Decimal("50"), Decimal("75"), Decimal("90"),
                                                               Decimal("95"), Decimal("99")), **question))


def test_household_percentiles_by_hand(county):
    result = stats(county)
    assert result.years == [2023, 2024, 2025]
    everyone = result.segment("all")
    # sorted: 0 100 200 300 400 500 600 700 800 900 1000 12000 (n = 12)
    assert everyone.count == 12 and everyone.nonzero == 11
    assert everyone.percentiles == {
        500: Decimal("550.00"),  # h = 5.5: 500 + 0.5 * 100
        750: Decimal("825.00"),  # h = 8.25: 800 + 0.25 * 100
        900: Decimal("990.00"),  # h = 9.9: 900 + 0.9 * 100
        950: Decimal("5950.00"),  # h = 10.45: 1000 + 0.45 * 11000
        990: Decimal("10790.00"),  # h = 10.89: 1000 + 0.89 * 11000
    }
    assert everyone.maximum == Decimal("12000.00")


def test_per_capita_percentiles_by_hand(county):
    everyone = stats(county, basis="per_capita").segment("all")
    # per person: 0 100 150 200 200 200 225 233.33 250 250 266.67 3000
    assert everyone.percentiles[500] == Decimal("212.50")  # h = 5.5: 200 + 0.5 * 25
    assert everyone.percentiles[900] == Decimal("265.00")  # h = 9.9: 250 + 0.9 * (800/3 - 250)
    assert everyone.maximum == Decimal("3000.00")


def test_segments(county):
    by_type = stats(county, dimension="household_type")
    assert [s.key for s in by_type.segments] == ["exited", "ordinary"]
    assert by_type.segment("exited").percentiles[900] == Decimal("6500.00")  # 0 100 200 900 1000 12000: h = 4.5
    assert by_type.segment("ordinary").percentiles[500] == Decimal("550.00")
    by_size = stats(county, dimension="size")
    assert [s.key for s in by_size.segments] == ["1", "2", "3-4"]
    assert by_size.segment("1").percentiles[500] == Decimal("100.00")
    assert by_size.segment("3-4").count == 6
    by_township = stats(county, dimension="township")
    assert [s.label for s in by_township.segments] == ["第1镇", "第2镇"]
    assert by_township.segment("510101001").percentiles[500] == Decimal("250.00")
    assert by_township.segment("510101002").percentiles[500] == Decimal("850.00")
    nonzero = stats(county, nonzero=True).segment("all")
    assert nonzero.count == 11 and nonzero.percentiles[500] == Decimal("600.00")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own percentile_cont as a witness")
def test_postgresql_percentile_cont_agrees(county):
    with connection.cursor() as cursor:
        cursor.execute("SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY medical_spending) FROM registry_income "
                       "WHERE quarter IS NULL AND year BETWEEN 2023 AND 2025")
        witness = cursor.fetchone()[0]
    assert Decimal(str(witness)).quantize(Decimal("0.01")) == stats(county).segment("all").percentiles[950]


def test_candidates_and_what_if(county, county_admin):
    made = county.made
    monitoring_services.lead_raise(actor=county_admin, channel=Channel.HELPER_VISIT, household=made["h4"],
                                   risk_types=[RiskType.ILLNESS], summary="住院")
    dismissed = monitoring_services.lead_raise(actor=county_admin, channel=Channel.HELPER_VISIT,
                                               household=made["h3"], risk_types=[RiskType.ILLNESS], summary="咳嗽")
    monitoring_services.lead_dismiss(actor=county_admin, lead=dismissed.lead, reason="已康复")
    result = stats(county)
    found = {c.label: c for c in calibration.candidates(county, result, "all")}
    # latest year 2025: h1 200, h2 500, h3 800, h4 12000; lines are rounded to hundreds
    assert found["P50"].line == Decimal("600.00") and found["P50"].flagged == 2  # h3, h4
    assert found["P75"].line == Decimal("800.00") and found["P75"].flagged == 1  # 800 is not above 800
    assert found["P95"].line == Decimal("6000.00") and found["P95"].flagged == 1
    assert found["P99"].line == Decimal("10800.00")
    assert all(c.in_monitoring == 1 for c in found.values())  # h4's open lead; h3's was dismissed
    assert found["P50"].new == 1
    per_person = {c.label: c for c in calibration.candidates(county, stats(county, basis="per_capita"), "all")}
    # P50 212.50 -> 200 per person; 2025 per person: h1 200 (not above), h2 250, h3 266.67, h4 3000
    assert (per_person["P50"].line, per_person["P50"].flagged) == (Decimal("200.00"), 3)
    exited = calibration.candidates(county, stats(county, dimension="household_type"), "exited")
    p50 = next(c for c in exited if c.label == "P50")
    assert (p50.line, p50.flagged, p50.flagged_in_segment) == (Decimal("600.00"), 2, 1)


def test_adopt_a_candidate_carries_the_rest_of_the_version_in_force(county, county_admin, standard):
    adopted = warning_line_adopt(actor=county_admin, county=county, measure="medical", percentile=Decimal("95"),
                                 dimension="household_type", segment="exited", effective_from=datetime.date(2026, 1, 1))
    # exited: 0 100 200 900 1000 12000; P95: h = 4.75 -> 1000 + 0.75 * 11000 = 9250 -> 9300
    assert adopted.version == 2 and adopted.medical_warning_amount == Decimal("9300.00")
    assert adopted.monitoring_line == standard.monitoring_line
    assert adopted.education_warning_amount == Decimal("10000.00")
    assert adopted.medical_warning_reference_share_exited == Decimal("0.5000")
    assert "P95" in adopted.note and "脱贫户" in adopted.note and "2023-2025" in adopted.note


def test_calibration_page_and_adoption_through_it(client, county, county_admin, standard):
    client.force_login(county_admin)
    page = client.get(reverse("calibration"), {"measure": "medical", "basis": "household", "dimension": "township",
                                               "percentiles": "50, 95，99.5", "segment": "510101002"})
    assert page.status_code == 200
    assert [c.label for c in page.context["candidates"]] == ["P50", "P95", "P99.5"]
    assert "plotly/plotly.min.js" in page.content.decode() and 'id="chart-data"' in page.content.decode()
    response = client.post(reverse("calibration-adopt"), {
        "measure": "medical", "dimension": "all", "segment": "all", "percentile": "95",
        "effective_from": "2026-02-01"})
    assert response.status_code == 302
    assert Thresholds.objects.get(version=2).medical_warning_amount == Decimal("6000.00")


@pytest.mark.parametrize("query, message", [
    ({"percentiles": "abc"}, "分位数请填数字"),
    ({"percentiles": "100"}, "分位数须在0.1到99.9之间"),
    ({"measure": "income"}, "选择一个有效的选项"),
])
def test_calibration_page_explains_bad_questions(client, county, county_admin, query, message):
    client.force_login(county_admin)
    page = client.get(reverse("calibration"), {"measure": "medical", "basis": "household", "dimension": "all",
                                               "percentiles": "95", **query})
    assert page.status_code == 200 and message in page.content.decode()


def test_adoption_needs_a_version_in_force_and_the_admin(client, county, county_admin, township_officer):
    client.force_login(county_admin)
    response = client.post(reverse("calibration-adopt"), {
        "measure": "medical", "dimension": "all", "segment": "all", "percentile": "95", "effective_from": "2026-02-01"})
    assert response.status_code == 302 and not Thresholds.objects.exists()
    client.force_login(township_officer)
    assert client.get(reverse("calibration")).status_code == 403
    assert client.post(reverse("calibration-adopt"), {}).status_code == 403


def test_only_yearly_blocks_are_read(county):
    assert Income.objects.filter(quarter=4).count() == 4
    assert stats(county).segment("all").maximum == Decimal("12000.00")


def test_calibration_page_for_a_county_without_income_data(client, county_admin, places):
    from ...factories import make_household

    make_household(county_admin, places["t1v1"])  # a household, but no income rows in any year
    client.force_login(county_admin)
    for params in ({}, {"measure": "medical", "basis": "per_capita", "dimension": "size"},
                   {"measure": "medical", "basis": "household", "dimension": "township"}):
        assert client.get(reverse("calibration"), params).status_code == 200
