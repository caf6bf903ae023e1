"""Case pages: the inbox, escalated cases, monitored households, a public notice. Query counts do not
grow with the rows listed."""

import datetime
import itertools

from django.urls import reverse
from django.utils import timezone

from fangpin.cases import services
from fangpin.cases.models import Case, PublicNotice
from fangpin.core.roles import Role
from fangpin.monitoring import services as monitoring_services
from fangpin.monitoring.choices import Channel, MonitoredCategory, RiskType
from fangpin.monitoring.models import Monitoring

from ..factories import make_household, make_user
from .conftest import assert_flat

_numbers = itertools.count(1)


def open_cases(county_admin, village_cadre, township_officer, place):
    """Seeds k identification cases opened through the services (lead raised, accepted, case opened);
    the page shows each case's number."""
    helper = make_user(Role.HELPER, village_cadre.place, f"helper_{next(_numbers)}")

    def seed(k):
        numbers = []
        for _i in range(k):
            household = make_household(county_admin, place, members=3)
            lead = monitoring_services.lead_raise(actor=helper, channel=Channel.HELPER_VISIT,
                                                  risk_types=[RiskType.ILLNESS], household=household,
                                                  summary="户主住院，自付医疗费较高").lead
            lead = monitoring_services.lead_accept(actor=township_officer, lead=lead)
            case = services.case_open_identification(
                actor=village_cadre, household=household, lead=lead, category=MonitoredCategory.SUDDEN_HARDSHIP,
                risk_types=[RiskType.ILLNESS], summary="大病支出", today=timezone.localdate())
            numbers.append(case.number)
        return numbers

    return seed


def test_case_inbox_of_the_village(signed_in, county_admin, village_cadre, township_officer, places):
    seed = open_cases(county_admin, village_cadre, township_officer, places["t1v1g1"])
    assert_flat(signed_in(village_cadre), reverse("cases:case-list"), seed)


def test_case_inbox_of_the_county(signed_in, county_admin, village_cadre, township_officer, places):
    seed = open_cases(county_admin, village_cadre, township_officer, places["t1v1g1"])
    assert_flat(signed_in(county_admin), reverse("cases:case-list"), seed)


def test_escalated_cases(signed_in, county_admin, village_cadre, township_officer, places):
    opened = open_cases(county_admin, village_cadre, township_officer, places["t1v1g1"])

    def seed(k):
        numbers = opened(k)
        # Long past their stage limit: escalated to the township.
        past = timezone.localdate() - datetime.timedelta(days=60)
        Case.objects.filter(number__in=numbers).update(stage_due_on=past, due_on=past)
        return numbers

    assert_flat(signed_in(township_officer), reverse("cases:case-list") + "?tab=escalated", seed)


def test_monitored_households(signed_in, county_admin, village_cadre, township_officer, places):
    opened = open_cases(county_admin, village_cadre, township_officer, places["t1v1g1"])

    def seed(k):
        numbers = opened(k)
        shown = []
        for case in Case.objects.filter(number__in=numbers).select_related("household"):
            # The state a confirmed identification leaves behind.
            Case.objects.filter(pk=case.pk).update(status="confirmed")
            Monitoring.objects.create(household=case.household, category=case.category, risk_types=case.risk_types,
                                      identified_on=timezone.localdate(), identification_case=case)
            shown.append(case.household.number)
        return shown

    assert_flat(signed_in(county_admin), reverse("cases:monitored-list"), seed)


def test_cases_on_a_public_notice(signed_in, county_admin, village_cadre, township_officer, places):
    opened = open_cases(county_admin, village_cadre, township_officer, places["t1v1g1"])
    notice = PublicNotice.objects.create(village=places["t1v1"], kind="identification", number="GS-QC-1",
                                         starts_on=timezone.localdate(), ends_on=timezone.localdate(),
                                         objection_phone="0816-1234567", published_by=village_cadre)

    def seed(k):
        numbers = opened(k)
        notice.cases.add(*Case.objects.filter(number__in=numbers))
        return numbers

    assert_flat(signed_in(village_cadre), reverse("cases:notice-detail", args=[notice.pk]), seed)


def test_county_holidays(signed_in, county_admin, places):
    year = timezone.localdate().year
    days = itertools.count(1)

    def seed(k):
        names = []
        for _i in range(k):
            n = next(days)
            name = f"县定假日{n}"
            services.holiday_set(actor=county_admin, county=places["county"], is_workday=False, name=name,
                                 date=datetime.date(year, 7, 1) + datetime.timedelta(days=n))
            names.append(name)
        return names

    assert_flat(signed_in(county_admin), reverse("cases:holidays") + f"?year={year}", seed)
