"""Every write of assistance data: the catalogue, measures and their evidence, and the registers
(workshops, welfare posts, training, micro-credit, the project supermarket, enterprise pairing).

Each function takes `actor=`, checks the named permission and the area, validates everything
before writing (a refusal writes nothing), runs in one transaction and logs the change. The field
parsers and the start of every edit are in checks.py; what differs per register is here."""

import datetime
import os
import uuid

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangpin.assistance.errors import AssistanceErrorCode
from fangpin.core import uploads
from fangpin.core.areas import county_of
from fangpin.core.audit import log_change, snapshot
from fangpin.core.errors import CoreErrorCode, PermissionDenied, ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.periods import add_months
from fangpin.core.roles import Perm
from fangpin.core.scoping import ensure_in_area
from fangpin.regions.models import Level, Place
from fangpin.registry.choices import HouseholdStatus
from fangpin.registry.errors import RegistryErrorCode

from .checks import (
    flag,
    long_text,
    one_of,
    optional_date,
    optional_money,
    optional_text,
    parse_fields,
    place_in,
    placed_in_area,
    risk_list,
    whole_number,
    with_measure,
    with_limits,
    welfare_months_allowed,
    loan_within_limits,
    begin_update,
    check_not_before,
    check_version,
    create_logged,
    create_row,
    ensure_visible,
    lock_row,
    member_in_area,
    parse_choice,
    parse_date,
    parse_money,
    parse_text,
    recorded_by,
    refuse_unknown,
    save_update,
)
from .choices import TAKING_CAPACITY, ChoiceStatus, MeasureCategory, MeasureStatus
from .defaults import default_items
from .models import (
    EnterprisePairing,
    IndustryProject,
    Measure,
    MeasureCatalogueItem,
    MeasureEvidence,
    MicroCredit,
    ProjectCategory,
    ProjectChoice,
    Repayment,
    TrainingCourse,
    TrainingParticipant,
    WelfarePost,
    Workshop,
    WorkshopEmployee,
)
from .selectors import current_monitoring, green_channel_case

# A sanity bound on the months of one post; the county's limit is in its register limits.
WELFARE_POST_MONTHS_BOUND = 120


# ---------------------------------------------------------------- catalogue

CATALOGUE_PARSERS = {"category": one_of(MeasureCategory), "name": parse_text, "description": optional_text,
                     "standard_amount": optional_money, "unit": optional_text, "risk_types": risk_list,
                     "runs_after_elimination": flag, "active": flag}
CATALOGUE_FIELDS = set(CATALOGUE_PARSERS)


def _catalogue_values(county, values: dict, *, item: MeasureCatalogueItem | None = None) -> dict:
    data = parse_fields(MeasureCatalogueItem, values, CATALOGUE_PARSERS)
    if "name" in data:
        clash = MeasureCatalogueItem.objects.unrestricted().filter(county=county, name=data["name"])
        if item is not None:
            clash = clash.exclude(pk=item.pk)
        if clash.exists():
            raise ValidationFailed(AssistanceErrorCode.CATALOGUE_NAME_TAKEN, _("本县目录中已有“%(n)s”。") % {"n": data["name"]},
                                   field="name")
    return data


def catalogue_county_of(actor, *, required: bool = False) -> Place | None:
    """The county whose catalogue `actor` maintains: their own place when they work at county level
    and may manage the catalogue. None otherwise, or a refusal when `required`."""
    place = getattr(actor, "place", None)
    if place is not None and place.level == Level.COUNTY and actor.has_perm_named(Perm.MANAGE_CATALOGUE):
        return place
    if required:
        raise PermissionDenied(AssistanceErrorCode.CATALOGUE_COUNTY_ONLY, _("帮扶措施目录由县级维护。"))
    return None


def catalogue_offered(household):
    """The catalogue items a new measure for `household` may be made from: its county's active ones."""
    return MeasureCatalogueItem.objects.unrestricted().filter(county_id=household.county_id, active=True)


