"""The six registers of assistance resources, declared once each: workshops, public-welfare posts,
training courses, micro-credit, the project supermarket and enterprise pairing.

Each declaration names its model, filter set, columns, form and service verbs; `fangpin.core.registers`
serves it as list, detail, form, API and export. What a register shows beyond its columns (facts,
related rows, the workshop sign notice) is said here; what it checks when writing is in services.py."""

from django.shortcuts import get_object_or_404
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fangpin.core.masking import mask_id_number
from fangpin.core.money import money_text
from fangpin.core.registers import Register, RegisterFormView, columns, fact
from fangpin.core.roles import Perm
from fangpin.regions.models import Level
from fangpin.registry.models import Household

from . import filters
from . import forms as f
from . import services
from .choices import ChoiceStatus
from .models import (
    EnterprisePairing,
    IndustryProject,
    MicroCredit,
    ProjectChoice,
    TrainingCourse,
    TrainingParticipant,
    WelfarePost,
    Workshop,
    WorkshopEmployee,
)


def household_label(household) -> str:
    head = household.head
    return f"{household.number} {head.name if head else ''}".strip()


def person_label(member) -> str:
    return f"{member.name}（{mask_id_number(member.id_number)}）"


def measure_fact(obj):
    return (gettext("对应帮扶措施"), obj.measure.name if obj.measure_id else "—")


def loan_state(loan) -> str:
    if loan.outstanding == 0:
        return gettext("已结清")
    return gettext("逾期") if loan.overdue else gettext("未到期")


def project_state(project) -> str:
    if not project.open:
        return gettext("已停止选择")
    return gettext("可选") if project.places_left else gettext("已满")


class HouseholdInAddress:
    """A form page that may name a household in the address (`?household=`, or `household_pk` sent
    back by the form), read within the user's area."""

    @cached_property
    def household(self):
        value = self.request.GET.get("household") or self.request.POST.get("household_pk") or ""
        if not value:
            return None
        if not value.isdigit():
            raise Http404
        return get_object_or_404(Household.objects.restrict(self.request.user, self.required_perm), pk=int(value))

    def extra_context_data(self):
        return {"household_pk": self.household.pk if self.household is not None else ""}


def picked_arguments(form, view, person_argument: str, household_argument: bool) -> dict:
    """The form's data for a service, with the picked member under `person_argument` and, when
    `household_argument`, the household named in the address or picked on the form."""
    data = form.service_fields()
    if person_argument:
        data[person_argument] = data.pop("member")
    if household_argument:
        data["household"] = view.household or form.household
    return data


class AssistanceFormView(HouseholdInAddress, RegisterFormView):
    pass


def counted(label):
    return lambda: serializers.IntegerField(read_only=True, label=label)


class AssistanceRegister(Register):
    namespace = "assistance"
    view_perm = Perm.VIEW_ASSISTANCE
    manage_perm = Perm.MANAGE_REGISTERS
    home_url_name = "assistance:index"
    home_label = _("帮扶措施与帮扶资源")
    form_view = AssistanceFormView

    person_argument = ""  # adding: the service argument the picked member goes to
    household_argument = False  # adding: the household named in the address or picked goes to the service

    def add(self, form, view):
        return self.add_verb(actor=view.request.user,
                             **picked_arguments(form, view, self.person_argument, self.household_argument))

    def person_form_kwargs(self, view) -> dict:
        """Forms that pick a person or household: the row's household when editing, the one in the
        address when adding."""
        household = view.object.household if view.object is not None else view.household
        return {"household": household, "new": view.object is None}


