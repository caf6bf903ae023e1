import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fangpin.core.errors import MissingPermission, PermissionDenied, ValidationFailed
from fangpin.core.models import ChangeLog, Job
from fangpin.monitoring import services as monitoring_services
from fangpin.monitoring.choices import Channel, LeadStatus, RiskTier, RiskType
from fangpin.monitoring.models import HouseholdTier, Lead, MonthlyList, MonthlyListLine
from fangpin.monitoring.standards import services

from ...factories import make_household

pytestmark = pytest.mark.django_db
PERIOD = "2026-03"
Status = MonthlyListLine.Status


def screening_lead(actor, household, rule_code, risks, period=PERIOD):
    return monitoring_services.lead_raise(actor=actor, channel=Channel.SCREENING, household=household,
                                          risk_types=risks, summary=f"{rule_code}触发", rule_code=rule_code,
                                          rule_version=1, period=period).lead


@pytest.fixture
def county(county_admin, places, standard):
    """Households of township 1 (numbers in rank order) and one of township 2, each with its reason."""
    t1v1, t1v2, t2v1 = places["t1v1"], places["t1v2"], places["t2v1"]
    made = {key: make_household(county_admin, place, number=number) for key, place, number in (
        ("below", t1v1, "00000006"), ("medical", t1v1, "00000002"), ("illness", t1v2, "00000003"),
        ("drop", t1v1, "00000004"), ("house", t1v2, "00000005"), ("tier", t1v1, "00000001"),
        ("quality", t1v1, "00000007"), ("old", t1v1, "00000008"), ("quiet", t1v1, "00000009"),
        ("far", t2v1, "00000010"))}
    screening_lead(county_admin, made["below"], "income_below_line", [RiskType.INCOME])
    screening_lead(county_admin, made["below"], "house_unsafe", [RiskType.HOUSING])
    screening_lead(county_admin, made["medical"], "medical_spending_high", [RiskType.ILLNESS])
    monitoring_services.lead_raise(actor=county_admin, channel=Channel.SELF_DECLARATION, household=made["illness"],
                                   risk_types=[RiskType.ILLNESS], summary="孩子住院花了很多钱")
    screening_lead(county_admin, made["drop"], "income_sharp_drop", [RiskType.INCOME])
    screening_lead(county_admin, made["house"], "house_unsafe", [RiskType.HOUSING])
    HouseholdTier.objects.create(household=made["tier"], risk_tier=RiskTier.WARNING, computed_at=timezone.now())
    HouseholdTier.objects.create(household=made["house"], risk_tier=RiskTier.KEY, computed_at=timezone.now())
    screening_lead(county_admin, made["quality"], "illness_without_medical_spending", [RiskType.OTHER])
    old = screening_lead(county_admin, made["old"], "income_watch_band", [RiskType.INCOME], period="2026-01")
    monitoring_services.lead_dismiss(actor=county_admin, lead=old, reason="核实无风险")
    screening_lead(county_admin, made["far"], "water_unsafe", [RiskType.WATER])
    places["county"].made = made
    return places["county"]


def lines_of(county, township):
    return list(MonthlyListLine.objects.filter(monthly_list__township=township, monthly_list__period=PERIOD)
                .select_related("household").order_by("rank"))


def test_ranking_by_reason_weight(county, county_admin, places):
    result = services.monthly_list_build(actor=county_admin, county=county, period=PERIOD)
    assert (result.created, result.lines) == (2, 7)
    lines = lines_of(county, places["t1"])
    assert [line.household.number for line in lines] == [
        "00000006",  # below the line (1000) + a guarantee (30)
        "00000002",  # rigid spending from screening (300); ties are broken by household number
        "00000003",  # rigid spending from a self-declared illness (300)
        "00000004",  # sharp drop (100)
        "00000005",  # a guarantee (30) + key tier (2)
        "00000001",  # warning tier only (10 + 5)
    ]
    assert [line.score for line in lines] == [Decimal(s) for s in ("1030", "300", "300", "100", "32", "15")]
    first = lines[0]
    assert [r["code"] for r in first.reasons] == ["income_below_line", "house_unsafe"]
    assert first.reasons[0]["text"].startswith("收入低于监测线") and "系统筛查" in first.reasons[0]["text"]
    assert first.leads.count() == 2
    assert lines[-1].reasons[0]["code"] == "tier_warning" and "预警（红）" in lines[-1].reasons[0]["text"]
    assert [line.household.number for line in lines_of(county, places["t2"])] == ["00000010"]


