"""Assistance pages: the catalogue, a household's plan, the month-overdue list and the registers.

Views parse input, check the named permission, read through `restrict(user, perm)` and call the
services; the rules live in services.py, selectors.py and recommend.py."""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, TemplateView

from fangpin.cases.models import Monitoring
from fangpin.core import uploads
from fangpin.core.errors import ServiceError
from fangpin.core.masking import mask_id_number
from fangpin.core.roles import Perm
from fangpin.core.views import AreaScopedMixin, PermissionRequiredMixin, display_value
from fangpin.monitoring.choices import RiskType
from fangpin.regions.models import Level
from fangpin.registry.models import Household

from . import forms as f
from . import services
from .choices import ChoiceStatus
from .models import (
    EnterprisePairing,
    IndustryProject,
    Measure,
    MeasureCatalogueItem,
    MeasureEvidence,
    MicroCredit,
    ProjectChoice,
    TrainingCourse,
    TrainingParticipant,
    WelfarePost,
    Workshop,
    WorkshopEmployee,
    workshop_sign_min_employees,
)
from .recommend import plan_warnings, recommend_measures
from .selectors import (
    current_monitoring,
    green_channel_case,
    household_has_labour,
    household_risk_types,
    monitorings_without_measure,
)

PAGE_SIZE = 30
RISK_LABELS = dict(RiskType.choices)


def risk_labels(codes) -> str:
    return "、".join(str(RISK_LABELS.get(c, c)) for c in codes or [])


def money(value) -> str:
    return "—" if value is None else f"{value:,.2f}"


def household_label(household) -> str:
    head = household.head
    return f"{household.number} {head.name if head else ''}".strip()


def person_label(member) -> str:
    return f"{member.name}（{mask_id_number(member.id_number)}）"


# ---------------------------------------------------------------- generic pages


@dataclass
class Row:
    url: str
    cells: list
    muted: bool = False


@dataclass
class Section:
    title: str
    headers: list
    rows: list
    add_url: str = ""
    add_label: str = ""
    empty: str = field(default_factory=lambda: gettext("暂无记录。"))


