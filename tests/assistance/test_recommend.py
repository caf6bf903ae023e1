"""Labour, recommendations, plan warnings and the selectors other apps use."""

import datetime

from django.utils import timezone

from fangpin.assistance import services
from fangpin.assistance.recommend import plan_warnings, recommend_measures
from fangpin.assistance.selectors import (
    household_has_labour,
    measures_in_place,
    measures_running_after_elimination,
    monitorings_without_measure,
)
from fangpin.monitoring.models import Monitoring
from fangpin.registry import services as registry
from fangpin.registry.choices import Relation

from ..factories import id_number, make_household
from .conftest import monitor

TODAY = timezone.localdate


def no_labour_household(admin, place):
    household = make_household(admin, place, members=1)
    head = household.members.get(relation=Relation.HEAD)
    registry.member_update(actor=admin, member=head, labour_capacity="lost", health="serious")
    return household


def test_labour_means_an_able_member_aged_16_to_64(county_admin, places):
    household = make_household(county_admin, places["t1v1"], members=1)
    head = household.members.get()
    assert household_has_labour(household, TODAY())
    on = head.birth_date.replace(year=head.birth_date.year + 65)
    assert not household_has_labour(household, on)
    assert household_has_labour(household, on - datetime.timedelta(days=1))
    assert not household_has_labour(household, head.birth_date.replace(year=head.birth_date.year + 15))
    registry.member_update(actor=county_admin, member=head, labour_capacity="weak")
    assert household_has_labour(household, TODAY())
    registry.member_update(actor=county_admin, member=head, labour_capacity="none")
    assert not household_has_labour(household, TODAY())


def test_household_with_labour_gets_one_measure_per_risk_and_a_development_measure(monitored, catalogue):
    recommendations = recommend_measures(monitored, ["illness", "housing"])
    by_risk = {r.risk_type: r for r in recommendations if r.risk_type}
    assert by_risk["illness"].item.category == "health" and "因病" in by_risk["illness"].reason
    assert by_risk["housing"].item.code == "house_rebuild"
    development = [r for r in recommendations if r.item.category in ("industry", "employment")]
    assert len(development) == 1 and "劳动力" in development[0].reason
    assert len({r.item.pk for r in recommendations}) == len(recommendations)


def test_household_without_labour_gets_protection_first_and_no_development(county_admin, places, catalogue):
    household = no_labour_household(county_admin, places["t1v1"])
    monitor(household, county_admin, risk_types=("illness", "lack_of_labour", "income"))
    recommendations = recommend_measures(household, ["illness", "lack_of_labour", "income"])
    assert recommendations[0].item.category == "protection"
    assert not [r for r in recommendations if r.item.category in ("industry", "employment", "welfare_post", "finance")]
    assert recommendations[0].item.code in ("dibao", "tekun")


def test_recommendations_skip_risks_already_answered(monitored, village_cadre, catalogue):
    services.measure_add(actor=village_cadre, household=monitored, catalogue_item=catalogue["medical_aid"],
                         responsible_unit="县医保局", starts_on=TODAY())
    services.measure_add(actor=village_cadre, household=monitored, catalogue_item=catalogue["workshop_job"],
                         responsible_unit="镇人社所", starts_on=TODAY())
    assert recommend_measures(monitored, ["illness"]) == []


def test_plan_warnings_name_the_gaps(monitored, village_cadre, catalogue, county_admin, places):
    codes = [w.code for w in plan_warnings(monitored)]
    assert codes == ["risk_without_measure", "labour_without_development"]
    services.measure_add(actor=village_cadre, household=monitored, catalogue_item=catalogue["medical_aid"],
                         responsible_unit="县医保局", starts_on=TODAY())
    assert [w.code for w in plan_warnings(monitored)] == ["labour_without_development"]
    services.measure_add(actor=village_cadre, household=monitored, catalogue_item=catalogue["skills_training"],
                         responsible_unit="县人社局", starts_on=TODAY())
    assert plan_warnings(monitored) == []

    alone = no_labour_household(county_admin, places["t1v1"])
    monitor(alone, county_admin, risk_types=("illness",), days_ago=45)
    assert [w.code for w in plan_warnings(alone)] == ["risk_without_measure", "no_labour_without_protection",
                                                      "no_measure_after_month"]


def test_monitorings_without_a_measure_after_a_month(county_admin, village_cadre, places, catalogue):
    late = make_household(county_admin, places["t1v1"])
    recent = make_household(county_admin, places["t1v1"])
    planned_only = make_household(county_admin, places["t1v1"])
    helped = make_household(county_admin, places["t1v1"])
    for household, days in ((late, 40), (recent, 20), (planned_only, 40), (helped, 40)):
        monitor(household, county_admin, days_ago=days)
    services.measure_add(actor=village_cadre, household=planned_only, catalogue_item=catalogue["medical_aid"],
                         responsible_unit="县医保局", starts_on=TODAY() + datetime.timedelta(days=3))
    services.measure_add(actor=village_cadre, household=helped, catalogue_item=catalogue["medical_aid"],
                         responsible_unit="县医保局", starts_on=TODAY() - datetime.timedelta(days=30),
                         status="in_progress")
    found = monitorings_without_measure(Monitoring.objects.all(), TODAY())
    assert {m.household_id for m in found} == {late.pk, planned_only.pk}
    assert [m.household for m in measures_in_place(helped)] == [helped]
    assert not measures_in_place(planned_only).exists()


def test_measures_running_after_elimination(monitored, village_cadre, catalogue):
    loan = services.measure_add(actor=village_cadre, household=monitored, catalogue_item=catalogue["micro_credit"],
                                responsible_unit="县农商行", starts_on=TODAY() - datetime.timedelta(days=10),
                                ends_on=TODAY() + datetime.timedelta(days=700), status="in_progress")
    services.measure_add(actor=village_cadre, household=monitored, catalogue_item=catalogue["medical_aid"],
                         responsible_unit="县医保局", starts_on=TODAY())
    services.measure_add(actor=village_cadre, household=monitored, catalogue_item=catalogue["yulu_plan"],
                         responsible_unit="县教育局", starts_on=TODAY() - datetime.timedelta(days=400),
                         ends_on=TODAY() - datetime.timedelta(days=5), status="done")
    assert list(measures_running_after_elimination(monitored)) == [loan]


def test_id_numbers_from_the_factory_are_unique():
    assert id_number() != id_number()