def test_building_again_gives_the_same_lists_and_a_sent_list_is_left_alone(county, county_admin, places):
    services.monthly_list_build(actor=county_admin, county=county, period=PERIOD)
    first = [(line.pk, line.rank, line.household_id) for line in lines_of(county, places["t1"])]
    again = services.monthly_list_build(actor=county_admin, county=county, period=PERIOD)
    assert (again.created, again.refreshed) == (0, 2)
    assert [(line.pk, line.rank, line.household_id) for line in lines_of(county, places["t1"])] == first
    assert MonthlyList.objects.count() == 2 and MonthlyListLine.objects.count() == 7
    sent = MonthlyList.objects.get(township=places["t1"])
    services.monthly_list_send(actor=county_admin, monthly_list=sent)
    screening_lead(county_admin, county.made["quiet"], "income_below_line", [RiskType.INCOME])
    third = services.monthly_list_build(actor=county_admin, county=county, period=PERIOD)
    assert (third.unchanged, third.refreshed) == (1, 1)
    assert len(lines_of(county, places["t1"])) == 6
    with pytest.raises(ValidationFailed) as caught:
        services.monthly_list_send(actor=county_admin, monthly_list=sent)
    assert caught.value.code == "list_sent"


def test_list_day_and_deadline_come_from_settings(settings):
    assert services.send_due_on("2026-03") == datetime.date(2026, 3, 8)
    assert services.act_deadline("2026-03") == datetime.date(2026, 3, 25)
    settings.FANGPIN_MONTHLY_LIST_DAY = 5
    settings.FANGPIN_MONTHLY_LIST_ACT_DAYS = 5
    assert services.send_due_on("2026-02") == datetime.date(2026, 2, 5)
    assert services.act_deadline("2026-02") == datetime.date(2026, 2, 15)
    with pytest.raises(ValidationFailed):
        services.send_due_on("2026-3")


@pytest.fixture
def sent(county, county_admin):
    services.monthly_list_build(actor=county_admin, county=county, period=PERIOD)
    for monthly_list in MonthlyList.objects.all():
        services.monthly_list_send(actor=county_admin, monthly_list=monthly_list)
    return county


def line_of(county, key):
    return MonthlyListLine.objects.get(household=county.made[key])


def test_township_actions(sent, township_officer):
    county = sent
    with pytest.raises(ValidationFailed) as caught:
        services.monthly_list_line_act(actor=township_officer, line=line_of(county, "drop"), status=Status.NO_RISK)
    assert caught.value.code == "note_missing"
    done = services.monthly_list_line_act(actor=township_officer, line=line_of(county, "drop"),
                                          status=Status.NO_RISK, note="外出务工已返岗")
    assert done.status == Status.NO_RISK and done.acted_by == township_officer
    assert ChangeLog.objects.filter(object_type="monitoring.monthlylistline", object_id=done.pk,
                                    household_id=county.made["drop"].pk).exists()

    declared = line_of(county, "illness")
    services.monthly_list_line_act(actor=township_officer, line=declared, status=Status.LEAD_ACCEPTED, note="属实")
    lead = declared.leads.get()
    assert lead.status == LeadStatus.ACCEPTED and lead.accepted_by == township_officer

    tier_only = line_of(county, "tier")
    assert not tier_only.leads.exists()
    services.monthly_list_line_act(actor=township_officer, line=tier_only, status=Status.LEAD_ACCEPTED,
                                   note="户主突发重病")
    raised = tier_only.leads.get()
    assert raised.channel == Channel.CADRE_SWEEP and raised.status == LeadStatus.ACCEPTED
    assert "户主突发重病" in raised.summary

    monitored = services.monthly_list_line_act(actor=township_officer, line=line_of(county, "house"),
                                               status=Status.ALREADY_MONITORED)
    assert monitored.status == Status.ALREADY_MONITORED
    with pytest.raises(ValidationFailed):
        services.monthly_list_line_act(actor=township_officer, line=line_of(county, "below"), status=Status.PENDING)


def test_township_cannot_act_on_another_township_or_an_unsent_list(county, county_admin, township_officer,
                                                                   village_cadre):
    services.monthly_list_build(actor=county_admin, county=county, period=PERIOD)
    with pytest.raises(ValidationFailed) as caught:
        services.monthly_list_line_act(actor=township_officer, line=line_of(county, "drop"),
                                       status=Status.ALREADY_MONITORED)
    assert caught.value.code == "list_not_sent"
    for monthly_list in MonthlyList.objects.all():
        services.monthly_list_send(actor=county_admin, monthly_list=monthly_list)
    with pytest.raises(PermissionDenied):
        services.monthly_list_line_act(actor=township_officer, line=line_of(county, "far"),
                                       status=Status.ALREADY_MONITORED)
    with pytest.raises(MissingPermission):
        services.monthly_list_line_act(actor=village_cadre, line=line_of(county, "drop"),
                                       status=Status.ALREADY_MONITORED)
    with pytest.raises(MissingPermission):
        services.monthly_list_build(actor=township_officer, county=county, period=PERIOD)


def test_an_unsent_list_past_its_send_day_is_late(county, county_admin):
    services.monthly_list_build(actor=county_admin, county=county, period=PERIOD)
    on_time = services.progress(MonthlyList.objects.all(), today=datetime.date(2026, 3, 8))
    late = services.progress(MonthlyList.objects.all(), today=datetime.date(2026, 3, 9))
    assert not any(p.send_late for p in on_time) and all(p.send_late and not p.overdue for p in late)