class RegisterListView(AreaScopedMixin, TemplateView):
    """A register's list: rows read through `restrict(user, VIEW_ASSISTANCE)`, searched by `q`."""

    required_perm = Perm.VIEW_ASSISTANCE
    template_name = "assistance/list.html"
    title = ""
    headers: list = []
    search_fields: tuple = ()
    new_url_name = ""
    new_label = _("新增")
    intro = ""

    def rows(self, objects) -> list[Row]:
        """The table rows of one page; each register's list view says what its columns hold."""
        raise NotImplementedError(f"{type(self).__name__} must say how its rows are shown")

    def filtered(self):
        queryset = self.get_queryset()
        q = self.request.GET.get("q", "").strip()
        if q and self.search_fields:
            condition = Q()
            for name in self.search_fields:
                condition |= Q(**{f"{name}__icontains": q})
            queryset = queryset.filter(condition)
        return queryset

    def get_context_data(self, **kwargs):
        page = Paginator(self.filtered(), PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        can_add = self.new_url_name and self.request.user.has_perm_named(Perm.MANAGE_REGISTERS)
        return {**super().get_context_data(**kwargs), "title": self.title, "headers": self.headers,
                "rows": self.rows(page.object_list), "page_obj": page, "query": query.urlencode(),
                "q": self.request.GET.get("q", ""), "searchable": bool(self.search_fields), "intro": self.intro,
                "new_url": reverse(f"assistance:{self.new_url_name}") if can_add else "",
                "new_label": self.new_label}


class RegisterDetailView(AreaScopedMixin, TemplateView):
    required_perm = Perm.VIEW_ASSISTANCE
    template_name = "assistance/detail.html"
    list_url_name = ""
    list_label = ""
    edit_url_name = ""

    @cached_property
    def object(self):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    def facts(self, obj) -> list[tuple[str, str]]:
        return []

    def sections(self, obj) -> list[Section]:
        return []

    def notice(self, obj):
        return None

    def can_manage(self) -> bool:
        return self.request.user.has_perm_named(Perm.MANAGE_REGISTERS) and (
            self.object.area_code.startswith(self.request.user.area_prefix))

    def get_context_data(self, **kwargs):
        obj = self.object
        return {**super().get_context_data(**kwargs), "object": obj, "title": str(obj),
                "kind": obj._meta.verbose_name, "facts": self.facts(obj), "sections": self.sections(obj),
                "notice": self.notice(obj), "list_url": reverse(f"assistance:{self.list_url_name}"),
                "list_label": self.list_label,
                "edit_url": reverse(f"assistance:{self.edit_url_name}", args=[obj.pk])
                if self.edit_url_name and self.can_manage() else ""}


def fact(obj, name: str, value=None) -> tuple[str, str]:
    model_field = obj._meta.get_field(name)
    shown = value if value is not None else display_value(model_field, getattr(obj, name))
    return str(model_field.verbose_name), shown


class ServiceFormView(PermissionRequiredMixin, FormView):
    """A form page: the form parses, a service writes; a service error is shown by its field."""

    template_name = "assistance/form.html"
    required_perm = Perm.MANAGE_REGISTERS
    model = None  # the row named by `pk`, read through restrict(user, required_perm)
    title = ""
    submit_label = _("保存")
    success_message = _("已保存。")
    back_label = _("返回")

    @cached_property
    def object(self):
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(self.model.objects.restrict(self.request.user, self.required_perm),
                                 pk=self.kwargs["pk"])

    @cached_property
    def household(self):
        """A household named in the address (`?household=`), within the user's area."""
        value = self.request.GET.get("household") or self.request.POST.get("household_pk") or ""
        if not value:
            return None
        if not value.isdigit():
            raise Http404
        return get_object_or_404(Household.objects.restrict(self.request.user, self.required_perm), pk=int(value))

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, **self.form_extra()}

    def form_extra(self) -> dict:
        return {}

    def form_valid(self, form):
        try:
            obj = self.perform(form)
        except ServiceError as error:
            form.add_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message)
        return redirect(self.success_url_for(obj))

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def back_url(self) -> str:
        return reverse("assistance:index")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "title": self.title, "submit_label": self.submit_label,
                "back_url": self.back_url(), "back_label": self.back_label, "subject": self.subject(),
                "household_pk": self.household.pk if self.household is not None else ""}

    def subject(self) -> str:
        return str(self.object) if self.object is not None else ""

    def initial_from(self, obj, names) -> dict:
        data = {name: getattr(obj, name) for name in names}
        data["version"] = obj.version
        return data


# ---------------------------------------------------------------- hub


