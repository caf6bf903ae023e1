import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from fangpin.core.models import ChangeLog
from fangpin.monitoring.models import Thresholds

pytestmark = pytest.mark.django_db


def adopt_form(**changes):
    data = {"effective_from": "2026-01-01", "year": "2026", "line_method": "dibao_multiple",
            "dibao_monthly": "815", "multiple": "2", "watch_band_ratio": "0.1", "income_drop_ratio": "0.3",
            "reference_income": "17522", "medical_warning_amount": "10000",
            "medical_warning_reference_share_exited": "0.5", "medical_warning_reference_share_other": "1",
            "education_warning_amount": "10000", "disaster_warning_amount": "10000",
            "stable_employment_months": "6", "note": "按2倍低保标准"}
    data.update(changes)
    return data


def test_admin_sees_versions_and_a_form_prefilled_from_the_version_in_force(client, county_admin, standard):
    client.force_login(county_admin)
    page = client.get(reverse("thresholds")).content.decode()
    assert "8600.00" in page and "首版" in page and reverse("thresholds-new") in page
    form = client.get(reverse("thresholds-new")).context["form"]
    assert form.initial["amount"] == "8600"
    assert form.initial["medical_warning_amount"] == Decimal("10000.00")
    assert form.initial["line_method"] == "fixed"


def test_admin_adopts_a_new_version_and_the_old_one_stays(client, county_admin, standard):
    client.force_login(county_admin)
    response = client.post(reverse("thresholds-new"), adopt_form())
    assert response.status_code == 302 and response.url == reverse("thresholds")
    new = Thresholds.objects.get(version=2)
    assert new.monitoring_line == Decimal("19560.00")
    assert new.line_parameters == {"dibao_monthly": "815", "multiple": "2"}
    assert new.effective_from == datetime.date(2026, 1, 1) and new.created_by == county_admin
    assert new.note == "按2倍低保标准"
    standard.refresh_from_db()
    assert standard.monitoring_line == Decimal("8600.00")
    assert ChangeLog.objects.filter(object_type="monitoring.thresholds", object_id=new.pk).exists()
    page = client.get(reverse("thresholds")).content.decode()
    assert "19560.00" in page and "8600.00" in page


@pytest.mark.parametrize("changes, message", [
    ({"multiple": "两倍"}, "输入一个数字"),
    ({"multiple": ""}, "缺少测算参数：multiple"),
    ({"income_drop_ratio": "30"}, "比例请填小数"),
    ({"stable_employment_months": "13"}, "12"),
    ({"effective_from": "2026-13-01"}, "有效的日期"),
    ({"line_method": "guess"}, "guess"),
])
def test_garbage_input_is_refused_clearly_and_nothing_is_written(client, county_admin, standard, changes, message):
    client.force_login(county_admin)
    before = ChangeLog.objects.count()
    response = client.post(reverse("thresholds-new"), adopt_form(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Thresholds.objects.count() == 1 and ChangeLog.objects.count() == before


def test_the_preview_computes_the_line_of_the_chosen_method(client, county_admin, standard):
    client.force_login(county_admin)
    preview = client.post(reverse("thresholds-preview"), {"line_method": "last_year_plus", "last_year": "8050",
                                                          "percent": "8", "watch_band_ratio": "0.1"})
    assert "8694.00" in preview.content.decode() and "9563.40" in preview.content.decode()
    missing = client.post(reverse("thresholds-preview"), {"line_method": "poverty_multiple", "standard": "4000"})
    assert "缺少测算参数" in missing.content.decode()


def test_other_staff_read_the_standard_but_cannot_change_it(client, township_officer, village_cadre, standard):
    for user in (township_officer, village_cadre):
        client.force_login(user)
        page = client.get(reverse("thresholds"))
        assert page.status_code == 200 and "8600.00" in page.content.decode()
        assert reverse("thresholds-new") not in page.content.decode()
        assert client.get(reverse("thresholds-new")).status_code == 403
        assert client.post(reverse("thresholds-new"), adopt_form()).status_code == 403
        assert client.post(reverse("thresholds-preview"), adopt_form()).status_code == 403
    assert Thresholds.objects.count() == 1


def test_a_county_without_a_standard_says_so(client, county_admin):
    client.force_login(county_admin)
    page = client.get(reverse("thresholds")).content.decode()
    assert "尚无生效的监测标准" in page
    assert client.get(reverse("thresholds-new")).context["form"].initial["line_method"] == "fixed"
