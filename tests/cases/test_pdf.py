"""The printable notice: an A4 PDF with the village, the households, the period and the phone."""

import io

import pypdf
import pytest
from django.urls import reverse

from fangpin.cases import notices, services
from fangpin.cases.models import Case
from fangpin.cases.pdf import render_notice_pdf
from fangpin.core.models import AccessLog
from fangpin.monitoring.choices import MonitoredCategory, RiskType

from ..factories import make_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(places, county_admin, village_cadre):
    cases = []
    for place in (places["t1v1"], places["t1v1g1"]):
        household = make_household(county_admin, place)
        case = services.case_open_identification(actor=village_cadre, household=household,
                                                 category=MonitoredCategory.MARGINAL,
                                                 risk_types=[RiskType.ILLNESS, RiskType.SCHOOLING],
                                                 summary="医疗支出大，子女上学")
        notice_stage = next(i for i, s in enumerate(case.stages) if s["kind"] == "notice")
        Case.objects.filter(pk=case.pk).update(stage_index=notice_stage)
        cases.append(Case.objects.get(pk=case.pk))
    return notices.notice_publish(actor=village_cadre, cases=cases, objection_phone="0816-2345678")


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4 portrait
    return "\n".join(page.extract_text() for page in reader.pages)


def test_notice_pdf_holds_what_the_village_posts(notice):
    data = render_notice_pdf(notice)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    compact = text.replace(" ", "").replace("\n", "")
    assert "第1镇1村" in compact
    assert "防止返贫监测对象识别认定公示" in compact
    for case in notice.cases.all():
        assert case.household.head.name in compact
    assert "0816-2345678" in compact
    for day in (notice.starts_on, notice.ends_on):
        assert f"{day.year}年{day.month}月{day.day}日" in compact
    assert "因病、因学" in compact


def test_pdf_download_is_logged_and_scoped(client, notice, village_cadre, other_village_cadre):
    client.force_login(village_cadre)
    response = client.get(reverse("cases:notice-pdf", args=[notice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    log = AccessLog.objects.get(kind="export")
    assert log.actor == village_cadre and log.area_code == notice.village.code and notice.number in log.target
    client.force_login(other_village_cadre)
    assert client.get(reverse("cases:notice-pdf", args=[notice.pk])).status_code == 404
    assert AccessLog.objects.count() == 1
