"""Forms of the standards pages. They parse input; the services judge it."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangpin.core.views import style_widgets

from ..choices import LineMethod
from ..models import MonthlyListLine, Thresholds
from . import calibration
from .services import thresholds_carry_over

# Parameter inputs of each line method (compute_monitoring_line's keys).
METHOD_PARAMETERS = {
    LineMethod.FIXED: ("amount",),
    LineMethod.POVERTY_STANDARD_MULTIPLE: ("standard", "multiple"),
    LineMethod.LAST_YEAR_PLUS: ("last_year", "percent"),
    LineMethod.DIBAO_MULTIPLE: ("dibao_monthly", "multiple"),
}
PARAMETER_LABELS = {
    "amount": _("监测线金额（元/人/年）"),
    "standard": _("扶贫标准（元/人/年）"),
    "multiple": _("倍数"),
    "last_year": _("上年监测线（元/人/年）"),
    "percent": _("增幅（%）"),
    "dibao_monthly": _("农村低保标准（元/人/月）"),
}
RATIO_HELP = _("填小数，例如0.3表示30%")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _decimal(label, help_text=""):
    return forms.DecimalField(label=label, required=False, min_value=0, max_digits=12, decimal_places=4,
                              help_text=help_text)


class ThresholdsForm(forms.Form):
    """A new version of the monitoring standard, prefilled from the version in force (enter once)."""

    effective_from = forms.DateField(label=_("生效日期"), widget=DATE_INPUT)
    year = forms.IntegerField(label=_("标准年度"), min_value=2000, max_value=2100)
    line_method = forms.ChoiceField(label=_("监测线测算方法"), choices=LineMethod.choices)
    amount = _decimal(PARAMETER_LABELS["amount"])
    standard = _decimal(PARAMETER_LABELS["standard"])
    multiple = _decimal(PARAMETER_LABELS["multiple"])
    last_year = _decimal(PARAMETER_LABELS["last_year"])
    percent = _decimal(PARAMETER_LABELS["percent"])
    dibao_monthly = _decimal(PARAMETER_LABELS["dibao_monthly"])
    watch_band_ratio = _decimal(Thresholds._meta.get_field("watch_band_ratio").verbose_name, RATIO_HELP)
    income_drop_ratio = _decimal(Thresholds._meta.get_field("income_drop_ratio").verbose_name, RATIO_HELP)
    reference_income = _decimal(Thresholds._meta.get_field("reference_income").verbose_name)
    medical_warning_amount = _decimal(Thresholds._meta.get_field("medical_warning_amount").verbose_name)
    medical_warning_income_share = _decimal(Thresholds._meta.get_field("medical_warning_income_share").verbose_name,
                                            RATIO_HELP)
    medical_warning_reference_share_exited = _decimal(
        Thresholds._meta.get_field("medical_warning_reference_share_exited").verbose_name, RATIO_HELP)
    medical_warning_reference_share_other = _decimal(
        Thresholds._meta.get_field("medical_warning_reference_share_other").verbose_name, RATIO_HELP)
    education_warning_amount = _decimal(Thresholds._meta.get_field("education_warning_amount").verbose_name)
    education_warning_income_share = _decimal(
        Thresholds._meta.get_field("education_warning_income_share").verbose_name, RATIO_HELP)
    disaster_warning_amount = _decimal(Thresholds._meta.get_field("disaster_warning_amount").verbose_name)
    disaster_warning_income_share = _decimal(
        Thresholds._meta.get_field("disaster_warning_income_share").verbose_name, RATIO_HELP)
    stable_employment_months = forms.IntegerField(label=Thresholds._meta.get_field("stable_employment_months").verbose_name,
                                                  required=False, min_value=0, max_value=12)
    note = forms.CharField(label=_("说明"), required=False, max_length=300,
                           widget=forms.TextInput(attrs={"placeholder": _("例如：依据省里2026年监测范围通知")}))

    SECTIONS = (
        (_("监测线"), ("effective_from", "year", "line_method", *dict.fromkeys(
            p for ps in METHOD_PARAMETERS.values() for p in ps))),
        (_("关注区间与收入骤减"), ("watch_band_ratio", "income_drop_ratio", "stable_employment_months")),
        (_("医疗支出预警线"), ("reference_income", "medical_warning_amount", "medical_warning_income_share",
                        "medical_warning_reference_share_exited", "medical_warning_reference_share_other")),
        (_("教育和灾害预警线"), ("education_warning_amount", "education_warning_income_share",
                          "disaster_warning_amount", "disaster_warning_income_share")),
        (_("说明"), ("note",)),
    )

    PARAMETER_NAMES = tuple(PARAMETER_LABELS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self.fields)

    @classmethod
    def initial_from(cls, thresholds: Thresholds | None) -> dict:
        initial = {"effective_from": timezone.localdate(), "year": timezone.localdate().year,
                   "line_method": LineMethod.FIXED}
        if thresholds is not None:
            initial.update(thresholds_carry_over(thresholds))
            initial.update(line_method=thresholds.line_method, year=thresholds.year, **thresholds.line_parameters)
        return initial

    def sections(self):
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        method = data["line_method"]
        parameters = {name: data[name] for name in METHOD_PARAMETERS[method] if data.get(name) is not None}
        fields = {name: data[name] for name in (
            "watch_band_ratio", "income_drop_ratio", "reference_income", "medical_warning_amount",
            "medical_warning_income_share", "medical_warning_reference_share_exited",
            "medical_warning_reference_share_other", "education_warning_amount", "education_warning_income_share",
            "disaster_warning_amount", "disaster_warning_income_share", "stable_employment_months")}
        return {"effective_from": data["effective_from"], "year": data["year"], "line_method": method,
                "line_parameters": parameters, "note": data["note"], **fields}

    def add_service_error(self, error) -> None:
        self.add_error(error.field if error.field in self.fields else None, error.message)


class CalibrationForm(forms.Form):
    measure = forms.ChoiceField(label=_("支出类别"), choices=[(k, v[1]) for k, v in calibration.MEASURES.items()],
                                initial="medical")
    basis = forms.ChoiceField(label=_("口径"), choices=list(calibration.BASES.items()), initial="household")
    dimension = forms.ChoiceField(label=_("分组"), choices=list(calibration.DIMENSIONS.items()), initial="all")
    percentiles = forms.CharField(label=_("分位数"), max_length=60, initial="50,75,90,95,99",
                                  help_text=_("用逗号分隔，例如 75,90,95,99"))
    nonzero = forms.BooleanField(label=_("仅计有支出的户"), required=False)
    segment = forms.CharField(label=_("候选线所用分组"), required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self.fields)

    def question(self) -> calibration.Question:
        data = self.cleaned_data
        return calibration.Question(measure=data["measure"], basis=data["basis"], dimension=data["dimension"],
                                    percentiles=calibration.parse_percentiles(data["percentiles"]),
                                    nonzero=data["nonzero"])


class CandidateAdoptForm(forms.Form):
    measure = forms.ChoiceField(choices=[(k, k) for k in calibration.MEASURES])
    dimension = forms.ChoiceField(choices=[(k, k) for k in calibration.DIMENSIONS])
    segment = forms.CharField(max_length=20)
    percentile = forms.DecimalField(min_value=0, max_value=100, decimal_places=1)
    nonzero = forms.BooleanField(required=False)
    effective_from = forms.DateField(label=_("生效日期"), widget=DATE_INPUT)


class PeriodForm(forms.Form):
    period = forms.RegexField(label=_("月份"), regex=r"^\d{4}-\d{2}$", required=False,
                              widget=forms.TextInput(attrs={"type": "month"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_widgets(self.fields)

    def chosen_period(self) -> str:
        if self.is_valid() and self.cleaned_data["period"]:
            return self.cleaned_data["period"]
        return f"{timezone.localdate():%Y-%m}"


class LineActForm(forms.Form):
    status = forms.ChoiceField(label=_("处理结果"), choices=[
        c for c in MonthlyListLine.Status.choices if c[0] != MonthlyListLine.Status.PENDING])
    note = forms.CharField(label=_("处理说明"), required=False, max_length=300)
