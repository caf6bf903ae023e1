"""Assistance pages: the catalogue, a household's plan, the month-overdue list, and the rows that
hang under the registers (employees, participants, repayments, project choices).

The six registers themselves are declarations in registers.py, served by fangpin.core.registers.
Views parse input, check the named permission, read through `restrict(user, perm)` and call the
services; the rules live in services.py, selectors.py and recommend.py."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from fangpin.core import uploads
from fangpin.core.errors import ServiceError
from fangpin.core.money import money_text
from fangpin.core.registers import PAGE_SIZE, RowFormView, ServiceFormView
from fangpin.core.roles import Perm
from fangpin.core.views import AreaScopedMixin, PermissionRequiredMixin
from fangpin.monitoring.choices import RiskType
from fangpin.monitoring.models import Monitoring
from fangpin.registry.models import Household

from . import forms as f
from . import services
from .models import IndustryProject, Measure, MeasureCatalogueItem, MeasureEvidence, MicroCredit, ProjectChoice
from .models import TrainingCourse, TrainingParticipant, Workshop, WorkshopEmployee
from .recommend import plan_warnings, recommend_measures
from .registers import REGISTERS, HouseholdInAddress, household_label, picked_arguments
from .selectors import household_has_labour, household_risk_types, monitorings_without_measure

RISK_LABELS = dict(RiskType.choices)


def risk_labels(codes) -> str:
    return "、".join(str(RISK_LABELS.get(c, c)) for c in codes or [])


# ---------------------------------------------------------------- hub


class IndexView(PermissionRequiredMixin, TemplateView):
    """The assistance menu with counts for the user's area."""

    required_perm = Perm.VIEW_ASSISTANCE
    template_name = "assistance/index.html"

    def get_context_data(self, **kwargs):
        user, today = self.request.user, timezone.localdate()
        restrict = lambda model: model.objects.restrict(user, Perm.VIEW_ASSISTANCE)
        registers = [(register.title, register.url("list"),
                      register.running(register.model.objects.restrict(user, register.view_perm)).count())
                     for register in REGISTERS.values()]
        overdue = monitorings_without_measure(Monitoring.objects.restrict(user, Perm.VIEW_ASSISTANCE), today).count()
        return {**super().get_context_data(**kwargs), "registers": registers, "overdue": overdue,
                "can_catalogue": user.has_perm_named(Perm.MANAGE_CATALOGUE)}


# ---------------------------------------------------------------- catalogue


class CatalogueListView(AreaScopedMixin, TemplateView):
    model = MeasureCatalogueItem
    required_perm = Perm.MANAGE_CATALOGUE
    template_name = "assistance/catalogue_list.html"

    def get_context_data(self, **kwargs):
        items = list(self.get_queryset().select_related("county").order_by("county__code", "category", "name"))
        for item in items:
            item.risk_text = risk_labels(item.risk_types)
        return {**super().get_context_data(**kwargs), "items": items,
                "county": services.catalogue_county_of(self.request.user)}

    def post(self, request, *args, **kwargs):
        try:
            county = services.catalogue_county_of(request.user, required=True)
        except ServiceError as error:
            raise DjangoPermissionDenied(error.message) from None
        try:
            added = services.catalogue_ensure_default(county, actor=request.user)
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, gettext("已补充%(n)d项默认措施。") % {"n": len(added)} if added
                             else gettext("默认措施均已在目录中，没有新增。"))
        return redirect("assistance:catalogue")


