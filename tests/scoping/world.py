"""The world the scoping walk walks: two counties, marked rows of every area-scoped model in every
village, and the people who walk it.

Every datum carries a marker no other datum contains (household number, names, ID number, phone,
address, change reason, register names...). A marker belongs to the place of its row. Rows that serve
the places under them (a county's standard, catalogue or holiday, a township's training course, a
village workshop) may be seen from below; everything else only inside its own area.
"""

import datetime
import functools
import itertools
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from fangpin.assistance import services as registers
from fangpin.assistance.services import measure_add, measure_add_evidence
from fangpin.cases import notices as case_notices, services as case_services
from fangpin.cases.models import Attachment, Case, Confirmation, StageRecord
from fangpin.cases.procedure import DEFAULT_NOTICE_DAYS, DEFAULT_STAGES, DEFAULT_TOTAL_DAYS
from fangpin.core.masking import mask_id_number, mask_phone
from fangpin.core.models import AccessLog, Job
from fangpin.core.roles import Role
from fangpin.core.tabular import cell_error
from fangpin.monitoring.models import HouseholdTier, Monitoring, MonthlyList, MonthlyListLine, ScreeningRun, Visit
from fangpin.core.policy import policy_adopt, policy_models
from fangpin.monitoring.services import lead_accept, lead_raise, thresholds_adopt
from fangpin.monitoring.visits.services import sweep_checklist_generate, visit_policy_adopt
from fangpin.registry import services
from fangpin.registry.choices import Relation, Sex
from fangpin.registry.idnumber import compose_id_number
from fangpin.registry.ledger.models import LedgerImport
from fangpin.registry.models import Household

from ..factories import make_places, make_second_county, make_user

# The villages with households, and the letter each one's markers carry.
VILLAGES = ("t1v1", "t1v2", "t2v1", "t2v2", "c2t1v1")
VILLAGE_MARK = dict(zip(VILLAGES, "甲乙丙丁戊"))
TOWNSHIPS = {"t1": "镇子", "t2": "镇丑", "c2t1": "镇寅"}
COUNTIES = {"county": "县甲", "c2": "县乙"}
HOUSEHOLD_MARK = "一二"
MEMBER_MARK = "子丑寅"
# The smallest valid JPEG header libmagic reads as image/jpeg.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"


def county_key(place_key: str) -> str:
    return "c2" if place_key.startswith("c2") else "county"


@dataclass
class World:
    places: dict
    admins: dict                                          # county key -> its county admin
    marks: dict = field(default_factory=dict)             # place code -> markers seen only inside that area
    serving_marks: dict = field(default_factory=dict)     # place code -> markers the places below may see too

    def mark(self, place, *texts, serving=False) -> None:
        target = self.serving_marks if serving else self.marks
        target.setdefault(place.code, set()).update(t for t in texts if t)

    def foreign_markers(self, user) -> set[str]:
        """Markers of rows the user may not see: outside their area, and for rows that serve the places
        below them, neither in their area nor at a place above them."""
        prefix = user.area_prefix
        above = {place.code for place in user.place.ancestors()}
        texts = set()
        for code, marked in self.marks.items():
            if not code.startswith(prefix):
                texts |= marked
        for code, marked in self.serving_marks.items():
            if not code.startswith(prefix) and code not in above:
                texts |= marked
        return texts

    def own_markers(self, user) -> set[str]:
        return {t for code, marked in self.marks.items() if code.startswith(user.area_prefix) for t in marked}


def build_world() -> World:
    places = make_second_county(make_places())
    world = World(places, {key: make_user(Role.COUNTY_ADMIN, places[key], f"walk_admin_{key}") for key in COUNTIES})
    sequence = itertools.count(1)
    for key, tag in COUNTIES.items():
        _county_rows(world, places[key], world.admins[key], tag)
    for key, tag in TOWNSHIPS.items():
        township = places[key]
        admin = world.admins[county_key(key)]
        course = registers.training_course_add(
            actor=admin, place=township, name=f"{tag}培训班", organiser=f"{tag}主办单位",
            held_from=datetime.date(2026, 3, 1), held_to=datetime.date(2026, 3, 5), skill=f"{tag}工种")
        world.mark(township, course.name, course.organiser, course.skill, serving=True)
        _export_job(world, township, admin, tag)
    for vi, key in enumerate(VILLAGES, start=1):
        _village_rows(world, vi, key, sequence)
    for key, tag in TOWNSHIPS.items():
        _monthly_list(world, places[key], tag)
    assert AccessLog.objects.count() == len(VILLAGES)
    return world


