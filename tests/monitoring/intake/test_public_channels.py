"""The public pages: self-declaration, tips and the status check, with their spam defences."""

import pytest
from django.test import Client
from django.urls import reverse

from fangpin.core.models import ChangeLog
from fangpin.monitoring.choices import Channel, LeadStatus, RiskType
from fangpin.monitoring.models import Lead
from fangpin.monitoring import services as monitoring_services
from fangpin.registry.choices import HouseholdStatus
from fangpin.registry.models import Household

from ...factories import id_number

pytestmark = pytest.mark.django_db


def declaration(places, **overrides):
    data = {"township": places["t1"].code, "village": places["t1v2"].code, "head_name": "王大山",
            "id_number": id_number(), "phone": "13800001111", "risk_types": [RiskType.ILLNESS, RiskType.ACCIDENT],
            "summary": "父亲住院做手术，自付两万多元", "website": ""}
    data.update(overrides)
    return data


def declare(client, data, address="10.1.1.1"):
    return client.post(reverse("declare"), data, REMOTE_ADDR=address)


def test_declaration_page_is_public_and_preselects_the_village(client, places):
    response = client.get(reverse("declare") + f"?v={places['t2v1'].code}")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'value="{places["t2v1"].code}" selected' in body
    assert f'value="{places["t2"].code}" selected' in body
    assert "家里有人生病、住院，看病花钱多" in body
    assert 'name="csrfmiddlewaretoken"' in body


def test_self_declaration_of_an_unknown_person_opens_a_provisional_household(client, places):
    data = declaration(places)
    response = declare(client, data)
    assert response.status_code == 302 and response["Location"] == reverse("declare-done")
    lead = Lead.objects.get()
    assert lead.channel == Channel.SELF_DECLARATION and lead.status == LeadStatus.NEW
    assert lead.ack_number.startswith("SB") and lead.accept_due is not None and lead.raised_by is None
    assert lead.reporter_phone == "13800001111" and lead.reporter_name == "王大山"
    assert lead.risk_types == [RiskType.ILLNESS, RiskType.ACCIDENT]
    household = lead.household
    assert household.status == HouseholdStatus.PROVISIONAL and household.place == places["t1v2"]
    assert household.head.name == "王大山" and household.head.id_number == data["id_number"]

    done = client.get(reverse("declare-done"))
    assert done.status_code == 200
    assert lead.ack_number in done.content.decode()
    # The ack number comes from the visitor's own session: another visitor sees nothing.
    stranger = Client().get(reverse("declare-done"))
    assert stranger.status_code == 302 and lead.ack_number not in stranger.content.decode()


def test_self_declaration_of_a_registered_person_goes_to_their_household(client, places, household):
    head = household.head
    declare(client, declaration(places, village=places["t2v2"].code, head_name="王户主", id_number=head.id_number))
    lead = Lead.objects.get()
    assert lead.household == household and lead.place == household.place
    assert Household.objects.count() == 1


def test_summary_may_be_left_empty(client, places):
    declare(client, declaration(places, summary="", risk_types=[RiskType.DISASTER]))
    assert "遭了灾" in Lead.objects.get().summary


@pytest.mark.parametrize("field,value,message", [
    ("id_number", "510101198005170000", "校验位不正确"),
    ("id_number", "12345", "应为18位"),
    ("id_number", "", "请填写户主的身份证号码"),
    ("phone", "12345", "不是11位手机号"),
    ("phone", "", "请填写联系电话"),
    ("head_name", "", "请填写户主姓名"),
    ("head_name", "张3", "姓名里不能有数字"),
    ("village", "999999999999", "请选择您所在的村"),
    ("village", "510101001000", "请选择您所在的村"),  # a township is not a village
    ("risk_types", [], "请至少选一项遇到的困难"),
    ("risk_types", ["nonsense"], "选择的困难类型不对"),
    ("risk_types", RiskType.values[:6], "最多选5项"),
])
def test_bad_input_is_explained_next_to_the_field_and_nothing_is_written(client, places, field, value, message):
    response = declare(client, declaration(places, **{field: value}))
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body and "还没有提交成功" in body
    assert not Lead.objects.exists() and not Household.objects.exists() and not ChangeLog.objects.exists()


