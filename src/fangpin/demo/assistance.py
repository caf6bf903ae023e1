"""Resource registers for the demo county: a workshop that qualifies for its sign, public-welfare
posts, a training course, micro-credit (one loan overdue), the project supermarket and an enterprise
pairing, in the home village (the workshop employs people from the whole township), so that each register
page has rows to show."""

import dataclasses
import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from fangpin.assistance import services
from fangpin.core.models import User
from fangpin.regions.models import Place
from fangpin.registry.choices import HouseholdStatus, HouseholdType
from fangpin.registry.conditions import ABLE_TO_WORK
from fangpin.registry.models import Member


@dataclasses.dataclass
class DemoRegisters:
    workshop_employees: int = 0
    welfare_posts: int = 0
    trainees: int = 0
    loans: int = 0
    project_choices: int = 0
    pairings: int = 0


def _workers(place: Place, today: datetime.date) -> list[Member]:
    """Working-age members able to work, exited households first, one per household."""
    members = (Member.objects.filter(household__place__code__startswith=place.scope_prefix, ended_on__isnull=True,
                                     household__status=HouseholdStatus.ACTIVE, labour_capacity__in=ABLE_TO_WORK)
               .select_related("household").order_by("household__household_type", "household_id", "pk"))
    chosen, households = [], set()
    for member in members:
        if 18 <= member.age_on(today) <= 58 and member.household_id not in households:
            households.add(member.household_id)
            chosen.append(member)
    exited = [m for m in chosen if m.household.household_type == HouseholdType.EXITED]
    return exited + [m for m in chosen if m.household.household_type != HouseholdType.EXITED]


@transaction.atomic
def seed_registers(county: Place, today: datetime.date | None = None) -> DemoRegisters:
    today = today or timezone.localdate()
    users = {u.username: u for u in User.objects.filter(place__code__startswith=county.scope_prefix,
                                                        username__in=["admin", "township", "cadre"])}
    admin, township, cadre = users["admin"], users["township"], users["cadre"]
    village = cadre.place
    # The workshop takes on people from the whole township, exited households first.
    shop = _workers(village.parent, today)[:11]
    taken = {m.household_id for m in shop}
    workers = [m for m in _workers(village, today) if m.household_id not in taken]
    result = DemoRegisters()
    if len(shop) < 11 or len(workers) < 13:
        return result
    posts, course, loans, projects, pairing = workers[:2], workers[2:8], workers[8:10], workers[10:12], workers[12]

    workshop = services.workshop_add(actor=cadre, place=village, name=f"{village.name}手工编织扶贫车间",
                                     operator="青岚县巧手编织专业合作社", opened_on=datetime.date(2024, 3, 1),
                                     address=f"{village.name}村委会旁", products="竹编收纳筐、草编坐垫")
    for member in shop:
        services.workshop_employee_add(actor=township, workshop=workshop, member=member,
                                       since=datetime.date(2025, 4, 1), monthly_wage=Decimal("2200"))
        result.workshop_employees += 1
    for member, post in zip(posts, ("村道保洁员", "生态护林员")):
        services.welfare_post_add(actor=cadre, place=village, post_name=post, holder=member,
                                  starts_on=datetime.date(today.year, 1, 1), months=12, monthly_wage=Decimal("800"))
        result.welfare_posts += 1
    training = services.training_course_add(actor=cadre, place=village, name="农产品电商直播培训班",
                                            organiser="县人社局", held_from=today - datetime.timedelta(days=60),
                                            held_to=today - datetime.timedelta(days=55), skill="电商直播带货")
    for index, member in enumerate(course):
        services.training_participant_add(actor=cadre, course=training, member=member,
                                          skill_gained="短视频拍摄与直播带货" if index % 3 else "",
                                          certificate=index % 3 != 0)
        result.trainees += 1
    on_time = services.micro_credit_add(actor=cadre, borrower=loans[0], lender="县农村商业银行", amount=Decimal("30000"),
                                        term_months=36, issued_on=datetime.date(today.year - 1, 5, 10),
                                        rate=Decimal("3.45"))
    services.repayment_add(actor=cadre, loan=on_time, paid_on=datetime.date(today.year, 5, 10), amount=Decimal("10000"))
    overdue = services.micro_credit_add(actor=cadre, borrower=loans[1], lender="县农村商业银行", amount=Decimal("50000"),
                                        term_months=24, issued_on=datetime.date(today.year - 3, 3, 1),
                                        rate=Decimal("3.45"))
    services.repayment_add(actor=cadre, loan=overdue, paid_on=datetime.date(today.year - 2, 3, 1), amount=Decimal("20000"))
    result.loans = 2
    county_projects = [
        services.industry_project_add(actor=admin, place=county, name="党参种植（保底收购）", category="planting",
                                      support_per_household=Decimal("3000"), capacity=40,
                                      description="合作社统一供苗、技术指导，按保底价收购。"),
        services.industry_project_add(actor=admin, place=county, name="肉牛养殖（托管代养）", category="livestock",
                                      support_per_household=Decimal("5000"), capacity=20,
                                      description="农户入股托管到养殖场，按年分红。"),
    ]
    for member, project in zip(projects, county_projects):
        services.project_choose(actor=cadre, project=project, household=member.household,
                                chosen_on=today - datetime.timedelta(days=20))
        result.project_choices += 1
    services.pairing_add(actor=cadre, household=pairing.household, enterprise="青岚县绿源农业科技有限公司",
                         contact="张经理 0943-6200888", started_on=datetime.date(today.year, 3, 1),
                         content="订单收购高山蔬菜，优先吸纳家庭成员务工")
    result.pairings = 1
    return result
