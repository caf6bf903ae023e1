"""County policies in one place: the register limits and the intake limit are read from the version in
force on the day, the checks name it, new versions never edit old ones, and the county policy page
lists every policy (adopting only for the county admin)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fangpin.assistance import services as assistance
from fangpin.assistance.models import MicroCredit, RegisterLimits
from fangpin.cases.models import EliminationCriteria
from fangpin.core.errors import ValidationFailed
from fangpin.core.models import ChangeLog
from fangpin.core.policy import policy_adopt
from fangpin.monitoring import services as monitoring
from fangpin.monitoring.models import IntakePolicy

from ..factories import make_household

TODAY = timezone.localdate


def _limits(actor, county, effective_from, **changes):
    values = {"loan_max_amount": Decimal("50000"), "loan_max_months": 36, "welfare_post_max_months": 36,
              "workshop_sign_min_employees": 10, **changes}
    return policy_adopt(RegisterLimits, actor=actor, county=county, effective_from=effective_from, **values)


def test_loan_cap_uses_the_limits_in_force_on_the_issue_day_and_names_them(county_admin, village_cadre, places):
    county = places["county"]
    borrower = make_household(county_admin, places["t1v1"]).members.first()
    switch = TODAY() - datetime.timedelta(days=30)
    _limits(county_admin, county, datetime.date(2000, 1, 1))
    _limits(county_admin, county, switch, loan_max_amount=Decimal("80000"), note="提高额度")
    base = dict(actor=village_cadre, borrower=borrower, lender="县农商行", amount="60000", term_months=24,
                rate="3.45")
    with pytest.raises(ValidationFailed) as error:
        assistance.micro_credit_add(**base, issued_on=switch - datetime.timedelta(days=1))
    assert error.value.code == "loan_amount_limit" and "50,000.00" in error.value.message
    assert "台账限额第2版" in error.value.message  # version 1: the defaults, in force until the first adoption
    assert not MicroCredit.objects.exists()
    loan = assistance.micro_credit_add(**base, issued_on=switch)
    entry = ChangeLog.objects.get(object_type="assistance.microcredit", object_id=loan.pk)
    assert "台账限额第3版" in entry.reason
    old = RegisterLimits.objects.get(county=county, version=2)
    assert old.loan_max_amount == Decimal("50000.00")


def test_welfare_post_months_follow_the_limits(county_admin, village_cadre, places):
    holder = make_household(county_admin, places["t1v1"]).members.first()
    _limits(county_admin, places["county"], datetime.date(2000, 1, 1), welfare_post_max_months=12)
    with pytest.raises(ValidationFailed) as error:
        assistance.welfare_post_add(actor=village_cadre, place=places["t1v1"], post_name="保洁员", holder=holder,
                                    starts_on=TODAY(), months=24, monthly_wage="500")
    assert error.value.code == "welfare_post_months_limit" and "台账限额第2版" in error.value.message


def test_lead_deadline_comes_from_the_intake_policy_in_force(county_admin, township_officer, places):
    household = make_household(county_admin, places["t1v1"])
    lead = monitoring.lead_raise(actor=township_officer, channel="cadre_sweep", risk_types=["illness"],
                                 household=household, summary="住院").lead
    assert lead.intake_policy.version == 1 and lead.intake_policy.accept_within_days == 2
    assert datetime.timedelta(days=2) - (lead.accept_due - lead.raised_at) < datetime.timedelta(seconds=5)
    policy_adopt(IntakePolicy, actor=county_admin, county=places["county"], effective_from=TODAY(),
                 accept_within_days=5)
    other = make_household(county_admin, places["t1v1"])
    later = monitoring.lead_raise(actor=township_officer, channel="cadre_sweep", risk_types=["illness"],
                                  household=other, summary="住院").lead
    assert later.intake_policy.version == 2
    assert later.accept_due - later.raised_at > datetime.timedelta(days=4, hours=23)
    lead.refresh_from_db()
    assert lead.intake_policy.version == 1


def test_policy_page_lists_every_policy_and_only_the_county_admin_adopts(client, county_admin, village_cadre, places):
    client.force_login(village_cadre)
    response = client.get(reverse("county-policy"))
    assert response.status_code == 200
    page = response.content.decode()
    for title in ("监测标准", "走访频次", "办理流程", "消除标准", "线索受理时限", "台账限额"):
        assert title in page
    assert "制定新版本" not in page
    url = reverse("policy-adopt", args=["cases.eliminationcriteria"])
    assert client.get(url).status_code == 403
    assert client.post(url, {"effective_from": TODAY().isoformat()}).status_code == 403

    client.force_login(county_admin)
    assert "制定新版本" in client.get(reverse("county-policy")).content.decode()
    assert client.get(url).status_code == 200
    response = client.post(url, {"effective_from": TODAY().isoformat(), "min_months_monitored": "9",
                                 "income_quarters": "2", "safe_house_grades": ["A", "B"],
                                 "min_measures_in_place": "1", "note": "县政府常务会议决定"})
    assert response.status_code == 302
    defaults, adopted = EliminationCriteria.objects.filter(county=places["county"]).order_by("version")
    assert (defaults.version, defaults.min_months_monitored) == (1, 6)
    assert (adopted.version, adopted.min_months_monitored, adopted.created_by) == (2, 9, county_admin)
    page = client.get(reverse("county-policy")).content.decode()
    assert "纳入监测最少月数" in page and "县政府常务会议决定" in page and "A级（安全）" in page
    bad = client.post(url, {"effective_from": TODAY().isoformat(), "min_months_monitored": "0",
                            "income_quarters": "2", "safe_house_grades": ["A"], "min_measures_in_place": "1"})
    assert bad.status_code == 200 and EliminationCriteria.objects.count() == 2
    assert client.get(reverse("policy-adopt", args=["monitoring.thresholds"])).status_code == 404