def _county_rows(world: World, county, admin, tag: str) -> None:
    """The county's configuration: standard, visit policy, procedure, holiday, catalogue, a screening
    run and a ledger import with an error."""

    thresholds = thresholds_adopt(actor=admin, county=county, effective_from=datetime.date(2024, 1, 1), year=2024,
                                  line_method="fixed", line_parameters={"amount": "7100"}, note=f"{tag}标准说明")
    visit_policy_adopt(actor=admin, county=county, effective_from=datetime.date(2024, 1, 1),
                       warning_interval_days=7, key_interval_days=30, general_interval_days=90)
    procedure = case_services.procedure_adopt(
        actor=admin, county=county, kind="elimination", stages=DEFAULT_STAGES["elimination"],
        total_limit_days=DEFAULT_TOTAL_DAYS["elimination"], notice_days=DEFAULT_NOTICE_DAYS["elimination"],
        objection_phone="0816-7", note=f"{tag}流程说明", effective_from=datetime.date(2024, 1, 1))
    policy_notes = []
    for model in policy_models():
        if model.starts_from_defaults:
            defaults = model()
            policy = policy_adopt(model, actor=admin, county=county, effective_from=datetime.date(2024, 1, 1),
                                  note=f"{tag}{model.policy_title}说明",
                                  **{name: getattr(defaults, name) for name in model.policy_fields})
            policy_notes.append(policy.note)
    holiday = case_services.holiday_set(actor=admin, county=county, date=datetime.date(2031, 10, 8),
                                        is_workday=False, name=f"{tag}假日")
    item = registers.catalogue_item_add(actor=admin, county=county, category="employment",
                                           name=f"{tag}目录措施", description=f"{tag}政策说明")
    ScreeningRun.objects.create(county=county, period="2026-01", engine="db", thresholds=thresholds,
                                started_by=admin, finished_at=timezone.now(),
                                counts={"medical_spending_high": {"version": 1, "new": 1, "merged": 0, "total": 1}})
    source = Path(tempfile.mkdtemp(prefix="walk-ledger-")) / "ledger.csv"
    source.write_text("户编号\n", encoding="utf-8")
    LedgerImport.objects.create(
        file_path=str(source), original_name=f"{tag}台账.csv", uploaded_by=admin, area_code=county.code,
        status=LedgerImport.Status.INVALID, rows=1,
        errors=[cell_error(2, "户编号", f"{tag}错误户编号", f"{tag}错误说明", "household_number_format")])
    world.mark(county, thresholds.note, procedure.note, *policy_notes, holiday.name, item.name, item.description,
               f"{tag}台账", f"{tag}错误户编号", f"{tag}错误说明", serving=True)
    for kind, status, words in ((Job.Kind.SCREENING, Job.Status.DONE, {"summary": f"{tag}筛查任务结果"}),
                                (Job.Kind.LEDGER_MERGE, Job.Status.FAILED, {"error": f"{tag}导入任务失败原因"})):
        Job.objects.create(kind=kind, status=status, area_code=county.code, created_by=admin, **words)
        world.mark(county, *words.values())
    _export_job(world, county, admin, tag)


def _export_job(world: World, place, admin, tag: str) -> None:
    """A finished export job of the place, with the file it wrote (only its author may download it)."""
    export = Path(tempfile.mkdtemp(prefix="walk-job-")) / "export.csv"
    export.write_text(f"{tag}导出内容\n", encoding="utf-8")
    Job.objects.create(kind=Job.Kind.LEDGER_EXPORT, status=Job.Status.DONE, progress=100, area_code=place.code,
                       created_by=admin, summary=f"{tag}导出结果", file_path=str(export), file_name=f"{tag}导出.csv",
                       finished_at=timezone.now())
    world.mark(place, f"{tag}导出结果", f"{tag}导出.csv", f"{tag}导出内容")