@transaction.atomic
def catalogue_ensure_default(county: Place, *, actor=None) -> list[MeasureCatalogueItem]:
    """Give the county the default catalogue: items it lacks are added, items it has (by code) are
    left as the county edited them. Returns the items added (none on a second call)."""
    if actor is not None:
        ensure_in_area(actor, county, Perm.MANAGE_CATALOGUE)
    if county.level != Level.COUNTY:
        raise ValidationFailed(CoreErrorCode.COUNTY_LEVEL, _("帮扶措施目录按县制定。"), field="county")
    have_codes = set(MeasureCatalogueItem.objects.unrestricted().filter(county=county).values_list("code", flat=True))
    have_names = set(MeasureCatalogueItem.objects.unrestricted().filter(county=county).values_list("name", flat=True))
    added = []
    for values in default_items():
        if values["code"] in have_codes or values["name"] in have_names:
            continue
        added.append(create_logged(MeasureCatalogueItem, actor=actor, reason=_("默认帮扶措施目录"), county=county,
                                   created_by=recorded_by(actor), **values))
    return added


@transaction.atomic
def catalogue_item_add(*, actor, county: Place, category: str, name: str, standard_amount=None, unit: str = "",
                       risk_types=(), runs_after_elimination: bool = False, description: str = "",
                       active: bool = True) -> MeasureCatalogueItem:
    ensure_in_area(actor, county, Perm.MANAGE_CATALOGUE)
    if county.level != Level.COUNTY:
        raise ValidationFailed(CoreErrorCode.COUNTY_LEVEL, _("帮扶措施目录按县制定。"), field="county")
    data = _catalogue_values(county, {
        "category": category, "name": name, "standard_amount": standard_amount, "unit": unit,
        "risk_types": risk_types, "runs_after_elimination": runs_after_elimination, "description": description,
        "active": active})
    return create_logged(MeasureCatalogueItem, actor=actor, county=county, created_by=recorded_by(actor), **data)


@transaction.atomic
def catalogue_item_update(*, actor, item: MeasureCatalogueItem, version=None, reason: str = "",
                          **fields) -> MeasureCatalogueItem:
    """Edit an item (a new version in the change log); `active=False` takes it out of use. Measures
    made from it keep the name and amount they were made with."""
    item = begin_update(item, fields, CATALOGUE_FIELDS, actor=actor, version=version, perm=Perm.MANAGE_CATALOGUE)
    data = _catalogue_values(item.county, fields, item=item)
    return save_update(item, data, actor=actor, reason=reason)


# ---------------------------------------------------------------- measures

MEASURE_PARSERS = {"category": one_of(MeasureCategory), "name": parse_text, "responsible_unit": parse_text,
                   "responsible_person": optional_text, "note": optional_text, "risk_types": risk_list,
                   "starts_on": parse_date, "ends_on": optional_date, "amount": optional_money,
                   "status": one_of(MeasureStatus), "runs_after_elimination": flag}
MEASURE_FIELDS = {"catalogue_item", *MEASURE_PARSERS}


def _measure_values(household, values: dict, *, measure: Measure | None = None) -> dict:
    data = {}
    if "catalogue_item" in values:
        item = values["catalogue_item"]
        if item is not None:
            if item.county_id != household.county_id:
                raise ValidationFailed(AssistanceErrorCode.CATALOGUE_OTHER_COUNTY, _("所选目录措施不属于该户所在县。"),
                                       field="catalogue_item")
            if not item.active and (measure is None or measure.catalogue_item_id != item.pk):
                raise ValidationFailed(AssistanceErrorCode.CATALOGUE_INACTIVE, _("目录措施“%(n)s”已停用。") % {"n": item.name},
                                       field="catalogue_item")
        data["catalogue_item"] = item
    data.update(parse_fields(Measure, values, MEASURE_PARSERS))
    return data


def _check_measure(measure: Measure, today: datetime.date) -> None:
    check_not_before(measure.ends_on, measure.starts_on, model=Measure, later_field="ends_on", earlier_field="starts_on")
    if measure.status in (MeasureStatus.IN_PROGRESS, MeasureStatus.DONE) and measure.starts_on > today:
        raise ValidationFailed(AssistanceErrorCode.MEASURE_NOT_STARTED, _("开始日期在今天之后的措施只能是“计划”状态。"), field="status")
    if measure.status == MeasureStatus.DONE and measure.ends_on is not None and measure.ends_on > today:
        raise ValidationFailed(AssistanceErrorCode.MEASURE_NOT_ENDED, _("结束日期在今天之后的措施不能标为“已完成”。"), field="status")


def measure_eligibility(household) -> tuple:
    """(monitoring, green-channel case): a plan may be made while either exists."""
    return current_monitoring(household), green_channel_case(household)


