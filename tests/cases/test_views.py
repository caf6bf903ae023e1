"""The case pages: who may open them, and a whole identification walked through the forms."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from fangpin.cases import daily, notices, services
from fangpin.cases.choices import CaseStatus
from fangpin.cases.models import Attachment, Case, Holiday, ProcedureConfig, StageRecord
from fangpin.core.models import ChangeLog
from fangpin.core.roles import Role
from fangpin.monitoring import services as monitoring_services
from fangpin.monitoring.choices import Channel, MonitoredCategory, RiskType
from fangpin.monitoring.models import Monitoring

from ..factories import make_household, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def verifier(places):
    return make_user(Role.HELPER, places["t1v1"], "verifier_a")


@pytest.fixture
def partner(places):
    """The village's grid worker, who goes along on household verification and confirms it."""
    return make_user(Role.GRID_WORKER, places["t1v1"], "grid_v")


@pytest.fixture
def clerk(places):
    """A department clerk: signed in, in the county, but without any case permission."""
    return make_user(Role.DEPARTMENT_CLERK, places["county"], "clerk")


@pytest.fixture
def home(county_admin, places):
    return make_household(county_admin, places["t1v1g1"])


@pytest.fixture
def lead(home, verifier, township_officer):
    raised = monitoring_services.lead_raise(actor=verifier, channel=Channel.HELPER_VISIT, risk_types=[RiskType.ILLNESS],
                                            household=home, summary="户主住院，自付医疗费较高").lead
    return monitoring_services.lead_accept(actor=township_officer, lead=raised)


@pytest.fixture
def open_case(lead, village_cadre):
    return services.case_open_identification(actor=village_cadre, household=lead.household, lead=lead,
                                             category=MonitoredCategory.SUDDEN_HARDSHIP,
                                             risk_types=[RiskType.ILLNESS], summary="大病支出")


def login(client, user):
    client.force_login(user)
    return client


def signed(name="承诺授权书.jpg"):
    return SimpleUploadedFile(name, b"\xff\xd8\xff\xe0 signed", content_type="image/jpeg")


def verification_post(case, *partners, **extra):
    return {"version": case.version, "decision": "approve", "reason": "入户核实属实",
            "participants": [p.pk for p in partners], "commitment_signed": "on", "data_authorised": "on",
            "commitment_file": signed(), **extra}


def confirm_on_own_login(client, case, person):
    """`person` signs in, finds the request on the case page and confirms with one click."""
    login(client, person)
    page = client.get(reverse("cases:case-detail", args=[case.pk])).content.decode()
    assert "请确认您参与了入户核实" in page
    confirmation = case.confirmations.get(person=person, status="pending")
    return client.post(reverse("cases:confirmation-confirm", args=[confirmation.pk]), {"version": fresh(case).version})


def decide(client, case, **data):
    data.setdefault("version", case.version)
    return client.post(reverse("cases:case-decide", args=[case.pk]), data)


def fresh(case):
    return Case.objects.get(pk=case.pk)


def assistance_migrated() -> bool:
    return "assistance_measure" in connection.introspection.table_names()


# ---------------------------------------------------------------- who may open what