def test_garbage_input_is_refused_without_a_crash(client, places):
    garbage = {"township": "'; drop table x; --", "village": "<script>alert(1)</script>", "head_name": "x" * 5000,
               "id_number": "\x00\x01", "phone": "☎☎☎", "risk_types": ["'\""], "summary": "y" * 100000,
               "website": ""}
    response = declare(client, garbage)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert not Lead.objects.exists()
    assert client.post(reverse("declare"), {}, REMOTE_ADDR="10.1.1.2").status_code == 200
    assert client.post(reverse("tip"), {"risk_types": "x"}, REMOTE_ADDR="10.1.1.2").status_code == 200
    assert client.post(reverse("declare-status"), {"ack_number": "x" * 999}).status_code == 200
    assert not Lead.objects.exists()


def test_declaration_needs_the_csrf_token(places):
    client = Client(enforce_csrf_checks=True)
    response = declare(client, declaration(places))
    assert response.status_code == 403 and not Lead.objects.exists()


def test_the_hidden_field_stops_robots(client, places):
    response = declare(client, declaration(places, website="http://spam.example"))
    assert response.status_code == 400
    assert not Lead.objects.exists() and not Household.objects.exists()


def test_rate_limit_per_address(client, places, settings):
    settings.FANGPIN_INTAKE_LIMITS = {"declare_ip": (2, 3600)}
    for phone in ("13800000001", "13800000002"):
        assert declare(client, declaration(places, phone=phone)).status_code == 302
    refused = declare(client, declaration(places, phone="13800000003"))
    assert refused.status_code == 429 and "提交次数太多" in refused.content.decode()
    assert Lead.objects.count() == 2
    # Another address is not affected.
    assert declare(client, declaration(places, phone="13800000003"), address="10.2.2.2").status_code == 302


def test_rate_limit_per_phone(client, places, settings):
    settings.FANGPIN_INTAKE_LIMITS = {"declare_phone": (1, 86400)}
    assert declare(client, declaration(places), address="10.0.0.1").status_code == 302
    refused = declare(client, declaration(places), address="10.0.0.2")
    assert refused.status_code == 429 and "这个电话号码今天已经提交过多次" in refused.content.decode()
    assert Lead.objects.count() == 1


def test_too_many_refused_submissions_block_the_address(client, places, settings):
    settings.FANGPIN_INTAKE_LIMITS = {"refused_ip": (3, 3600)}
    for _ in range(3):
        declare(client, declaration(places, phone="1"))
    response = declare(client, declaration(places))
    assert response.status_code == 429 and not Lead.objects.exists()


def test_status_check_needs_ack_number_and_phone(client, places, township_officer):
    declare(client, declaration(places))
    lead = Lead.objects.get()
    url = reverse("declare-status")
    assert lead.ack_number in client.get(url).content.decode()  # prefilled for the one who just declared

    wrong = Client().post(url, {"ack_number": lead.ack_number, "phone": "13800009999"})
    assert "没有找到这条申报" in wrong.content.decode() and "王大山" not in wrong.content.decode()

    visitor = Client()
    found = visitor.post(url, {"ack_number": lead.ack_number.lower(), "phone": "138 0000 1111"})
    body = found.content.decode()
    assert "已收到，等待乡镇受理" in body
    assert "王大山" not in body and lead.household.number not in body and lead.reporter_id_number not in body

    monitoring_services.lead_accept(actor=township_officer, lead=lead)
    assert "乡镇已受理" in visitor.post(url, {"ack_number": lead.ack_number, "phone": "13800001111"}).content.decode()


