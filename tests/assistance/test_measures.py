"""Catalogue and measure services: defaults, versions, eligibility, validation, permission and area."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fangpin.assistance import services
from fangpin.assistance.models import Measure, MeasureCatalogueItem, MeasureEvidence
from fangpin.core.errors import Conflict, PermissionDenied, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.roles import Role

from ..factories import make_household, make_user
from .conftest import open_case

TODAY = timezone.localdate


def test_default_catalogue_is_created_once(places, county_admin):
    added = services.catalogue_ensure_default(places["county"], actor=county_admin)
    assert 20 <= len(added) <= 30
    codes = {item.code: item for item in added}
    assert codes["micro_credit"].standard_amount == Decimal("50000.00")
    assert codes["yulu_plan"].standard_amount == Decimal("1500.00") and codes["yulu_plan"].runs_after_elimination
    assert codes["welfare_post"].unit == "元/人/月"
    assert {item.category for item in added} >= {"industry", "employment", "finance", "protection", "health"}
    assert services.catalogue_ensure_default(places["county"]) == []
    assert MeasureCatalogueItem.objects.filter(county=places["county"]).count() == len(added)
    assert ChangeLog.objects.filter(object_type="assistance.measurecatalogueitem").count() == len(added)


def test_catalogue_is_kept_by_the_county(places, county_admin, village_cadre):
    with pytest.raises(PermissionDenied):
        services.catalogue_ensure_default(places["county"], actor=village_cadre)
    with pytest.raises(ValidationFailed) as error:
        services.catalogue_ensure_default(places["t1"], actor=county_admin)
    assert error.value.code == "county_level"
    assert not MeasureCatalogueItem.objects.exists()


def test_catalogue_item_edits_are_versioned_and_items_are_deactivated(places, county_admin, catalogue):
    item = catalogue["welfare_post"]
    services.catalogue_item_update(actor=county_admin, item=item, version=1, standard_amount="900", reason="2026年标准")
    item.refresh_from_db()
    assert item.standard_amount == Decimal("900.00") and item.version == 2
    entry = ChangeLog.objects.filter(object_type="assistance.measurecatalogueitem", object_id=item.pk,
                                     action="update").get()
    assert entry.before["standard_amount"] == "800.00" and entry.after["standard_amount"] == "900.00"
    with pytest.raises(Conflict):
        services.catalogue_item_update(actor=county_admin, item=item, version=1, unit="元/月")
    services.catalogue_item_update(actor=county_admin, item=item, active=False)
    item.refresh_from_db()
    assert not item.active


def test_catalogue_item_add_checks_its_fields(places, county_admin, catalogue):
    item = services.catalogue_item_add(actor=county_admin, county=places["county"], category="industry",
                                       name="茶叶种植补贴", standard_amount="2000", unit="元/亩",
                                       risk_types=["income"])
    assert item.active and item.risk_types == ["income"]
    for kwargs, code in [({"name": "茶叶种植补贴"}, "catalogue_name_taken"), ({"category": "x"}, "choice_unknown"),
                         ({"standard_amount": "-1"}, "money_negative"), ({"risk_types": ["nope"]}, "risk_type_unknown"),
                         ({"name": ""}, "required")]:
        values = {"category": "industry", "name": "新措施", **kwargs}
        with pytest.raises(ValidationFailed) as error:
            services.catalogue_item_add(actor=county_admin, county=places["county"], **values)
        assert error.value.code == code
    assert MeasureCatalogueItem.objects.filter(county=places["county"]).count() == len(catalogue) + 1


def test_a_measure_needs_a_monitored_household_or_a_green_channel(places, county_admin, household, catalogue):
    with pytest.raises(ValidationFailed) as error:
        services.measure_add(actor=county_admin, household=household, catalogue_item=catalogue["medical_aid"],
                             responsible_unit="县医保局", starts_on=TODAY())
    assert error.value.code == "household_not_monitored" and "绿色通道" in error.value.message
    open_case(household, county_admin, green_channel=False)
    with pytest.raises(ValidationFailed):
        services.measure_add(actor=county_admin, household=household, catalogue_item=catalogue["medical_aid"],
                             responsible_unit="县医保局", starts_on=TODAY())
    assert not Measure.objects.exists()


def test_green_channel_case_allows_a_measure_before_confirmation(places, county_admin, catalogue):
    household = make_household(county_admin, places["t1v1"])
    open_case(household, county_admin, green_channel=True, risk_types=["accident"])
    measure = services.measure_add(actor=county_admin, household=household, catalogue_item=catalogue["temporary_relief"],
                                   responsible_unit="镇民政办", starts_on=TODAY(), status="in_progress")
    assert measure.monitoring is None and measure.risk_types == ["accident"]
    assert measure.amount == Decimal("5000.00")


def test_measure_from_the_catalogue_takes_its_defaults(monitored, county_admin, catalogue):
    monitoring = monitored.monitorings.get()
    measure = services.measure_add(actor=county_admin, household=monitored, catalogue_item=catalogue["micro_credit"],
                                   responsible_unit="县农商行", responsible_person="李行长", starts_on=TODAY())
    assert (measure.category, measure.name, measure.amount) == ("finance", "脱贫人口小额信贷", Decimal("50000.00"))
    assert measure.runs_after_elimination and measure.monitoring == monitoring and measure.status == "planned"
    assert measure.risk_types == []  # the household's risk (illness) is not one micro-credit answers
    entry = ChangeLog.objects.get(object_type="assistance.measure", object_id=measure.pk)
    assert entry.action == "create" and entry.household_id == monitored.pk and entry.actor == county_admin


@pytest.mark.parametrize("kwargs, code", [
    ({"starts_on": None}, "required"),
    ({"ends_on": "2020-01-01", "starts_on": "2021-01-01"}, "date_order"),
    ({"status": "in_progress", "starts_on": "2999-01-01"}, "measure_not_started"),
    ({"status": "stopped"}, "measure_stopped_new"),
    ({"amount": "12.345"}, "money_decimals"),
    ({"amount": "abc"}, "money_format"),
    ({"category": "nope"}, "choice_unknown"),
    ({"responsible_unit": " "}, "required"),
    ({"risk_types": ["bad"]}, "risk_type_unknown"),
    ({"starts_on": "2026-13-01"}, "date_format"),
])
def test_measure_refusals_write_nothing(monitored, county_admin, kwargs, code):
    values = {"category": "health", "name": "慢病签约", "responsible_unit": "镇卫生院", "starts_on": TODAY(), **kwargs}
    with pytest.raises(ValidationFailed) as error:
        services.measure_add(actor=county_admin, household=monitored, **values)
    assert error.value.code == code and error.value.message
    assert not Measure.objects.exists()
    assert not ChangeLog.objects.filter(object_type="assistance.measure").exists()


def test_measure_permission_and_area(monitored, places, other_village_cadre, helper, catalogue):
    auditor = make_user(Role.AUDITOR, places["county"], "auditor")
    grid = make_user(Role.GRID_WORKER, places["t1v1"], "grid")
    for actor, code in [(other_village_cadre, "out_of_area"), (auditor, "missing_permission"),
                        (grid, "missing_permission")]:
        with pytest.raises(PermissionDenied) as error:
            services.measure_add(actor=actor, household=monitored, catalogue_item=catalogue["medical_aid"],
                                 responsible_unit="县医保局", starts_on=TODAY())
        assert error.value.code == code
    # A helper makes and updates the plans of the households in their area.
    measure = services.measure_add(actor=helper, household=monitored, catalogue_item=catalogue["medical_aid"],
                                   responsible_unit="县医保局", starts_on=TODAY())
    with pytest.raises(PermissionDenied):
        services.measure_update(actor=other_village_cadre, measure=measure, status="in_progress")


def test_measure_update_stop_needs_a_reason_and_is_final(monitored, village_cadre, catalogue):
    measure = services.measure_add(actor=village_cadre, household=monitored, catalogue_item=catalogue["medical_aid"],
                                   responsible_unit="县医保局", starts_on=TODAY() - datetime.timedelta(days=3))
    measure = services.measure_update(actor=village_cadre, measure=measure, version=1, status="in_progress")
    assert measure.version == 2
    with pytest.raises(ValidationFailed) as error:
        services.measure_update(actor=village_cadre, measure=measure, status="stopped")
    assert error.value.code == "reason_missing"
    measure = services.measure_update(actor=village_cadre, measure=measure, status="stopped", reason="户主去世")
    assert ChangeLog.objects.filter(object_id=measure.pk, object_type="assistance.measure", action="end").exists()
    with pytest.raises(ValidationFailed) as error:
        services.measure_update(actor=village_cadre, measure=measure, status="in_progress")
    assert error.value.code == "measure_stopped"
    with pytest.raises(ValidationFailed):
        services.measure_update(actor=village_cadre, measure=measure, colour="red")


def test_measure_update_refuses_a_stale_version(monitored, village_cadre, catalogue):
    measure = services.measure_add(actor=village_cadre, household=monitored, catalogue_item=catalogue["medical_aid"],
                                   responsible_unit="县医保局", starts_on=TODAY())
    services.measure_update(actor=village_cadre, measure=measure, version=1, note="已对接")
    with pytest.raises(Conflict):
        services.measure_update(actor=village_cadre, measure=measure, version=1, note="再改")


def test_evidence_is_stored_under_assistance_and_logged(monitored, village_cadre, catalogue):
    measure = services.measure_add(actor=village_cadre, household=monitored, catalogue_item=catalogue["medical_aid"],
                                   responsible_unit="县医保局", starts_on=TODAY())
    upload = SimpleUploadedFile("报销单.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    evidence = services.measure_add_evidence(actor=village_cadre, measure=measure, file=upload)
    assert evidence.name == "报销单.pdf" and evidence.size == 13
    assert evidence.file.name.startswith(f"assistance/measures/{measure.pk}/")
    assert ChangeLog.objects.filter(object_type="assistance.measureevidence", household_id=monitored.pk).exists()
    for bad, code in [(SimpleUploadedFile("x.exe", b"MZ"), "file_type"), (SimpleUploadedFile("x.pdf", b""), "file_empty"),
                      (None, "file_missing")]:
        with pytest.raises(ValidationFailed) as error:
            services.measure_add_evidence(actor=village_cadre, measure=measure, file=bad)
        assert error.value.code == code
    assert MeasureEvidence.objects.count() == 1


def test_catalogue_item_of_another_county_or_inactive_is_refused(monitored, county_admin, catalogue):
    item = catalogue["dibao"]
    services.catalogue_item_update(actor=county_admin, item=item, active=False)
    item.refresh_from_db()
    with pytest.raises(ValidationFailed) as error:
        services.measure_add(actor=county_admin, household=monitored, catalogue_item=item, responsible_unit="民政",
                             starts_on=TODAY())
    assert error.value.code == "catalogue_inactive"

