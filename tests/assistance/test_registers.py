"""Registers: workshops and the sign rule, welfare posts, training, micro-credit, projects, pairings."""

import datetime
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from fangpin.assistance import services
from fangpin.assistance.models import (
    MicroCredit,
    ProjectChoice,
    Repayment,
    TrainingParticipant,
    WelfarePost,
    Workshop,
    WorkshopEmployee,
)
from fangpin.core.errors import PermissionDenied, ValidationFailed
from fangpin.core.models import ChangeLog

from ..factories import make_household
from .conftest import monitor

TODAY = timezone.localdate


def exited_members(admin, place, count):
    members = []
    while len(members) < count:
        household = make_household(admin, place, members=2, household_type="exited", exit_year=2019)
        members += list(household.members.all())
    return members[:count]


@pytest.fixture
def workshop(county_admin, places):
    return services.workshop_add(actor=county_admin, place=places["t1v1"], name="竹编车间", operator="某竹业公司",
                                 opened_on=TODAY() - datetime.timedelta(days=100), products="竹编")


def test_workshop_sign_needs_ten_current_employees_from_supported_households(workshop, county_admin, places):
    members = exited_members(county_admin, places["t1v1"], 8)
    for member in members:
        services.workshop_employee_add(actor=county_admin, workshop=workshop, member=member,
                                       since=TODAY() - datetime.timedelta(days=30), monthly_wage="2400")
    ordinary = make_household(county_admin, places["t1v1"], members=2)
    for member in ordinary.members.all():
        services.workshop_employee_add(actor=county_admin, workshop=workshop, member=member, since=TODAY(),
                                       monthly_wage="2400")
    left = exited_members(county_admin, places["t1v2"], 1)[0]
    services.workshop_employee_add(actor=county_admin, workshop=workshop, member=left,
                                   since=TODAY() - datetime.timedelta(days=90),
                                   until=TODAY() - datetime.timedelta(days=1), monthly_wage="2400")
    monitored = make_household(county_admin, places["t1v2"], members=1)
    monitor(monitored, county_admin)
    services.workshop_employee_add(actor=county_admin, workshop=workshop, member=monitored.members.get(),
                                   since=TODAY(), monthly_wage="2000")
    row = Workshop.objects.with_counts().get(pk=workshop.pk)
    assert (row.employee_count, row.eligible_count, row.sign_eligible) == (11, 9, False)
    assert workshop.eligible_employee_count() == 9 and not workshop.sign_eligible

    tenth = exited_members(county_admin, places["t1v1"], 1)[0]
    services.workshop_employee_add(actor=county_admin, workshop=workshop, member=tenth, since=TODAY(),
                                   monthly_wage="2400")
    row = Workshop.objects.with_counts().get(pk=workshop.pk)
    assert (row.eligible_count, row.sign_eligible) == (10, True)
    services.workshop_update(actor=county_admin, workshop=workshop, closed_on=TODAY())
    assert not Workshop.objects.with_counts().get(pk=workshop.pk).sign_eligible


def test_workshop_employee_refusals(workshop, county_admin, other_village_cadre, places):
    member = exited_members(county_admin, places["t1v1"], 1)[0]
    services.workshop_employee_add(actor=county_admin, workshop=workshop, member=member, since=TODAY(),
                                   monthly_wage="2400")
    with pytest.raises(ValidationFailed) as error:
        services.workshop_employee_add(actor=county_admin, workshop=workshop, member=member, since=TODAY(),
                                       monthly_wage="2400")
    assert error.value.code == "employee_duplicate"
    other = exited_members(county_admin, places["t1v1"], 2)[1]
    with pytest.raises(ValidationFailed) as error:
        services.workshop_employee_add(actor=county_admin, workshop=workshop, member=other, since=TODAY(),
                                       until=TODAY() - datetime.timedelta(days=2), monthly_wage="2400")
    assert error.value.code == "date_order"
    with pytest.raises(PermissionDenied):
        services.workshop_employee_add(actor=other_village_cadre, workshop=workshop, member=other, since=TODAY(),
                                       monthly_wage="2400")
    with pytest.raises(ValidationFailed) as error:
        services.workshop_add(actor=county_admin, place=places["t1v1g1"], name="x", operator="y", opened_on=TODAY())
    assert error.value.code == "place_level"
    assert WorkshopEmployee.objects.count() == 1


