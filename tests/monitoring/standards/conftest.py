import datetime

import pytest

from fangpin.core.roles import Role
from fangpin.monitoring import services as monitoring_services
from fangpin.monitoring.choices import LineMethod

from ...factories import make_user


@pytest.fixture
def township_officer(places):
    return make_user(Role.TOWNSHIP_OFFICER, places["t1"], "township1")


@pytest.fixture
def other_township_officer(places):
    return make_user(Role.TOWNSHIP_OFFICER, places["t2"], "township2")


@pytest.fixture
def county_officer(places):
    return make_user(Role.COUNTY_OFFICER, places["county"], "county_officer")


@pytest.fixture
def standard(county_admin, places):
    """Version 1 in force since 2025, with every warning line set."""
    return monitoring_services.thresholds_adopt(
        actor=county_admin, county=places["county"], effective_from=datetime.date(2025, 1, 1), year=2025,
        line_method=LineMethod.FIXED, line_parameters={"amount": "8600"}, watch_band_ratio="0.1",
        income_drop_ratio="0.3", reference_income="17522", medical_warning_amount="10000",
        medical_warning_reference_share_exited="0.5", medical_warning_reference_share_other="1",
        education_warning_amount="10000", disaster_warning_amount="10000", note="首版")
