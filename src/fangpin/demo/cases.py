"""Cases for the demo county: the home village's procedure in every state, so that the inbox, the
stepper, the notice, the working-day clock and the monitored list have something to show.

Each case is walked through the real services by the demo logins (a different person per stage; the
village cadre who opens a case decides only its village stages, never the township or county ones,
and the helper's household verification is confirmed by the grid worker on their own account);
cases that ended months ago are walked on their own dates and their records backdated to those days,
so the timeline reads as it happened."""

import dataclasses
import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from fangpin.assistance.recommend import recommend_measures
from fangpin.assistance.selectors import household_has_labour
from fangpin.assistance.services import catalogue_ensure_default, measure_add
from fangpin.cases import notices, services
from fangpin.cases.choices import AttachmentKind, CaseKind, Decision
from fangpin.cases.eligibility import check_elimination, last_completed_quarters
from fangpin.cases.models import Case
from fangpin.cases.procedure import DEFAULT_NOTICE_DAYS, DEFAULT_STAGES, DEFAULT_TOTAL_DAYS
from fangpin.cases.services import StageInput
from fangpin.core.models import User
from fangpin.monitoring.choices import LeadStatus
from fangpin.monitoring.models import Lead
from fangpin.monitoring.services import lead_accept
from fangpin.regions.models import Place
from fangpin.registry.choices import HouseholdStatus
from fangpin.registry.models import Household
from fangpin.registry.services import income_set, member_update

OBJECTION_PHONE = "0943-6123123"

# (what to show, days ago the case opened, where it stops)
PLAN = [
    ("8个月前已认定", 250, "confirmed"),
    ("8个月前已认定", 240, "confirmed"),
    ("近期已认定", 40, "confirmed"),
    ("未通过", 30, "rejected"),
    ("乡镇审核中", 12, "township_review"),
    ("公示中", 6, "public_notice"),
    ("公示中", 5, "public_notice"),
    ("村民主评议中", 3, "village_review"),
    ("入户核实超期，待参与人确认", 9, "awaiting_confirmation"),
    ("刚发起", 0, "verification"),
]


@dataclasses.dataclass
class DemoCases:
    cases: list[Case]
    by_outcome: dict[str, int]
    measures: int = 0
    ready_to_eliminate: int = 0


def _people(county: Place) -> dict[str, User]:
    return {u.username: u for u in User.objects.filter(place__code__startswith=county.scope_prefix, username__in=[
        "admin", "officer", "township", "cadre", "helper", "grid"])}


def _at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def _signed_form(household: Household) -> SimpleUploadedFile:
    text = f"承诺授权书（演示）\n户编号：{household.number}\n本户承诺所报信息真实，同意查询核对家庭经济状况。\n"
    return SimpleUploadedFile("承诺授权书.txt", text.encode("utf-8"), content_type="text/plain")


def _walk(case: Case, stop: str, people: dict[str, User], day: datetime.date) -> Case:
    """Advance a case through the default stages until `stop` (a stage code, "confirmed" or "rejected")."""
    deciders = {"verification": people["helper"], "data_comparison": people["officer"],
                "village_review": people["cadre"], "township_review": people["township"],
                "county_confirmation": people["admin"]}
    while case.is_open and case.stage["code"] != stop:
        stage = case.stage
        if stop == "rejected" and stage["code"] == "data_comparison":
            services.case_decide(actor=people["officer"], case=case, expected_version=case.version, today=day,
                                 decision=StageInput(decision=Decision.REJECT,
                                                     reason="比对医保数据：住院费用已报销90%，自付低于预警线"))
        elif stage["kind"] == "notice":
            notice = notices.notice_publish(actor=people["cadre"], cases=[case], today=day)
            if stop == "public_notice":
                break
            day = notice.ends_on + datetime.timedelta(days=1)
            notices.notice_conclude(case=case, today=day)
        elif stage["kind"] == "announcement":
            services.case_announce(actor=people["officer"], case=case, expected_version=case.version, today=day,
                                   text="经县级审定，纳入防止返贫监测对象")
        elif stage["code"] == "verification":
            case = services.case_decide(actor=people["helper"], case=case, expected_version=case.version, today=day,
                                        decision=StageInput(
                                            decision=Decision.APPROVE, reason="入户核实，情况属实",
                                            participants=[people["grid"]],
                                            details={"commitment_signed": True, "data_authorised": True},
                                            attachments=[(AttachmentKind.COMMITMENT,
                                                          _signed_form(case.household))]))
            if stop == "awaiting_confirmation":
                break
            for confirmation in services.pending_confirmations(case):
                services.participation_confirm(actor=confirmation.person, confirmation=confirmation,
                                               expected_version=case.version, today=day)
        else:
            services.case_decide(actor=deciders[stage["code"]], case=case, expected_version=case.version, today=day,
                                 decision=StageInput(decision=Decision.APPROVE, reason="同意"))
        case.refresh_from_db()
        day = min(day + datetime.timedelta(days=1), timezone.localdate())
    return case


