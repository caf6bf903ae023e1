import pytest
from django.db import transaction

from fangpin.core.errors import MissingPermission, PermissionDenied, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.roles import Role
from fangpin.monitoring import services
from fangpin.monitoring.choices import Channel, LeadStatus, RiskTier, RiskType, StabilityTier
from fangpin.monitoring.models import HouseholdTier, Lead, ScreeningRun
from fangpin.monitoring.screening.leads import Candidate, raise_screening_leads
from fangpin.monitoring.screening.rules import RULES_BY_CODE
from fangpin.monitoring.screening.services import screening_run
from fangpin.registry.choices import Relation

from ...factories import make_user
from .conftest import MONTH, make_home, person, yearly


def below_line(place, **fields):
    return make_home(place, incomes={2024: yearly(), 2025: yearly("17399.98")}, **fields)


def test_second_run_of_the_month_adds_nothing(engine, thresholds, places, county_admin):
    below_line(places["t1v1"])
    make_home(places["t1v2"], house_grade="D")
    first = screening_run(actor=county_admin, county=places["county"], period=MONTH, engine=engine)
    leads = Lead.objects.count()
    second = screening_run(actor=county_admin, county=places["county"], period=MONTH, engine=engine)
    assert Lead.objects.count() == leads == 3  # below the line, its sharp drop (merged), house D
    assert first.counts["income_below_line"] == {"version": 1, "new": 1, "merged": 0, "total": 1, "merged_into": {}}
    assert first.counts["income_sharp_drop"]["merged"] == 1
    assert all(c["new"] == c["merged"] == 0 for c in second.counts.values())
    assert second.counts["house_unsafe"]["total"] == 1
    logged = ChangeLog.objects.filter(object_type="monitoring.screeningrun", action="create")
    assert logged.count() == 2 and logged.first().area_code == places["county"].code


def test_open_lead_from_another_channel_takes_the_screening_lead(engine, thresholds, places, county_admin,
                                                                  village_cadre):
    household = below_line(places["t1v1"])
    visit = services.lead_raise(actor=village_cadre, channel=Channel.HELPER_VISIT, household=household,
                                risk_types=[RiskType.INCOME, RiskType.ILLNESS], summary="走访发现收入下降").lead
    run = screening_run(actor=county_admin, county=places["county"], period=MONTH, engine=engine)
    lead = Lead.objects.get(screening_run=run, rule_code="income_below_line")
    assert lead.status == LeadStatus.MERGED and lead.merged_into == visit
    assert run.counts["income_below_line"]["merged_into"] == {"helper_visit": 1}
    assert HouseholdTier.objects.get(household=household).risk_tier == RiskTier.WARNING


def test_next_month_raises_again_but_merges_into_the_open_lead(thresholds, places, county_admin):
    household = below_line(places["t1v1"])
    screening_run(actor=county_admin, county=places["county"], period="2026-05")
    june = screening_run(actor=county_admin, county=places["county"], period="2026-06")
    assert june.counts["income_below_line"]["merged"] == 1
    assert Lead.objects.filter(household=household, status=LeadStatus.NEW).count() == 1


def _lead_rows(run):
    rows = []
    for lead in Lead.objects.filter(screening_run=run).order_by("rule_code", "household_id"):
        target = lead.merged_into
        rows.append((lead.rule_code, lead.rule_version, lead.household_id, lead.place_id, lead.status,
                     tuple(lead.risk_types), lead.summary, lead.figures, lead.period, lead.thresholds_id,
                     lead.accept_due is not None, lead.raised_by_id,
                     None if target is None else (target.channel, target.rule_code, target.household_id)))
    return rows


def test_bulk_path_agrees_with_lead_raise(thresholds, places, county_admin, village_cadre):
    """The same candidates written by the bulk path and by lead_raise one at a time give the same
    leads, merges and risk types of the open leads."""
    households = [below_line(places["t1v1"]) for _ in range(3)] + [make_home(places["t2v1"]) for _ in range(2)]
    services.lead_raise(actor=village_cadre, channel=Channel.HELPER_VISIT, household=households[0],
                        risk_types=[RiskType.INCOME], summary="走访")
    services.lead_raise(actor=county_admin, channel=Channel.TIP, household=households[3],
                        risk_types=[RiskType.HOUSING], summary="举报")
    rules = [RULES_BY_CODE[c] for c in ("income_below_line", "income_sharp_drop", "house_unsafe", "water_unsafe")]
    candidates = {
        "income_below_line": households[:3], "income_sharp_drop": households[:2],
        "house_unsafe": [households[1], households[3]], "water_unsafe": [households[4], households[0]],
    }
    run = ScreeningRun.objects.create(county=places["county"], period=MONTH, engine="db", thresholds=thresholds)

    def raise_all(bulk: bool):
        if bulk:
            return raise_screening_leads(actor=county_admin, run=run, rule_candidates=[
                (rule, [Candidate(h.pk, {"n": h.pk}, f"{rule.code} {h.pk}") for h in candidates[rule.code]])
                for rule in rules])
        for rule in rules:
            for h in candidates[rule.code]:
                services.lead_raise(actor=county_admin, channel=Channel.SCREENING, household=h,
                                    risk_types=list(rule.risk_types), summary=f"{rule.code} {h.pk}",
                                    rule_code=rule.code, rule_version=rule.version, thresholds=thresholds,
                                    period=MONTH, figures={"n": h.pk}, screening_run=run)

    outcomes = {}
    for bulk in (True, False):
        with transaction.atomic():
            raise_all(bulk)
            raise_all(bulk)  # the second time adds nothing
            outcomes[bulk] = (_lead_rows(run),
                              sorted((lead.channel, tuple(lead.risk_types), lead.status)
                                     for lead in Lead.objects.exclude(channel=Channel.SCREENING)))
            transaction.set_rollback(True)
    assert outcomes[True] == outcomes[False]
    assert len(outcomes[True][0]) == 9