class Workshops(AssistanceRegister):
    model, name, filterset_class, form_class = Workshop, "workshop", filters.WorkshopFilter, f.WorkshopForm
    title, title_new, title_edit = _("扶贫车间"), _("登记扶贫车间"), _("修改扶贫车间")
    intro = _("在岗务工人员中来自脱贫户、监测户的达到规定人数，可挂“扶贫车间”牌子。")
    columns = columns((_("车间名称"), "name"), (_("所在地"), "place.name"), (_("经营主体"), "operator"),
                      (_("在岗人数"), "employee_count"), (_("其中脱贫户、监测户"), "eligible_count"),
                      (_("挂牌条件"), lambda w: gettext("符合") if w.sign_eligible else gettext("未达到")))
    add_verb, update_verb = staticmethod(services.workshop_add), staticmethod(services.workshop_update)
    row_argument = "workshop"
    edit_fields = api_fields = ("place", "name", "operator", "address", "products", "opened_on", "closed_on")
    api_extra = {"employee_count": counted(_("在岗人数")), "eligible_count": counted(_("其中脱贫户、监测户")),
                 "sign_eligible": lambda: serializers.BooleanField(read_only=True, label=_("符合挂牌条件"))}

    select_related, new_initial = ("place",), {"opened_on": timezone.localdate}
    current = staticmethod(filters.running_workshops)

    def queryset(self, queryset):
        return super().queryset(queryset).with_counts().order_by("place__code", "name", "pk")

    def facts(self, w):
        return [fact(w, "place", w.place.name), fact(w, "operator"), fact(w, "address"), fact(w, "products"),
                fact(w, "opened_on"), fact(w, "closed_on"), (gettext("在岗人数"), str(w.employee_count)),
                (gettext("其中脱贫户、监测户"), str(w.eligible_count))]

    def notice(self, w):
        values = {"n": w.eligible_count, "m": w.sign_min_employees, "p": w.sign_limits()}
        if w.sign_eligible:
            return ("success", gettext("符合“扶贫车间”挂牌条件：在岗的脱贫户、监测户务工人员%(n)d人（不少于%(m)d人，依据%(p)s）。") % values)
        return ("warning", gettext("暂不符合“扶贫车间”挂牌条件：在岗的脱贫户、监测户务工人员%(n)d人，须不少于%(m)d人（依据%(p)s）。") % values)

    def sections(self, w, user):
        today = timezone.localdate()
        employees = (WorkshopEmployee.objects.restrict(user, self.view_perm).filter(workshop=w)
                     .select_related("member", "household"))
        return [self.section(
            user, gettext("务工人员（您辖区内）"), employees,
            [gettext("姓名"), gettext("户编号"), gettext("入职日期"), gettext("离职日期"), gettext("月工资（元）"), gettext("状态")],
            lambda e: [person_label(e.member), e.household.number, e.since, e.until or "—", money_text(e.monthly_wage),
                       gettext("在岗") if e.is_current(today) else gettext("已离岗")],
            edit_route="employee-edit", muted=lambda e: not e.is_current(today), add_label=gettext("登记务工人员"),
            add=("employee-new", (w.pk,)) if w.closed_on is None else ("", ()))]


class WelfarePosts(AssistanceRegister):
    model, name, filterset_class = WelfarePost, "welfare", filters.WelfarePostFilter
    title, title_new, title_edit = _("公益岗位"), _("登记公益岗位"), _("修改公益岗位")
    columns = columns((_("岗位名称"), "post_name"), (_("在岗人员"), lambda p: person_label(p.holder)),
                      (_("户编号"), "household.number"), (_("上岗日期"), "starts_on"), (_("合同到期日"), "ends_on"),
                      (_("月补贴（元）"), lambda p: money_text(p.monthly_wage)),
                      (_("补贴合计（元）"), lambda p: money_text(p.total_wage)))
    select_related = ("holder", "household", "place", "measure")
    form_class, form_kwargs = f.WelfarePostForm, AssistanceRegister.person_form_kwargs
    edit_fields = ("place", "post_name", "starts_on", "months", "monthly_wage", "measure")
    add_verb, update_verb = staticmethod(services.welfare_post_add), staticmethod(services.welfare_post_update)
    row_argument, person_argument = "post", "holder"
    api_fields = ("household", "holder", "ends_on", *edit_fields)

    current = staticmethod(filters.posts_in_contract)

    def initial_new(self, view):
        initial, household = {"starts_on": timezone.localdate(), "months": 12}, view.household
        if household is not None:
            initial["place"] = household.place_id if household.place.level != Level.GROUP else household.place.parent_id
        return initial

    def facts(self, p):
        return [fact(p, "post_name"), fact(p, "place", p.place.name), fact(p, "holder", person_label(p.holder)),
                fact(p, "household", p.household.number), fact(p, "starts_on"), fact(p, "months"),
                fact(p, "ends_on"), fact(p, "monthly_wage", money_text(p.monthly_wage)),
                (gettext("补贴合计（元）"), money_text(p.total_wage)), measure_fact(p)]


