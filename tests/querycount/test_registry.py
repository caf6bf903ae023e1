"""Registry pages and the ledger imports page: query counts do not grow with the rows listed."""

import itertools

from django.urls import reverse

from fangpin.registry import services
from fangpin.registry.choices import Relation, Sex
from fangpin.registry.models import LedgerImport

from ..factories import id_number, make_household
from .conftest import assert_flat

_names = itertools.count(1)


def households_in(actor, place):
    def seed(k):
        return [make_household(actor, place, members=3).number for _i in range(k)]

    return seed


def test_household_list(signed_in, county_admin, places):
    assert_flat(signed_in(county_admin), reverse("household-list"), households_in(county_admin, places["t1v1g1"]))


def test_household_list_of_a_village_cadre(signed_in, county_admin, village_cadre, places):
    assert_flat(signed_in(village_cadre), reverse("household-list"), households_in(county_admin, places["t1v1g1"]))


def test_area_summary(signed_in, county_admin, places):
    def seed(k):
        for _i in range(k):
            make_household(county_admin, places["t1v1g1"])
            make_household(county_admin, places["t2v1"])
        return [places["county"].name]

    assert_flat(signed_in(county_admin), reverse("area-summary"), seed)


def test_members_on_the_household_page(signed_in, county_admin, places):
    household = make_household(county_admin, places["t1v1g1"], members=1)

    def seed(k):
        names = []
        for _i in range(k):
            name = f"成员{next(_names):03d}"
            services.member_add(actor=county_admin, household=household, name=name, relation=Relation.DAUGHTER,
                                id_number=id_number(Sex.FEMALE), health="healthy")
            names.append(name)
        return names

    assert_flat(signed_in(county_admin), reverse("household-detail", args=[household.pk]), seed)


def test_incomes_on_the_household_page(signed_in, county_admin, places):
    household = make_household(county_admin, places["t1v1g1"])
    years = itertools.count(2015)

    def seed(k):
        shown = []
        for _i in range(k):
            year = next(years)
            services.income_set(actor=county_admin, household=household, year=year, wage_income="30000")
            shown.append(str(year))
        return shown

    assert_flat(signed_in(county_admin), reverse("household-detail", args=[household.pk]), seed)


def test_data_quality_list(signed_in, county_admin, places):
    # Households from the factory have no income on file, so "no income last year" flags each one.
    url = reverse("data-quality") + "?rule=no_income_last_year"
    assert_flat(signed_in(county_admin), url, households_in(county_admin, places["t1v1g1"]))


def test_ledger_imports(signed_in, county_admin, places):
    def seed(k):
        names = []
        for _i in range(k):
            name = f"台账{next(_names):03d}.xlsx"
            LedgerImport.objects.create(file_path=f"imports/{name}", original_name=name, uploaded_by=county_admin,
                                        area_code=places["county"].code, status="validated", rows=10)
            names.append(name)
        return names

    assert_flat(signed_in(county_admin), reverse("ledger-upload"), seed)
