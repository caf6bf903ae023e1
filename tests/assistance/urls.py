"""The project's URLs with the assistance pages mounted, whether or not the root urlconf has them yet."""

from django.urls import include, path

from fangpin.urls import urlpatterns as root

urlpatterns = list(root)
if not any(getattr(p, "namespace", None) == "assistance" for p in root):
    urlpatterns.insert(0, path("assistance/", include("fangpin.assistance.urls")))