def may_plan_measures(actor, household, monitoring, case) -> bool:
    """Whether `actor` may add measures to the household's plan now: they manage measures, the
    household is active and it is monitored or on the green channel (what measure_add checks)."""
    return (actor.has_perm_named(Perm.MANAGE_MEASURES) and household.is_active
            and (monitoring is not None or case is not None))


def measure_defaults(item: MeasureCatalogueItem, wanted_risks) -> dict:
    """What a measure made from a catalogue item starts with: the item's category, name, amount and
    whether it runs on after elimination, and those of the household's risks the item answers."""
    return {"category": item.category, "name": item.name, "amount": item.standard_amount,
            "runs_after_elimination": item.runs_after_elimination,
            "risk_types": [r for r in (wanted_risks or []) if r in (item.risk_types or [])]}


@transaction.atomic
def measure_add(*, actor, household, responsible_unit: str, starts_on, catalogue_item=None, category: str = "",
                name: str = "", risk_types=None, responsible_person: str = "", ends_on=None, amount=None,
                status: str = MeasureStatus.PLANNED, runs_after_elimination: bool | None = None,
                note: str = "") -> Measure:
    """A measure for a monitored household (or one in an identification case on the green channel).
    Category, name, amount and whether it runs on after elimination default to the catalogue item's."""
    ensure_in_area(actor, household, Perm.MANAGE_MEASURES)
    if household.status not in (HouseholdStatus.ACTIVE, HouseholdStatus.PROVISIONAL):
        raise ValidationFailed(RegistryErrorCode.HOUSEHOLD_ENDED, _("该户已销户，不能制定帮扶措施。"))
    monitoring, case = measure_eligibility(household)
    if monitoring is None and case is None:
        raise ValidationFailed(AssistanceErrorCode.HOUSEHOLD_NOT_MONITORED, _(
            "该户不是监测对象，也没有启用绿色通道的识别认定案件，不能制定帮扶措施。请先完成识别认定，或在识别认定中启用绿色通道。"))
    item = catalogue_item
    if item is not None:
        defaults = measure_defaults(item, monitoring.risk_types if monitoring is not None else case.risk_types)
        category = category or defaults["category"]
        name = name or defaults["name"]
        if amount in (None, ""):
            amount = defaults["amount"]
        if runs_after_elimination is None:
            runs_after_elimination = defaults["runs_after_elimination"]
        if risk_types is None:
            risk_types = defaults["risk_types"]
    data = _measure_values(household, {
        "catalogue_item": item, "category": category, "name": name, "risk_types": risk_types or [],
        "responsible_unit": responsible_unit, "responsible_person": responsible_person, "starts_on": starts_on,
        "ends_on": ends_on, "amount": amount, "status": status,
        "runs_after_elimination": bool(runs_after_elimination), "note": note})
    if data["status"] == MeasureStatus.STOPPED:
        raise ValidationFailed(AssistanceErrorCode.MEASURE_STOPPED_NEW, _("新制定的措施不能是“已终止”状态。"), field="status")
    measure = Measure(household=household, monitoring=monitoring, created_by=recorded_by(actor), **data)
    _check_measure(measure, timezone.localdate())
    measure.save()
    log_change(measure, ChangeLog.Action.CREATE, actor=actor)
    return measure


@transaction.atomic
def measure_update(*, actor, measure: Measure, version=None, reason: str = "", **fields) -> Measure:
    """Change a measure. Stopping one needs a reason; a stopped measure is final."""
    refuse_unknown(fields, MEASURE_FIELDS)
    measure = Measure.objects.unrestricted().select_for_update().select_related("household__place").get(pk=measure.pk)
    ensure_in_area(actor, measure, Perm.MANAGE_MEASURES)
    check_version(measure, version)
    if measure.status == MeasureStatus.STOPPED:
        raise ValidationFailed(AssistanceErrorCode.MEASURE_STOPPED, _("措施“%(n)s”已终止，不能再修改。") % {"n": measure.name})
    data = _measure_values(measure.household, fields, measure=measure)
    if data.get("status") == MeasureStatus.STOPPED and not (reason or "").strip():
        raise ValidationFailed(CoreErrorCode.REASON_MISSING, _("终止措施必须说明原因。"), field="reason")
    before = snapshot(measure)
    for key, value in data.items():
        setattr(measure, key, value)
    _check_measure(measure, timezone.localdate())
    if snapshot(measure) == before:
        return measure
    measure.version += 1
    measure.save()
    log_change(measure, ChangeLog.Action.END if measure.status == MeasureStatus.STOPPED else ChangeLog.Action.UPDATE,
               actor=actor, before=before, reason=(reason or "")[:200])
    return measure


