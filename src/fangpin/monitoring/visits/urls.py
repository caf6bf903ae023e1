from django.urls import path

from . import views

urlpatterns = [
    path("todo/", views.TodoView.as_view(), name="todo"),
    path("households/<int:pk>/visit/", views.VisitNewView.as_view(), name="visit-new"),
    path("households/<int:pk>/visits-panel/", views.VisitPanelView.as_view(), name="visit-panel"),
    path("visits/<int:pk>/", views.VisitDetailView.as_view(), name="visit-detail"),
    path("visits/overdue/", views.OverdueView.as_view(), name="visits-overdue"),
    path("visits/policy/", views.VisitPolicyView.as_view(), name="visit-policy"),
    path("sweeps/", views.SweepListView.as_view(), name="sweep-list"),
    path("sweeps/<int:pk>/", views.SweepDetailView.as_view(), name="sweep-detail"),
    path("sweeps/items/<int:pk>/no-risk/", views.SweepItemNoRiskView.as_view(), name="sweep-item-no-risk"),
]
