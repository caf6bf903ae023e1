"""Sign-in safety: throttling after repeated failures (per user name and address, per user name, per address),
the demo accounts' shared password, idle sessions expiring, the change-log request id."""

import io

import pytest
from django.urls import reverse

from fangpin.core.models import ChangeLog, User
from fangpin.core.roles import Role

from ..factories import make_household, make_user

PASSWORD = "Test-pass-2026"


def attempt(client, username, password, address="10.9.8.7"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def refused(response) -> bool:
    """axes answers a throttled sign-in with its lockout page (403/429) instead of the login form."""
    return response.status_code in (403, 429) and "锁定" in response.content.decode()


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


def test_spraying_many_user_names_from_one_address_is_throttled(client, settings, places):
    """Twelve user names with one password each from one address used never to be throttled (per pair only).
    With the limit per address lowered to 12, the twelfth failure locks the address for every user name."""
    settings.FANGPIN_LOGIN_FAILURE_LIMITS = {**settings.FANGPIN_LOGIN_FAILURE_LIMITS, "ip_address": 12}
    victim = make_user(Role.VILLAGE_CADRE, places["t1v2"], "victim")
    answers = [attempt(client, f"guess{i:02d}", "Spring-2026", address="10.1.1.1") for i in range(12)]
    assert not any(refused(r) for r in answers[:11])
    assert refused(answers[11])
    # The address is locked even for a real account with its right password ...
    assert refused(attempt(client, victim.username, PASSWORD, address="10.1.1.1"))
    assert "_auth_user_id" not in client.session
    # ... while the same account still signs in from another address.
    assert attempt(client, victim.username, PASSWORD, address="10.1.1.2").status_code == 302


def test_signing_in_to_ones_own_account_does_not_clear_the_addresss_failures(client, settings, places):
    settings.FANGPIN_LOGIN_FAILURE_LIMITS = {**settings.FANGPIN_LOGIN_FAILURE_LIMITS, "ip_address": 12}
    own = make_user(Role.VILLAGE_CADRE, places["t1v2"], "own_account")
    for i in range(11):
        assert not refused(attempt(client, f"guess{i:02d}", "Spring-2026", address="10.1.1.1"))
    assert attempt(client, own.username, PASSWORD, address="10.1.1.1").status_code == 302
    client.logout()
    assert refused(attempt(client, "guess99", "Spring-2026", address="10.1.1.1"))


def test_default_limit_per_address_is_twenty(client, places):
    answers = [attempt(client, f"guess{i:02d}", "Spring-2026", address="10.2.2.2") for i in range(20)]
    assert not any(refused(r) for r in answers[:19])
    assert refused(answers[19])


def test_one_user_name_from_many_addresses_is_locked(client, village_cadre):
    for i in range(5):
        attempt(client, village_cadre.username, f"wrong-{i}", address=f"10.3.3.{i + 1}")
    locked = attempt(client, village_cadre.username, PASSWORD, address="10.3.3.99")
    assert refused(locked)
    assert "_auth_user_id" not in client.session


def test_success_resets_the_failures(client, village_cadre):
    for _ in range(4):
        attempt(client, village_cadre.username, "wrong-password")
    assert attempt(client, village_cadre.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert not refused(attempt(client, village_cadre.username, "wrong-password"))
    assert attempt(client, village_cadre.username, PASSWORD).status_code == 302


def test_behind_a_proxy_the_address_is_the_one_the_proxy_added(rf):
    from fangpin.core.login_throttle import client_address_behind_proxy

    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7", REMOTE_ADDR="127.0.0.1")
    assert client_address_behind_proxy(request) == "203.0.113.7"
    assert client_address_behind_proxy(rf.get("/", REMOTE_ADDR="10.0.0.5")) == "10.0.0.5"


# ---------------------------------------------------------------- the demo accounts' shared password

def demo_account(places, username="demo_cadre"):
    """An account made the way the demo makes them: the shared password's hash, no validation."""
    from django.contrib.auth.hashers import make_password

    from fangpin.core.auth import DEMO_PASSWORD

    return User.objects.create(username=username, password=make_password(DEMO_PASSWORD), role=Role.VILLAGE_CADRE,
                               place=places["t1v1"])


def mark_demo_database(county):
    """What the demo generator records when it builds a county."""
    ChangeLog.objects.create(source="demo", action=ChangeLog.Action.CREATE, object_type="regions.place",
                             object_id=county.pk, object_repr=str(county), area_code=county.code, after={})


def test_demo_password_is_refused_outside_a_demo_database(client, places):
    from fangpin.core.auth import DEMO_PASSWORD

    account = demo_account(places)
    response = attempt(client, account.username, DEMO_PASSWORD)
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "演示账号的公开密码只能在演示系统中使用" in page
    assert "demo-notice" not in client.get(reverse("login")).content.decode()


def test_demo_password_signs_in_to_a_demo_database_whose_login_page_says_it_is_shared(client, places):
    from fangpin.core.auth import DEMO_PASSWORD

    mark_demo_database(places["county"])
    account = demo_account(places)
    page = client.get(reverse("login")).content.decode()
    assert 'id="demo-notice"' in page and "共用一个公开的密码" in page and DEMO_PASSWORD in page
    assert attempt(client, account.username, DEMO_PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(account.pk)


def test_no_account_can_be_given_the_demo_password(places):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.core.management import CommandError, call_command

    from fangpin.core.auth import DEMO_PASSWORD

    with pytest.raises(ValidationError) as refused:
        validate_password(DEMO_PASSWORD)
    assert refused.value.error_list[0].code == "demo_password"
    with pytest.raises(CommandError, match="演示系统公开的密码"):
        call_command("createuser", "newcadre", role=Role.VILLAGE_CADRE, place=places["t1v1"].code,
                     password=DEMO_PASSWORD)
    assert not User.objects.filter(username="newcadre").exists()


def test_createuser_hashes_each_password_with_its_own_salt(places):
    from django.core.management import call_command

    for username in ("first", "second"):
        call_command("createuser", username, role=Role.VILLAGE_CADRE, place=places["t1v1"].code,
                     password="Same-pass-2026", stdout=io.StringIO())
    first, second = User.objects.get(username="first"), User.objects.get(username="second")
    assert first.password != second.password
    assert first.check_password("Same-pass-2026") and second.check_password("Same-pass-2026")
