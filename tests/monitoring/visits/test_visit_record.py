"""The monitoring card and visit_record: enter once, only changes, leads from risks, idempotence."""

import datetime

import pytest
from django.utils import timezone

from fangpin.core.errors import PermissionDenied, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.monitoring.choices import Channel, LeadStatus
from fangpin.monitoring.models import Lead, Visit
from fangpin.monitoring.visits import card as cards
from fangpin.monitoring.visits.services import visit_record
from fangpin.registry.choices import Relation
from fangpin.registry.models import Household, Member

TODAY = timezone.localdate


def record(actor, household, changes=None, **kwargs):
    return visit_record(actor=actor, household=household, visited_on=TODAY(), changes=changes or {}, **kwargs)


def registry_log(household):
    return ChangeLog.objects.filter(household_id=household.pk,
                                    object_type__in=["registry.household", "registry.member"])


def test_unchanged_visit_records_the_full_card_and_touches_no_registry_row(helper, household):
    before = registry_log(household).count()
    visit = record(helper, household, seconds_spent=25)
    assert visit.changes == {} and not visit.risk_found and visit.lead is None
    assert set(visit.card["items"]) == {item.code for item in cards.ITEMS} | {cards.RISKS}
    assert visit.card["items"]["housing"]["house_grade"] == "A"
    assert visit.card["items"]["water"]["water_quantity_ok"] is True
    head = household.members.get(relation=Relation.HEAD)
    assert visit.card["items"]["members"]["members"][str(head.pk)]["name"] == head.name
    assert visit.card["assigned"] is True and visit.seconds_spent == 25
    assert registry_log(household).count() == before
    assert ChangeLog.objects.filter(object_type="monitoring.visit", object_id=visit.pk).exists()


def test_changed_items_go_to_the_registry_through_its_services(helper, household):
    head = household.members.get(relation=Relation.HEAD)
    visit = record(helper, household, {
        "housing": {"house_grade": "C"},
        "water": {"water_quantity_ok": "true", "water_quality_ok": "false"},
        "members": {"members": {str(head.pk): {"health": "serious", "labour_capacity": "ordinary"}}},
        "employment": {"members": {str(head.pk): {"work_place": "out_of_province", "work_months": "4"}}},
    })
    household.refresh_from_db()
    head.refresh_from_db()
    assert household.house_grade == "C" and household.water_quality_ok is False and household.water_safe is False
    assert (head.health, head.work_place, head.work_months) == ("serious", "out_of_province", 4)
    # Only what differs is a change: water quantity and labour capacity were submitted unchanged.
    assert visit.changes["water"] == {"water_quality_ok": False}
    assert visit.changes["members"] == {"members": {str(head.pk): {"health": "serious", "name": head.name}}}
    assert visit.card["items"]["housing"]["house_grade"] == "C"
    household_log = ChangeLog.objects.get(object_type="registry.household", object_id=household.pk, action="update")
    assert household_log.before["house_grade"] == "A" and household_log.after["house_grade"] == "C"
    assert "走访监测卡" in household_log.reason and household_log.actor == helper
    member_logs = ChangeLog.objects.filter(object_type="registry.member", object_id=head.pk, action="update")
    assert member_logs.count() == 1 and member_logs.get().after["work_months"] == 4


def test_card_only_values_are_carried_forward_to_the_next_visit(helper, household):
    record(helper, household, {"income": {"income_trend": "down", "income_estimate": "18,500"}})
    card = cards.build_card(household, last_card=Visit.objects.get().card)
    assert card["items"]["income"] == {"income_trend": "down", "income_estimate": "18500.00", "registry_income": None}
    again = record(helper, household, {"income": {"income_trend": "down", "income_estimate": "18500"}})
    assert again.changes == {}


def test_registry_edits_between_visits_prefill_the_card(county_admin, helper, household):
    from fangpin.registry import services as registry

    registry.income_set(actor=county_admin, household=household, year=2024, wage_income="30000")
    registry.income_set(actor=county_admin, household=household, year=2025, wage_income="36000")
    visit = record(helper, household)
    assert visit.card["items"]["income"]["registry_income"] == {"year": 2025, "per_capita": "12000.00"}
    assert cards.summarise_item(cards.ITEMS_BY_CODE["income"], visit.card["items"]["income"]).startswith(
        "2025年人均纯收入12000.00元")
    registry.household_update(actor=county_admin, household=household, house_grade="B")
    card = cards.build_card(Household.objects.get(pk=household.pk), last_card=Visit.objects.get().card)
    assert card["items"]["housing"]["house_grade"] == "B"