def test_tiers_after_screening(engine, thresholds, places, county_admin):
    exited = {"household_type": "exited", "exit_year": 2018}
    high = make_home(places["t1v1"], incomes={2024: yearly(), 2025: yearly("40000")}, **exited)  # 20000 >= 2 x 8700
    stable = make_home(places["t1v1"], incomes={2024: yearly("30000"), 2025: yearly("30000")}, **exited)  # 15000
    general = make_home(places["t1v1"], incomes={2024: yearly("24000"), 2025: yearly("24000")}, **exited)  # 12000
    weak = make_home(places["t1v1"], members=[person(labour_capacity="weak"), person(Relation.SPOUSE,
                                                                                     labour_capacity="none")],
                     **exited)
    none = make_home(places["t1v1"], members=[person(labour_capacity="lost", dibao=True)],
                     incomes={2024: yearly("20000", transfer_income="5000"),
                              2025: yearly("20000", transfer_income="5000")}, **exited)
    poor = below_line(places["t1v2"])
    watch = make_home(places["t1v2"], incomes={2024: yearly("19000"), 2025: yearly("19000")})
    screening_run(actor=county_admin, county=places["county"], period=MONTH, engine=engine)
    tiers = {t.household_id: t for t in HouseholdTier.objects.all()}
    assert len(tiers) == 7
    assert [tiers[h.pk].stability_tier for h in (high, stable, general, weak, none)] == [
        StabilityTier.HIGH_QUALITY, StabilityTier.STABLE, StabilityTier.GENERAL, StabilityTier.WEAK_LABOUR,
        StabilityTier.NO_LABOUR]
    assert tiers[poor.pk].stability_tier == ""
    assert tiers[poor.pk].risk_tier == RiskTier.WARNING and "income_below_line" in tiers[poor.pk].reasons
    assert tiers[watch.pk].risk_tier == RiskTier.KEY and tiers[watch.pk].reasons == ["open_lead", "income_watch_band"]
    assert tiers[high.pk].risk_tier == RiskTier.GENERAL


def test_no_thresholds_bad_month_and_engine(places, county_admin):
    with pytest.raises(ValidationFailed) as caught:
        screening_run(actor=county_admin, county=places["county"], period=MONTH)
    assert caught.value.code == "no_thresholds"
    for period in ("2026-13", "2026/05", ""):
        with pytest.raises(ValidationFailed) as caught:
            screening_run(actor=county_admin, county=places["county"], period=period)
        assert caught.value.code == "period_format"
    with pytest.raises(ValidationFailed) as caught:
        screening_run(actor=county_admin, county=places["county"], period=MONTH, engine="spark")
    assert caught.value.code == "engine_unknown"
    assert not ScreeningRun.objects.exists()


def test_screening_needs_permission_and_area(thresholds, places, village_cadre):
    with pytest.raises(MissingPermission):
        screening_run(actor=village_cadre, county=places["county"], period=MONTH)
    from fangpin.regions.models import Level, Place

    other = Place.objects.create(code="510102000000", name="邻县", level=Level.COUNTY)
    officer = make_user(Role.COUNTY_OFFICER, other, "other_county")
    with pytest.raises(PermissionDenied):
        screening_run(actor=officer, county=places["county"], period=MONTH)


def test_only_the_county_is_screened(thresholds, places, county_admin):
    from fangpin.regions.models import Level, Place

    other = Place.objects.create(code="510102000000", name="邻县", level=Level.COUNTY)
    township = Place.objects.create(code="510102001000", name="邻镇", level=Level.TOWNSHIP, parent=other)
    village = Place.objects.create(code="510102001001", name="邻村", level=Level.VILLAGE, parent=township)
    below_line(village)
    ours = below_line(places["t1v1"])
    run = screening_run(actor=None, county=places["county"], period=MONTH)
    assert set(Lead.objects.values_list("household_id", flat=True)) == {ours.pk}
    assert run.started_by is None and Lead.objects.filter(raised_by__isnull=True).count() == 2
    assert HouseholdTier.objects.count() == 1
