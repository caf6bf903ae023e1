from django.urls import path

from . import views

urlpatterns = [
    path("standards/", views.ThresholdsView.as_view(), name="thresholds"),
    path("standards/new/", views.ThresholdsNewView.as_view(), name="thresholds-new"),
    path("standards/preview/", views.ThresholdsPreviewView.as_view(), name="thresholds-preview"),
    path("standards/calibration/", views.CalibrationView.as_view(), name="calibration"),
    path("standards/calibration/adopt/", views.CalibrationAdoptView.as_view(), name="calibration-adopt"),
    path("monthly-lists/", views.MonthlyListsView.as_view(), name="monthly-lists"),
    path("monthly-lists/<int:pk>/", views.MonthlyListDetailView.as_view(), name="monthly-list-detail"),
    path("monthly-lists/<int:pk>/send/", views.MonthlyListSendView.as_view(), name="monthly-list-send"),
    path("monthly-lists/lines/<int:pk>/act/", views.MonthlyListLineActView.as_view(), name="monthly-list-line-act"),
]
