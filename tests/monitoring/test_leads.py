import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from fangpin.core.errors import MissingPermission, PermissionDenied, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.roles import Role
from fangpin.monitoring import services
from fangpin.monitoring.choices import Channel, LeadStatus, LineMethod, RiskType
from fangpin.monitoring.models import Lead

from ..factories import make_household, make_user


@pytest.fixture
def household(county_admin, places):
    return make_household(county_admin, places["t1v1"], members=3)



def raise_lead(actor, household, risks, channel=Channel.HELPER_VISIT, **kwargs):
    return services.lead_raise(actor=actor, channel=channel, risk_types=risks, household=household,
                               summary="走访发现", **kwargs)


@pytest.mark.parametrize("method,parameters,line", [
    (LineMethod.FIXED, {"amount": "8700"}, Decimal("8700.00")),
    (LineMethod.POVERTY_STANDARD_MULTIPLE, {"standard": "4000", "multiple": "1.5"}, Decimal("6000.00")),
    (LineMethod.LAST_YEAR_PLUS, {"last_year": "8050", "percent": "8"}, Decimal("8694.00")),
    (LineMethod.DIBAO_MULTIPLE, {"dibao_monthly": "815", "multiple": "2"}, Decimal("19560.00")),
])
def test_monitoring_line_methods(method, parameters, line):
    assert services.compute_monitoring_line(method, parameters) == line


def test_thresholds_versions_are_kept_and_resolved_by_date(county_admin, places):
    county = places["county"]
    first = services.thresholds_adopt(actor=county_admin, county=county, effective_from=datetime.date(2025, 1, 1),
                                      year=2025, line_method=LineMethod.FIXED, line_parameters={"amount": "8600"})
    second = services.thresholds_adopt(actor=county_admin, county=county, effective_from=datetime.date(2026, 1, 1),
                                       year=2026, line_method=LineMethod.FIXED, line_parameters={"amount": "8900"},
                                       income_drop_ratio="0.25")
    assert (first.version, second.version) == (1, 2)
    assert services.thresholds_in_force(county, datetime.date(2025, 6, 1)) == first
    assert services.thresholds_in_force(county, datetime.date(2026, 6, 1)) == second
    assert second.watch_line == Decimal("9790.00")
    with pytest.raises(ValidationFailed):
        services.thresholds_in_force(county, datetime.date(2024, 6, 1))


def test_thresholds_only_by_county_admin(places, village_cadre):
    with pytest.raises(MissingPermission):
        services.thresholds_adopt(actor=village_cadre, county=places["county"], effective_from=datetime.date(2026, 1, 1),
                                  year=2026, line_method=LineMethod.FIXED, line_parameters={"amount": "1"})


def test_bad_threshold_input_is_refused(county_admin, places):
    with pytest.raises(ValidationFailed) as caught:
        services.thresholds_adopt(actor=county_admin, county=places["county"], effective_from=datetime.date(2026, 1, 1),
                                  year=2026, line_method=LineMethod.DIBAO_MULTIPLE, line_parameters={"multiple": "2"})
    assert caught.value.code == "line_parameters_missing"


def test_lead_for_same_household_and_risk_merges(village_cadre, household):
    first = raise_lead(village_cadre, household, [RiskType.ILLNESS])
    second = raise_lead(village_cadre, household, [RiskType.ILLNESS, RiskType.SCHOOLING])
    assert first.created and not first.merged
    assert second.merged and second.lead.merged_into == first.lead
    first.lead.refresh_from_db()
    assert first.lead.risk_types == [RiskType.ILLNESS, RiskType.SCHOOLING]
    other_risk = raise_lead(village_cadre, household, [RiskType.DISASTER])
    assert not other_risk.merged


def test_lead_after_dismissal_opens_anew(village_cadre, township_officer, household):
    first = raise_lead(village_cadre, household, [RiskType.ILLNESS]).lead
    services.lead_dismiss(actor=township_officer, lead=first, reason="核实后医疗费用已报销")
    again = raise_lead(village_cadre, household, [RiskType.ILLNESS])
    assert not again.merged and again.lead.status == LeadStatus.NEW


