from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "fangpin.registry"
    verbose_name = _("农户档案")