def test_welfare_post_end_date_and_total_wage(county_admin, village_cadre, places):
    household = make_household(county_admin, places["t1v1"])
    holder = household.members.first()
    post = services.welfare_post_add(actor=village_cadre, place=places["t1v1"], post_name="护林员", holder=holder,
                                     starts_on=datetime.date(2026, 1, 1), months=12, monthly_wage="800")
    assert post.ends_on == datetime.date(2026, 12, 31) and post.total_wage == Decimal("9600.00")
    assert post.household == household
    with pytest.raises(ValidationFailed) as error:
        services.welfare_post_add(actor=village_cadre, place=places["t1v1"], post_name="保洁员", holder=holder,
                                  starts_on=datetime.date(2026, 6, 1), months=6, monthly_wage="600")
    assert error.value.code == "welfare_post_overlap"
    with pytest.raises(ValidationFailed) as error:
        services.welfare_post_add(actor=village_cadre, place=places["t1v1"], post_name="保洁员",
                                  holder=household.members.last(), starts_on=datetime.date(2026, 1, 1), months=0,
                                  monthly_wage="600")
    assert error.value.code == "number_range"
    post = services.welfare_post_update(actor=village_cadre, post=post, months=6, reason="提前解聘")
    assert post.ends_on == datetime.date(2026, 6, 30) and post.total_wage == Decimal("4800.00")
    assert WelfarePost.objects.count() == 1


def test_training_participants_once_per_course(county_admin, village_cadre, places):
    course = services.training_course_add(actor=county_admin, place=places["t1"], name="电工培训班", organiser="县人社局",
                                          held_from=TODAY(), held_to=TODAY() + datetime.timedelta(days=10), skill="电工")
    member = make_household(county_admin, places["t1v1"]).members.first()
    services.training_participant_add(actor=village_cadre, course=course, member=member, skill_gained="低压电工",
                                      certificate=True)
    with pytest.raises(ValidationFailed) as error:
        services.training_participant_add(actor=village_cadre, course=course, member=member)
    assert error.value.code == "participant_duplicate"
    with pytest.raises(ValidationFailed) as error:
        services.training_course_add(actor=county_admin, place=places["t1"], name="x", organiser="y",
                                     held_from=TODAY(), held_to=TODAY() - datetime.timedelta(days=1), skill="z")
    assert error.value.code == "date_order"
    assert TrainingParticipant.objects.count() == 1


def test_micro_credit_limits(county_admin, village_cadre, places):
    borrower = make_household(county_admin, places["t1v1"]).members.first()
    base = {"actor": village_cadre, "borrower": borrower, "lender": "县农商行", "issued_on": TODAY(), "rate": "3.45"}
    for kwargs, code, words in [({"amount": "50000.01", "term_months": 36}, "loan_amount_limit", "50,000"),
                                ({"amount": "30000", "term_months": 37}, "loan_term_limit", "36"),
                                ({"amount": "0", "term_months": 12}, "loan_amount_zero", "大于0"),
                                ({"amount": "30000", "term_months": 12, "rate": "345"}, "rate_range", "百分数")]:
        with pytest.raises(ValidationFailed) as error:
            services.micro_credit_add(**{**base, **kwargs})
        assert error.value.code == code and words in error.value.message
    assert not MicroCredit.objects.exists()
    loan = services.micro_credit_add(**{**base, "amount": "50000", "term_months": 36})
    assert loan.due_on == TODAY() + relativedelta(months=36)


