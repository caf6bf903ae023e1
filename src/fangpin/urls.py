from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/", include("fangpin.api_urls")),
    path("ledger/", include("fangpin.registry.ledger.urls")),
    path("monitoring/", include("fangpin.monitoring.urls")),
    path("cases/", include("fangpin.cases.urls")),
    path("assistance/", include("fangpin.assistance.urls")),
    path("", include("fangpin.registry.urls")),
    path("", include("fangpin.core.urls")),
]
