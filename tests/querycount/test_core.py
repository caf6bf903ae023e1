"""The change log and the access log: query counts do not grow with the entries listed."""

import itertools

from django.urls import reverse

from fangpin.core.audit import log_access
from fangpin.core.models import AccessLog
from fangpin.registry import services

from ..factories import make_household
from .conftest import assert_flat

_numbers = itertools.count(1)


def test_change_log(signed_in, county_admin, places):
    def seed(k):
        # Each household writes several entries (household, head, members); its number is in them.
        numbers = []
        for _i in range(k):
            household = make_household(county_admin, places["t1v1g1"], members=2)
            services.household_update(actor=county_admin, household=household, version=household.version,
                                      address=f"甲村{next(_numbers)}号")
            numbers.append(household.number)
        return numbers

    assert_flat(signed_in(county_admin), reverse("change-log"), seed)


def test_access_log(signed_in, county_admin, places):
    def seed(k):
        shown = []
        for _i in range(k):
            household = make_household(county_admin, places["t1v1g1"])
            log_access(actor=county_admin, kind=AccessLog.Kind.UNMASK, area_code=household.place.code,
                       target=f"registry.household:{household.pk} {household.number}",
                       detail={"household_id": household.pk, "field": "phone", "reason": "入户核实"})
            shown.append(household.number)
        return shown

    assert_flat(signed_in(county_admin), reverse("access-log"), seed)