def test_county_progress_and_overdue(sent, township_officer):
    county = sent
    services.monthly_list_line_act(actor=township_officer, line=line_of(county, "drop"), status=Status.NO_RISK,
                                   note="已核实")
    rows = {p.monthly_list.township.name: p for p in services.progress(MonthlyList.objects.all(),
                                                                       today=datetime.date(2026, 3, 25))}
    assert (rows["第1镇"].done, rows["第1镇"].total, rows["第1镇"].overdue) == (1, 6, False)
    late = {p.monthly_list.township.name: p for p in services.progress(MonthlyList.objects.all(),
                                                                       today=datetime.date(2026, 3, 26))}
    assert late["第1镇"].overdue and late["第2镇"].overdue and late["第1镇"].pending == 5


def test_pages_for_county_and_townships(client, county, county_admin, township_officer, other_township_officer,
                                        village_cadre, run_jobs):
    client.force_login(county_admin)
    with run_jobs():
        response = client.post(reverse("monthly-lists"), {"period": PERIOD, "action": "build"})
    assert response.status_code == 302
    build = Job.objects.get()
    assert (build.kind, build.status, build.created_by) == (Job.Kind.MONTHLY_LIST_BUILD, Job.Status.DONE, county_admin)
    assert "已生成" in build.summary
    t1_list = MonthlyList.objects.get(township__name="第1镇")
    page = client.get(reverse("monthly-lists"), {"period": PERIOD}).content.decode()
    assert "第1镇" in page and "第2镇" in page and "未下发" in page

    client.force_login(township_officer)
    assert client.get(reverse("monthly-lists"), {"period": PERIOD}).context["rows"] == []
    assert client.get(reverse("monthly-list-detail", args=[t1_list.pk])).status_code == 404
    assert client.post(reverse("monthly-lists"), {"period": PERIOD, "action": "send"}).status_code == 403
    assert client.post(reverse("monthly-list-send", args=[t1_list.pk])).status_code == 403

    client.force_login(county_admin)
    with run_jobs():
        client.post(reverse("monthly-lists"), {"period": PERIOD, "action": "send"})
    assert not MonthlyList.objects.filter(sent_at__isnull=True).exists()
    assert Job.objects.get(kind=Job.Kind.MONTHLY_LIST_SEND).summary == f"已向2个乡镇下发{PERIOD}月度预警名单。"

    client.force_login(township_officer)
    rows = client.get(reverse("monthly-lists"), {"period": PERIOD}).context["rows"]
    assert [row.monthly_list.township.name for row in rows] == ["第1镇"]
    detail = client.get(reverse("monthly-list-detail", args=[t1_list.pk])).content.decode()
    assert "00000006" in detail and "income_below_line" in detail and "00000010" not in detail
    line = line_of(county, "drop")
    response = client.post(reverse("monthly-list-line-act", args=[line.pk]), {"status": "no_risk", "note": "已返岗"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.status == Status.NO_RISK
    refused = client.post(reverse("monthly-list-line-act", args=[line.pk]), {"status": "no_risk"}, follow=True)
    assert "核实无风险时请写明核实情况" in refused.content.decode()

    client.force_login(other_township_officer)
    assert client.get(reverse("monthly-list-detail", args=[t1_list.pk])).status_code == 404
    assert client.post(reverse("monthly-list-line-act", args=[line.pk]), {"status": "no_risk",
                                                                          "note": "x"}).status_code == 404
    client.force_login(village_cadre)
    assert client.get(reverse("monthly-lists")).status_code == 200
    assert client.get(reverse("monthly-list-detail", args=[t1_list.pk])).status_code == 404


def test_command_builds_and_sends(county, capsys):
    call_command("monthly_list", month=PERIOD, send=True)
    out = capsys.readouterr().out
    assert "新建2份" in out and "下发2份" in out
    assert not MonthlyList.objects.filter(sent_at__isnull=True).exists()
    assert MonthlyList.objects.filter(sent_by__isnull=True).count() == 2
    call_command("monthly_list", month=PERIOD)
    assert "已下发未改动2份" in capsys.readouterr().out
    assert Lead.objects.filter(channel=Channel.SCREENING).count() == 8


def test_one_reason_per_rule_with_the_newest_figures(county, county_admin):
    household = county.made["drop"]
    earlier = Lead.objects.get(household=household, rule_code="income_sharp_drop")
    Lead.objects.filter(pk=earlier.pk).update(period="2026-02", summary="上月数据")
    latest = screening_lead(county_admin, household, "income_sharp_drop", [RiskType.INCOME])
    assert latest.status == LeadStatus.MERGED
    services.monthly_list_build(actor=county_admin, county=county, period=PERIOD)
    line = MonthlyListLine.objects.get(household=household)
    assert [r["code"] for r in line.reasons] == ["income_sharp_drop"]
    assert "income_sharp_drop触发" in line.reasons[0]["text"] and line.leads.count() == 2