@uploads.files_removed_on_rollback()
@transaction.atomic
def measure_add_evidence(*, actor, measure: Measure, file, name: str = "") -> MeasureEvidence:
    """Attach a photo, signed form or payment record to a measure (kept under MEDIA assistance/). The
    file is checked by its content (`fangpin.core.uploads.DOCUMENTS`) and its type kept with it."""
    ensure_in_area(actor, measure, Perm.MANAGE_MEASURES)
    if file is None:
        raise ValidationFailed(AssistanceErrorCode.FILE_MISSING, _("请选择要上传的文件。"), field="file")
    content_type = uploads.check_upload(file, uploads.DOCUMENTS)
    original = os.path.basename(getattr(file, "name", "") or "")
    extension = os.path.splitext(original)[1].lower()
    name = parse_text(name or original, model=MeasureEvidence, field="name")
    evidence = MeasureEvidence(measure=measure, name=name, size=file.size, uploaded_by=actor)
    uploads.store_upload(evidence, file, filename=f"{timezone.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}{extension}",
                         content_type=content_type)
    evidence.save()
    log_change(evidence, ChangeLog.Action.CREATE, actor=actor)
    return evidence


# ---------------------------------------------------------------- workshops

WORKSHOP_FIELDS = {"name", "place", "operator", "address", "products", "opened_on", "closed_on"}
VILLAGE_OR_TOWNSHIP = (Level.VILLAGE, Level.TOWNSHIP)


WORKSHOP_PARSERS = {"place": place_in(*VILLAGE_OR_TOWNSHIP), "name": parse_text, "operator": parse_text,
                    "address": optional_text, "products": optional_text, "opened_on": parse_date,
                    "closed_on": optional_date}


def _workshop_values(values: dict) -> dict:
    return parse_fields(Workshop, values, WORKSHOP_PARSERS)


@transaction.atomic
def workshop_add(*, actor, place: Place, name: str, operator: str, opened_on, address: str = "",
                 products: str = "") -> Workshop:
    data = _workshop_values({"place": place, "name": name, "operator": operator, "opened_on": opened_on,
                             "address": address, "products": products})
    ensure_in_area(actor, data["place"], Perm.MANAGE_REGISTERS)
    return create_logged(Workshop, actor=actor, created_by=recorded_by(actor), **data)


@transaction.atomic
def workshop_update(*, actor, workshop: Workshop, version=None, reason: str = "", **fields) -> Workshop:
    workshop = begin_update(workshop, fields, WORKSHOP_FIELDS, actor=actor, version=version)
    data = placed_in_area(actor, _workshop_values(fields))
    check_not_before(data.get("closed_on", workshop.closed_on), data.get("opened_on", workshop.opened_on),
                     model=Workshop, later_field="closed_on", earlier_field="opened_on")
    return save_update(workshop, data, actor=actor, reason=reason)


@transaction.atomic
def workshop_employee_add(*, actor, workshop: Workshop, member, since, monthly_wage, until=None,
                          measure=None) -> WorkshopEmployee:
    ensure_visible(actor, workshop, Perm.MANAGE_REGISTERS)
    member = member_in_area(actor, member, field="member")
    M = WorkshopEmployee
    since = parse_date(since, model=M, field="since")
    until = parse_date(until, model=M, field="until", required=False)
    check_not_before(until, since, model=M, later_field="until", earlier_field="since")
    if workshop.closed_on is not None and since > workshop.closed_on:
        raise ValidationFailed(AssistanceErrorCode.WORKSHOP_CLOSED, _("车间已于%(d)s停办。") % {"d": workshop.closed_on}, field="since")
    overlapping = M.objects.unrestricted().filter(workshop=workshop, member=member).filter(Q(until__isnull=True) | Q(until__gte=since))
    if until is not None:
        overlapping = overlapping.filter(since__lte=until)
    if overlapping.exists():
        raise ValidationFailed(AssistanceErrorCode.EMPLOYEE_DUPLICATE, _("%(n)s在该车间已有同期务工记录。") % {"n": member.name},
                               field="member")
    return create_row(M, actor=actor, household=member.household, measure=measure, workshop=workshop, member=member,
                      since=since, until=until, monthly_wage=parse_money(monthly_wage, model=M, field="monthly_wage"))