class CatalogueFormView(ServiceFormView):
    model = MeasureCatalogueItem
    required_perm = Perm.MANAGE_CATALOGUE
    form_class = f.CatalogueItemForm
    back_label = _("帮扶措施目录")

    @property
    def title(self):
        return gettext("修改目录措施") if self.object else gettext("新增目录措施")

    def dispatch(self, request, *args, **kwargs):
        if "pk" not in kwargs and request.user.is_authenticated:
            try:
                services.catalogue_county_of(request.user, required=True)
            except ServiceError as error:
                raise DjangoPermissionDenied(error.message) from None
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        if self.object is None:
            return {"active": True}
        return self.initial_from(self.object, ["category", "name", "standard_amount", "unit", "risk_types",
                                               "runs_after_elimination", "active", "description"])

    def perform(self, form):
        data = form.service_fields()
        if self.object is None:
            return services.catalogue_item_add(actor=self.request.user, county=self.request.user.place, **data)
        return services.catalogue_item_update(actor=self.request.user, item=self.object,
                                              version=form.cleaned_data["version"],
                                              reason=form.cleaned_data["reason"], **data)

    def back_url(self):
        return reverse("assistance:catalogue")

    def success_url_for(self, obj):
        return reverse("assistance:catalogue") + f"#item-{obj.pk}"


# ---------------------------------------------------------------- a household's plan


class PlanView(AreaScopedMixin, TemplateView):
    model = Household
    required_perm = Perm.VIEW_ASSISTANCE
    template_name = "assistance/plan.html"

    def get_context_data(self, **kwargs):
        user, today = self.request.user, timezone.localdate()
        household = get_object_or_404(self.get_queryset().select_related("place__parent", "county"),
                                      pk=self.kwargs["pk"])
        measures = list(Measure.objects.restrict(user, Perm.VIEW_ASSISTANCE).filter(household=household)
                        .select_related("catalogue_item", "created_by")
                        .prefetch_related("evidence", "workshop_jobs__workshop", "welfare_posts", "trainings__course",
                                          "micro_credits", "project_choices__project", "pairings"))
        for measure in measures:
            measure.risk_text = risk_labels(measure.risk_types)
            measure.resource_rows = resource_rows(measure)
        monitoring, case = services.measure_eligibility(household)
        can_manage = services.may_plan_measures(user, household, monitoring, case)
        recommendations = recommend_measures(household, on=today) if (monitoring or case) else []
        return {**super().get_context_data(**kwargs), "household": household, "head": household.head,
                "measures": measures, "monitoring": monitoring, "green_case": case,
                "risk_text": risk_labels(household_risk_types(household)),
                "has_labour": household_has_labour(household, today), "recommendations": recommendations,
                "warnings": plan_warnings(household, on=today), "can_manage": can_manage,
                "can_upload": user.has_perm_named(Perm.MANAGE_MEASURES),
                "evidence_form": f.EvidenceForm() if user.has_perm_named(Perm.MANAGE_MEASURES) else None}


def resource_rows(measure) -> list[tuple[str, str, str]]:
    """(kind, description, url) of the register rows that carry out a measure."""
    rows = []
    for job in measure.workshop_jobs.all():
        rows.append((gettext("扶贫车间"), f"{job.workshop.name} · {money_text(job.monthly_wage)}",
                     reverse("assistance:workshop-detail", args=[job.workshop_id])))
    for post in measure.welfare_posts.all():
        rows.append((gettext("公益岗位"), f"{post.post_name} · {post.starts_on}—{post.ends_on}",
                     reverse("assistance:welfare-detail", args=[post.pk])))
    for participant in measure.trainings.all():
        rows.append((gettext("技能培训"), participant.course.name,
                     reverse("assistance:course-detail", args=[participant.course_id])))
    for loan in measure.micro_credits.all():
        rows.append((gettext("小额信贷"), f"{loan.lender} · {money_text(loan.amount)}",
                     reverse("assistance:loan-detail", args=[loan.pk])))
    for choice in measure.project_choices.all():
        rows.append((gettext("项目超市"), choice.project.name,
                     reverse("assistance:project-detail", args=[choice.project_id])))
    for pairing in measure.pairings.all():
        rows.append((gettext("企业结对"), pairing.enterprise, reverse("assistance:pairing-detail", args=[pairing.pk])))
    return rows


