"""The visit schedule by risk tier and policy version; overdue per helper and per village."""

import datetime

import pytest
from django.utils import timezone

from fangpin.core.errors import MissingPermission, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.roles import Role
from fangpin.monitoring.choices import RiskTier
from fangpin.monitoring.models import VisitPolicy
from fangpin.monitoring.visits import queries, schedule
from fangpin.monitoring.visits.services import visit_policy_adopt
from fangpin.registry.models import Household

from ...factories import make_household, make_user
from .conftest import registered_days_ago, set_tier, visited_days_ago

TODAY = timezone.localdate


def due_pks(places, on=None):
    on = on or TODAY()
    policies = {places["county"].pk: schedule.policy_in_force(places["county"], on)}
    return set(schedule.due(Household.objects.all(), policies, on).values_list("pk", flat=True))


@pytest.mark.parametrize("tier,days,is_due", [
    (RiskTier.WARNING, 7, True), (RiskTier.WARNING, 6, False),
    (RiskTier.KEY, 30, True), (RiskTier.KEY, 29, False),
    (RiskTier.GENERAL, 90, True), (RiskTier.GENERAL, 89, False),
    (None, 90, True), (None, 89, False),
])
def test_default_intervals_per_tier(county_admin, helper, places, household, tier, days, is_due):
    if tier:
        set_tier(household, tier)
    visited_days_ago(household, helper, days)
    assert (household.pk in due_pks(places)) is is_due


def test_a_household_never_visited_is_due_an_interval_after_registration(places, household):
    set_tier(household, RiskTier.KEY)
    registered_days_ago(household, 29)
    assert household.pk not in due_pks(places)
    registered_days_ago(household, 30)
    assert household.pk in due_pks(places)


def test_the_latest_visit_counts_and_overdue_starts_the_day_after_due(helper, places, household):
    set_tier(household, RiskTier.WARNING)
    visited_days_ago(household, helper, 20)
    visited_days_ago(household, helper, 7)
    policies = {places["county"].pk: schedule.policy_in_force(places["county"])}
    assert schedule.due(Household.objects.all(), policies, TODAY()).exists()
    assert not schedule.overdue(Household.objects.all(), policies, TODAY()).exists()
    row = schedule.next_visit_due(household)
    assert row.next_due == TODAY() and row.days_overdue == 0 and row.last_visited_on == TODAY() - datetime.timedelta(7)


def test_policy_versions_are_kept_and_resolved_by_date(county_admin, helper, places, household):
    county = places["county"]
    set_tier(household, RiskTier.WARNING)
    visited_days_ago(household, helper, 8)
    assert household.pk in due_pks(places)
    first = visit_policy_adopt(actor=county_admin, county=county, effective_from=TODAY() - datetime.timedelta(days=30),
                               warning_interval_days=10, key_interval_days=30, general_interval_days=60)
    second = visit_policy_adopt(actor=county_admin, county=county, effective_from=TODAY() + datetime.timedelta(days=5),
                                warning_interval_days=5, key_interval_days=20, general_interval_days=60)
    assert (first.version, second.version) == (1, 2)
    assert schedule.policy_in_force(county) == first
    assert household.pk not in due_pks(places)  # 8 days < 10 under version 1
    assert household.pk in due_pks(places, TODAY() + datetime.timedelta(days=5))  # version 2 from then on
    assert VisitPolicy.objects.count() == 2
    assert ChangeLog.objects.filter(object_type="monitoring.visitpolicy").count() == 2


def test_defaults_when_the_county_set_no_policy(places):
    policy = schedule.policy_in_force(places["county"])
    assert policy.pk is None and (policy.warning_interval_days, policy.key_interval_days,
                                  policy.general_interval_days) == (7, 30, 90)


@pytest.mark.parametrize("intervals,code", [
    ((0, 30, 90), "interval_range"),
    ((7, 400, 90), "interval_range"),
    ((30, 7, 90), "interval_order"),
    (("x", 7, 90), "interval_format"),
])
def test_policy_values_are_checked(county_admin, places, intervals, code):
    with pytest.raises(ValidationFailed) as error:
        visit_policy_adopt(actor=county_admin, county=places["county"], effective_from=TODAY(),
                           warning_interval_days=intervals[0], key_interval_days=intervals[1],
                           general_interval_days=intervals[2])
    assert error.value.code == code


def test_only_the_county_admin_sets_the_policy(places, village_cadre):
    with pytest.raises(MissingPermission):
        visit_policy_adopt(actor=village_cadre, county=places["county"], effective_from=TODAY(),
                           warning_interval_days=7, key_interval_days=30, general_interval_days=90)
    with pytest.raises(ValidationFailed):
        visit_policy_adopt(actor=make_user(Role.COUNTY_ADMIN, places["county"], "admin2"), county=places["t1"],
                           effective_from=TODAY(), warning_interval_days=7, key_interval_days=30,
                           general_interval_days=90)


def test_overdue_per_helper_and_per_village(county_admin, places, helper, township_officer):
    second_helper = make_user(Role.HELPER, places["t1v2"], "helper_c")
    late = [make_household(county_admin, places["t1v1g1"], helper=helper) for _ in range(2)]
    late.append(make_household(county_admin, places["t1v2"], helper=second_helper))
    late.append(make_household(county_admin, places["t1v2"]))
    on_time = make_household(county_admin, places["t1v1"], helper=helper)
    elsewhere = make_household(county_admin, places["t2v1"])
    for household in [*late, elsewhere]:
        registered_days_ago(household, 91)
    visited_days_ago(on_time, helper, 10)

    helpers, villages, total = queries.overdue_summary(township_officer, TODAY())
    assert total == 4
    by_helper = {row.name: (row.overdue, row.total) for row in helpers}
    assert by_helper == {"helper_a": (2, 3), "helper_c": (1, 1), "未指定帮扶责任人": (1, 1)}
    by_village = {row.name: (row.overdue, row.total) for row in villages}
    assert by_village == {"第1镇第1镇1村": (2, 3), "第1镇第1镇2村": (2, 2)}

    rows, _ = queries.overdue_households(township_officer, TODAY(), helper=str(helper.pk))
    assert {r.pk for r in rows} == {late[0].pk, late[1].pk}
    rows, _ = queries.overdue_households(township_officer, TODAY(), helper="0")
    assert {r.pk for r in rows} == {late[3].pk}
    rows, _ = queries.overdue_households(township_officer, TODAY(), village=str(places["t1v2"].pk))
    assert {r.pk for r in rows} == {late[2].pk, late[3].pk}
    rows, _ = queries.overdue_households(township_officer, TODAY(), village=str(places["t2v1"].pk))
    assert not rows.exists()  # another township's village: nothing, not its households


def test_overdue_page_and_drill_down(client, county_admin, places, helper, township_officer):
    household = make_household(county_admin, places["t1v1"], helper=helper)
    registered_days_ago(household, 100)
    client.force_login(township_officer)
    page = client.get("/monitoring/visits/overdue/").content.decode()
    assert 'id="overdue-total">1<' in page and "helper_a" in page
    drill = client.get(f"/monitoring/visits/overdue/?helper={helper.pk}").content.decode()
    assert household.head.name in drill and "共 1 户" in drill