@transaction.atomic
def workshop_employee_update(*, actor, employee: WorkshopEmployee, version=None, reason: str = "",
                             **fields) -> WorkshopEmployee:
    employee = begin_update(employee, fields, {"since", "until", "monthly_wage", "measure"}, actor=actor, version=version)
    M, data = WorkshopEmployee, {}
    if "since" in fields:
        data["since"] = parse_date(fields["since"], model=M, field="since")
    if "until" in fields:
        data["until"] = parse_date(fields["until"], model=M, field="until", required=False)
    if "monthly_wage" in fields:
        data["monthly_wage"] = parse_money(fields["monthly_wage"], model=M, field="monthly_wage")
    with_measure(data, fields, employee.household)
    check_not_before(data.get("until", employee.until), data.get("since", employee.since), model=M,
                     later_field="until", earlier_field="since")
    return save_update(employee, data, actor=actor, reason=reason)


# ---------------------------------------------------------------- welfare posts

WELFARE_FIELDS = {"place", "post_name", "starts_on", "months", "monthly_wage", "measure"}


WELFARE_PARSERS = {"place": place_in(Level.VILLAGE, Level.GROUP, Level.TOWNSHIP), "post_name": parse_text,
                   "starts_on": parse_date, "months": whole_number(1, WELFARE_POST_MONTHS_BOUND),
                   "monthly_wage": parse_money}


def _welfare_values(values: dict) -> dict:
    return parse_fields(WelfarePost, values, WELFARE_PARSERS)


def _welfare_overlap(holder, starts_on, ends_on, *, exclude=None) -> None:
    clash = WelfarePost.objects.unrestricted().filter(holder=holder, starts_on__lte=ends_on, ends_on__gte=starts_on)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise ValidationFailed(AssistanceErrorCode.WELFARE_POST_OVERLAP, _("%(n)s在此期间已有公益岗位，同一人不能同时占两个岗位。") % {
            "n": holder.name}, field="holder")


@transaction.atomic
def welfare_post_add(*, actor, place: Place, post_name: str, holder, starts_on, months, monthly_wage,
                     measure=None) -> WelfarePost:
    data = _welfare_values({"place": place, "post_name": post_name, "starts_on": starts_on, "months": months,
                            "monthly_wage": monthly_wage})
    holder = member_in_area(actor, holder, field="holder")
    if not county_of(data["place"]).pk == holder.household.county_id:
        raise ValidationFailed(AssistanceErrorCode.PLACE_OTHER_COUNTY, _("岗位须设在本县。"), field="place")
    limits = welfare_months_allowed(data["place"], data["starts_on"], data["months"])
    ends_on = add_months(data["starts_on"], data["months"]) - datetime.timedelta(days=1)
    _welfare_overlap(holder, data["starts_on"], ends_on)
    return create_row(WelfarePost, actor=actor, household=holder.household, measure=measure, holder=holder,
                      ends_on=ends_on, reason=with_limits("", limits), **data)


@transaction.atomic
def welfare_post_update(*, actor, post: WelfarePost, version=None, reason: str = "", **fields) -> WelfarePost:
    """Edit a post; shortening `months` ends the contract early. The end date follows."""
    post = begin_update(post, fields, WELFARE_FIELDS, actor=actor, version=version)
    data = _welfare_values(fields)
    with_measure(data, fields, post.household)
    starts_on, months = data.get("starts_on", post.starts_on), data.get("months", post.months)
    if "starts_on" in data or "months" in data:
        reason = with_limits(reason, welfare_months_allowed(data.get("place", post.place), starts_on, months))
    data["ends_on"] = add_months(starts_on, months) - datetime.timedelta(days=1)
    _welfare_overlap(post.holder, starts_on, data["ends_on"], exclude=post)
    return save_update(post, data, actor=actor, reason=reason)


# ---------------------------------------------------------------- training

COURSE_FIELDS = {"name", "place", "organiser", "held_from", "held_to", "skill"}


COURSE_PARSERS = {"place": place_in(Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE), "name": parse_text,
                  "organiser": parse_text, "skill": parse_text, "held_from": parse_date, "held_to": parse_date}


def _course_values(values: dict) -> dict:
    return parse_fields(TrainingCourse, values, COURSE_PARSERS)


