"""The six registers served from their declarations: list pages and API lists cost a fixed number of
queries however many rows there are, one filter set serves page, API and export, the export holds
the page's columns and is logged, overdue loans are found by the database, and only the area a row
belongs to edits it."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from fangpin.assistance import services
from fangpin.assistance.filters import latest_issue_overdue, overdue_loans
from fangpin.assistance.models import MicroCredit
from fangpin.assistance.registers import REGISTERS
from fangpin.core.errors import PermissionDenied
from fangpin.core.models import AccessLog
from fangpin.core.periods import add_months

from ..factories import make_household

TODAY = timezone.localdate
NAMES = [register.name for register in REGISTERS.values()]


def add_rows(actor, county_admin, places, count: int, tag: str) -> None:
    """`count` rows of every register in village t1v1 (courses and projects of township and county)."""
    for n in range(count):
        household = make_household(county_admin, places["t1v1"], members=2, household_type="exited",
                                   exit_year=2019)
        first, second = household.members.all()
        workshop = services.workshop_add(actor=actor, place=places["t1v1"], name=f"{tag}车间{n}", operator="公司",
                                         opened_on=TODAY())
        services.workshop_employee_add(actor=actor, workshop=workshop, member=first, since=TODAY(),
                                       monthly_wage="2400")
        services.welfare_post_add(actor=actor, place=places["t1v1"], post_name=f"{tag}护林员{n}", holder=second,
                                  starts_on=TODAY(), months=12, monthly_wage="800")
        services.training_course_add(actor=county_admin, place=places["t1"], name=f"{tag}电工班{n}",
                                     organiser="县人社局", held_from=TODAY(), held_to=TODAY(), skill="电工")
        loan = services.micro_credit_add(actor=actor, borrower=first, lender=f"{tag}农商行", amount="30000",
                                         term_months=12, issued_on=TODAY() - datetime.timedelta(days=400),
                                         rate="3.45")
        services.repayment_add(actor=actor, loan=loan, paid_on=TODAY(), amount="100")
        project = services.industry_project_add(actor=county_admin, place=places["county"], name=f"{tag}养殖{n}",
                                                category="livestock", support_per_household="5000", capacity=5)
        services.project_choose(actor=actor, project=project, household=household)
        services.pairing_add(actor=actor, household=household, enterprise=f"{tag}食品公司{n}", started_on=TODAY(),
                             content="消费帮扶")


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_list_queries_do_not_grow_with_rows(client, village_cadre, county_admin, places, api,
                                            django_assert_max_num_queries):
    urls = {name: reverse(f"api:{name}-list") if api else reverse(f"assistance:{name}-list") for name in NAMES}
    client.force_login(village_cadre)
    add_rows(village_cadre, county_admin, places, 1, "甲")
    few = {name: queries(client, url) for name, url in urls.items()}
    add_rows(village_cadre, county_admin, places, 4, "乙")
    many = {name: queries(client, url) for name, url in urls.items()}
    assert many == few, (few, many)
    # Session, user, the user's place (and those above it, for rows that serve the places below),
    # the count for the pager, the page of rows with everything its columns show.
    for url in urls.values():
        with django_assert_max_num_queries(10):
            assert client.get(url).status_code == 200


def test_api_lists_rows_of_the_area_only_and_filters_like_the_page(client, village_cadre, other_village_cadre,
                                                                    county_admin, places):
    add_rows(village_cadre, county_admin, places, 2, "甲")
    client.force_login(village_cadre)
    body = client.get(reverse("api:workshop-list")).json()
    assert body["count"] == 2 and {row["employee_count"] for row in body["results"]} == {1}
    assert client.get(reverse("api:workshop-list"), {"q": "甲车间1"}).json()["count"] == 1
    loans = client.get(reverse("api:loan-list"), {"overdue": "1"}).json()
    assert loans["count"] == 2 and all(row["overdue"] and row["outstanding"] == "29900.00" for row in loans["results"])
    client.force_login(other_village_cadre)
    for name in NAMES:
        count = client.get(reverse(f"api:{name}-list")).json()["count"]
        # The county's projects and the township's courses serve only the villages under them.
        assert count == (2 if name == "project" else 0), name
    assert client.patch(reverse("api:workshop-detail", args=[1]), {"name": "x"},
                        content_type="application/json").status_code in (404, 405)


def test_export_has_the_page_columns_the_filtered_rows_and_is_logged(client, village_cadre, county_admin, places):
    add_rows(village_cadre, county_admin, places, 2, "甲")
    client.force_login(village_cadre)
    response = client.get(reverse("assistance:welfare-export"), {"q": "甲护林员0"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("岗位名称", "在岗人员", "户编号", "上岗日期", "合同到期日", "月补贴（元）", "补贴合计（元）")
    assert len(rows) == 2 and rows[1][0] == "甲护林员0" and rows[1][6] == "9,600.00"
    assert "*" in rows[1][1]  # ID numbers stay masked in the sheet
    entry = AccessLog.objects.get(kind=AccessLog.Kind.EXPORT)
    assert entry.detail["rows"] == 1 and entry.detail["filters"] == {"q": "甲护林员0"}


def test_list_page_shows_the_filters_and_the_export_link(client, village_cadre, county_admin, places):
    add_rows(village_cadre, county_admin, places, 1, "甲")
    client.force_login(village_cadre)
    page = client.get(reverse("assistance:loan-list"), {"overdue": "1"}).content.decode()
    assert "还款状态" in page and reverse("assistance:loan-export") + "?overdue=1" in page
    assert "甲农商行" in page and "逾期" in page


@pytest.mark.parametrize("issued", [datetime.date(2025, 1, 31), datetime.date(2024, 2, 29), datetime.date(2025, 8, 31),
                                    datetime.date(2025, 12, 1), datetime.date(2025, 3, 30)])
def test_overdue_in_the_database_agrees_with_the_loan_itself(county_admin, village_cadre, places, issued):
    borrower = make_household(county_admin, places["t1v1"]).members.first()
    loans = [services.micro_credit_add(actor=village_cadre, borrower=borrower, lender="农商行", amount="1000",
                                       term_months=months, issued_on=issued, rate="3") for months in (1, 6, 12)]
    for loan in loans:
        for offset in (-1, 0, 1, 2):
            on = add_months(loan.issued_on, loan.term_months) + datetime.timedelta(days=offset)
            found = overdue_loans(MicroCredit.objects.filter(pk=loan.pk), on).exists()
            assert found == loan.is_overdue(on), (loan.issued_on, loan.term_months, on)


def test_latest_issue_overdue_at_month_ends():
    # 31 January + 1 month is 28 February, so a loan issued then is overdue from 1 March.
    assert latest_issue_overdue(datetime.date(2025, 3, 1), 1) == datetime.date(2025, 1, 31)
    assert latest_issue_overdue(datetime.date(2025, 2, 28), 1) == datetime.date(2025, 1, 27)


def test_only_the_area_a_row_belongs_to_edits_it(client, village_cadre, county_admin, places):
    course = services.training_course_add(actor=county_admin, place=places["t1"], name="电工班", organiser="县人社局",
                                          held_from=TODAY(), held_to=TODAY(), skill="电工")
    client.force_login(village_cadre)
    assert client.get(reverse("assistance:course-detail", args=[course.pk])).status_code == 200
    assert client.get(reverse("assistance:course-edit", args=[course.pk])).status_code == 404
    client.force_login(county_admin)
    page = client.get(reverse("assistance:course-detail", args=[course.pk])).content.decode()
    assert reverse("assistance:course-edit", args=[course.pk]) in page
    response = client.post(reverse("assistance:course-edit", args=[course.pk]), {
        "version": 1, "place": places["t1"].pk, "name": "电工班", "organiser": "县人社局", "skill": "电工",
        "held_from": TODAY().isoformat(), "held_to": (TODAY() - datetime.timedelta(days=1)).isoformat()})
    assert response.status_code == 400 and "不能早于" in response.content.decode()


def test_catalogue_is_kept_by_the_county(county_admin, village_cadre, places):
    assert services.catalogue_county_of(county_admin) == places["county"]
    assert services.catalogue_county_of(village_cadre) is None
    with pytest.raises(PermissionDenied) as error:
        services.catalogue_county_of(village_cadre, required=True)
    assert error.value.code == "catalogue_county_only"
