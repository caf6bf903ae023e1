from django.urls import path

from . import views
from .registers import REGISTERS

app_name = "assistance"

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("catalogue/", views.CatalogueListView.as_view(), name="catalogue"),
    path("catalogue/new/", views.CatalogueFormView.as_view(), name="catalogue-new"),
    path("catalogue/<int:pk>/edit/", views.CatalogueFormView.as_view(), name="catalogue-edit"),
    path("households/<int:pk>/plan/", views.PlanView.as_view(), name="plan"),
    path("households/<int:pk>/measures/new/", views.MeasureFormView.as_view(), name="measure-new"),
    path("measures/<int:pk>/edit/", views.MeasureEditView.as_view(), name="measure-edit"),
    path("measures/<int:pk>/evidence/", views.EvidenceUploadView.as_view(), name="evidence-upload"),
    path("evidence/<int:pk>/", views.EvidenceFileView.as_view(), name="evidence-file"),
    path("without-measure/", views.WithoutMeasureView.as_view(), name="without-measure"),
    *(route for prefix, register in REGISTERS.items() for route in register.urlpatterns(prefix)),
    path("workshops/<int:pk>/employees/new/", views.EmployeeAddView.as_view(), name="employee-new"),
    path("workshop-employees/<int:pk>/edit/", views.EmployeeEditView.as_view(), name="employee-edit"),
    path("training/<int:pk>/participants/new/", views.ParticipantAddView.as_view(), name="participant-new"),
    path("training-participants/<int:pk>/edit/", views.ParticipantEditView.as_view(), name="participant-edit"),
    path("micro-credit/<int:pk>/repayments/new/", views.RepaymentAddView.as_view(), name="repayment-new"),
    path("projects/<int:pk>/choose/", views.ProjectChooseView.as_view(), name="project-choose"),
    path("project-choices/<int:pk>/edit/", views.ChoiceEditView.as_view(), name="choice-edit"),
]
