from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import DefaultRouter

from fangpin.assistance.registers import REGISTERS
from fangpin.cases.api import CaseViewSet, MonitoringViewSet, NoticeViewSet
from fangpin.core.api_docs import SwaggerView, redoc_view
from fangpin.regions.api import PlaceViewSet
from fangpin.registry.api import HouseholdViewSet, IncomeViewSet, MemberViewSet

router = DefaultRouter()
router.register("places", PlaceViewSet, basename="place")
router.register("households", HouseholdViewSet, basename="household")
router.register("members", MemberViewSet, basename="member")
router.register("incomes", IncomeViewSet, basename="income")
router.register("cases", CaseViewSet, basename="case")
router.register("notices", NoticeViewSet, basename="notice")
router.register("monitorings", MonitoringViewSet, basename="monitoring")
for prefix, register in REGISTERS.items():
    router.register(prefix, register.viewset(), basename=register.name)

# The schema and its viewers describe the API without any data, but like every other page they
# are for signed-in users (session) and API clients (token) only.
_signed_in = {"permission_classes": [IsAuthenticated]}

urlpatterns = [
    # Namespaced: the web pages use the same route names (household-list, member-end, ...).
    path("", include((router.urls, "api"))),
    path("schema/", SpectacularAPIView.as_view(**_signed_in), name="api-schema"),
    path("docs/", SwaggerView.as_view(url_name="api-schema", **_signed_in), name="api-docs"),
    path("redoc/", redoc_view(url_name="api-schema", **_signed_in), name="api-redoc"),
]
