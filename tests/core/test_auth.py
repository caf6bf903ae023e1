"""Sign-in safety: throttling after repeated failures, idle sessions expiring, the change-log request id."""

import pytest
from django.urls import reverse

from fangpin.core.models import ChangeLog

from ..factories import make_household

PASSWORD = "Test-pass-2026"


def attempt(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR="10.9.8.7")


def test_five_failures_lock_the_account(client, village_cadre):
    for _ in range(5):
        response = attempt(client, village_cadre.username, "wrong-password")
    assert response.status_code in (403, 429)
    locked = attempt(client, village_cadre.username, PASSWORD)
    assert locked.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
    assert "锁定" in locked.content.decode() or "locked" in locked.content.decode().lower()


def test_correct_password_signs_in(client, village_cadre):
    response = attempt(client, village_cadre.username, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(village_cadre.pk)


def test_sessions_expire_when_idle(client, settings, village_cadre):
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client.force_login(village_cadre)
    assert client.get(reverse("household-list")).status_code == 200
    session = client.session
    session.set_expiry(-1)  # as if the idle period had passed
    session.save()
    response = client.get(reverse("household-list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_anonymous_user_is_sent_to_login(client, places):
    response = client.get(reverse("household-list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.django_db
def test_web_write_records_request_id_and_source(client, county_admin, places):
    household = make_household(county_admin, places["t1v1"])
    client.force_login(county_admin)
    url = reverse("household-edit", args=[household.pk])
    page = client.get(url)
    form = page.context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data.update({"address": "一组18号", "version": household.version})
    data = {k: v for k, v in data.items() if v is not False}
    response = client.post(url, data, HTTP_X_REQUEST_ID="req-test-42")
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = ChangeLog.objects.get(object_type="registry.household", action="update")
    assert entry.request_id == "req-test-42" and entry.source == "web" and entry.actor == county_admin
