"""`fangpin apitoken`: tokens for department clerks and insurers."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from fangpin.core.roles import Role

pytestmark = pytest.mark.django_db


def apitoken(*args) -> str:
    out = StringIO()
    call_command("apitoken", *args, stdout=out)
    return out.getvalue().strip()


def test_prints_the_same_token_until_reset(user_of, registry):
    clerk = user_of(Role.DEPARTMENT_CLERK)
    key = apitoken(clerk.username)
    assert Token.objects.get(user=clerk).key == key
    assert apitoken(clerk.username) == key
    new_key = apitoken(clerk.username, "--reset")
    assert new_key != key and Token.objects.get(user=clerk).key == new_key

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {new_key}")
    assert client.get("/api/households/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/households/").status_code in (401, 403)


def test_revoke(user_of):
    insurer = user_of(Role.INSURER)
    apitoken(insurer.username)
    assert "作废" in apitoken(insurer.username, "--revoke")
    assert not Token.objects.filter(user=insurer).exists()


def test_people_sign_in_instead_unless_told(user_of):
    cadre = user_of(Role.VILLAGE_CADRE)
    with pytest.raises(CommandError, match="--any-role"):
        apitoken(cadre.username)
    assert not Token.objects.exists()
    assert len(apitoken(cadre.username, "--any-role")) == 40


def test_unknown_and_inactive_users(user_of):
    with pytest.raises(CommandError, match="不存在"):
        apitoken("nobody")
    clerk = user_of(Role.DEPARTMENT_CLERK)
    clerk.is_active = False
    clerk.save()
    with pytest.raises(CommandError, match="停用"):
        apitoken(clerk.username)
    assert not Token.objects.exists()