@transaction.atomic
def training_course_add(*, actor, place: Place, name: str, organiser: str, held_from, held_to,
                        skill: str) -> TrainingCourse:
    data = _course_values({"place": place, "name": name, "organiser": organiser, "held_from": held_from,
                           "held_to": held_to, "skill": skill})
    ensure_in_area(actor, data["place"], Perm.MANAGE_REGISTERS)
    check_not_before(data["held_to"], data["held_from"], model=TrainingCourse, later_field="held_to",
                     earlier_field="held_from")
    return create_logged(TrainingCourse, actor=actor, created_by=recorded_by(actor), **data)


@transaction.atomic
def training_course_update(*, actor, course: TrainingCourse, version=None, reason: str = "",
                           **fields) -> TrainingCourse:
    course = begin_update(course, fields, COURSE_FIELDS, actor=actor, version=version)
    data = placed_in_area(actor, _course_values(fields))
    check_not_before(data.get("held_to", course.held_to), data.get("held_from", course.held_from), model=TrainingCourse,
                     later_field="held_to", earlier_field="held_from")
    return save_update(course, data, actor=actor, reason=reason)


@transaction.atomic
def training_participant_add(*, actor, course: TrainingCourse, member, skill_gained: str = "",
                             certificate: bool = False, measure=None) -> TrainingParticipant:
    ensure_visible(actor, course, Perm.MANAGE_REGISTERS)
    member = member_in_area(actor, member, field="member")
    if TrainingParticipant.objects.unrestricted().filter(course=course, member=member).exists():
        raise ValidationFailed(AssistanceErrorCode.PARTICIPANT_DUPLICATE, _("%(n)s已在该培训班学员名单中。") % {"n": member.name},
                               field="member")
    return create_row(TrainingParticipant, actor=actor, household=member.household, measure=measure, course=course,
                      member=member, certificate=bool(certificate),
                      skill_gained=parse_text(skill_gained, model=TrainingParticipant, field="skill_gained", required=False))


@transaction.atomic
def training_participant_update(*, actor, participant: TrainingParticipant, version=None, reason: str = "",
                                **fields) -> TrainingParticipant:
    participant = begin_update(participant, fields, {"skill_gained", "certificate", "measure"}, actor=actor, version=version)
    data = {}
    if "skill_gained" in fields:
        data["skill_gained"] = parse_text(fields["skill_gained"], model=TrainingParticipant, field="skill_gained",
                                          required=False)
    if "certificate" in fields:
        data["certificate"] = bool(fields["certificate"])
    with_measure(data, fields, participant.household)
    return save_update(participant, data, actor=actor, reason=reason)


# ---------------------------------------------------------------- micro-credit

LOAN_FIELDS = {"lender", "amount", "term_months", "issued_on", "rate", "measure"}


def _loan_values(values: dict) -> dict:
    M, data = MicroCredit, {}
    if "lender" in values:
        data["lender"] = parse_text(values["lender"], model=M, field="lender")
    if "amount" in values:
        amount = parse_money(values["amount"], model=M, field="amount")
        if amount <= 0:
            raise ValidationFailed(AssistanceErrorCode.LOAN_AMOUNT_ZERO, _("贷款金额必须大于0。"), field="amount")
        data["amount"] = amount
    if "term_months" in values:
        try:
            term = int(str(values["term_months"]).strip())
        except (TypeError, ValueError):
            raise ValidationFailed(CoreErrorCode.NUMBER_FORMAT, _("请按整数填写贷款期限（月）。"), field="term_months") from None
        if term < 1:
            raise ValidationFailed(AssistanceErrorCode.LOAN_TERM_ZERO, _("贷款期限至少1个月。"), field="term_months")
        data["term_months"] = term
    if "issued_on" in values:
        data["issued_on"] = parse_date(values["issued_on"], model=M, field="issued_on")
        if data["issued_on"] > timezone.localdate():
            raise ValidationFailed(AssistanceErrorCode.DATE_FUTURE, _("放款日期不能晚于今天。"), field="issued_on")
    if "rate" in values:
        rate = parse_money(values["rate"], model=M, field="rate")
        if rate > 100:
            raise ValidationFailed(AssistanceErrorCode.RATE_RANGE, _("年利率按百分数填写，例如3.45。"), field="rate")
        data["rate"] = rate
    return data


@transaction.atomic
def micro_credit_add(*, actor, borrower, lender: str, amount, term_months, issued_on, rate,
                     measure=None) -> MicroCredit:
    borrower = member_in_area(actor, borrower, field="borrower")
    data = _loan_values({"lender": lender, "amount": amount, "term_months": term_months, "issued_on": issued_on,
                         "rate": rate})
    limits = loan_within_limits(borrower.household, data["issued_on"], data["amount"], data["term_months"])
    return create_row(MicroCredit, actor=actor, household=borrower.household, measure=measure, borrower=borrower,
                      reason=with_limits("", limits), **data)


