import datetime
import itertools

import pytest
from django.utils import timezone

from fangpin.assistance import services
from fangpin.assistance.models import MeasureCatalogueItem
from fangpin.cases.models import Case, ProcedureConfig
from fangpin.core.roles import Role
from fangpin.monitoring.models import Monitoring

from ..factories import make_household, make_user

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def assistance_urls(settings, tmp_path):
    settings.ROOT_URLCONF = "tests.assistance.urls"
    settings.MEDIA_ROOT = tmp_path / "media"


def _procedure(county, admin):
    procedure = ProcedureConfig.objects.filter(county=county, kind="identification").first()
    if procedure is None:
        procedure = ProcedureConfig.objects.create(
            county=county, kind="identification", version=1, effective_from=datetime.date(2020, 1, 1),
            stages=[], total_limit_days=15, notice_days=5, objection_phone="0000-1234567", created_by=admin)
    return procedure


def open_case(household, admin, *, status="open", green_channel=False, risk_types=("illness",)):
    today = timezone.localdate()
    return Case.objects.create(
        household=household, kind="identification", number=f"SB{next(_numbers):08d}", status=status,
        procedure=_procedure(household.county, admin), stages=[], stage_started_on=today, stage_due_on=today,
        due_on=today, opened_by=admin, risk_types=list(risk_types), green_channel=green_channel,
        category="marginal")


def monitor(household, admin, *, risk_types=("illness",), days_ago=10):
    """A current monitoring period confirmed `days_ago` days ago."""
    case = open_case(household, admin, status="confirmed", risk_types=risk_types)
    return Monitoring.objects.create(household=household, category="marginal", risk_types=list(risk_types),
                                     identified_on=timezone.localdate() - datetime.timedelta(days=days_ago),
                                     identification_case=case)


@pytest.fixture
def catalogue(places, county_admin):
    services.catalogue_ensure_default(places["county"], actor=county_admin)
    return {item.code: item for item in MeasureCatalogueItem.objects.filter(county=places["county"])}


@pytest.fixture
def household(county_admin, places):
    return make_household(county_admin, places["t1v1"], members=2)


@pytest.fixture
def monitored(household, county_admin):
    monitor(household, county_admin)
    return household


@pytest.fixture
def helper(places):
    return make_user(Role.HELPER, places["t1v1"], "helper_a")


@pytest.fixture
def auditor(places):
    return make_user(Role.AUDITOR, places["county"], "auditor")
