"""Monitoring pages (leads, visits and the to-do list, sweeps, monthly lists, screening runs): query
counts do not grow with the rows listed."""

import datetime
import itertools

from django.urls import reverse
from django.utils import timezone

from fangpin.core.roles import Role
from fangpin.monitoring import services as monitoring_services
from fangpin.monitoring.choices import Channel, LineMethod, RiskType
from fangpin.monitoring.models import (Lead, MonthlyList, MonthlyListLine, ScreeningRun, SweepChecklist, SweepGroup,
                                       SweepItem, Visit)
from fangpin.registry.models import Household

from ..factories import make_household, make_user
from .conftest import add_place, assert_flat

_numbers = itertools.count(1)
THIS_MONTH = timezone.localdate().strftime("%Y-%m")


def raise_leads(county_admin, helper, place):
    """Seeds k households with one new lead each; the page shows each lead's household head."""

    def seed(k):
        heads = []
        for _i in range(k):
            household = make_household(county_admin, place)
            monitoring_services.lead_raise(actor=helper, channel=Channel.HELPER_VISIT, risk_types=[RiskType.ILLNESS],
                                           household=household, summary=f"户主住院第{next(_numbers)}次")
            heads.append(household.head.name)
        return heads

    return seed


def thresholds(county_admin, county):
    return monitoring_services.thresholds_adopt(
        actor=county_admin, county=county, effective_from=datetime.date(2025, 1, 1), year=2025,
        line_method=LineMethod.FIXED, line_parameters={"amount": "8600"}, watch_band_ratio="0.1",
        income_drop_ratio="0.3")


def helper_of(places):
    return make_user(Role.HELPER, places["t1v1"], "helper_q")


def test_lead_inbox(signed_in, county_admin, township_officer, places):
    seed = raise_leads(county_admin, helper_of(places), places["t1v1g1"])
    assert_flat(signed_in(township_officer), reverse("lead-inbox"), seed)


def test_overdue_leads(signed_in, county_admin, township_officer, places):
    raise_new = raise_leads(county_admin, helper_of(places), places["t1v1g1"])

    def seed(k):
        heads = raise_new(k)
        Lead.objects.filter(status="new").update(accept_due=timezone.now() - datetime.timedelta(days=3))
        return heads

    assert_flat(signed_in(township_officer), reverse("leads-overdue"), seed)


def test_todo(signed_in, county_admin, places):
    helper = helper_of(places)
    raise_new = raise_leads(county_admin, helper, places["t1v1g1"])

    def seed(k):
        # Households never visited, registered long ago (visits due), each with a new lead.
        heads = raise_new(k)
        Household.objects.update(helper=helper, created_at=timezone.now() - datetime.timedelta(days=800))
        return heads

    assert_flat(signed_in(helper), reverse("todo"), seed)


def test_overdue_visits(signed_in, county_admin, places):
    helper = helper_of(places)

    def seed(k):
        numbers = []
        for _i in range(k):
            household = make_household(county_admin, places["t1v1g1"], helper=helper)
            Visit.objects.create(household=household, visitor=helper, card={"items": {}},
                                 visited_on=timezone.localdate() - datetime.timedelta(days=700))
            numbers.append(household.number)
        Household.objects.filter(number__in=numbers).update(created_at=timezone.now() - datetime.timedelta(days=800))
        return [Household.objects.get(number=number).head.name for number in numbers]

    assert_flat(signed_in(county_admin), reverse("visits-overdue") + f"?helper={helper.pk}", seed)


def test_visits_of_a_household(signed_in, county_admin, places):
    helper = helper_of(places)
    household = make_household(county_admin, places["t1v1g1"], helper=helper)
    days = itertools.count(1)

    def seed(k):
        shown = []
        for _i in range(k):
            visited_on = timezone.localdate() - datetime.timedelta(days=next(days) * 7)
            Visit.objects.create(household=household, visitor=helper, card={"items": {}}, visited_on=visited_on)
            shown.append(visited_on.strftime("%Y-%m-%d"))
        return shown

    # The panel shows the last five visits: one, then three.
    assert_flat(signed_in(helper), reverse("visit-panel", args=[household.pk]), seed, n=1)


def test_sweep_list(signed_in, county_admin, places):
    def seed(k):
        names = []
        for _i in range(k):
            village = add_place(places["t1"])
            group = add_place(village)
            checklist = SweepChecklist.objects.create(village=village, period=THIS_MONTH, created_by=county_admin)
            SweepItem.objects.create(checklist=checklist, household=make_household(county_admin, group),
                                     groups=[SweepGroup.DISABLED])
            names.append(village.name)
        return names

    assert_flat(signed_in(county_admin), reverse("sweep-list") + f"?period={THIS_MONTH}", seed)


