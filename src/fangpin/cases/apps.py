from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "fangpin.cases"
    label = "cases"
    verbose_name = _("识别认定与风险消除")
