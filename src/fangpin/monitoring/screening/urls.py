from django.urls import path

from . import views

urlpatterns = [
    path("screening/", views.ScreeningRunListView.as_view(), name="screening-runs"),
    path("screening/<int:pk>/", views.ScreeningRunDetailView.as_view(), name="screening-run-detail"),
    path("screening/rules/", views.ScreeningRuleListView.as_view(), name="screening-rules"),
]
