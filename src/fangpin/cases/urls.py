from django.urls import path

from .views import case, configuration, inbox, monitored, notice_pages

app_name = "cases"

urlpatterns = [
    path("", inbox.CaseListView.as_view(), name="case-list"),
    path("open/", inbox.CaseOpenView.as_view(), name="case-open"),
    path("<int:pk>/", case.CaseDetailView.as_view(), name="case-detail"),
    path("<int:pk>/decide/", case.CaseDecideView.as_view(), name="case-decide"),
    path("<int:pk>/announce/", case.CaseAnnounceView.as_view(), name="case-announce"),
    path("<int:pk>/notice/", case.NoticePublishView.as_view(), name="notice-publish"),
    path("<int:pk>/notice/conclude/", case.NoticeConcludeView.as_view(), name="notice-conclude"),
    path("<int:pk>/objection/", case.ObjectionView.as_view(), name="objection-add"),
    path("confirmations/<int:pk>/confirm/", case.ConfirmationAnswerView.as_view(answer="confirm"),
         name="confirmation-confirm"),
    path("confirmations/<int:pk>/decline/", case.ConfirmationAnswerView.as_view(answer="decline"),
         name="confirmation-decline"),
    path("attachments/<int:pk>/", case.AttachmentView.as_view(), name="attachment"),
    path("notices/<int:pk>/", notice_pages.NoticeDetailView.as_view(), name="notice-detail"),
    path("notices/<int:pk>/pdf/", notice_pages.NoticePdfView.as_view(), name="notice-pdf"),
    path("households/<int:pk>/elimination/", monitored.EliminationCheckView.as_view(), name="elimination-check"),
    path("monitored/", monitored.MonitoredListView.as_view(), name="monitored-list"),
    path("procedure/", configuration.ProcedureView.as_view(), name="procedure"),
    path("holidays/", configuration.HolidaysView.as_view(), name="holidays"),
]