def test_pages_answer_by_permission_and_area(client, open_case, village_cadre, other_village_cadre, clerk,
                                             county_admin):
    notice_case = open_case
    pages = [reverse("cases:case-list"), reverse("cases:monitored-list"),
             reverse("cases:case-detail", args=[open_case.pk])]
    login(client, village_cadre)
    for url in pages:
        assert client.get(url).status_code == 200, url
    assert client.get(f"{reverse('cases:case-open')}?household={open_case.household_id}").status_code == 200
    assert client.get(reverse("cases:elimination-check", args=[open_case.household_id])).status_code == 200

    login(client, clerk)
    for url in pages + [reverse("cases:case-open"), reverse("cases:procedure"), reverse("cases:holidays"),
                        reverse("cases:elimination-check", args=[open_case.household_id])]:
        assert client.get(url).status_code == 403, url

    login(client, other_village_cadre)
    assert client.get(reverse("cases:case-detail", args=[open_case.pk])).status_code == 404
    assert client.get(reverse("cases:elimination-check", args=[open_case.household_id])).status_code == 404
    assert client.get(f"{reverse('cases:case-open')}?household={open_case.household_id}").status_code == 404
    assert client.get(f"{reverse('cases:case-open')}?lead={open_case.lead_id}").status_code == 404
    assert client.post(reverse("cases:case-decide", args=[open_case.pk]), {"version": 1}).status_code == 404
    listed = client.get(reverse("cases:case-list"))
    assert open_case.number not in listed.content.decode()

    login(client, village_cadre)
    assert client.get(reverse("cases:procedure")).status_code == 403
    assert client.get(reverse("cases:holidays")).status_code == 403
    login(client, county_admin)
    assert client.get(reverse("cases:procedure")).status_code == 200
    assert client.get(reverse("cases:holidays")).status_code == 200
    assert notice_case.number in client.get(reverse("cases:case-list")).content.decode()