class MeasureFormView(ServiceFormView):
    """Add a measure to a household's plan (`pk` is the household) or edit one (`pk` is the measure)."""

    model = Household
    required_perm = Perm.MANAGE_MEASURES
    form_class = f.MeasureForm
    back_label = _("帮扶计划")
    template_name = "assistance/measure_form.html"

    @cached_property
    def object(self):
        if self.model is not Measure:
            return None
        return get_object_or_404(Measure.objects.restrict(self.request.user, self.required_perm)
                                 .select_related("household__county"), pk=self.kwargs["pk"])

    @cached_property
    def plan_household(self) -> Household:
        if self.object is not None:
            return self.object.household
        return get_object_or_404(Household.objects.restrict(self.request.user, self.required_perm)
                                 .select_related("county"), pk=self.kwargs["pk"])

    @property
    def title(self):
        return gettext("修改帮扶措施") if self.object else gettext("制定帮扶措施")

    def form_extra(self):
        return {"household": self.plan_household, "new": self.object is None}

    @cached_property
    def chosen_item(self):
        value = self.request.GET.get("item", "")
        if not value.isdigit():
            return None
        return services.catalogue_offered(self.plan_household).filter(pk=int(value)).first()

    def get_initial(self):
        if self.object is not None:
            return self.initial_from(self.object, [
                "catalogue_item", "category", "name", "risk_types", "responsible_unit", "responsible_person",
                "starts_on", "ends_on", "amount", "status", "runs_after_elimination", "note"])
        initial = {"starts_on": timezone.localdate(), "status": "planned"}
        item = self.chosen_item
        if item is not None:
            initial.update(catalogue_item=item.pk,
                           **services.measure_defaults(item, household_risk_types(self.plan_household)))
        return initial

    def get_context_data(self, **kwargs):
        items = services.catalogue_offered(self.plan_household)
        prefill = {str(i.pk): {"category": i.category, "name": i.name, "runs": i.runs_after_elimination,
                               "amount": f"{i.standard_amount:.2f}" if i.standard_amount is not None else "",
                               "risks": [r for r in (i.risk_types or [])]} for i in items}
        return {**super().get_context_data(**kwargs), "prefill": prefill, "household": self.plan_household}

    def subject(self):
        return household_label(self.plan_household)

    def perform(self, form):
        data = form.service_fields()
        if self.object is None:
            return services.measure_add(actor=self.request.user, household=self.plan_household, **data)
        return services.measure_update(actor=self.request.user, measure=self.object,
                                       version=form.cleaned_data["version"], reason=form.cleaned_data["reason"],
                                       **data)

    def back_url(self):
        return reverse("assistance:plan", args=[self.plan_household.pk])

    def success_url_for(self, obj):
        return reverse("assistance:plan", args=[obj.household_id]) + f"#measure-{obj.pk}"


class MeasureEditView(MeasureFormView):
    model = Measure


class EvidenceUploadView(AreaScopedMixin, View):
    model = Measure
    required_perm = Perm.MANAGE_MEASURES
    http_method_names = ["post"]

    def post(self, request, pk):
        measure = get_object_or_404(self.get_queryset().select_related("household__place"), pk=pk)
        form = f.EvidenceForm(request.POST, request.FILES)
        url = reverse("assistance:plan", args=[measure.household_id]) + f"#measure-{measure.pk}"
        if not form.is_valid():
            messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
            return redirect(url)
        try:
            services.measure_add_evidence(actor=request.user, measure=measure, file=form.cleaned_data["file"],
                                          name=form.cleaned_data["name"])
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, gettext("佐证材料已上传。"))
        return redirect(url)


class EvidenceFileView(AreaScopedMixin, View):
    """An evidence file, served only to users who may see its household."""

    model = MeasureEvidence
    required_perm = Perm.VIEW_ASSISTANCE

    def get(self, request, pk):
        return uploads.file_response(get_object_or_404(self.get_queryset(), pk=pk))