def test_micro_credit_outstanding_and_overdue(county_admin, village_cadre, places):
    borrower = make_household(county_admin, places["t1v1"]).members.first()
    issued = TODAY() - datetime.timedelta(days=800)
    loan = services.micro_credit_add(actor=village_cadre, borrower=borrower, lender="县农商行", amount="20000",
                                     term_months=24, issued_on=issued, rate="3.45")
    assert loan.outstanding == Decimal("20000.00") and loan.is_overdue() and loan.overdue
    assert not loan.is_overdue(loan.due_on)
    services.repayment_add(actor=village_cadre, loan=loan, paid_on=issued + datetime.timedelta(days=365), amount="15000")
    with pytest.raises(ValidationFailed) as error:
        services.repayment_add(actor=village_cadre, loan=loan, paid_on=TODAY(), amount="5000.01")
    assert error.value.code == "repayment_too_much"
    with pytest.raises(ValidationFailed) as error:
        services.repayment_add(actor=village_cadre, loan=loan, paid_on=issued - datetime.timedelta(days=1), amount="1")
    assert error.value.code == "repayment_before_issue"
    row = MicroCredit.objects.with_repaid().get(pk=loan.pk)
    assert row.outstanding == Decimal("5000.00") and row.overdue
    services.repayment_add(actor=village_cadre, loan=loan, paid_on=TODAY(), amount="5000")
    row = MicroCredit.objects.with_repaid().get(pk=loan.pk)
    assert row.outstanding == 0 and not row.overdue
    assert Repayment.objects.count() == 2
    assert ChangeLog.objects.filter(object_type="assistance.repayment").count() == 2


def test_project_capacity_is_enforced(county_admin, village_cadre, other_village_cadre, places):
    project = services.industry_project_add(actor=county_admin, place=places["county"], name="肉牛养殖",
                                            category="livestock", support_per_household="5000", capacity=2)
    first, second, third = (make_household(county_admin, places["t1v1"]) for _ in range(3))
    # A village cadre sees the county's project and registers the village's households.
    services.project_choose(actor=village_cadre, project=project, household=first)
    with pytest.raises(ValidationFailed) as error:
        services.project_choose(actor=village_cadre, project=project, household=first)
    assert error.value.code == "project_chosen"
    services.project_choose(actor=village_cadre, project=project, household=second)
    with pytest.raises(ValidationFailed) as error:
        services.project_choose(actor=village_cadre, project=project, household=third)
    assert error.value.code == "project_full" and "名额已满" in error.value.message
    with pytest.raises(PermissionDenied):
        services.project_choose(actor=other_village_cadre, project=project, household=third)
    with pytest.raises(ValidationFailed) as error:
        services.industry_project_update(actor=county_admin, project=project, capacity=1)
    assert error.value.code == "capacity_below_taken"
    choice = ProjectChoice.objects.get(household=second)
    services.project_choice_update(actor=village_cadre, choice=choice, status="withdrawn", reason="改选其他项目")
    services.project_choose(actor=village_cadre, project=project, household=third)
    with pytest.raises(ValidationFailed):
        services.project_choice_update(actor=village_cadre, choice=choice, status="chosen")
    services.industry_project_update(actor=county_admin, project=project, open=False)
    with pytest.raises(ValidationFailed) as error:
        services.project_choose(actor=county_admin, project=project, household=second)
    assert error.value.code == "project_closed"
    assert ProjectChoice.objects.exclude(status="withdrawn").count() == 2


def test_pairing_and_the_measure_link(monitored, village_cadre, places, county_admin, catalogue):
    measure = services.measure_add(actor=village_cadre, household=monitored, catalogue_item=catalogue["enterprise_pairing"],
                                   responsible_unit="镇党委", starts_on=TODAY())
    pairing = services.pairing_add(actor=village_cadre, household=monitored, enterprise="某食品公司", started_on=TODAY(),
                                   content="收购农产品", measure=measure)
    assert measure.resources() == [pairing]
    other = make_household(county_admin, places["t1v1"])
    with pytest.raises(ValidationFailed) as error:
        services.pairing_add(actor=village_cadre, household=other, enterprise="某公司", started_on=TODAY(),
                             content="务工", measure=measure)
    assert error.value.code == "measure_other_household"
    with pytest.raises(ValidationFailed) as error:
        services.pairing_update(actor=village_cadre, pairing=pairing, ended_on=TODAY() - datetime.timedelta(days=1))
    assert error.value.code == "date_order"