@transaction.atomic
def micro_credit_update(*, actor, loan: MicroCredit, version=None, reason: str = "", **fields) -> MicroCredit:
    loan = begin_update(loan, fields, LOAN_FIELDS, actor=actor, version=version)
    data = _loan_values(fields)
    with_measure(data, fields, loan.household)
    if "amount" in data and data["amount"] < loan.repaid:
        raise ValidationFailed(AssistanceErrorCode.LOAN_AMOUNT_BELOW_REPAID, _("贷款金额不能少于已还金额%(a)s元。") % {
            "a": loan.repaid}, field="amount")
    if {"amount", "term_months", "issued_on"} & set(data):
        limits = loan_within_limits(loan.household, data.get("issued_on", loan.issued_on),
                                     data.get("amount", loan.amount), data.get("term_months", loan.term_months))
        reason = with_limits(reason, limits)
    return save_update(loan, data, actor=actor, reason=reason)


@transaction.atomic
def repayment_add(*, actor, loan: MicroCredit, paid_on, amount) -> Repayment:
    loan = lock_row(loan)
    ensure_in_area(actor, loan, Perm.MANAGE_REGISTERS)
    paid_on = parse_date(paid_on, model=Repayment, field="paid_on")
    if paid_on < loan.issued_on:
        raise ValidationFailed(AssistanceErrorCode.REPAYMENT_BEFORE_ISSUE, _("还款日期不能早于放款日期%(d)s。") % {
            "d": loan.issued_on}, field="paid_on")
    if paid_on > timezone.localdate():
        raise ValidationFailed(AssistanceErrorCode.DATE_FUTURE, _("还款日期不能晚于今天。"), field="paid_on")
    amount = parse_money(amount, model=Repayment, field="amount")
    if amount <= 0:
        raise ValidationFailed(AssistanceErrorCode.REPAYMENT_ZERO, _("还款金额必须大于0。"), field="amount")
    if amount > loan.outstanding:
        raise ValidationFailed(AssistanceErrorCode.REPAYMENT_TOO_MUCH, _("还款金额超过未还本金%(a)s元。") % {"a": loan.outstanding},
                               field="amount")
    return create_logged(Repayment, actor=actor, loan=loan, paid_on=paid_on, amount=amount, created_by=recorded_by(actor))


# ---------------------------------------------------------------- project supermarket

PROJECT_FIELDS = {"place", "name", "category", "description", "support_per_household", "capacity", "open"}


PROJECT_PARSERS = {"place": place_in(Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE), "name": parse_text,
                   "category": one_of(ProjectCategory), "description": long_text,
                   "support_per_household": parse_money, "capacity": whole_number(1, 100000), "open": flag}


def _project_values(values: dict) -> dict:
    return parse_fields(IndustryProject, values, PROJECT_PARSERS)


@transaction.atomic
def industry_project_add(*, actor, place: Place, name: str, category: str, support_per_household, capacity,
                         description: str = "", open: bool = True) -> IndustryProject:
    data = _project_values({"place": place, "name": name, "category": category, "description": description,
                            "support_per_household": support_per_household, "capacity": capacity, "open": open})
    ensure_in_area(actor, data["place"], Perm.MANAGE_REGISTERS)
    return create_logged(IndustryProject, actor=actor, created_by=recorded_by(actor), **data)


@transaction.atomic
def industry_project_update(*, actor, project: IndustryProject, version=None, reason: str = "",
                            **fields) -> IndustryProject:
    project = begin_update(project, fields, PROJECT_FIELDS, actor=actor, version=version)
    data = placed_in_area(actor, _project_values(fields))
    taken = project.taken_count()
    if "capacity" in data and data["capacity"] < taken:
        raise ValidationFailed(AssistanceErrorCode.CAPACITY_BELOW_TAKEN, _("已有%(n)d户选择该项目，可选户数不能少于此数。") % {
            "n": taken}, field="capacity")
    return save_update(project, data, actor=actor, reason=reason)


