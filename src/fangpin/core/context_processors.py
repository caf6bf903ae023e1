from django.conf import settings

from fangpin import __version__


def fangpin(request):
    user = getattr(request, "user", None)
    perms = user.permissions if user is not None and user.is_authenticated else frozenset()
    return {"fangpin_version": __version__, "user_perms": perms, "DEBUG": settings.DEBUG}