class TrainingCourses(AssistanceRegister):
    model, name, filterset_class, form_class = TrainingCourse, "course", filters.TrainingCourseFilter, f.CourseForm
    title, title_new, title_edit = _("技能培训"), _("登记培训班"), _("修改培训班")
    columns = columns((_("培训班名称"), "name"), (_("举办地"), "place.name"), (_("主办单位"), "organiser"),
                      (_("培训工种"), "skill"), (_("开班日期"), "held_from"), (_("结业日期"), "held_to"))
    select_related = ("place",)
    edit_fields = api_fields = ("place", "name", "organiser", "skill", "held_from", "held_to")
    add_verb, update_verb = staticmethod(services.training_course_add), staticmethod(services.training_course_update)
    row_argument = "course"

    def facts(self, c):
        return [fact(c, "place", c.place.name),
                *(fact(c, name) for name in ("organiser", "skill", "held_from", "held_to"))]

    def sections(self, c, user):
        participants = (TrainingParticipant.objects.restrict(user, self.view_perm).filter(course=c)
                        .select_related("member", "household"))
        return [self.section(
            user, gettext("学员（您辖区内）"), participants,
            [gettext("姓名"), gettext("户编号"), gettext("掌握技能"), gettext("取得证书")],
            lambda p: [person_label(p.member), p.household.number, p.skill_gained or "—",
                       gettext("是") if p.certificate else gettext("否")],
            edit_route="participant-edit", add=("participant-new", (c.pk,)), add_label=gettext("登记学员"))]


class MicroCredits(AssistanceRegister):
    model, name, filterset_class, form_class = MicroCredit, "loan", filters.MicroCreditFilter, f.LoanForm
    title, title_new, title_edit = _("小额信贷"), _("登记小额信贷"), _("修改小额信贷")
    columns = columns((_("借款人"), lambda loan: person_label(loan.borrower)), (_("户编号"), "household.number"),
                      (_("放款银行"), "lender"), (_("贷款金额（元）"), lambda loan: money_text(loan.amount)),
                      (_("放款日期"), "issued_on"), (_("到期日"), "due_on"),
                      (_("未还本金（元）"), lambda loan: money_text(loan.outstanding)), (_("状态"), loan_state))
    select_related = ("borrower", "household", "measure")
    form_kwargs = AssistanceRegister.person_form_kwargs
    edit_fields = ("lender", "amount", "term_months", "issued_on", "rate", "measure")
    add_verb, update_verb = staticmethod(services.micro_credit_add), staticmethod(services.micro_credit_update)
    row_argument, person_argument = "loan", "borrower"
    api_fields = ("household", "borrower", *edit_fields)
    api_extra = {"repaid": lambda: serializers.DecimalField(12, 2, read_only=True, label=_("已还金额（元）")),
                 "outstanding": lambda: serializers.DecimalField(12, 2, read_only=True, label=_("未还本金（元）")),
                 "due_on": lambda: serializers.DateField(read_only=True, label=_("到期日")),
                 "overdue": lambda: serializers.BooleanField(read_only=True, label=_("逾期"))}

    def queryset(self, queryset):
        return super().queryset(queryset).with_repaid().order_by("-issued_on", "-pk")

    new_initial = {"issued_on": timezone.localdate, "term_months": 36}

    def muted(self, loan):
        return loan.outstanding == 0

    def facts(self, loan):
        return [fact(loan, "borrower", person_label(loan.borrower)), fact(loan, "household", loan.household.number),
                fact(loan, "lender"), fact(loan, "amount", money_text(loan.amount)), fact(loan, "term_months"),
                fact(loan, "issued_on"), fact(loan, "rate"), (gettext("到期日"), str(loan.due_on)),
                (gettext("已还金额（元）"), money_text(loan.repaid)),
                (gettext("未还本金（元）"), money_text(loan.outstanding)), (gettext("状态"), loan_state(loan)),
                measure_fact(loan)]

    def notice(self, loan):
        if loan.overdue:
            return ("danger", gettext("已于%(d)s到期，仍有%(a)s元未还。") % {
                "d": loan.due_on, "a": money_text(loan.outstanding)})
        return None

    def sections(self, loan, user):
        return [self.section(user, gettext("还款记录"), loan.repayments.all(),
                             [gettext("还款日期"), gettext("还款金额（元）")], lambda r: [r.paid_on, money_text(r.amount)],
                             add=("repayment-new", (loan.pk,)) if loan.outstanding > 0 else ("", ()),
                             add_label=gettext("登记还款"))]