class IndexView(PermissionRequiredMixin, TemplateView):
    """The assistance menu with counts for the user's area."""

    required_perm = Perm.VIEW_ASSISTANCE
    template_name = "assistance/index.html"

    def get_context_data(self, **kwargs):
        user, today = self.request.user, timezone.localdate()
        restrict = lambda model: model.objects.restrict(user, Perm.VIEW_ASSISTANCE)
        registers = [
            (_("扶贫车间"), "assistance:workshop-list", restrict(Workshop).filter(closed_on__isnull=True).count()),
            (_("公益岗位"), "assistance:welfare-list", restrict(WelfarePost).filter(ends_on__gte=today).count()),
            (_("技能培训"), "assistance:course-list", restrict(TrainingCourse).count()),
            (_("小额信贷"), "assistance:loan-list", restrict(MicroCredit).count()),
            (_("项目超市"), "assistance:project-list", restrict(IndustryProject).filter(open=True).count()),
            (_("企业结对"), "assistance:pairing-list", restrict(EnterprisePairing).filter(ended_on__isnull=True).count()),
        ]
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
        county = self.user_county()
        return {**super().get_context_data(**kwargs), "items": items, "county": county}

    def user_county(self):
        place = self.request.user.place
        return place if place is not None and place.level == Level.COUNTY else None

    def post(self, request, *args, **kwargs):
        county = self.user_county()
        if county is None:
            raise DjangoPermissionDenied(gettext("帮扶措施目录由县级维护。"))
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
        if "pk" not in kwargs and request.user.is_authenticated and (
                request.user.place is None or request.user.place.level != Level.COUNTY):
            raise DjangoPermissionDenied(gettext("帮扶措施目录由县级维护。"))
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
        monitoring, case = current_monitoring(household), green_channel_case(household)
        can_manage = (user.has_perm_named(Perm.MANAGE_MEASURES) and household.is_active
                      and (monitoring is not None or case is not None))
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
        rows.append((gettext("扶贫车间"), f"{job.workshop.name} · {money(job.monthly_wage)}",
                     reverse("assistance:workshop-detail", args=[job.workshop_id])))
    for post in measure.welfare_posts.all():
        rows.append((gettext("公益岗位"), f"{post.post_name} · {post.starts_on}—{post.ends_on}",
                     reverse("assistance:welfare-detail", args=[post.pk])))
    for participant in measure.trainings.all():
        rows.append((gettext("技能培训"), participant.course.name,
                     reverse("assistance:course-detail", args=[participant.course_id])))
    for loan in measure.micro_credits.all():
        rows.append((gettext("小额信贷"), f"{loan.lender} · {money(loan.amount)}",
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
        return MeasureCatalogueItem.objects.filter(county_id=self.plan_household.county_id, active=True,
                                                   pk=int(value)).first()

    def get_initial(self):
        if self.object is not None:
            return self.initial_from(self.object, [
                "catalogue_item", "category", "name", "risk_types", "responsible_unit", "responsible_person",
                "starts_on", "ends_on", "amount", "status", "runs_after_elimination", "note"])
        initial = {"starts_on": timezone.localdate(), "status": "planned"}
        item = self.chosen_item
        if item is not None:
            risks = household_risk_types(self.plan_household)
            initial.update(catalogue_item=item.pk, category=item.category, name=item.name,
                           amount=item.standard_amount, runs_after_elimination=item.runs_after_elimination,
                           risk_types=[r for r in risks if r in (item.risk_types or [])])
        return initial

    def get_context_data(self, **kwargs):
        items = MeasureCatalogueItem.objects.filter(county_id=self.plan_household.county_id, active=True)
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


# ---------------------------------------------------------------- workshops


class WorkshopListView(RegisterListView):
    model = Workshop
    title = _("扶贫车间")
    search_fields = ("name", "operator", "products")
    new_url_name = "workshop-new"
    intro = _("在岗务工人员中来自脱贫户、监测户的达到规定人数，可挂“扶贫车间”牌子。")

    @property
    def headers(self):
        return [_("车间名称"), _("所在地"), _("经营主体"), _("在岗人数"), _("其中脱贫户、监测户"), _("挂牌条件")]

    def get_queryset(self):
        return super().get_queryset().with_counts().select_related("place").order_by("place__code", "name", "pk")

    def rows(self, objects):
        return [Row(reverse("assistance:workshop-detail", args=[w.pk]),
                    [w.name, w.place.name, w.operator, w.employee_count, w.eligible_count,
                     gettext("符合") if w.sign_eligible else gettext("未达到")], muted=w.closed_on is not None)
                for w in objects]


class WorkshopDetailView(RegisterDetailView):
    model = Workshop
    list_url_name = "workshop-list"
    list_label = _("扶贫车间")
    edit_url_name = "workshop-edit"

    def get_queryset(self):
        return super().get_queryset().with_counts().select_related("place")

    def facts(self, w):
        return [fact(w, "place", w.place.name), fact(w, "operator"), fact(w, "address"), fact(w, "products"),
                fact(w, "opened_on"), fact(w, "closed_on"),
                (gettext("在岗人数"), str(w.employee_count)),
                (gettext("其中脱贫户、监测户"), str(w.eligible_count))]

    def notice(self, w):
        needed = workshop_sign_min_employees()
        if w.sign_eligible:
            return ("success", gettext("符合“扶贫车间”挂牌条件：在岗的脱贫户、监测户务工人员%(n)d人（不少于%(m)d人）。") % {
                "n": w.eligible_count, "m": needed})
        return ("warning", gettext("暂不符合“扶贫车间”挂牌条件：在岗的脱贫户、监测户务工人员%(n)d人，须不少于%(m)d人。") % {
            "n": w.eligible_count, "m": needed})

    def sections(self, w):
        user, today = self.request.user, timezone.localdate()
        employees = (WorkshopEmployee.objects.restrict(user, Perm.VIEW_ASSISTANCE).filter(workshop=w)
                     .select_related("member", "household"))
        can = user.has_perm_named(Perm.MANAGE_REGISTERS)
        rows = [Row(reverse("assistance:employee-edit", args=[e.pk]) if can else "",
                    [person_label(e.member), e.household.number, e.since, e.until or "—", money(e.monthly_wage),
                     gettext("在岗") if e.is_current(today) else gettext("已离岗")], muted=not e.is_current(today))
                for e in employees]
        return [Section(gettext("务工人员（您辖区内）"), [gettext("姓名"), gettext("户编号"), gettext("入职日期"),
                                                  gettext("离职日期"), gettext("月工资（元）"), gettext("状态")], rows,
                        add_url=reverse("assistance:employee-new", args=[w.pk]) if can and w.closed_on is None else "",
                        add_label=gettext("登记务工人员"))]


class WorkshopFormView(ServiceFormView):
    model = Workshop
    form_class = f.WorkshopForm
    back_label = _("扶贫车间")

    @property
    def title(self):
        return gettext("修改扶贫车间") if self.object else gettext("登记扶贫车间")

    def form_extra(self):
        return {"new": self.object is None}

    def get_initial(self):
        if self.object is None:
            return {"opened_on": timezone.localdate()}
        return self.initial_from(self.object, ["place", "name", "operator", "address", "products", "opened_on",
                                               "closed_on"])

    def perform(self, form):
        data = form.service_fields()
        if self.object is None:
            return services.workshop_add(actor=self.request.user, **data)
        return services.workshop_update(actor=self.request.user, workshop=self.object,
                                        version=form.cleaned_data["version"], reason=form.cleaned_data["reason"],
                                        **data)

    def back_url(self):
        return reverse("assistance:workshop-list")

    def success_url_for(self, obj):
        return reverse("assistance:workshop-detail", args=[obj.pk])


class EmployeeAddView(ServiceFormView):
    model = Workshop
    form_class = f.EmployeeForm
    title = _("登记务工人员")

    @property
    def workshop(self):
        return self.object

    def form_extra(self):
        return {"household": self.household}

    def get_initial(self):
        return {"since": timezone.localdate()}

    def subject(self):
        return self.workshop.name

    def perform(self, form):
        data = form.service_fields()
        member = data.pop("member")
        return services.workshop_employee_add(actor=self.request.user, workshop=self.workshop, member=member, **data)

    def back_url(self):
        return reverse("assistance:workshop-detail", args=[self.workshop.pk])

    def success_url_for(self, obj):
        return self.back_url()


class EmployeeEditView(ServiceFormView):
    model = WorkshopEmployee
    form_class = f.EmployeeEditForm
    title = _("修改务工记录")

    def form_extra(self):
        return {"household": self.object.household}

    def get_initial(self):
        return self.initial_from(self.object, ["since", "until", "monthly_wage", "measure"])

    def perform(self, form):
        return services.workshop_employee_update(actor=self.request.user, employee=self.object,
                                                 version=form.cleaned_data["version"],
                                                 reason=form.cleaned_data["reason"], **form.service_fields())

    def subject(self):
        return f"{self.object.workshop.name} · {self.object.member.name}"

    def back_url(self):
        return reverse("assistance:workshop-detail", args=[self.object.workshop_id])

    def success_url_for(self, obj):
        return self.back_url()


# ---------------------------------------------------------------- welfare posts


class WelfareListView(RegisterListView):
    model = WelfarePost
    title = _("公益岗位")
    search_fields = ("post_name", "holder__name", "household__number")
    new_url_name = "welfare-new"

    @property
    def headers(self):
        return [_("岗位名称"), _("在岗人员"), _("户编号"), _("上岗日期"), _("合同到期日"), _("月补贴（元）"), _("补贴合计（元）")]

    def get_queryset(self):
        return super().get_queryset().select_related("holder", "household")

    def rows(self, objects):
        today = timezone.localdate()
        return [Row(reverse("assistance:welfare-detail", args=[p.pk]),
                    [p.post_name, person_label(p.holder), p.household.number, p.starts_on, p.ends_on,
                     money(p.monthly_wage), money(p.total_wage)], muted=p.ends_on < today) for p in objects]


class WelfareDetailView(RegisterDetailView):
    model = WelfarePost
    list_url_name = "welfare-list"
    list_label = _("公益岗位")
    edit_url_name = "welfare-edit"

    def get_queryset(self):
        return super().get_queryset().select_related("holder", "household", "place", "measure")

    def facts(self, p):
        return [fact(p, "post_name"), fact(p, "place", p.place.name), fact(p, "holder", person_label(p.holder)),
                fact(p, "household", p.household.number), fact(p, "starts_on"), fact(p, "months"),
                fact(p, "ends_on"), fact(p, "monthly_wage", money(p.monthly_wage)),
                (gettext("补贴合计（元）"), money(p.total_wage)), measure_fact(p)]


def measure_fact(obj):
    return (gettext("对应帮扶措施"), obj.measure.name if obj.measure_id else "—")


class WelfareFormView(ServiceFormView):
    model = WelfarePost
    form_class = f.WelfarePostForm
    back_label = _("公益岗位")

    @property
    def title(self):
        return gettext("修改公益岗位") if self.object else gettext("登记公益岗位")

    def form_extra(self):
        household = self.object.household if self.object else self.household
        return {"household": household, "new": self.object is None}

    def get_initial(self):
        if self.object is None:
            initial = {"starts_on": timezone.localdate(), "months": 12}
            if self.household is not None:
                initial["place"] = self.household.place_id if self.household.place.level != Level.GROUP \
                    else self.household.place.parent_id
            return initial
        return self.initial_from(self.object, ["place", "post_name", "starts_on", "months", "monthly_wage",
                                               "measure"])

    def perform(self, form):
        data = form.service_fields()
        if self.object is None:
            holder = data.pop("member")
            return services.welfare_post_add(actor=self.request.user, holder=holder, **data)
        return services.welfare_post_update(actor=self.request.user, post=self.object,
                                            version=form.cleaned_data["version"],
                                            reason=form.cleaned_data["reason"], **data)

    def back_url(self):
        return reverse("assistance:welfare-list")

    def success_url_for(self, obj):
        return reverse("assistance:welfare-detail", args=[obj.pk])


# ---------------------------------------------------------------- training


class CourseListView(RegisterListView):
    model = TrainingCourse
    title = _("技能培训")
    search_fields = ("name", "organiser", "skill")
    new_url_name = "course-new"

    @property
    def headers(self):
        return [_("培训班名称"), _("举办地"), _("主办单位"), _("培训工种"), _("开班日期"), _("结业日期")]

    def get_queryset(self):
        return super().get_queryset().select_related("place")

    def rows(self, objects):
        return [Row(reverse("assistance:course-detail", args=[c.pk]),
                    [c.name, c.place.name, c.organiser, c.skill, c.held_from, c.held_to]) for c in objects]


class CourseDetailView(RegisterDetailView):
    model = TrainingCourse
    list_url_name = "course-list"
    list_label = _("技能培训")
    edit_url_name = "course-edit"

    def get_queryset(self):
        return super().get_queryset().select_related("place")

    def facts(self, c):
        return [fact(c, "place", c.place.name), fact(c, "organiser"), fact(c, "skill"), fact(c, "held_from"),
                fact(c, "held_to")]

    def sections(self, c):
        user = self.request.user
        can = user.has_perm_named(Perm.MANAGE_REGISTERS)
        participants = (TrainingParticipant.objects.restrict(user, Perm.VIEW_ASSISTANCE).filter(course=c)
                        .select_related("member", "household"))
        rows = [Row(reverse("assistance:participant-edit", args=[p.pk]) if can else "",
                    [person_label(p.member), p.household.number, p.skill_gained or "—",
                     gettext("是") if p.certificate else gettext("否")]) for p in participants]
        return [Section(gettext("学员（您辖区内）"), [gettext("姓名"), gettext("户编号"), gettext("掌握技能"),
                                               gettext("取得证书")], rows,
                        add_url=reverse("assistance:participant-new", args=[c.pk]) if can else "",
                        add_label=gettext("登记学员"))]


class CourseFormView(ServiceFormView):
    model = TrainingCourse
    form_class = f.CourseForm
    back_label = _("技能培训")

    @property
    def title(self):
        return gettext("修改培训班") if self.object else gettext("登记培训班")

    def form_extra(self):
        return {"new": self.object is None}

    def get_initial(self):
        if self.object is None:
            return {}
        return self.initial_from(self.object, ["place", "name", "organiser", "skill", "held_from", "held_to"])

    def perform(self, form):
        data = form.service_fields()
        if self.object is None:
            return services.training_course_add(actor=self.request.user, **data)
        return services.training_course_update(actor=self.request.user, course=self.object,
                                               version=form.cleaned_data["version"],
                                               reason=form.cleaned_data["reason"], **data)

    def back_url(self):
        return reverse("assistance:course-list")

    def success_url_for(self, obj):
        return reverse("assistance:course-detail", args=[obj.pk])


class ParticipantAddView(ServiceFormView):
    model = TrainingCourse
    form_class = f.ParticipantForm
    title = _("登记学员")

    def form_extra(self):
        return {"household": self.household, "new": True}

    def perform(self, form):
        data = form.service_fields()
        member = data.pop("member")
        return services.training_participant_add(actor=self.request.user, course=self.object, member=member, **data)

    def back_url(self):
        return reverse("assistance:course-detail", args=[self.object.pk])

    def success_url_for(self, obj):
        return self.back_url()


class ParticipantEditView(ServiceFormView):
    model = TrainingParticipant
    form_class = f.ParticipantForm
    title = _("修改学员信息")

    def form_extra(self):
        return {"household": self.object.household, "new": False}

    def get_initial(self):
        return self.initial_from(self.object, ["skill_gained", "certificate", "measure"])

    def subject(self):
        return f"{self.object.course.name} · {self.object.member.name}"

    def perform(self, form):
        return services.training_participant_update(actor=self.request.user, participant=self.object,
                                                    version=form.cleaned_data["version"],
                                                    reason=form.cleaned_data["reason"], **form.service_fields())

    def back_url(self):
        return reverse("assistance:course-detail", args=[self.object.course_id])

    def success_url_for(self, obj):
        return self.back_url()


# ---------------------------------------------------------------- micro-credit


class LoanListView(RegisterListView):
    model = MicroCredit
    title = _("小额信贷")
    search_fields = ("borrower__name", "household__number", "lender")
    new_url_name = "loan-new"

    @property
    def headers(self):
        return [_("借款人"), _("户编号"), _("放款银行"), _("贷款金额（元）"), _("放款日期"), _("到期日"), _("未还本金（元）"),
                _("状态")]

    def get_queryset(self):
        queryset = (super().get_queryset().with_repaid().select_related("borrower", "household")
                    .order_by("-issued_on", "-pk"))
        if self.request.GET.get("overdue") == "1":
            ids = [loan.pk for loan in queryset if loan.overdue]
            queryset = queryset.filter(pk__in=ids)
        return queryset

    def rows(self, objects):
        return [Row(reverse("assistance:loan-detail", args=[loan.pk]),
                    [person_label(loan.borrower), loan.household.number, loan.lender, money(loan.amount),
                     loan.issued_on, loan.due_on, money(loan.outstanding), loan_state(loan)],
                    muted=loan.outstanding == 0) for loan in objects]


def loan_state(loan) -> str:
    if loan.outstanding == 0:
        return gettext("已结清")
    return gettext("逾期") if loan.overdue else gettext("未到期")


class LoanDetailView(RegisterDetailView):
    model = MicroCredit
    list_url_name = "loan-list"
    list_label = _("小额信贷")
    edit_url_name = "loan-edit"

    def get_queryset(self):
        return super().get_queryset().with_repaid().select_related("borrower", "household", "measure")

    def facts(self, loan):
        return [fact(loan, "borrower", person_label(loan.borrower)), fact(loan, "household", loan.household.number),
                fact(loan, "lender"), fact(loan, "amount", money(loan.amount)), fact(loan, "term_months"),
                fact(loan, "issued_on"), fact(loan, "rate"), (gettext("到期日"), str(loan.due_on)),
                (gettext("已还金额（元）"), money(loan.repaid)), (gettext("未还本金（元）"), money(loan.outstanding)),
                (gettext("状态"), loan_state(loan)), measure_fact(loan)]

    def notice(self, loan):
        if loan.overdue:
            return ("danger", gettext("已于%(d)s到期，仍有%(a)s元未还。") % {"d": loan.due_on, "a": money(loan.outstanding)})
        return None

    def sections(self, loan):
        rows = [Row("", [r.paid_on, money(r.amount)]) for r in loan.repayments.all()]
        can = self.can_manage() and loan.outstanding > 0
        return [Section(gettext("还款记录"), [gettext("还款日期"), gettext("还款金额（元）")], rows,
                        add_url=reverse("assistance:repayment-new", args=[loan.pk]) if can else "",
                        add_label=gettext("登记还款"))]


class LoanFormView(ServiceFormView):
    model = MicroCredit
    form_class = f.LoanForm
    back_label = _("小额信贷")

    @property
    def title(self):
        return gettext("修改小额信贷") if self.object else gettext("登记小额信贷")

    def form_extra(self):
        household = self.object.household if self.object else self.household
        return {"household": household, "new": self.object is None}

    def get_initial(self):
        if self.object is None:
            return {"issued_on": timezone.localdate(), "term_months": 36}
        return self.initial_from(self.object, ["lender", "amount", "term_months", "issued_on", "rate", "measure"])

    def perform(self, form):
        data = form.service_fields()
        if self.object is None:
            borrower = data.pop("member")
            return services.micro_credit_add(actor=self.request.user, borrower=borrower, **data)
        return services.micro_credit_update(actor=self.request.user, loan=self.object,
                                            version=form.cleaned_data["version"],
                                            reason=form.cleaned_data["reason"], **data)

    def back_url(self):
        return reverse("assistance:loan-list")

    def success_url_for(self, obj):
        return reverse("assistance:loan-detail", args=[obj.pk])


class RepaymentAddView(ServiceFormView):
    model = MicroCredit
    form_class = f.RepaymentForm
    title = _("登记还款")

    def get_initial(self):
        return {"paid_on": timezone.localdate()}

    def perform(self, form):
        return services.repayment_add(actor=self.request.user, loan=self.object, **form.service_fields())

    def back_url(self):
        return reverse("assistance:loan-detail", args=[self.object.pk])

    def success_url_for(self, obj):
        return self.back_url()


# ---------------------------------------------------------------- project supermarket


class ProjectListView(RegisterListView):
    model = IndustryProject
    title = _("项目超市")
    search_fields = ("name", "description")
    new_url_name = "project-new"

    @property
    def headers(self):
        return [_("项目名称"), _("发布地区"), _("项目类别"), _("每户扶持金额（元）"), _("已选/可选户数"), _("状态")]

    def get_queryset(self):
        return super().get_queryset().with_taken().select_related("place").order_by("-open", "place__code", "name",
                                                                                       "pk")

    def rows(self, objects):
        return [Row(reverse("assistance:project-detail", args=[p.pk]),
                    [p.name, p.place.name, p.get_category_display(), money(p.support_per_household),
                     f"{p.taken_count()}/{p.capacity}",
                     (gettext("可选") if p.places_left else gettext("已满")) if p.open else gettext("已停止选择")],
                    muted=not p.open) for p in objects]


class ProjectDetailView(RegisterDetailView):
    model = IndustryProject
    list_url_name = "project-list"
    list_label = _("项目超市")
    edit_url_name = "project-edit"

    def get_queryset(self):
        return super().get_queryset().with_taken().select_related("place")

    def facts(self, p):
        return [fact(p, "place", p.place.name), fact(p, "category"),
                fact(p, "support_per_household", money(p.support_per_household)), fact(p, "capacity"),
                (gettext("已选户数"), str(p.taken_count())), (gettext("剩余名额"), str(p.places_left)),
                fact(p, "open"), fact(p, "description")]

    def sections(self, p):
        user = self.request.user
        can = user.has_perm_named(Perm.MANAGE_REGISTERS)
        choices = (ProjectChoice.objects.restrict(user, Perm.VIEW_ASSISTANCE).filter(project=p)
                   .select_related("household"))
        rows = [Row(reverse("assistance:choice-edit", args=[c.pk]) if can else "",
                    [household_label(c.household), c.chosen_on, c.get_status_display()],
                    muted=c.status == ChoiceStatus.WITHDRAWN) for c in choices]
        return [Section(gettext("选择该项目的农户（您辖区内）"), [gettext("农户"), gettext("选择日期"), gettext("状态")], rows,
                        add_url=reverse("assistance:project-choose", args=[p.pk])
                        if can and p.open and p.places_left else "", add_label=gettext("农户选择此项目"))]


class ProjectFormView(ServiceFormView):
    model = IndustryProject
    form_class = f.ProjectForm
    back_label = _("项目超市")

    @cached_property
    def object(self):
        if "pk" not in self.kwargs:
            return None
        # Editing a project is for the area that published it, not the villages it serves.
        project = super().object
        if not project.area_code.startswith(self.request.user.area_prefix):
            raise Http404
        return project

    @property
    def title(self):
        return gettext("修改产业项目") if self.object else gettext("发布产业项目")

    def form_extra(self):
        return {"new": self.object is None}

    def get_initial(self):
        if self.object is None:
            return {"open": True}
        return self.initial_from(self.object, ["place", "name", "category", "description", "support_per_household",
                                               "capacity", "open"])

    def perform(self, form):
        data = form.service_fields()
        if self.object is None:
            return services.industry_project_add(actor=self.request.user, **data)
        return services.industry_project_update(actor=self.request.user, project=self.object,
                                                version=form.cleaned_data["version"],
                                                reason=form.cleaned_data["reason"], **data)

    def back_url(self):
        return reverse("assistance:project-list")

    def success_url_for(self, obj):
        return reverse("assistance:project-detail", args=[obj.pk])


class ProjectChooseView(ServiceFormView):
    model = IndustryProject
    form_class = f.ChooseForm
    title = _("农户选择产业项目")
    success_message = _("已登记项目选择。")

    def form_extra(self):
        return {"household": self.household}

    def get_initial(self):
        return {"chosen_on": timezone.localdate()}

    def perform(self, form):
        data = form.service_fields()
        household = self.household or form.household
        return services.project_choose(actor=self.request.user, project=self.object, household=household, **data)

    def back_url(self):
        return reverse("assistance:project-detail", args=[self.object.pk])

    def success_url_for(self, obj):
        return self.back_url()


class ChoiceEditView(ServiceFormView):
    model = ProjectChoice
    form_class = f.ChoiceEditForm
    title = _("修改项目选择")

    def form_extra(self):
        return {"household": self.object.household}

    def get_initial(self):
        return self.initial_from(self.object, ["status", "measure"])

    def perform(self, form):
        return services.project_choice_update(actor=self.request.user, choice=self.object,
                                              version=form.cleaned_data["version"],
                                              reason=form.cleaned_data["reason"], **form.service_fields())

    def subject(self):
        return f"{self.object.project.name} · {self.object.household.number}"

    def back_url(self):
        return reverse("assistance:project-detail", args=[self.object.project_id])

    def success_url_for(self, obj):
        return self.back_url()


# ---------------------------------------------------------------- enterprise pairing


class PairingListView(RegisterListView):
    model = EnterprisePairing
    title = _("企业结对")
    search_fields = ("enterprise", "household__number", "content")
    new_url_name = "pairing-new"

    @property
    def headers(self):
        return [_("企业名称"), _("户编号"), _("结对日期"), _("帮扶内容"), _("结束日期")]

    def get_queryset(self):
        return super().get_queryset().select_related("household")

    def rows(self, objects):
        return [Row(reverse("assistance:pairing-detail", args=[p.pk]),
                    [p.enterprise, p.household.number, p.started_on, p.content, p.ended_on or "—"],
                    muted=p.ended_on is not None) for p in objects]


class PairingDetailView(RegisterDetailView):
    model = EnterprisePairing
    list_url_name = "pairing-list"
    list_label = _("企业结对")
    edit_url_name = "pairing-edit"

    def get_queryset(self):
        return super().get_queryset().select_related("household", "measure")

    def facts(self, p):
        return [fact(p, "enterprise"), fact(p, "household", household_label(p.household)), fact(p, "contact"),
                fact(p, "started_on"), fact(p, "content"), fact(p, "ended_on"), measure_fact(p)]


class PairingFormView(ServiceFormView):
    model = EnterprisePairing
    form_class = f.PairingForm
    back_label = _("企业结对")

    @property
    def title(self):
        return gettext("修改企业结对") if self.object else gettext("登记企业结对")

    def form_extra(self):
        household = self.object.household if self.object else self.household
        return {"household": household, "new": self.object is None}

    def get_initial(self):
        if self.object is None:
            return {"started_on": timezone.localdate()}
        return self.initial_from(self.object, ["enterprise", "contact", "started_on", "content", "ended_on",
                                               "measure"])

    def perform(self, form):
        data = form.service_fields()
        if self.object is None:
            household = self.household or form.household
            return services.pairing_add(actor=self.request.user, household=household, **data)
        return services.pairing_update(actor=self.request.user, pairing=self.object,
                                       version=form.cleaned_data["version"], reason=form.cleaned_data["reason"],
                                       **data)

    def back_url(self):
        return reverse("assistance:pairing-list")

    def success_url_for(self, obj):
        return reverse("assistance:pairing-detail", args=[obj.pk])