def test_notice_and_attachment_pages_are_scoped(client, open_case, verifier, village_cadre, other_village_cadre,
                                                clerk, partner):
    login(client, verifier)
    assert decide(client, open_case, **verification_post(open_case, partner)).status_code == 302
    attachment = Attachment.objects.get(case=open_case)
    download = client.get(reverse("cases:attachment", args=[attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"\xff\xd8\xff\xe0 signed"
    case = fresh(open_case)
    Case.objects.filter(pk=case.pk).update(stage_index=3)  # straight to the notice stage for this check
    notice = notices.notice_publish(actor=village_cadre, cases=[fresh(case)], objection_phone="0816-1234567")
    for user, expected in ((village_cadre, 200), (other_village_cadre, 404), (clerk, 403)):
        login(client, user)
        assert client.get(reverse("cases:notice-detail", args=[notice.pk])).status_code == expected
        assert client.get(reverse("cases:attachment", args=[attachment.pk])).status_code == expected


def test_inbox_puts_my_cases_first_and_escalates_overdue(client, places, county_admin, open_case, verifier,
                                                         township_officer, village_cadre):
    other_home = make_household(county_admin, places["t1v2"])
    other = services.case_open_identification(actor=township_officer, household=other_home,
                                              category=MonitoredCategory.MARGINAL, risk_types=[RiskType.INCOME])
    late = timezone.localdate() - datetime.timedelta(days=20)
    Case.objects.filter(pk=other.pk).update(stage_due_on=late)  # the verification stage is overdue
    login(client, verifier)
    page = client.get(reverse("cases:case-list")).content.decode()
    assert "待我办理" in page and open_case.number in page
    login(client, township_officer)
    escalated = client.get(reverse("cases:case-list") + "?tab=escalated")
    body = escalated.content.decode()
    assert other.number in body and open_case.number not in body
    assert "case-overdue" in body
    login(client, county_admin)
    body = client.get(reverse("cases:case-list") + "?tab=escalated").content.decode()
    assert other.number not in body  # a village stage goes to the township, not the county
    Case.objects.filter(pk=other.pk).update(due_on=late)
    body = client.get(reverse("cases:case-list") + "?tab=escalated").content.decode()
    assert other.number in body  # past its total limit: the county sees it
    filtered = client.get(reverse("cases:case-list") + f"?place={places['t1v2'].code}").content.decode()
    assert other.number in filtered and open_case.number not in filtered


# ---------------------------------------------------------------- opening


def test_open_from_lead_prefills_and_creates_the_case(client, lead, village_cadre):
    login(client, village_cadre)
    url = f"{reverse('cases:case-open')}?lead={lead.pk}"
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["risk_types"] == [RiskType.ILLNESS]
    assert "户主住院" in page.content.decode()
    bad = client.post(url, {"category": MonitoredCategory.MARGINAL, "risk_types": [RiskType.DISASTER]})
    assert bad.status_code == 400
    assert "因灾风险须选择灾害类型。" in bad.content.decode()
    assert not Case.objects.exists()
    too_many = client.post(url, {"category": MonitoredCategory.MARGINAL,
                                 "risk_types": ["illness", "disability", "schooling", "accident", "income", "other"]})
    assert "风险类型最多选择5项。" in too_many.content.decode()
    done = client.post(url, {"category": MonitoredCategory.MARGINAL, "risk_types": [RiskType.ILLNESS],
                             "summary": "住院"})
    case = Case.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("cases:case-detail", args=[case.pk])
    assert case.lead_id == lead.pk and case.opened_by == village_cadre
    again = client.post(url, {"category": MonitoredCategory.MARGINAL, "risk_types": [RiskType.ILLNESS]})
    assert again.status_code == 409
    assert "该户已有办理中的识别认定案件" in again.content.decode()


def test_open_by_household_number(client, home, village_cadre):
    login(client, village_cadre)
    url = reverse("cases:case-open")
    missing = client.post(url, {"household_number": "99999999", "category": MonitoredCategory.MARGINAL,
                                "risk_types": [RiskType.INCOME]})
    assert missing.status_code == 400 and "没有户编号为99999999的农户" in missing.content.decode()
    green = client.post(url, {"household_number": home.number, "category": MonitoredCategory.SUDDEN_HARDSHIP,
                              "risk_types": [RiskType.INCOME], "green_channel": "on", "green_channel_reason": "急"})
    assert green.status_code == 400 and "绿色通道只用于因灾或因意外事故的明确情形。" in green.content.decode()
    assert not Case.objects.exists()
    assert client.post(url, {"household_number": home.number, "category": MonitoredCategory.MARGINAL,
                             "risk_types": [RiskType.INCOME]}).status_code == 302


# ---------------------------------------------------------------- the whole walk through the forms


def test_identification_walked_through_the_forms(client, open_case, verifier, county_officer, village_cadre,
                                                 township_officer, county_admin, partner):
    case = open_case
    login(client, verifier)
    page = client.get(reverse("cases:case-detail", args=[case.pk]))
    assert page.status_code == 200 and "decision-form" in page.content.decode()

    # Verification needs two people and the signed commitment.
    one = decide(client, case, **verification_post(case))   # the helper alone
    assert one.status_code == 400 and "须至少2人参与" in one.content.decode()
    unsigned = verification_post(case, partner)
    del unsigned["commitment_signed"]
    refused = decide(client, case, **unsigned)
    assert refused.status_code == 400 and "须确认农户已签署承诺书和数据授权书。" in refused.content.decode()
    assert not StageRecord.objects.filter(case=case).exists()
    submitted = decide(client, case, **verification_post(case, partner))
    assert submitted.status_code == 302
    page = client.get(submitted["Location"]).content.decode()
    assert "等待参与人员用自己的账号确认" in page and "grid_v" in page and "decision-form" not in page
    assert fresh(case).stage["code"] == "verification"   # not done until the grid worker confirms
    assert confirm_on_own_login(client, case, partner).status_code == 302
    case = fresh(case)
    assert case.stage["code"] == "data_comparison"
    page = client.get(reverse("cases:case-detail", args=[case.pk])).content.decode()
    assert "grid_v（<span class=\"participant-confirmed\">已确认" in page

    # A stale form: the officer looked at the case before the verification was decided.
    login(client, county_officer)
    stale = decide(client, case, version=case.version - 1, decision="approve")
    assert stale.status_code == 409
    body = stale.content.decode()
    assert "conflict-alert" in body and "verifier_a" in body and "请刷新后查看最新状态再办理" in body
    assert fresh(case).version == case.version
    assert decide(client, case, decision="approve").status_code == 302
    case = fresh(case)
    assert case.stage["code"] == "village_review"

    # The village returns it to data comparison; a return needs a reason.
    login(client, village_cadre)
    no_reason = decide(client, case, decision="return", return_to=1)
    assert no_reason.status_code == 400 and "不予通过或退回必须说明理由。" in no_reason.content.decode()
    assert decide(client, case, decision="return", return_to=1, reason="医保数据未比对").status_code == 302
    case = fresh(case)
    assert case.stage["code"] == "data_comparison"
    assert StageRecord.objects.filter(case=case, decision="return", return_to=1).exists()
    login(client, county_officer)
    assert decide(client, case, decision="approve").status_code == 302
    login(client, village_cadre)
    assert decide(client, fresh(case), decision="approve").status_code == 302
    case = fresh(case)
    assert case.stage["kind"] == "notice"

    # The notice is published through the page; an objection sends the case back to verification.
    page = client.get(reverse("cases:case-detail", args=[case.pk])).content.decode()
    assert "publish-form" in page
    today = timezone.localdate()
    published = client.post(reverse("cases:notice-publish", args=[case.pk]),
                            {"cases": [case.pk], "starts_on": today.isoformat(), "objection_phone": "0816-7654321"})
    assert published.status_code == 302
    notice = case.notices.get()
    assert published["Location"] == reverse("cases:notice-detail", args=[notice.pk])
    notice_page = client.get(published["Location"]).content.decode()
    assert "防止返贫监测对象识别认定公示" in notice_page and "0816-7654321" in notice_page
    empty = client.post(reverse("cases:objection-add", args=[case.pk]), {"received_on": today.isoformat()})
    assert empty.status_code == 400 and "请填写异议内容。" in empty.content.decode()
    objected = client.post(reverse("cases:objection-add", args=[case.pk]), {
        "content": "该户有营运车辆", "objector_name": "村民丁", "received_on": today.isoformat(),
        "files": [SimpleUploadedFile("举报材料.txt", b"photo")]})
    assert objected.status_code == 302
    case = fresh(case)
    assert case.stage["code"] == "verification" and case.objections.count() == 1
    assert Attachment.objects.filter(case=case, kind="objection").count() == 1
    # Let that first notice lie in the past, as it would when the second one is published days later.
    type(notice).objects.filter(pk=notice.pk).update(starts_on=today - datetime.timedelta(days=20),
                                                     ends_on=today - datetime.timedelta(days=16))

    # Verified again (the commitment is on file already), then a notice whose period has ended: reading
    # the case page changes nothing; the village moves it on with the page's button (or the daily round).
    login(client, verifier)
    again = verification_post(case, partner)
    del again["commitment_file"]
    assert decide(client, case, **again).status_code == 302
    assert confirm_on_own_login(client, case, partner).status_code == 302
    login(client, county_officer)
    assert decide(client, fresh(case), decision="approve").status_code == 302
    login(client, village_cadre)
    assert decide(client, fresh(case), decision="approve").status_code == 302
    past = today - datetime.timedelta(days=12)
    Case.objects.filter(pk=case.pk).update(stage_started_on=past)
    notices.notice_publish(actor=village_cadre, cases=[fresh(case)], today=past, objection_phone="0816-1")
    login(client, make_user(Role.AUDITOR, county_admin.place, "auditor"))
    page = client.get(reverse("cases:case-detail", args=[case.pk]))
    assert reverse("cases:notice-conclude", args=[case.pk]) not in page.content.decode()
    assert client.post(reverse("cases:notice-conclude", args=[case.pk])).status_code == 403
    login(client, village_cadre)
    page = client.get(reverse("cases:case-detail", args=[case.pk]))
    assert fresh(case).stage["code"] == "public_notice"
    assert not StageRecord.objects.filter(case=case, decision="notice_ended").exists()
    assert reverse("cases:notice-conclude", args=[case.pk]) in page.content.decode()
    assert client.post(reverse("cases:notice-conclude", args=[case.pk])).status_code == 302
    case = fresh(case)
    assert case.stage["code"] == "township_review"
    assert StageRecord.objects.filter(case=case, decision="notice_ended", actor=None).exists()
    login(client, township_officer)
    assert decide(client, case, decision="approve").status_code == 302
    login(client, county_admin)
    assert decide(client, fresh(case), decision="approve").status_code == 302
    case = fresh(case)
    assert case.stage["kind"] == "announcement"

    # The announcement closes the case and opens the monitoring period.
    login(client, county_officer)
    page = client.get(reverse("cases:case-detail", args=[case.pk])).content.decode()
    assert "announce-form" in page
    stale = client.post(reverse("cases:case-announce", args=[case.pk]), {"version": case.version - 1})
    assert stale.status_code == 409
    assert client.post(reverse("cases:case-announce", args=[case.pk]),
                       {"version": case.version, "text": "经县级审定"}).status_code == 302
    case = fresh(case)
    assert case.status == CaseStatus.CONFIRMED
    assert Monitoring.objects.get(household=case.household).identification_case == case
    listed = client.get(reverse("cases:monitored-list")).content.decode()
    assert case.household.number in listed


def test_same_person_is_told_before_acting_twice(client, open_case, village_cadre, county_officer, partner):
    """The village cadre verifies (helper role not needed: the cadre holds VERIFY_HOUSEHOLD too), and
    may not then hold the village review."""
    login(client, village_cadre)
    assert decide(client, open_case, **verification_post(open_case, partner)).status_code == 302
    assert confirm_on_own_login(client, open_case, partner).status_code == 302
    login(client, county_officer)
    assert decide(client, fresh(open_case), decision="approve").status_code == 302
    login(client, village_cadre)
    case = fresh(open_case)
    page = client.get(reverse("cases:case-detail", args=[case.pk])).content.decode()
    assert "同一人不能办理同一案件的两个审核环节" in page and "decision-form" not in page
    refused = decide(client, case, decision="approve")
    assert refused.status_code == 403
    assert "cadre_a已办理过本案件的“入户核实”环节" in refused.content.decode()
    assert fresh(case).version == case.version


def test_rejection_closes_the_case_and_the_lead(client, open_case, verifier):
    login(client, verifier)
    missing = decide(client, open_case, decision="reject")
    assert missing.status_code == 400 and "不予通过或退回必须说明理由。" in missing.content.decode()
    assert decide(client, open_case, decision="reject", reason="收入稳定，无返贫风险").status_code == 302
    case = fresh(open_case)
    assert case.status == CaseStatus.REJECTED and case.outcome_reason == "收入稳定，无返贫风险"
    assert case.lead.status == "dismissed"
    page = client.get(reverse("cases:case-detail", args=[case.pk])).content.decode()
    assert "decision-form" not in page and "未通过" in page
    late = decide(client, case, decision="approve")
    assert late.status_code == 302  # the stage form is gone: the page says so and shows the case


# ---------------------------------------------------------------- county configuration


def stage_post(stages, **fields):
    data = {"stages-TOTAL_FORMS": str(len(stages)), "stages-INITIAL_FORMS": "0", "stages-MIN_NUM_FORMS": "0",
            "stages-MAX_NUM_FORMS": "1000"}
    for index, stage in enumerate(stages):
        for key, value in stage.items():
            if key == "commitment":
                if value:
                    data[f"stages-{index}-{key}"] = "on"
            else:
                data[f"stages-{index}-{key}"] = value
    return {**data, **fields}


def test_procedure_page_adopts_a_new_version(client, county_admin, places):
    from fangpin.cases.procedure import DEFAULT_STAGES

    login(client, county_admin)
    page = client.get(reverse("cases:procedure"))
    assert page.status_code == 200
    assert "默认流程" in page.content.decode()
    assert not ProcedureConfig.objects.exists()  # looking writes nothing
    stages = [dict(s, min_people=s.get("min_people", 1)) for s in DEFAULT_STAGES["identification"]]
    stages[0]["limit_days"] = 2
    fields = {"kind": "identification", "effective_from": timezone.localdate().isoformat(),
              "total_limit_days": "20", "notice_days": "7", "objection_phone": "0816-2223333",
              "green_channel": "on", "note": "按省里新要求"}
    wrong = client.post(reverse("cases:procedure"), stage_post(stages[1:], **fields))
    assert wrong.status_code == 400
    assert "第一个环节必须是入户核实" in wrong.content.decode()
    too_short = client.post(reverse("cases:procedure"), stage_post(stages, **{**fields, "total_limit_days": "5"}))
    assert too_short.status_code == 400 and "总时限必须不少于各环节时限之和" in too_short.content.decode()
    assert not ProcedureConfig.objects.exists()
    done = client.post(reverse("cases:procedure"), stage_post(stages, **fields))
    assert done.status_code == 302
    config = ProcedureConfig.objects.get()
    assert config.version == 1 and config.notice_days == 7 and config.stages[0]["limit_days"] == 2
    assert config.created_by == county_admin
    # As the page sends it: the rows of the version in force, one of them cleared to drop the stage.
    page = client.get(reverse("cases:procedure"))
    formset = page.context["formset"]
    posted = {**fields, "stages-TOTAL_FORMS": str(len(formset.forms)),
              "stages-INITIAL_FORMS": formset.management_form.initial["INITIAL_FORMS"],
              "stages-MIN_NUM_FORMS": "0", "stages-MAX_NUM_FORMS": "1000"}
    for index, form in enumerate(formset.forms):
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if name in ("commitment", "DELETE"):
                if value:
                    posted[f"stages-{index}-{name}"] = "on"
            elif value is not None and not (index == 1 and name in ("code", "name")):  # row 2 cleared
                posted[f"stages-{index}-{name}"] = value
    adopted = client.post(reverse("cases:procedure"), posted)
    assert adopted.status_code == 302, (adopted.context["stages_error"], adopted.context["formset"].errors,
                                        adopted.context["form"].errors)
    second = ProcedureConfig.objects.get(version=2)
    assert [s["code"] for s in second.stages] == [s["code"] for s in stages if s["code"] != "data_comparison"]
    json_text = '[{"code": "verification"}]'
    bad_json = client.post(reverse("cases:procedure"), stage_post([], stages_json=json_text, **fields))
    assert bad_json.status_code == 400 and "缺少代码或名称" in bad_json.content.decode()
    assert "第2版" in client.get(reverse("cases:procedure")).content.decode()


def duty_post(rules):
    data = {"duties-TOTAL_FORMS": str(len(rules)), "duties-INITIAL_FORMS": "0", "duties-MIN_NUM_FORMS": "0",
            "duties-MAX_NUM_FORMS": "1000"}
    for index, rule in enumerate(rules):
        data[f"duties-{index}-rule"] = rule.get("rule", "")
        data[f"duties-{index}-level"] = rule.get("level", "")
    return data


def test_procedure_page_shows_and_edits_the_rules(client, county_admin, places):
    from fangpin.cases.procedure import DEFAULT_STAGES

    login(client, county_admin)
    page = client.get(reverse("cases:procedure")).content.decode()
    assert "职责分离规则" in page and "案件发起人不能办理乡镇级审核环节" in page
    assert page.count('name="duties-0-rule"') == 1
    stages = [dict(s, min_people=s.get("min_people", 1)) for s in DEFAULT_STAGES["identification"]]
    fields = {"kind": "identification", "effective_from": timezone.localdate().isoformat(),
              "total_limit_days": "15", "notice_days": "5", "objection_phone": "0816-2223333"}
    bad = client.post(reverse("cases:procedure"), {**stage_post(stages, **fields), **duty_post(
        [{"rule": "opener_not_at_level"}, {"rule": "opener_not_at_level", "level": "county"},
         {"rule": "opener_not_at_level", "level": "county"}])})
    body = bad.content.decode()
    assert bad.status_code == 400 and 'id="duties-error"' in body
    assert "第1条规则的层级“”无效" in body and "第3条规则与前面的规则重复" in body and "是基本规则，不能去掉" in body
    assert not ProcedureConfig.objects.exists()
    rules = [{"rule": "one_decision_per_person"}, {"rule": "opener_not_at_level", "level": "village"}]
    table = client.post(reverse("cases:procedure"), {**stage_post(stages, **fields), **duty_post(rules)})
    assert table.status_code == 302
    assert ProcedureConfig.objects.get().duties == rules
    bad_json = client.post(reverse("cases:procedure"), {**stage_post(stages, **fields), **duty_post(rules),
                                                        "duties_json": '[{"rule": "opener_not_at_level"'})
    assert bad_json.status_code == 400 and "JSON格式不对" in bad_json.content.decode()
    by_json = client.post(reverse("cases:procedure"), {**stage_post(stages, **fields), **duty_post(rules),
                                                       "duties_json": '[{"rule": "one_decision_per_person"}]'})
    assert by_json.status_code == 302
    assert ProcedureConfig.objects.get(version=2).duties == [{"rule": "one_decision_per_person"}]
    page = client.get(reverse("cases:procedure")).content.decode()
    identification = page.split('id="procedure-identification"')[1].split('id="procedure-elimination"')[0]
    assert "案件发起人不能办理" not in identification   # the version in force lists one rule


def test_declining_on_the_page_returns_the_verification(client, open_case, verifier, partner):
    login(client, verifier)
    assert decide(client, open_case, **verification_post(open_case, partner)).status_code == 302
    login(client, verifier)
    listed = client.get(reverse("cases:case-list")).content.decode()
    assert 'id="to-confirm"' not in listed
    login(client, partner)
    listed = client.get(reverse("cases:case-list")).content.decode()
    assert 'id="to-confirm"' in listed and "请确认您参与了入户核实" in listed
    page = client.get(reverse("cases:case-detail", args=[open_case.pk])).content.decode()
    assert 'id="confirm-participation"' in page and "入户核实属实" in page and "农户已签署承诺书" in page
    confirmation = open_case.confirmations.get()
    url = reverse("cases:confirmation-decline", args=[confirmation.pk])
    no_reason = client.post(url, {"version": fresh(open_case).version, "reason": ""})
    assert no_reason.status_code == 400 and "不确认参与须说明理由。" in no_reason.content.decode()
    declined = client.post(url, {"version": fresh(open_case).version, "reason": "那天我没有去"})
    assert declined.status_code == 302
    case = fresh(open_case)
    assert case.stage["code"] == "verification" and case.records.order_by("-pk").first().decision == "declined"
    page = client.get(reverse("cases:case-detail", args=[case.pk])).content.decode()
    assert "grid_v不确认的理由：那天我没有去" in page and 'id="confirm-participation"' not in page
    again = client.post(reverse("cases:confirmation-confirm", args=[confirmation.pk]), {"version": case.version})
    assert again.status_code == 409 and "每人只能答复一次" in again.content.decode()
    login(client, verifier)   # someone not named cannot answer for the grid worker
    refused = client.post(reverse("cases:confirmation-confirm", args=[confirmation.pk]), {"version": case.version})
    assert refused.status_code == 403 and "verifier_a没有被verifier_a列为" in refused.content.decode()


def test_records_with_typed_participants_still_render(client, open_case, village_cadre):
    StageRecord.objects.create(case=open_case, stage_index=0, stage_code="verification", stage_name="入户核实",
                               stage_kind="decision", actor=village_cadre, decision="approve",
                               participants=["cadre_a", "村民代表王某"], started_on=timezone.localdate(),
                               due_on=timezone.localdate())
    login(client, village_cadre)
    page = client.get(reverse("cases:case-detail", args=[open_case.pk]))
    assert page.status_code == 200 and "cadre_a、村民代表王某" in page.content.decode()


def test_holiday_page_adds_and_corrects_a_day(client, county_admin, places):
    login(client, county_admin)
    next_year = timezone.localdate().year + 1
    page = client.get(reverse("cases:holidays"))
    assert page.status_code == 200
    assert f"{next_year}年的国家节假日安排尚未收录" in page.content.decode()
    day = datetime.date(next_year, 2, 8)
    assert client.post(reverse("cases:holidays"), {"date": day.isoformat(), "is_workday": "0",
                                                   "name": "春节"}).status_code == 302
    assert client.post(reverse("cases:holidays"), {"date": day.isoformat(), "is_workday": "1",
                                                   "name": "春节调休"}).status_code == 302
    holiday = Holiday.objects.get()
    assert holiday.is_workday and holiday.name == "春节调休"
    assert ChangeLog.objects.filter(object_type="cases.holiday").count() == 2
    missing = client.post(reverse("cases:holidays"), {"date": "", "is_workday": "0"})
    assert missing.status_code == 400
    assert Holiday.objects.count() == 1
    listed = client.get(reverse("cases:holidays") + f"?year={next_year}").content.decode()
    assert "春节调休" in listed and "按本县节假日表计算工作日" in listed
    prefilled = client.get(reverse("cases:holidays") + f"?date={day.isoformat()}")
    assert prefilled.context["form"].initial["name"] == "春节调休"


# ---------------------------------------------------------------- elimination and the household box


def confirmed(case, verifier, county_officer, village_cadre, township_officer, county_admin):
    """Walk a case to confirmation through the services."""
    from fangpin.cases.services import StageInput

    def approve(actor, **extra):
        current = fresh(case)
        services.case_decide(actor=actor, case=current, expected_version=current.version,
                             decision=StageInput(decision="approve", **extra))

    approve(verifier, details={"commitment_signed": True, "data_authorised": True},
            attachments=[("commitment", signed())], participants=[village_cadre])
    current = fresh(case)
    services.participation_confirm(actor=village_cadre, confirmation=current.confirmations.get(),
                                   expected_version=current.version)
    approve(county_officer)
    approve(village_cadre)
    past = timezone.localdate() - datetime.timedelta(days=12)
    Case.objects.filter(pk=case.pk).update(stage_started_on=past)
    notices.notice_publish(actor=village_cadre, cases=[fresh(case)], today=past, objection_phone="1")
    daily.notices_conclude_due()
    approve(township_officer)
    approve(county_admin)
    current = fresh(case)
    return services.case_announce(actor=county_officer, case=current, expected_version=current.version)


def test_elimination_check_shows_the_criteria(client, open_case, verifier, county_officer, village_cadre,
                                              township_officer, county_admin):
    if not assistance_migrated():
        pytest.skip("the assistance app has no migrations yet (check_elimination reads its measures)")
    confirmed(open_case, verifier, county_officer, village_cadre, township_officer, county_admin)
    login(client, village_cadre)
    url = reverse("cases:elimination-check", args=[open_case.household_id])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "纳入监测满6个月" in body and "不符合" in body and "elimination-form" not in body
    refused = client.post(url, {"method": "assistance"})
    assert refused.status_code == 400 and "尚不符合风险消除条件" in refused.content.decode()
    assert not Case.objects.filter(kind="elimination").exists()


def test_household_timeline_tag(rf, open_case, village_cadre):
    if not assistance_migrated():
        pytest.skip("the assistance app has no migrations yet (the timeline lists measures)")
    from django.template import Context, Template

    request = rf.get("/")
    request.user = village_cadre
    html = Template("{% load cases_timeline %}{% household_timeline household user %}").render(
        Context({"household": open_case.household, "user": village_cadre, "request": request}))
    assert open_case.number in html and "入户核实" in html
    assert reverse("cases:case-open") not in html  # an identification case is already open


def test_opener_is_told_the_rule_on_the_case_page(client, home, township_officer, places):
    case = services.case_open_identification(actor=township_officer, household=home, category="marginal",
                                             risk_types=[RiskType.INCOME])
    Case.objects.filter(pk=case.pk).update(stage_index=4)   # straight to the township review for this check
    case = fresh(case)
    login(client, township_officer)
    page = client.get(reverse("cases:case-detail", args=[case.pk])).content.decode()
    assert "township1是本案件的发起人" in page and "案件发起人不能办理乡镇级审核环节" in page
    assert "decision-form" not in page
    refused = decide(client, case, decision="approve", reason="同意")
    assert refused.status_code == 403 and "township1是本案件的发起人" in refused.content.decode()
    assert not case.records.exists() and fresh(case).version == case.version
    login(client, make_user(Role.TOWNSHIP_OFFICER, places["t1"], "township_b"))
    assert "decision-form" in client.get(reverse("cases:case-detail", args=[case.pk])).content.decode()
