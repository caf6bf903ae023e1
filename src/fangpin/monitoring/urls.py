from django.urls import include, path

urlpatterns = [
    path("", include("fangpin.monitoring.intake.urls")),
    path("", include("fangpin.monitoring.visits.urls")),
    path("", include("fangpin.monitoring.screening.urls")),
    path("", include("fangpin.monitoring.standards.urls")),
]
