"""Cadre sweeps (八必访): checklist groups from the registry, idempotent regeneration, ticking."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fangpin.core.errors import PermissionDenied, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.monitoring.choices import Channel
from fangpin.monitoring.models import SweepChecklist, SweepGroup, SweepItem, Visit
from fangpin.monitoring.visits.services import sweep_checklist_generate
from fangpin.registry import services as registry
from fangpin.registry.choices import Relation

from ...factories import make_household

PERIOD = timezone.localdate().strftime("%Y-%m")
LAST_YEAR = timezone.localdate().year - 1


def member(household, relation=Relation.HEAD):
    return household.members.filter(relation=relation).first()


@pytest.fixture
def village(county_admin, places):
    """One household per group, a household in no group, and one in another village."""
    admin, v = county_admin, places["t1v1"]
    made = {}

    def add(name, **fields):
        made[name] = make_household(admin, v, members=2, **fields)
        return made[name]

    made["elsewhere"] = make_household(admin, places["t1v2"], members=1)
    for year in range(LAST_YEAR - 5, LAST_YEAR + 1):  # income ids unlike household ids: a wrong join shows
        registry.income_set(actor=admin, household=made["elsewhere"], year=year, wage_income="1000")
    plain = add("plain")
    registry.member_update(actor=admin, member=member(plain, Relation.SPOUSE), labour_capacity="ordinary")
    for name in ("falling", "illness", "dibao", "disabled", "school", "work", "disaster", "no_labour"):
        household = add(name)
        if name != "no_labour":
            registry.member_update(actor=admin, member=member(household, Relation.SPOUSE), labour_capacity="ordinary")
    registry.income_set(actor=admin, household=made["falling"], year=LAST_YEAR - 1, wage_income="30000")
    registry.income_set(actor=admin, household=made["falling"], year=LAST_YEAR, wage_income="30000",
                        medical_spending="9000")  # 30% less after rigid spending: exactly the line
    registry.income_set(actor=admin, household=made["plain"], year=LAST_YEAR - 1, wage_income="30000")
    registry.income_set(actor=admin, household=made["plain"], year=LAST_YEAR, wage_income="21001")  # a fall short of 30%
    registry.member_update(actor=admin, member=member(made["illness"]), health="chronic")
    registry.member_update(actor=admin, member=member(made["dibao"], Relation.SPOUSE), dibao=True)
    registry.member_update(actor=admin, member=member(made["disabled"]), health="disabled", disability_grade="3")
    school = made["school"]
    registry.member_update(actor=admin, member=member(school, Relation.SPOUSE), schooling="hi_vocational")
    from ...factories import id_number

    registry.member_add(actor=admin, household=school, name="学生二", id_number=id_number(), relation=Relation.SON,
                        schooling="senior")
    registry.member_update(actor=admin, member=member(made["work"]), work_place="out_of_province", work_months=4)
    registry.income_set(actor=admin, household=made["work"], year=LAST_YEAR, wage_income="20000",
                        operating_income="5000")
    registry.income_set(actor=admin, household=made["disaster"], year=LAST_YEAR, wage_income="30000",
                        disaster_loss="1")
    registry.member_update(actor=admin, member=member(made["no_labour"]), labour_capacity="weak")
    registry.member_update(actor=admin, member=member(made["elsewhere"]), health="serious")
    return made


def test_checklist_holds_each_group_from_the_registry(village_cadre, places, village):
    checklist = sweep_checklist_generate(actor=village_cadre, village=places["t1v1"], period=PERIOD)
    groups = {item.household_id: item.groups for item in checklist.items.all()}
    expected = {
        "falling": SweepGroup.FALLING_INCOME, "illness": SweepGroup.SERIOUS_ILLNESS, "dibao": SweepGroup.TEKUN_DIBAO,
        "disabled": SweepGroup.DISABLED, "school": SweepGroup.SCHOOL_COSTS, "work": SweepGroup.UNSTABLE_WORK,
        "disaster": SweepGroup.DISASTER, "no_labour": SweepGroup.NO_LABOUR,
    }
    for name, group in expected.items():
        assert groups[village[name].pk] == [group], name
    assert village["plain"].pk not in groups and village["elsewhere"].pk not in groups
    assert checklist.items.filter(status=SweepItem.Status.PENDING).count() == 8
    assert ChangeLog.objects.filter(object_type="monitoring.sweepitem").count() == 8


def test_regenerating_keeps_swept_items_and_adds_new_households(county_admin, village_cadre, places, village):
    first = sweep_checklist_generate(actor=village_cadre, village=places["t1v1"], period=PERIOD)
    item = first.items.get(household=village["illness"])
    from fangpin.monitoring.visits.services import visit_record

    visit_record(actor=village_cadre, household=village["illness"], visited_on=timezone.localdate(), changes={},
                 sweep_item=item)
    registry.member_update(actor=county_admin, member=member(village["plain"]), health="serious")
    again = sweep_checklist_generate(actor=village_cadre, village=places["t1v1"], period=PERIOD)
    assert again.pk == first.pk and SweepChecklist.objects.count() == 1
    assert again.items.count() == 9
    item.refresh_from_db()
    assert item.status == SweepItem.Status.NO_RISK and item.visit.kind == Visit.Kind.CADRE_SWEEP
    assert sweep_checklist_generate(actor=village_cadre, village=places["t1v1"], period=PERIOD).items.count() == 9


def test_generation_is_for_a_village_in_the_area_and_a_real_month(village_cadre, places):
    with pytest.raises(PermissionDenied):
        sweep_checklist_generate(actor=village_cadre, village=places["t2v1"], period=PERIOD)
    with pytest.raises(ValidationFailed):
        sweep_checklist_generate(actor=village_cadre, village=places["t1v1g1"], period=PERIOD)
    for period in ("2026-13", "26-01", ""):
        with pytest.raises(ValidationFailed):
            sweep_checklist_generate(actor=village_cadre, village=places["t1v1"], period=period)
    next_month = (timezone.localdate().replace(day=28) + datetime.timedelta(days=5)).strftime("%Y-%m")
    with pytest.raises(ValidationFailed):
        sweep_checklist_generate(actor=village_cadre, village=places["t1v1"], period=next_month)


def test_ticking_no_risk_and_risk_found(client, village_cadre, places, village):
    checklist = sweep_checklist_generate(actor=village_cadre, village=places["t1v1"], period=PERIOD)
    client.force_login(village_cadre)
    page = client.get(reverse("sweep-detail", args=[checklist.pk])).content.decode()
    assert "大病重病和长期慢性病户" in page and "无风险" in page

    quiet = checklist.items.get(household=village["dibao"])
    response = client.post(reverse("sweep-item-no-risk", args=[quiet.pk]))
    assert response.status_code == 302
    quiet.refresh_from_db()
    assert quiet.status == SweepItem.Status.NO_RISK and quiet.visit.changes == {}

    risky = checklist.items.get(household=village["disaster"])
    form = client.get(reverse("visit-new", args=[village["disaster"].pk]) + f"?sweep_item={risky.pk}&risk=1")
    assert form.status_code == 200 and f'value="{risky.pk}"' in form.content.decode()
    response = client.post(reverse("visit-new", args=[village["disaster"].pk]), {
        "visited_on": timezone.localdate().isoformat(), "sweep_item": risky.pk, "risk_found": "on",
        "risk_types": ["disaster"], "disaster_subtype": "flood", "note": "山洪冲毁圈舍", "visit_key": "sweep-1"})
    assert response.status_code == 302
    risky.refresh_from_db()
    assert risky.status == SweepItem.Status.LEAD_RAISED
    assert risky.visit.lead.channel == Channel.CADRE_SWEEP and risky.visit.lead.disaster_subtype == "flood"

    again = client.post(reverse("sweep-item-no-risk", args=[risky.pk]), follow=True)
    assert "本月已排查" in again.content.decode()


def test_sweep_progress_for_the_township(client, village_cadre, township_officer, places, village):
    checklist = sweep_checklist_generate(actor=village_cadre, village=places["t1v1"], period=PERIOD)
    from fangpin.monitoring.visits.services import visit_record

    item = checklist.items.first()
    visit_record(actor=village_cadre, household=item.household, visited_on=timezone.localdate(), changes={},
                 sweep_item=item, risk_types=["illness"])
    client.force_login(township_officer)
    page = client.get(reverse("sweep-list")).content.decode()
    assert "已排查 1 / 8 户 · 发现风险 1 户" in page
    assert "第1镇2村" in page and "本月清单尚未生成" in page
    assert "第2镇1村" not in page


def test_generating_from_the_page(client, village_cadre, places, village):
    client.force_login(village_cadre)
    response = client.post(reverse("sweep-list"), {"village": places["t1v1"].pk, "period": PERIOD})
    checklist = SweepChecklist.objects.get()
    assert response.url == reverse("sweep-detail", args=[checklist.pk])
    other = client.post(reverse("sweep-list"), {"village": places["t2v1"].pk, "period": PERIOD})
    assert other.status_code == 404
