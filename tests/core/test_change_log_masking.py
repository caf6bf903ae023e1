from django.urls import reverse

from fangpin.monitoring import services
from fangpin.monitoring.choices import Channel, RiskType

from ..factories import id_number, make_household


def test_change_log_page_masks_reporter_personal_data(client, county_admin, places):
    household = make_household(county_admin, places["t1v1"])
    reporter_id = id_number()
    services.lead_raise(actor=None, channel=Channel.SELF_DECLARATION, risk_types=[RiskType.ILLNESS],
                        household=household, summary="住院", reporter_name="张三", reporter_phone="13912345678",
                        reporter_id_number=reporter_id)
    client.force_login(county_admin)
    page = client.get(reverse("change-log")).content.decode()
    assert "13912345678" not in page and reporter_id not in page
    assert "139****5678" in page