class IndustryProjects(AssistanceRegister):
    model, name, filterset_class, form_class = IndustryProject, "project", filters.IndustryProjectFilter, f.ProjectForm
    title, title_new, title_edit = _("项目超市"), _("发布产业项目"), _("修改产业项目")
    columns = columns((_("项目名称"), "name"), (_("发布地区"), "place.name"), (_("项目类别"), "get_category_display"),
                      (_("每户扶持金额（元）"), lambda p: money_text(p.support_per_household)),
                      (_("已选/可选户数"), lambda p: f"{p.taken_count()}/{p.capacity}"), (_("状态"), project_state))
    select_related = ("place",)
    edit_fields = api_fields = ("place", "name", "category", "description", "support_per_household", "capacity", "open")
    add_verb, update_verb = staticmethod(services.industry_project_add), staticmethod(services.industry_project_update)
    row_argument = "project"
    api_extra = {"taken": counted(_("已选户数")), "places_left": counted(_("剩余名额"))}

    def queryset(self, queryset):
        return super().queryset(queryset).with_taken().order_by("-open", "place__code", "name", "pk")

    new_initial, current = {"open": True}, staticmethod(filters.open_projects)

    def facts(self, p):
        return [fact(p, "place", p.place.name), fact(p, "category"),
                fact(p, "support_per_household", money_text(p.support_per_household)), fact(p, "capacity"),
                (gettext("已选户数"), str(p.taken_count())), (gettext("剩余名额"), str(p.places_left)),
                fact(p, "open"), fact(p, "description")]

    def sections(self, p, user):
        choices = ProjectChoice.objects.restrict(user, self.view_perm).filter(project=p).select_related("household")
        return [self.section(
            user, gettext("选择该项目的农户（您辖区内）"), choices, [gettext("农户"), gettext("选择日期"), gettext("状态")],
            lambda c: [household_label(c.household), c.chosen_on, c.get_status_display()],
            edit_route="choice-edit", muted=lambda c: c.status == ChoiceStatus.WITHDRAWN,
            add=("project-choose", (p.pk,)) if p.open and p.places_left else ("", ()), add_label=gettext("农户选择此项目"))]


class EnterprisePairings(AssistanceRegister):
    model, name, form_class = EnterprisePairing, "pairing", f.PairingForm
    filterset_class = filters.EnterprisePairingFilter
    title, title_new, title_edit = _("企业结对"), _("登记企业结对"), _("修改企业结对")
    columns = columns((_("企业名称"), "enterprise"), (_("户编号"), "household.number"), (_("结对日期"), "started_on"),
                      (_("帮扶内容"), "content"), (_("结束日期"), lambda p: p.ended_on or "—"))
    select_related = ("household", "measure")
    form_kwargs = AssistanceRegister.person_form_kwargs
    edit_fields = ("enterprise", "contact", "started_on", "content", "ended_on", "measure")
    add_verb, update_verb = staticmethod(services.pairing_add), staticmethod(services.pairing_update)
    row_argument, household_argument = "pairing", True
    api_fields = ("household", *edit_fields)

    new_initial, current = {"started_on": timezone.localdate}, staticmethod(filters.ongoing_pairings)

    def facts(self, p):
        return [fact(p, "enterprise"), fact(p, "household", household_label(p.household)), fact(p, "contact"),
                fact(p, "started_on"), fact(p, "content"), fact(p, "ended_on"), measure_fact(p)]


# Route prefix under /assistance/ and declaration, in menu order.
REGISTERS = {"workshops": Workshops(), "welfare-posts": WelfarePosts(), "training": TrainingCourses(),
             "micro-credit": MicroCredits(), "projects": IndustryProjects(), "pairings": EnterprisePairings()}
