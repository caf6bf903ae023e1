"""API lists: query counts do not grow with the rows listed."""

import itertools

from django.utils import timezone

from fangpin.cases.models import Case, PublicNotice
from fangpin.monitoring.models import Monitoring
from fangpin.registry import services

from ..factories import make_household
from .conftest import add_place, assert_flat
from .test_cases import open_cases

_numbers = itertools.count(1)


def households_with_incomes(county_admin, place, members=3):
    def seed(k):
        numbers = []
        for _i in range(k):
            household = make_household(county_admin, place, members=members)
            for year in (2024, 2025):
                services.income_set(actor=county_admin, household=household, year=year, wage_income="30000",
                                    operating_income="6000", medical_spending="1000")
            numbers.append(household.number)
        return numbers

    return seed


def test_households(signed_in, county_admin, places):
    assert_flat(signed_in(county_admin), "/api/households/", households_with_incomes(county_admin, places["t1v1g1"]))


def test_members(signed_in, county_admin, places):
    assert_flat(signed_in(county_admin), "/api/members/", households_with_incomes(county_admin, places["t1v1g1"]))


def test_incomes(signed_in, county_admin, places):
    assert_flat(signed_in(county_admin), "/api/incomes/", households_with_incomes(county_admin, places["t1v1g1"]))


def test_places(signed_in, county_admin, places):
    def seed(k):
        names = []
        for _i in range(k):
            names.append(add_place(places["t2"]).name)
        return names

    assert_flat(signed_in(county_admin), "/api/places/", seed)


def test_cases(signed_in, county_admin, village_cadre, township_officer, places):
    seed = open_cases(county_admin, village_cadre, township_officer, places["t1v1g1"])
    assert_flat(signed_in(county_admin), "/api/cases/", seed)


def test_notices(signed_in, county_admin, village_cadre, township_officer, places):
    opened = open_cases(county_admin, village_cadre, township_officer, places["t1v1g1"])

    def seed(k):
        numbers = []
        for number in opened(k):
            notice = PublicNotice.objects.create(
                village=places["t1v1"], kind="identification", number=f"GS-QC-{next(_numbers)}",
                starts_on=timezone.localdate(), ends_on=timezone.localdate(), objection_phone="0816-1234567",
                published_by=village_cadre)
            notice.cases.add(Case.objects.get(number=number))
            numbers.append(notice.number)
        return numbers

    assert_flat(signed_in(county_admin), "/api/notices/", seed)


def test_monitorings(signed_in, county_admin, village_cadre, township_officer, places):
    opened = open_cases(county_admin, village_cadre, township_officer, places["t1v1g1"])

    def seed(k):
        shown = []
        for case in Case.objects.filter(number__in=opened(k)).select_related("household"):
            Case.objects.filter(pk=case.pk).update(status="confirmed")
            Monitoring.objects.create(household=case.household, category=case.category, risk_types=case.risk_types,
                                      identified_on=timezone.localdate(), identification_case=case)
            shown.append(case.household.number)
        return shown

    assert_flat(signed_in(county_admin), "/api/monitorings/", seed)