def test_sweep_checklist(signed_in, county_admin, village_cadre, places):
    checklist = SweepChecklist.objects.create(village=places["t1v1"], period=THIS_MONTH, created_by=county_admin)
    helper = helper_of(places)

    def seed(k):
        numbers = []
        for i in range(k):
            household = make_household(county_admin, places["t1v1g1"])
            visit = None
            if i % 2:
                visit = Visit.objects.create(household=household, visitor=helper, card={"items": {}},
                                             visited_on=timezone.localdate())
            SweepItem.objects.create(checklist=checklist, household=household, visit=visit,
                                     status=SweepItem.Status.NO_RISK if visit else SweepItem.Status.PENDING,
                                     groups=[SweepGroup.DISABLED, SweepGroup.NO_LABOUR])
            numbers.append(household.head.name)
        return numbers

    assert_flat(signed_in(village_cadre), reverse("sweep-detail", args=[checklist.pk]), seed)


def test_monthly_lists(signed_in, county_admin, places):
    def seed(k):
        names = []
        for _i in range(k):
            township = add_place(places["county"])
            monthly_list = MonthlyList.objects.create(county=places["county"], township=township, period=THIS_MONTH,
                                                      due_on=timezone.localdate())
            village = add_place(township)
            MonthlyListLine.objects.create(monthly_list=monthly_list, household=make_household(county_admin, village),
                                           rank=1)
            names.append(township.name)
        return names

    assert_flat(signed_in(county_admin), reverse("monthly-lists") + f"?period={THIS_MONTH}", seed)


def test_monthly_list_lines(signed_in, county_admin, places):
    monthly_list = MonthlyList.objects.create(county=places["county"], township=places["t1"], period=THIS_MONTH,
                                              due_on=timezone.localdate(), sent_at=timezone.now(),
                                              sent_by=county_admin)
    helper = helper_of(places)
    ranks = itertools.count(1)
    raise_new = raise_leads(county_admin, helper, places["t1v1g1"])

    def seed(k):
        numbers = []
        for head in raise_new(k):
            lead = Lead.objects.select_related("household").get(household__members__name=head)
            line = MonthlyListLine.objects.create(monthly_list=monthly_list, household=lead.household,
                                                  rank=next(ranks), reasons=[{"rule": "income_below_line"}],
                                                  status=MonthlyListLine.Status.PENDING)
            line.leads.add(lead)
            numbers.append(lead.household.number)
        return numbers

    assert_flat(signed_in(county_admin), reverse("monthly-list-detail", args=[monthly_list.pk]), seed)


def test_screening_runs(signed_in, county_admin, places):
    standard = thresholds(county_admin, places["county"])
    months = itertools.count(1)

    def seed(k):
        periods = []
        for _i in range(k):
            period = f"2025-{next(months):02d}"
            ScreeningRun.objects.create(county=places["county"], period=period, engine="db", thresholds=standard,
                                        started_by=county_admin, finished_at=timezone.now(),
                                        counts={"income_below_line": {"hits": 3, "new": 2, "merged": 1}})
            periods.append(period)
        return periods

    assert_flat(signed_in(county_admin), reverse("screening-runs"), seed)


def test_screening_run_leads(signed_in, county_admin, places):
    standard = thresholds(county_admin, places["county"])
    run = ScreeningRun.objects.create(county=places["county"], period="2025-06", engine="db", thresholds=standard,
                                      started_by=county_admin, finished_at=timezone.now(), counts={})

    def seed(k):
        numbers = []
        for _i in range(k):
            household = make_household(county_admin, places["t1v1g1"])
            Lead.objects.create(household=household, place=household.place, channel=Channel.SCREENING,
                                risk_types=[RiskType.INCOME], summary="系统筛查", rule_code="income_drop",
                                rule_version=1, thresholds=standard, screening_run=run, period="2025-06",
                                figures={"per_capita_fen": 500000})
            numbers.append(household.number)
        return numbers

    assert_flat(signed_in(county_admin), reverse("screening-run-detail", args=[run.pk]), seed)


def test_thresholds_versions(signed_in, county_admin, places):
    years = itertools.count(2010)

    def seed(k):
        shown = []
        for _i in range(k):
            year = next(years)
            monitoring_services.thresholds_adopt(
                actor=county_admin, county=places["county"], effective_from=datetime.date(year, 1, 1), year=year,
                line_method=LineMethod.FIXED, line_parameters={"amount": "8600"}, watch_band_ratio="0.1",
                income_drop_ratio="0.3", note=f"第{year}版")
            shown.append(f"第{year}版")
        return shown

    assert_flat(signed_in(county_admin), reverse("thresholds"), seed)