def _backdate(case: Case, opened_on: datetime.date) -> None:
    Case.objects.filter(pk=case.pk).update(opened_at=_at(opened_on))
    # A decision moves the case on the day it is made: each record was decided the day the next began.
    records = list(case.records.order_by("pk"))
    today = timezone.localdate()
    for record, following in zip(records, records[1:] + [None]):
        if following is not None:
            decided_on = following.started_on
        elif case.is_open:
            decided_on = case.stage_started_on
        else:
            decided_on = min(record.started_on + datetime.timedelta(days=1), today)
        record.__class__.objects.filter(pk=record.pk).update(decided_at=_at(decided_on))
    for confirmation in case.confirmations.select_related("record"):
        decided_at = confirmation.record.__class__.objects.get(pk=confirmation.record_id).decided_at
        confirmation.__class__.objects.filter(pk=confirmation.pk).update(
            requested_at=decided_at, answered_at=decided_at if confirmation.answered_at else None)
    for notice in case.notices.all():
        notice.__class__.objects.filter(pk=notice.pk).update(published_at=_at(notice.starts_on))
    if case.closed_at and records:
        Case.objects.filter(pk=case.pk).update(closed_at=case.records.order_by("-pk").first().decided_at)


@transaction.atomic
def simulate_cases(county: Place, today: datetime.date | None = None) -> DemoCases:
    today = today or timezone.localdate()
    people = _people(county)
    for kind in CaseKind.values:
        services.procedure_adopt(actor=people["admin"], county=county, kind=kind, stages=DEFAULT_STAGES[kind],
                                 total_limit_days=DEFAULT_TOTAL_DAYS[kind], notice_days=DEFAULT_NOTICE_DAYS[kind],
                                 objection_phone=OBJECTION_PHONE, effective_from=datetime.date(2020, 1, 1),
                                 note="演示县办理流程（默认环节和时限）")
    village = people["cadre"].place
    leads = list(Lead.objects.filter(place__code__startswith=village.code, status=LeadStatus.NEW,
                                     household__status=HouseholdStatus.ACTIVE)
                 .exclude(household__cases__isnull=False).order_by("pk"))
    chosen, seen = [], set()
    for lead in leads:
        if lead.household_id not in seen:
            seen.add(lead.household_id)
            chosen.append(lead)
    cases, outcomes = [], {}
    for (label, days_ago, stop), lead in zip(PLAN, chosen):
        opened_on = today - datetime.timedelta(days=days_ago)
        lead = lead_accept(actor=people["township"], lead=lead)
        category = "unstable_exited" if lead.household.household_type == "exited" else (
            "sudden_hardship" if set(lead.risk_types) & {"illness", "disaster", "accident"} else "marginal")
        case = services.case_open_identification(
            actor=people["cadre"], household=lead.household, lead=lead, category=category,
            risk_types=lead.risk_types[:5], disaster_subtype=lead.disaster_subtype,
            summary=lead.summary[:500], today=opened_on)
        case = _walk(case, stop, people, opened_on)
        _backdate(case, opened_on)
        cases.append(case)
        outcomes[label] = outcomes.get(label, 0) + 1
    result = DemoCases(cases=cases, by_outcome=outcomes)
    _plan_measures(county, people, [c for c in cases if c.status == "confirmed"], result, today)
    return result


def _plan_measures(county: Place, people: dict[str, User], confirmed: list[Case], result: DemoCases,
                   today: datetime.date) -> None:
    """The county's default catalogue; for each confirmed household the recommended measures, started a
    week after confirmation. One household confirmed over 200 days ago is then ready for risk elimination:
    everyone insured and two quarters of wages above the line on file (work found again). A household
    without labour is never eliminated, so the candidate is the earliest confirmed one with labour."""
    catalogue_ensure_default(county, actor=people["admin"])
    for case in confirmed:
        monitoring = case.monitoring_opened
        starts_on = min(monitoring.identified_on + datetime.timedelta(days=7), today)
        for recommendation in recommend_measures(case.household, on=today)[:2]:
            measure_add(actor=people["cadre"], household=case.household, catalogue_item=recommendation.item,
                        responsible_unit="县乡村振兴局" if recommendation.item.category != "employment" else "县人社局",
                        responsible_person=people["helper"].first_name, starts_on=starts_on,
                        risk_types=[recommendation.risk_type] if recommendation.risk_type else [],
                        status="in_progress")
            result.measures += 1
    candidates = [c for c in sorted(confirmed, key=lambda c: c.monitoring_opened.identified_on)
                  if (today - c.monitoring_opened.identified_on).days >= 200
                  and household_has_labour(c.household, today)]
    if not candidates:
        return
    household = candidates[0].household
    for member in household.members.filter(ended_on__isnull=True, medical_insurance__in=["", "none"]):
        member_update(actor=people["cadre"], member=member, medical_insurance="resident",
                      reason="演示：补办城乡居民医保")
    size = household.members.filter(ended_on__isnull=True).count()
    for year, quarter in last_completed_quarters(today):
        income_set(actor=people["cadre"], household=household, year=year, quarter=quarter,
                   wage_income=str(3000 * size), reason="演示：务工收入恢复")
    result.ready_to_eliminate = int(check_elimination(household, today=today).passed)