def _village_rows(world: World, vi: int, key: str, sequence) -> None:
    """Two households (one in the village, one in its group) with three members each, flags that every
    household filter can select, incomes, edits and an unmasking; each with its procedure rows and
    register rows; the village's workshop, course, project and sweep checklist."""

    places = world.places
    village = places[key]
    admin = world.admins[county_key(key)]
    letter = VILLAGE_MARK[key]
    grid = make_user(Role.GRID_WORKER, village, f"walk_grid_{key}")
    workshop = registers.workshop_add(actor=admin, place=village, name=f"{letter}村车间",
                                      operator=f"{letter}村经营主体", opened_on=datetime.date(2025, 1, 1),
                                      address=f"{letter}村车间地址")
    course = registers.training_course_add(actor=admin, place=village, name=f"{letter}村培训班",
                                           organiser=f"{letter}村主办单位", held_from=datetime.date(2026, 4, 1),
                                           held_to=datetime.date(2026, 4, 3), skill=f"{letter}村工种")
    project = registers.industry_project_add(actor=admin, place=village, name=f"{letter}村项目", category="planting",
                                             support_per_household=Decimal("3000"), capacity=5,
                                             description=f"{letter}村项目说明")
    world.mark(village, workshop.name, workshop.operator, workshop.address, course.name, course.organiser,
               course.skill, project.name, project.description, serving=True)
    for hi, place in enumerate((village, places[f"{key}g1"]), start=1):
        tag = f"{letter}{HOUSEHOLD_MARK[hi - 1]}"
        person = functools.partial(_person, vi, hi, tag, sequence)
        head = person(0, Relation.HEAD, Sex.MALE, health="serious" if hi == 1 else "healthy", dibao=hi == 1)
        others = [person(1, Relation.SPOUSE, Sex.FEMALE, tekun=hi == 2,
                         health="disabled" if hi == 2 else "chronic", disability_grade="2" if hi == 2 else ""),
                  person(2, Relation.SON, Sex.MALE)]
        household = services.household_create(
            actor=admin, place=place, number=f"73{vi}{hi}0{vi}{hi}5", head=head, members=others,
            address=f"{letter}村{HOUSEHOLD_MARK[hi - 1]}巷{vi}{hi}号",
            phone=f"1{vi + 4}{hi}5550{vi}{hi}{vi}{hi}",
            household_type="exited" if hi == 1 else "ordinary", exit_year=2018 if hi == 1 else None,
            house_grade="D" if hi == 1 else "A", relocated=hi == 1, water_quantity_ok=hi != 1,
        )
        services.income_set(actor=admin, household=household, year=2024, wage_income="21000",
                            medical_spending="9000")
        services.income_set(actor=admin, household=household, year=2025, quarter=1, wage_income="4000")
        reason = f"{letter}村核改{hi}"
        household = services.household_update(actor=admin, household=household, industries="养牛", reason=reason)
        services.member_end(actor=admin, member=household.members.get(relation=Relation.SON), reason="moved_out")
        texts = {household.number, household.address, household.phone, mask_phone(household.phone), reason}
        for member in household.members.all():
            texts |= {member.name, member.id_number, mask_id_number(member.id_number)}
        texts |= procedure_rows(admin, household, tag, grid)
        texts |= _register_rows(admin, household, tag, workshop, course, project)
        world.mark(place, *texts)
    sweep_checklist_generate(actor=admin, village=village, period=timezone.localdate().strftime("%Y-%m"))
    cadre = make_user(Role.VILLAGE_CADRE, village, f"walk_cadre_{key}")
    unmasking = Client()
    unmasking.force_login(cadre)
    assert unmasking.get("/api/households/", {"unmask": "1", "unmask_reason": "核对"}).status_code == 200


def procedure_rows(admin, household, tag, grid=None) -> set[str]:
    """A lead, a visit, a tier and an identification case for the household: an exited household's case
    is on a public notice with an objection and attachments, another's is confirmed, with a
    verification record (awaiting the grid worker's confirmation when there is one), a measure and
    evidence. Returns the markers these rows carry."""

    lead = lead_raise(actor=admin, channel="helper_visit", risk_types=["illness"], household=household,
                      summary=f"{tag}线索").lead
    lead_accept(actor=admin, lead=lead)
    visit = Visit.objects.create(household=household, visitor=admin, visited_on=datetime.date(2026, 2, 1),
                                 card={"note": f"{tag}监测卡"}, note=f"{tag}走访备注")
    HouseholdTier.objects.create(household=household, risk_tier="key", reasons=[f"{tag}分级依据"],
                                 computed_at=timezone.now())
    case = case_services.case_open_identification(
        actor=admin, household=household, lead=lead, category="marginal", risk_types=["illness"],
        summary=f"{tag}案情")
    texts = {lead.summary, case.summary, case.number, visit.note}
    if household.household_type == "exited":
        Case.objects.filter(pk=case.pk).update(stage_index=3)   # at the notice stage
        case.refresh_from_db()
        notice = case_notices.notice_publish(actor=admin, cases=[case], objection_phone="0816-1")
        proof = SimpleUploadedFile(f"{tag}异议.jpg", JPEG, content_type="image/jpeg")
        objection = case_notices.objection_record(actor=admin, case=case, content=f"{tag}异议内容",
                                                   objector_name=f"{tag}异议人", attachments=[proof])
        texts |= {notice.number, objection.content, objection.objector_name, objection.attachments.get().name}
    else:
        Case.objects.filter(pk=case.pk).update(status="confirmed")
        today = timezone.localdate()
        record = StageRecord.objects.create(
            case=case, stage_index=0, stage_code="verification", stage_name="入户核实", stage_kind="decision",
            actor=admin, actor_role=admin.role, decision="approve", reason=f"{tag}核实理由",
            participants=[grid.pk] if grid else [], started_on=today, due_on=today)
        if grid is not None:
            Confirmation.objects.create(case=case, record=record, person=grid)
        photo = Attachment(case=case, record=record, kind="photo", name=f"{tag}核实照片.jpg", size=len(JPEG),
                           uploaded_by=admin)
        photo.file.save("photo.jpg", ContentFile(JPEG), save=True)
        Monitoring.objects.create(household=household, category="marginal", risk_types=["illness"],
                                  identified_on=datetime.date(2026, 1, 5), identification_case=case)
        measure = measure_add(actor=admin, household=household, responsible_unit=f"{tag}责任单位",
                              starts_on=datetime.date(2026, 1, 6), category="employment", name=f"{tag}帮扶措施",
                              status="in_progress")
        evidence = measure_add_evidence(actor=admin, measure=measure, name=f"{tag}佐证.jpg",
                                        file=SimpleUploadedFile("proof.jpg", JPEG, content_type="image/jpeg"))
        texts |= {record.reason, photo.name, measure.name, measure.responsible_unit, evidence.name}
    return texts


