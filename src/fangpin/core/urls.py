from django.contrib.auth import views as auth_views
from django.urls import path

from . import job_views, policy_views, views
from .auth import SignInForm

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=SignInForm),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("changes/", views.ChangeLogView.as_view(), name="change-log"),
    path("changes/<int:pk>/unmask/", views.ChangeValueUnmaskView.as_view(), name="change-unmask"),
    path("access-log/", views.AccessLogView.as_view(), name="access-log"),
    path("access-log/export/", views.AccessLogExportView.as_view(), name="access-log-export"),
    path("policy/", policy_views.CountyPolicyView.as_view(), name="county-policy"),
    path("policy/<str:label>/new/", policy_views.PolicyAdoptView.as_view(), name="policy-adopt"),
    path("jobs/", job_views.JobListView.as_view(), name="job-list"),
    path("jobs/<int:pk>/", job_views.JobDetailView.as_view(), name="job-detail"),
    path("jobs/<int:pk>/file/", job_views.JobFileView.as_view(), name="job-file"),
]