class WithoutMeasureView(PermissionRequiredMixin, TemplateView):
    """Monitored households confirmed more than a month ago with no measure in place."""

    required_perm = Perm.VIEW_ASSISTANCE
    template_name = "assistance/without_measure.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        monitorings = monitorings_without_measure(
            Monitoring.objects.restrict(self.request.user, Perm.VIEW_ASSISTANCE), today,
        ).select_related("household__place__parent").order_by("identified_on", "pk")
        page = Paginator(monitorings, PAGE_SIZE).get_page(self.request.GET.get("page"))
        for monitoring in page.object_list:
            monitoring.risk_text = risk_labels(monitoring.risk_types)
            monitoring.days = (today - monitoring.identified_on).days
            monitoring.head = monitoring.household.head
        return {**super().get_context_data(**kwargs), "page_obj": page, "today": today, "query": ""}




# ---------------------------------------------------------------- rows under the registers


class RegisterRowFormView(HouseholdInAddress, RowFormView):
    """A row under a register row. Adding one may pick a person (`person_argument`) or a household
    (`household_argument`); the form is told the household (the row's when editing) and whether it is new."""

    required_perm = Perm.MANAGE_REGISTERS
    person_argument = ""
    household_argument = False

    def form_extra(self):
        return {"household": self.object.household if self.edit_fields else self.household,
                "new": not self.edit_fields}

    def verb_arguments(self, form):
        return picked_arguments(form, self, self.person_argument, self.household_argument)


def today():
    return timezone.localdate()


class EmployeeAddView(RegisterRowFormView):
    model, form_class, title = Workshop, f.EmployeeForm, _("登记务工人员")
    verb, back_route = staticmethod(services.workshop_employee_add), "assistance:workshop-detail"
    row_argument, person_argument = "workshop", "member"
    new_initial = {"since": today}


class EmployeeEditView(RegisterRowFormView):
    model, form_class, title = WorkshopEmployee, f.EmployeeEditForm, _("修改务工记录")
    verb, back_route = staticmethod(services.workshop_employee_update), "assistance:workshop-detail"
    row_argument = "employee"
    edit_fields = ("since", "until", "monthly_wage", "measure")
    back_row = staticmethod(lambda employee: employee.workshop)
    subject_of = staticmethod(lambda employee: f"{employee.workshop.name} · {employee.member.name}")


class ParticipantAddView(RegisterRowFormView):
    model, form_class, title = TrainingCourse, f.ParticipantForm, _("登记学员")
    verb, back_route = staticmethod(services.training_participant_add), "assistance:course-detail"
    row_argument, person_argument = "course", "member"


class ParticipantEditView(RegisterRowFormView):
    model, form_class, title = TrainingParticipant, f.ParticipantForm, _("修改学员信息")
    verb, back_route = staticmethod(services.training_participant_update), "assistance:course-detail"
    row_argument = "participant"
    edit_fields = ("skill_gained", "certificate", "measure")
    back_row = staticmethod(lambda participant: participant.course)
    subject_of = staticmethod(lambda participant: f"{participant.course.name} · {participant.member.name}")


class RepaymentAddView(RegisterRowFormView):
    model, form_class, title = MicroCredit, f.RepaymentForm, _("登记还款")
    verb, back_route = staticmethod(services.repayment_add), "assistance:loan-detail"
    row_argument = "loan"
    new_initial = {"paid_on": today}


class ProjectChooseView(RegisterRowFormView):
    model, form_class, title = IndustryProject, f.ChooseForm, _("农户选择产业项目")
    success_message = _("已登记项目选择。")
    verb, back_route = staticmethod(services.project_choose), "assistance:project-detail"
    row_argument, household_argument = "project", True
    new_initial = {"chosen_on": today}


class ChoiceEditView(RegisterRowFormView):
    model, form_class, title = ProjectChoice, f.ChoiceEditForm, _("修改项目选择")
    verb, back_route = staticmethod(services.project_choice_update), "assistance:project-detail"
    row_argument = "choice"
    edit_fields = ("status", "measure")
    back_row = staticmethod(lambda choice: choice.project)
    subject_of = staticmethod(lambda choice: f"{choice.project.name} · {choice.household.number}")