@transaction.atomic
def project_choose(*, actor, project: IndustryProject, household, chosen_on=None, measure=None) -> ProjectChoice:
    """A household chooses an open project while it has places left."""
    project = lock_row(project)  # one chooser at a time per project: capacity holds under concurrency
    ensure_visible(actor, project, Perm.MANAGE_REGISTERS)
    ensure_in_area(actor, household, Perm.MANAGE_REGISTERS)
    if household.status not in (HouseholdStatus.ACTIVE, HouseholdStatus.PROVISIONAL):
        raise ValidationFailed(RegistryErrorCode.HOUSEHOLD_ENDED, _("该户已销户。"), field="household")
    if county_of(project.place).pk != household.county_id:
        raise ValidationFailed(AssistanceErrorCode.PROJECT_OTHER_COUNTY, _("只能选择本县发布的项目。"), field="project")
    if not project.open:
        raise ValidationFailed(AssistanceErrorCode.PROJECT_CLOSED, _("项目“%(n)s”已停止选择。") % {"n": project.name}, field="project")
    if ProjectChoice.objects.unrestricted().filter(project=project, household=household).exclude(
            status=ChoiceStatus.WITHDRAWN).exists():
        raise ValidationFailed(AssistanceErrorCode.PROJECT_CHOSEN, _("该户已选择这个项目。"), field="household")
    if project.taken_count() >= project.capacity:
        raise ValidationFailed(AssistanceErrorCode.PROJECT_FULL, _("项目“%(n)s”的%(c)d个名额已满。") % {
            "n": project.name, "c": project.capacity}, field="project")
    chosen_on = parse_date(chosen_on or timezone.localdate(), model=ProjectChoice, field="chosen_on")
    return create_row(ProjectChoice, actor=actor, household=household, measure=measure, project=project,
                      chosen_on=chosen_on)


@transaction.atomic
def project_choice_update(*, actor, choice: ProjectChoice, version=None, reason: str = "",
                          **fields) -> ProjectChoice:
    choice = begin_update(choice, fields, {"status", "measure"}, actor=actor, version=version)
    data = {}
    if "status" in fields:
        data["status"] = parse_choice(fields["status"], ChoiceStatus, model=ProjectChoice, field="status")
        if choice.status == ChoiceStatus.WITHDRAWN and data["status"] in TAKING_CAPACITY:
            project = lock_row(choice.project)
            if project.taken_count() >= project.capacity:
                raise ValidationFailed(AssistanceErrorCode.PROJECT_FULL, _("项目“%(n)s”的%(c)d个名额已满。") % {
                    "n": project.name, "c": project.capacity}, field="status")
            if ProjectChoice.objects.unrestricted().filter(project=project, household=choice.household).exclude(
                    status=ChoiceStatus.WITHDRAWN).exclude(pk=choice.pk).exists():
                raise ValidationFailed(AssistanceErrorCode.PROJECT_CHOSEN, _("该户已选择这个项目。"), field="status")
    with_measure(data, fields, choice.household)
    return save_update(choice, data, actor=actor, reason=reason)


# ---------------------------------------------------------------- enterprise pairing

PAIRING_FIELDS = {"enterprise", "contact", "started_on", "content", "ended_on", "measure"}


PAIRING_PARSERS = {"enterprise": parse_text, "contact": optional_text, "content": parse_text,
                   "started_on": parse_date, "ended_on": optional_date}


def _pairing_values(values: dict) -> dict:
    return parse_fields(EnterprisePairing, values, PAIRING_PARSERS)


@transaction.atomic
def pairing_add(*, actor, household, enterprise: str, started_on, content: str, contact: str = "",
                ended_on=None, measure=None) -> EnterprisePairing:
    ensure_in_area(actor, household, Perm.MANAGE_REGISTERS)
    data = _pairing_values({"enterprise": enterprise, "contact": contact, "started_on": started_on,
                            "content": content, "ended_on": ended_on})
    check_not_before(data["ended_on"], data["started_on"], model=EnterprisePairing, later_field="ended_on",
                     earlier_field="started_on")
    return create_row(EnterprisePairing, actor=actor, household=household, measure=measure, **data)


@transaction.atomic
def pairing_update(*, actor, pairing: EnterprisePairing, version=None, reason: str = "",
                   **fields) -> EnterprisePairing:
    pairing = begin_update(pairing, fields, PAIRING_FIELDS, actor=actor, version=version)
    data = _pairing_values(fields)
    with_measure(data, fields, pairing.household)
    check_not_before(data.get("ended_on", pairing.ended_on), data.get("started_on", pairing.started_on),
                     model=EnterprisePairing, later_field="ended_on", earlier_field="started_on")
    return save_update(pairing, data, actor=actor, reason=reason)