def _register_rows(admin, household, tag, workshop, course, project) -> set[str]:
    """A job in the village workshop, a welfare post, a course place, a loan with a repayment, a
    project choice and an enterprise pairing for the household's head. Returns their markers."""
    head = household.members.get(relation=Relation.HEAD)
    registers.workshop_employee_add(actor=admin, workshop=workshop, member=head, since=datetime.date(2025, 3, 1),
                                    monthly_wage=Decimal("2400"))
    post = registers.welfare_post_add(actor=admin, place=household.place, post_name=f"{tag}公益岗", holder=head,
                                      starts_on=datetime.date(2026, 1, 1), months=12, monthly_wage=Decimal("500"))
    participant = registers.training_participant_add(actor=admin, course=course, member=head,
                                                     skill_gained=f"{tag}技能")
    loan = registers.micro_credit_add(actor=admin, borrower=head, lender=f"{tag}农商行", amount=Decimal("30000"),
                                      term_months=24, issued_on=datetime.date(2025, 6, 1), rate=Decimal("3.45"))
    registers.repayment_add(actor=admin, loan=loan, paid_on=datetime.date(2026, 1, 2), amount=Decimal("1000"))
    registers.project_choose(actor=admin, project=project, household=household,
                             chosen_on=datetime.date(2026, 2, 2))
    pairing = registers.pairing_add(actor=admin, household=household, enterprise=f"{tag}结对企业",
                                    started_on=datetime.date(2026, 1, 1), content=f"{tag}帮扶内容",
                                    contact=f"{tag}联系人")
    return {post.post_name, participant.skill_gained, loan.lender, pairing.enterprise, pairing.content,
            pairing.contact}


def _monthly_list(world: World, township, tag: str) -> None:
    """The township's monthly list with a line for each of its households."""

    county = township.parent
    monthly = MonthlyList.objects.create(county=county, township=township, period="2026-02",
                                         due_on=datetime.date(2026, 2, 10))
    for rank, household in enumerate(Household.objects.in_area(township.scope_prefix).order_by("pk"), start=1):
        line = MonthlyListLine.objects.create(monthly_list=monthly, household=household, rank=rank,
                                              score=Decimal("50"), reasons=[f"{household.number}名单理由"],
                                              note=f"{tag}{rank}名单说明")
        world.mark(household.place, line.note, line.reasons[0])


def _person(vi, hi, tag, sequence, mi, relation, sex, **extra) -> dict:
    """A member whose name and ID number carry the village: ID area codes 510201-510205."""
    birth = datetime.date(1970 + vi, hi, 10 + mi)
    number = compose_id_number(f"5102{vi:02d}", birth, next(sequence), sex)
    return {"name": f"禤{tag}{MEMBER_MARK[mi]}", "id_number": number, "relation": relation, **extra}


# Who walks, and where each is bound: every role, the grid worker also bound to a group, and the
# county roles in county 1 with county 2 as the other area.
WALKERS = [
    (Role.VILLAGE_CADRE, "t1v1"),
    (Role.TOWNSHIP_OFFICER, "t1"),
    (Role.HELPER, "t1v2"),
    (Role.GRID_WORKER, "t2v1"),
    (Role.GRID_WORKER, "t1v1g1"),
    (Role.DEPARTMENT_CLERK, "county"),
    (Role.INSURER, "county"),
    (Role.AUDITOR, "county"),
    (Role.COUNTY_OFFICER, "c2"),
    (Role.COUNTY_ADMIN, "county"),
]
