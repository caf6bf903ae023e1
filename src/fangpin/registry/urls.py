from django.urls import path

from . import views

urlpatterns = [
    path("households/", views.HouseholdListView.as_view(), name="household-list"),
    path("households/summary/", views.AreaSummaryView.as_view(), name="area-summary"),
    path("households/<int:pk>/", views.HouseholdDetailView.as_view(), name="household-detail"),
    path("households/<int:pk>/edit/", views.HouseholdEditView.as_view(), name="household-edit"),
    path("households/<int:pk>/dissolve/", views.HouseholdDissolveView.as_view(), name="household-dissolve"),
    path("households/<int:pk>/unmask/", views.UnmaskView.as_view(), name="household-unmask"),
    path("households/<int:pk>/members/add/", views.MemberAddView.as_view(), name="member-add"),
    path("households/<int:pk>/incomes/add/", views.IncomeAddView.as_view(), name="income-add"),
    path("members/<int:pk>/edit/", views.MemberEditView.as_view(), name="member-edit"),
    path("members/<int:pk>/end/", views.MemberEndView.as_view(), name="member-end"),
    path("incomes/<int:pk>/edit/", views.IncomeEditView.as_view(), name="income-edit"),
    path("data-quality/", views.DataQualityView.as_view(), name="data-quality"),
]
