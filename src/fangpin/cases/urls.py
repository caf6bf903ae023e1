from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.CaseListView.as_view(), name="case-list"),
    path("open/", views.CaseOpenView.as_view(), name="case-open"),
    path("<int:pk>/", views.CaseDetailView.as_view(), name="case-detail"),
    path("<int:pk>/decide/", views.CaseDecideView.as_view(), name="case-decide"),
    path("<int:pk>/announce/", views.CaseAnnounceView.as_view(), name="case-announce"),
    path("<int:pk>/notice/", views.NoticePublishView.as_view(), name="notice-publish"),
    path("<int:pk>/notice/conclude/", views.NoticeConcludeView.as_view(), name="notice-conclude"),
    path("<int:pk>/objection/", views.ObjectionView.as_view(), name="objection-add"),
    path("confirmations/<int:pk>/confirm/", views.ConfirmationAnswerView.as_view(answer="confirm"),
         name="confirmation-confirm"),
    path("confirmations/<int:pk>/decline/", views.ConfirmationAnswerView.as_view(answer="decline"),
         name="confirmation-decline"),
    path("attachments/<int:pk>/", views.AttachmentView.as_view(), name="attachment"),
    path("notices/<int:pk>/", views.NoticeDetailView.as_view(), name="notice-detail"),
    path("notices/<int:pk>/pdf/", views.NoticePdfView.as_view(), name="notice-pdf"),
    path("households/<int:pk>/elimination/", views.EliminationCheckView.as_view(), name="elimination-check"),
    path("monitored/", views.MonitoredListView.as_view(), name="monitored-list"),
    path("procedure/", views.ProcedureView.as_view(), name="procedure"),
    path("holidays/", views.HolidaysView.as_view(), name="holidays"),
]
