import pytest

from fangpin.core.roles import Role

from .factories import make_places, make_user


@pytest.fixture
def places(db):
    return make_places()


@pytest.fixture
def county_admin(places):
    return make_user(Role.COUNTY_ADMIN, places["county"], "county_admin")


@pytest.fixture
def village_cadre(places):
    return make_user(Role.VILLAGE_CADRE, places["t1v1"], "cadre_a")


@pytest.fixture
def other_village_cadre(places):
    return make_user(Role.VILLAGE_CADRE, places["t2v1"], "cadre_b")


@pytest.fixture
def township_officer(places):
    return make_user(Role.TOWNSHIP_OFFICER, places["t1"], "township1")


@pytest.fixture
def other_township_officer(places):
    return make_user(Role.TOWNSHIP_OFFICER, places["t2"], "township2")


@pytest.fixture
def county_officer(places):
    return make_user(Role.COUNTY_OFFICER, places["county"], "county_officer")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def run_jobs(settings, django_capture_on_commit_callbacks):
    """`with run_jobs(): client.post(...)` runs the background jobs the request queued as soon as it
    commits, in the test's process (the worker itself is tested in tests/core/test_jobs.py)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return lambda: django_capture_on_commit_callbacks(execute=True)