def test_screening_lead_is_raised_once_per_rule_and_month(county_admin, household):
    kwargs = dict(channel=Channel.SCREENING, rule_code="income_below_line", rule_version=1, period="2026-10")
    first = raise_lead(county_admin, household, [RiskType.INCOME], **kwargs)
    again = raise_lead(county_admin, household, [RiskType.INCOME], **kwargs)
    assert first.created and not again.created and again.lead == first.lead
    assert Lead.objects.count() == 1


def test_accept_and_overdue(village_cadre, township_officer, household):
    lead = raise_lead(village_cadre, household, [RiskType.ACCIDENT]).lead
    later = timezone.now() + datetime.timedelta(days=3)
    assert list(services.overdue_leads(now=later)) == [lead]
    services.lead_accept(actor=township_officer, lead=lead)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ACCEPTED and lead.accepted_by == township_officer
    assert not services.overdue_leads(now=later).exists()
    assert ChangeLog.objects.filter(object_type="monitoring.lead", action="update").count() == 1


def test_handling_needs_permission_and_area(village_cadre, places, household):
    lead = raise_lead(village_cadre, household, [RiskType.ACCIDENT]).lead
    with pytest.raises(MissingPermission):
        services.lead_accept(actor=village_cadre, lead=lead)
    far_township = make_user(Role.TOWNSHIP_OFFICER, places["t2"], "township2")
    with pytest.raises(PermissionDenied):
        services.lead_accept(actor=far_township, lead=lead)


def test_dismissal_needs_reason(township_officer, village_cadre, household):
    lead = raise_lead(village_cadre, household, [RiskType.ACCIDENT]).lead
    with pytest.raises(ValidationFailed) as caught:
        services.lead_dismiss(actor=township_officer, lead=lead, reason=" ")
    assert caught.value.code == "reason_missing"


def test_public_channels_need_no_actor_others_do(places, household):
    outcome = services.lead_raise(actor=None, channel=Channel.SELF_DECLARATION, risk_types=[RiskType.ILLNESS],
                                  household=household, summary="住院花费大", reporter_name="张三")
    assert outcome.lead.ack_number.startswith("SB")
    with pytest.raises(ValidationFailed):
        services.lead_raise(actor=None, channel=Channel.HELPER_VISIT, risk_types=[RiskType.ILLNESS],
                            household=household, summary="x")


def test_manual_merge(village_cadre, township_officer, household):
    first = raise_lead(village_cadre, household, [RiskType.ILLNESS]).lead
    second = raise_lead(village_cadre, household, [RiskType.DISASTER]).lead
    services.lead_merge(actor=township_officer, lead=second, into=first)
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.status == LeadStatus.MERGED and second.merged_into == first
    assert set(first.risk_types) == {RiskType.ILLNESS, RiskType.DISASTER}


def test_lead_for_unknown_person_opens_provisional_household(places, county_admin):
    from fangpin.registry.choices import HouseholdStatus
    from fangpin.registry.services import household_confirm_provisional

    from ..factories import id_number

    outcome = services.lead_raise_for_person(
        actor=None, channel=Channel.SELF_DECLARATION, place=places["t1v2"], person_name="王五",
        id_number=id_number(), phone="13800001111", risk_types=[RiskType.ACCIDENT], summary="车祸住院")
    household = outcome.lead.household
    assert household.status == HouseholdStatus.PROVISIONAL and household.head.name == "王五"
    assert household.number.startswith("90000")
    household_confirm_provisional(actor=county_admin, household=household, number="5101010099")
    household.refresh_from_db()
    assert household.status == HouseholdStatus.ACTIVE and household.number == "5101010099"


def test_lead_for_registered_person_goes_to_their_household(places, household):
    outcome = services.lead_raise_for_person(
        actor=None, channel=Channel.TIP, place=places["t2v1"], person_name="任意",
        id_number=household.head.id_number, risk_types=[RiskType.ILLNESS], summary="邻居反映", anonymous=True)
    assert outcome.lead.household == household and outcome.lead.place == household.place
