import logging

import pytest
from django.db import transaction
from django.test import override_settings

from .world import build_world


@pytest.fixture(scope="package")
def world(django_db_setup, django_db_blocker):
    """The world, built once for the package inside a transaction that is rolled back at the end; each
    test runs in a savepoint inside it, so what one test writes the next does not see."""
    with django_db_blocker.unblock(), override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def quiet_request_log():
    """Thousands of expected 403/404s would otherwise each print a warning."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)