def test_a_registry_rule_broken_by_a_change_names_the_card_field_and_writes_nothing(helper, household):
    head = household.members.get(relation=Relation.HEAD)
    with pytest.raises(ValidationFailed) as error:
        record(helper, household, {"housing": {"house_grade": "D"},
                                   "members": {"members": {str(head.pk): {"health": "disabled"}}}})
    assert error.value.field == f"members__m{head.pk}__disability_grade"
    assert Household.objects.get(pk=household.pk).house_grade == "A"
    assert Visit.objects.count() == 0


@pytest.mark.parametrize("changes,field", [
    ({"garden": {"x": 1}}, "garden"),
    ({"housing": {"roof": "tin"}}, "housing__roof"),
    ({"housing": {"house_grade": "Z"}}, "housing__house_grade"),
    ({"employment": {"members": {"999999": {"work_months": 3}}}}, "employment__m999999__member"),
])
def test_unknown_card_input_is_refused(helper, household, changes, field):
    with pytest.raises(ValidationFailed) as error:
        record(helper, household, changes)
    assert error.value.field == field


def test_a_visit_reporting_a_risk_raises_a_helper_lead_and_later_ones_merge(helper, household):
    first = record(helper, household, risk_types=["illness"], note="户主住院")
    assert first.risk_found and first.lead.channel == Channel.HELPER_VISIT
    assert first.lead.status == LeadStatus.NEW and first.lead.summary == "户主住院"
    assert first.lead.evidence["visitor"] == helper.display_name
    second = record(helper, household, risk_types=["illness", "disability"])
    assert second.lead.status == LeadStatus.MERGED and second.lead.merged_into == first.lead
    first.lead.refresh_from_db()
    assert first.lead.risk_types == ["illness", "disability"]
    assert Lead.objects.filter(status=LeadStatus.NEW).count() == 1


def test_resubmitting_the_same_visit_records_it_once(helper, household):
    head = household.members.get(relation=Relation.HEAD)
    changes = {"members": {"members": {str(head.pk): {"health": "chronic"}}}}
    first = record(helper, household, changes, visit_key="k-1", risk_types=["illness"])
    logs = ChangeLog.objects.count()
    again = record(helper, household, changes, visit_key="k-1", risk_types=["illness"])
    assert again.pk == first.pk
    assert Visit.objects.count() == 1 and Lead.objects.count() == 1 and ChangeLog.objects.count() == logs
    other = record(helper, household, visit_key="k-2")
    assert other.pk != first.pk and other.card["visit_key"] == "k-2"


def test_dates_are_checked(helper, household):
    with pytest.raises(ValidationFailed, match="不能晚于今天"):
        visit_record(actor=helper, household=household, visited_on=TODAY() + datetime.timedelta(days=1), changes={})
    with pytest.raises(ValidationFailed) as error:
        visit_record(actor=helper, household=household, visited_on=TODAY() - datetime.timedelta(days=200), changes={})
    assert error.value.code == "visit_too_old"
    late = visit_record(actor=helper, household=household, visited_on=TODAY() - datetime.timedelta(days=3), changes={})
    assert late.visited_on == TODAY() - datetime.timedelta(days=3)


def test_a_helper_of_another_village_cannot_record(other_helper, household):
    with pytest.raises(PermissionDenied):
        record(other_helper, household)


def test_a_visit_to_a_household_not_paired_with_the_helper_is_flagged(county_admin, places, helper):
    from ...factories import make_household

    neighbour = make_household(county_admin, places["t1v1"], members=1)
    assert record(helper, neighbour).card["assigned"] is False


def test_auditors_cannot_record(places, household):
    from fangpin.core.errors import MissingPermission
    from fangpin.core.roles import Role

    from ...factories import make_user

    with pytest.raises(MissingPermission):
        record(make_user(Role.AUDITOR, places["county"]), household)


def test_ended_members_are_not_on_the_card(county_admin, helper, household):
    from fangpin.registry import services as registry

    spouse = household.members.get(relation=Relation.SPOUSE)
    registry.member_end(actor=county_admin, member=spouse, reason="moved_out")
    card = cards.build_card(household)
    assert str(spouse.pk) not in card["items"]["members"]["members"]
    assert Member.objects.filter(household=household, ended_on__isnull=True).count() == 2
