from django.urls import path

from . import views

urlpatterns = [
    # Public: farmers and neighbours, no account.
    path("declare/", views.DeclareView.as_view(), name="declare"),
    path("declare/done/", views.DoneView.as_view(kind="declare", back="declare"), name="declare-done"),
    path("declare/status/", views.StatusView.as_view(), name="declare-status"),
    path("tip/", views.TipView.as_view(), name="tip"),
    path("tip/done/", views.DoneView.as_view(kind="tip", back="tip"), name="tip-done"),
    # Staff.
    path("declare/qr/", views.VillageQrView.as_view(), name="village-qr"),
    path("leads/", views.LeadInboxView.as_view(), name="lead-inbox"),
    path("leads/new/", views.LeadNewView.as_view(), name="lead-new"),
    path("leads/overdue/", views.OverdueView.as_view(), name="leads-overdue"),
    path("leads/<int:pk>/", views.LeadDetailView.as_view(), name="lead-detail"),
    path("leads/<int:pk>/accept/", views.LeadAcceptView.as_view(), name="lead-accept"),
    path("leads/<int:pk>/dismiss/", views.LeadDismissView.as_view(), name="lead-dismiss"),
    path("leads/<int:pk>/merge/", views.LeadMergeView.as_view(), name="lead-merge"),
    path("leads/<int:pk>/reveal/", views.LeadRevealView.as_view(), name="lead-reveal"),
    path("leads/pushed/", views.PushedListUploadView.as_view(), name="pushed-list-upload"),
    path("leads/pushed/template.csv", views.PushedListTemplateView.as_view(), name="pushed-list-template"),
]