def test_a_merged_declaration_shows_the_status_of_the_lead_it_joined(client, places, township_officer):
    data = declaration(places)
    declare(client, data)
    declare(client, {**data, "phone": "13700002222", "risk_types": [RiskType.ILLNESS]})
    first, second = Lead.objects.order_by("id")
    assert second.status == LeadStatus.MERGED and second.merged_into == first
    monitoring_services.lead_accept(actor=township_officer, lead=first)
    response = client.post(reverse("declare-status"), {"ack_number": second.ack_number, "phone": "13700002222"})
    assert "乡镇已受理" in response.content.decode()


def test_status_look_ups_are_limited(client, places, settings):
    settings.FANGPIN_INTAKE_LIMITS = {"status_ip": (3, 3600)}
    for _ in range(3):
        client.post(reverse("declare-status"), {"ack_number": "SB20260101000000", "phone": "13800001111"})
    response = client.post(reverse("declare-status"), {"ack_number": "SB20260101000000", "phone": "13800001111"})
    assert response.status_code == 429 and "查询次数太多" in response.content.decode()


def test_anonymous_tip_about_a_place(client, places):
    response = client.post(reverse("tip"), {
        "village": places["t2v1"].code, "person_name": "李四", "risk_types": [RiskType.HOUSING],
        "summary": "房子塌了一角，一家人住在棚里", "anonymous": "on", "reporter_name": "不该存", "reporter_phone": "13811112222",
    })
    assert response.status_code == 302 and response["Location"] == reverse("tip-done")
    lead = Lead.objects.get()
    assert lead.channel == Channel.TIP and lead.ack_number.startswith("JB")
    assert lead.household is None and lead.place == places["t2v1"]
    assert lead.anonymous and lead.reporter_name == "" and lead.reporter_phone == ""
    assert lead.evidence == {"person_name": "李四"}
    done = client.get(reverse("tip-done")).content.decode()
    assert lead.ack_number in done and "无法在网上查询办理进度" in done


def test_tip_naming_a_person_by_id_goes_to_their_household(client, places, household):
    client.post(reverse("tip"), {
        "village": places["t1v1"].code, "person_name": "王户主", "id_number": household.head.id_number,
        "risk_types": [RiskType.ILLNESS], "summary": "老人生病没钱看", "reporter_phone": "13811112222",
    })
    lead = Lead.objects.get()
    assert lead.household == household and not lead.anonymous and lead.reporter_phone == "13811112222"
    found = client.post(reverse("declare-status"), {"ack_number": lead.ack_number, "phone": "13811112222"})
    assert "已收到" in found.content.decode()


def test_tip_needs_what_was_seen(client, places):
    response = client.post(reverse("tip"), {"village": places["t2v1"].code, "risk_types": [RiskType.OTHER]})
    assert "请写一写看到的情况" in response.content.decode() and not Lead.objects.exists()


def test_signed_in_staff_see_the_same_public_page(client, places, village_cadre):
    client.force_login(village_cadre)
    assert client.get(reverse("declare")).status_code == 200


def test_a_dismissed_declaration_reads_as_closed(client, places, township_officer):
    declare(client, declaration(places))
    lead = Lead.objects.get()
    monitoring_services.lead_dismiss(actor=township_officer, lead=lead, reason="核实收入高于监测线（内部）")
    body = client.post(reverse("declare-status"), {"ack_number": lead.ack_number, "phone": "13800001111"}
                       ).content.decode()
    assert "已办结" in body and "内部" not in body


def test_townships_are_named_with_their_county_when_there_are_several(client, places):
    from fangpin.regions.models import Level, Place

    county = Place.objects.create(code="510102000000", name="邻县", level=Level.COUNTY)
    township = Place.objects.create(code="510102001000", name="第1镇", level=Level.TOWNSHIP, parent=county)
    Place.objects.create(code="510102001001", name="邻村", level=Level.VILLAGE, parent=township)
    body = client.get(reverse("declare")).content.decode()
    assert "示范县 第1镇" in body and "邻县 第1镇" in body


def test_public_pages_in_english(client, places):
    client.post(reverse("set_language"), {"language": "en", "next": reverse("declare")})
    for name in ("declare", "tip", "declare-status"):
        assert client.get(reverse(name)).status_code == 200
