import datetime

import pytest

from fangpin.monitoring import services as monitoring_services
from fangpin.monitoring.choices import LineMethod


@pytest.fixture
def standard(county_admin, places):
    """Version 1 in force since 2025, with every warning line set."""
    return monitoring_services.thresholds_adopt(
        actor=county_admin, county=places["county"], effective_from=datetime.date(2025, 1, 1), year=2025,
        line_method=LineMethod.FIXED, line_parameters={"amount": "8600"}, watch_band_ratio="0.1",
        income_drop_ratio="0.3", reference_income="17522", medical_warning_amount="10000",
        medical_warning_reference_share_exited="0.5", medical_warning_reference_share_other="1",
        education_warning_amount="10000", disaster_warning_amount="10000", note="首版")
