"""The county's procedure (stages, time limits, segregation of duties) and its holiday table."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.views.generic import TemplateView

from fangpin.core.areas import county_of
from fangpin.core.errors import ServiceError
from fangpin.core.roles import Perm
from fangpin.core.views import PermissionRequiredMixin

from .. import services
from ..choices import CaseKind, DutyRule, StageKind, StageLevel
from ..forms import (DutyFormSet, HolidayForm, ProcedureForm, StageFormSet, StagesJsonField, duties_initial, duty_rows,
                     stage_rows, stages_initial)
from ..models import Holiday, ProcedureConfig
from ..procedure import DEFAULT_NOTICE_DAYS, DEFAULT_STAGES, DEFAULT_TOTAL_DAYS, default_duties, duty_label, stage_label
from ..workdays import county_calendar


class CountyMixin(PermissionRequiredMixin):
    required_perm = Perm.MANAGE_PROCEDURE

    @cached_property
    def county(self):
        return county_of(self.request.user.place)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.place_id:
            raise DjangoPermissionDenied(gettext("您的账号没有所属区划。"))
        return super().dispatch(request, *args, **kwargs)


def _parse_json(text: str):
    """A configuration typed as JSON: (the parsed value or None, the error to show next to its text area)."""
    try:
        return StagesJsonField(required=False).clean(text), ""
    except ValidationError as error:
        return None, " ".join(error.messages)


class ProcedureView(CountyMixin, TemplateView):
    template_name = "cases/procedure.html"

    def kind(self) -> str:
        kind = self.request.POST.get("kind") or self.request.GET.get("kind")
        return kind if kind in CaseKind.values else CaseKind.IDENTIFICATION

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data())

    def post(self, request, *args, **kwargs):
        kind = self.kind()
        form = ProcedureForm(request.POST)
        formset = StageFormSet(request.POST, prefix="stages")
        stages_json = request.POST.get("stages_json", "")
        parsed_json, json_error = _parse_json(stages_json)
        use_json = bool(stages_json.strip())
        duty_formset = DutyFormSet(request.POST, prefix="duties")
        duties_json = request.POST.get("duties_json", "")
        parsed_duties, duties_error = _parse_json(duties_json)
        use_duties_json = bool(duties_json.strip())
        # A post without the rules table (an older form or a script) keeps the rules of the last version.
        duties_posted = use_duties_json or f"{duty_formset.prefix}-TOTAL_FORMS" in request.POST
        valid = (form.is_valid() and (parsed_json is not None if use_json else formset.is_valid())
                 and (not duties_posted or (parsed_duties is not None if use_duties_json
                                            else duty_formset.is_valid())))
        error_text = json_error
        if valid:
            data = form.cleaned_data
            try:
                config = services.procedure_adopt(
                    actor=request.user, county=self.county, kind=kind,
                    stages=parsed_json if use_json else stage_rows(formset),
                    duties=(parsed_duties if use_duties_json else duty_rows(duty_formset)) if duties_posted else None,
                    total_limit_days=data["total_limit_days"], notice_days=data["notice_days"],
                    objection_phone=data["objection_phone"], green_channel=data["green_channel"],
                    effective_from=data["effective_from"], note=data["note"])
            except ServiceError as error:
                if error.field == "stages":
                    error_text = error.message
                elif error.field == "duties":
                    duties_error = error.message
                else:
                    form.add_service_error(error)
                status = error.status
            else:
                messages.success(request, gettext("已制定%(k)s流程第%(v)d版，%(d)s起生效。") % {
                    "k": config.get_kind_display(), "v": config.version, "d": config.effective_from})
                return redirect(f"{reverse('cases:procedure')}?kind={kind}")
        else:
            status = 400
        return self.render_to_response(self.get_context_data(
            form=form, formset=formset, stages_error=error_text, stages_json=stages_json,
            duty_formset=duty_formset if duties_posted else None,
            duties_error=duties_error, duties_json=duties_json), status=status)

    def get_context_data(self, **kwargs):
        today, county = timezone.localdate(), self.county
        kinds = []
        for kind in CaseKind:
            versions = list(ProcedureConfig.objects.series(county, kind=kind).select_related("created_by")
                            .order_by("-version"))
            in_force = ProcedureConfig.objects.in_force(county, today, kind=kind)
            stages = in_force.stages if in_force else DEFAULT_STAGES[kind]
            kinds.append({"kind": kind, "in_force": in_force, "versions": versions,
                          "upcoming": [v for v in versions if v.effective_from > today],
                          "stages": [{**s, "label": stage_label(s), "kind_label": StageKind(s["kind"]).label,
                                      "level_label": StageLevel(s["level"]).label,
                                      "perm_label": Perm(s["perm"]).label if s["perm"] in Perm.values else s["perm"]}
                                     for s in stages],
                          "duties": [{**r, "label": duty_label(r)}
                                     for r in (in_force.duties if in_force else default_duties())],
                          "total_limit_days": in_force.total_limit_days if in_force else DEFAULT_TOTAL_DAYS[kind],
                          "notice_days": in_force.notice_days if in_force else DEFAULT_NOTICE_DAYS[kind]})
        kind = self.kind()
        current = next(k for k in kinds if k["kind"] == kind)
        base = current["in_force"]
        form = kwargs.get("form") or ProcedureForm(initial={
            "kind": kind, "effective_from": today, "total_limit_days": current["total_limit_days"],
            "notice_days": current["notice_days"], "objection_phone": base.objection_phone if base else "",
            "green_channel": base.green_channel if base else True})
        formset = kwargs.get("formset") or StageFormSet(prefix="stages", initial=stages_initial(
            base.stages if base else DEFAULT_STAGES[kind]))
        duty_formset = kwargs.get("duty_formset") or DutyFormSet(prefix="duties", initial=duties_initial(
            base.duties if base else default_duties()))
        return {**super().get_context_data(), "county": county, "kinds": kinds, "kind": kind,
                "kind_label": CaseKind(kind).label, "form": form, "formset": formset,
                "stages_error": kwargs.get("stages_error", ""), "stages_json": kwargs.get("stages_json", ""),
                "duty_formset": duty_formset, "duties_error": kwargs.get("duties_error", ""),
                "duties_json": kwargs.get("duties_json", ""), "duty_rules": DutyRule}


class HolidaysView(CountyMixin, TemplateView):
    template_name = "cases/holidays.html"

    def get(self, request, *args, **kwargs):
        initial = {}
        day = request.GET.get("date", "")
        try:
            chosen = datetime.date.fromisoformat(day) if day else None
        except ValueError:
            chosen = None
        if chosen is not None:
            existing = Holiday.objects.restrict(request.user, Perm.MANAGE_PROCEDURE).filter(
                county=self.county, date=chosen).first()
            initial = {"date": chosen, "is_workday": "1" if existing and existing.is_workday else "0",
                       "name": existing.name if existing else ""}
        return self.render_to_response(self.get_context_data(form=HolidayForm(initial=initial)))

    def post(self, request, *args, **kwargs):
        form = HolidayForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        data = form.cleaned_data
        try:
            holiday = services.holiday_set(actor=request.user, county=self.county, date=data["date"],
                                           is_workday=data["is_workday"], name=data["name"])
        except ServiceError as error:
            form.add_service_error(error)
            return self.render_to_response(self.get_context_data(form=form), status=error.status)
        messages.success(request, gettext("已保存：%(d)s %(w)s。") % {
            "d": holiday.date, "w": gettext("上班") if holiday.is_workday else gettext("放假")})
        return redirect(f"{reverse('cases:holidays')}?year={holiday.date.year}")

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        try:
            year = int(self.request.GET.get("year", today.year))
        except ValueError:
            year = today.year
        holidays = Holiday.objects.restrict(self.request.user, Perm.MANAGE_PROCEDURE).filter(county=self.county)
        years = sorted({day.year for day in holidays.dates("date", "year")} | {today.year, today.year + 1})
        calendar = county_calendar(self.county)
        for check_year in (today.year, today.year + 1):
            day = datetime.date(check_year, 1, 1)
            while day in calendar.overrides and day.year == check_year:
                day += datetime.timedelta(days=1)
            calendar.is_workday(day)
        return {**super().get_context_data(**kwargs), "county": self.county, "year": year, "years": years,
                "holidays": holidays.filter(date__year=year).select_related("created_by"),
                "calendar_warnings": calendar.warnings}
