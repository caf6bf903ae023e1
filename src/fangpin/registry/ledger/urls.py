from django.urls import path

from . import views

urlpatterns = [
    path("", views.LedgerUploadView.as_view(), name="ledger-upload"),
    path("<int:pk>/", views.LedgerPreviewView.as_view(), name="ledger-preview"),
    path("<int:pk>/merge/", views.LedgerMergeView.as_view(), name="ledger-merge"),
    path("<int:pk>/recover/", views.LedgerRecoverView.as_view(), name="ledger-recover"),
    path("<int:pk>/errors.xlsx", views.LedgerErrorsView.as_view(), name="ledger-errors"),
    path("export/", views.LedgerExportView.as_view(), name="ledger-export"),
]
