"""No page, export or API answer shows a full ID number or phone that was not unmasked.

Seed data gives every field declared personal (`core.masking.IdNumberField` / `PhoneField`, found
from the models, so a field added later must be seeded here or this test says so) a recognisable
full value: members' ID numbers, household phones, a lead's reporter, an objector, staff phones,
and a ledger import whose error list quotes an ID number. Then every role requests every GET route
the project has, found by the scoping walk's route enumeration (pages, HTMX fragments, exports,
API lists and details, histories; xlsx and other zip files unpacked, PDF text extracted), without
asking to unmask. A response may carry a full value only if that very request wrote an access-log
row that says it revealed personal data (an explicit unmask, or an export of full numbers such as
the ledger). Finally an explicit unmask does reveal, and is logged.
"""

import io
import logging

import pytest
from django.test import Client
from django.urls import reverse

from fangpin.cases import notices as case_notices, services as case_services
from fangpin.cases.models import Case
from fangpin.core.masking import mask, personal_models
from fangpin.core.models import AccessLog, ChangeLog
from fangpin.core.roles import Role
from fangpin.monitoring import services as lead_services
from fangpin.monitoring.choices import Channel
from fangpin.registry import services as registry_services
from fangpin.registry.ledger.services import ledger_stage
from fangpin.registry.models import Household, Member

from ..factories import make_household, make_user
from ..registry.ledger.ledgerfiles import household as ledger_rows
from ..registry.ledger.ledgerfiles import write_ledger
from ..test_scoping_walk import (
    EXHAUSTIVE,
    NOT_WALKED,
    SKIPPED_PREFIXES,
    Budget,
    Pools,
    _procedure_world,
    all_routes,
    fillings,
    forms_of,
    queries_for,
    texts_of,
)

# Every route with up to three rows of each model, one API format and one variant of each request
# (HTMX, filters, form choices) besides the plain one; all of them under `-m slow`.
SAMPLED = Budget(own_rows=3, query_values=1, filters=4, every_format=False, every_variant=False)

# Phones seeded below: households (one changed later), a lead's reporter, an objector, the ledger file.
SEEDED_PHONES = ("13811112222", "02885551234", "15822223333", "15822226666", "18933334444", "13644445555",
                 "13800000000")

# Where each role works in the seeded county: everyone sees the seeded village.
ROLE_PLACES = {
    Role.COUNTY_ADMIN: "county", Role.COUNTY_OFFICER: "county", Role.TOWNSHIP_OFFICER: "t1",
    Role.VILLAGE_CADRE: "t1v1", Role.HELPER: "t1v1", Role.GRID_WORKER: "t1v1",
    Role.DEPARTMENT_CLERK: "county", Role.INSURER: "county", Role.AUDITOR: "county",
}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.DATA_DIR = tmp_path


@pytest.fixture(autouse=True)
def quiet_request_log():
    """Expected 403/404/405s would otherwise each print a warning."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.fixture
def staff(places):
    """One user per role, each with a phone of their own."""
    users = {}
    for index, role in enumerate(Role.values, start=1):
        user = make_user(role, places[ROLE_PLACES[role]], f"scan_{role}")
        user.phone = f"1370000{index:04d}"  # staff phones are personal data too
        user.save(update_fields=["phone"])
        users[role] = user
    return users


@pytest.fixture
def seeded(places, staff, tmp_path):
    """Rows in village t1v1 whose every personal field holds a full value; returns those values."""
    admin, officer = staff[Role.COUNTY_ADMIN], staff[Role.COUNTY_OFFICER]
    on_notice = make_household(admin, places["t1v1"], members=3, phone="13811112222", household_type="exited",
                               exit_year=2018)
    monitored = make_household(admin, places["t1v1g1"], members=2, phone="02885551234")
    objected = make_household(admin, places["t1v1"], members=2, phone="15822223333")
    registry_services.household_update(actor=admin, household=monitored, helper=staff[Role.HELPER],
                                       grid_worker=staff[Role.GRID_WORKER])
    _procedure_world(admin, on_notice, "甲")
    _procedure_world(admin, monitored, "乙")

    lead_services.lead_raise(actor=None, channel=Channel.SELF_DECLARATION, risk_types=["schooling"],
                             household=monitored, summary="孩子上学难", reporter_name="王五",
                             reporter_phone="18933334444", reporter_id_number=monitored.head.id_number)
    lead = lead_services.lead_raise(actor=admin, channel="helper_visit", risk_types=["illness"],
                                    household=objected, summary="因病").lead
    lead_services.lead_accept(actor=admin, lead=lead)
    case = case_services.case_open_identification(actor=admin, household=objected, lead=lead,
                                                  category="marginal", risk_types=["illness"], summary="因病")
    Case.objects.filter(pk=case.pk).update(stage_index=3)  # at the notice stage
    case.refresh_from_db()
    case_notices.notice_publish(actor=admin, cases=[case], objection_phone="0816-7654321")
    case_notices.objection_record(actor=admin, case=case, content="家中有车", objector_name="李四",
                                   objector_phone="13644445555")
    registry_services.household_update(actor=admin, household=objected, phone="15822226666", reason="换号")

    # A ledger whose error list quotes a registered person's ID number (and the file's phones).
    rows = ledger_rows("1001")
    rows[1]["证件号码"] = on_notice.head.id_number
    ledger_stage(write_ledger(tmp_path / "台账.csv", rows), actor=officer, original_name="台账.csv")

    values = {}
    for model, fields in personal_models().items():
        for attname, kind in fields.items():
            found = {v for v in model._default_manager.values_list(attname, flat=True) if v}
            assert found, f"seed a full value into {model._meta.label}.{attname}: it holds personal data"
            values.update({value: kind for value in found})
    # The values seeded above are looked for whether or not their field is declared personal: a phone
    # or ID number kept in an undeclared field is found by the scan, not assumed safe.
    values.update({value: "phone" for value in SEEDED_PHONES})
    values.update({value: "id_number" for value in Member.objects.values_list("id_number", flat=True)})
    return values


def _contents(response) -> list[str]:
    """What a person could read in a response: the body (inside zip files such as xlsx too), the
    text of a PDF, and the headers that name a file or a place to go."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:5] == b"%PDF-":
        import pypdf

        text = "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(io.BytesIO(body)).pages)
        return [text, response.get("Content-Disposition", "")]
    if response.streaming:
        response = type("Buffered", (), {"streaming": False, "content": body, "get": response.get})()
    return texts_of(response)


def _revealed_with_log(user, since_id: int) -> bool:
    """Did the request just made write an access-log row saying it showed personal data in full?"""
    for row in AccessLog.objects.filter(actor=user, pk__gt=since_id):
        if row.kind == AccessLog.Kind.UNMASK or row.detail.get("unmasked") or row.detail.get("full_id_numbers"):
            return True
    return False


def _scan(user, values: dict[str, str], budget: Budget) -> tuple[list[str], int, int]:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    pools = Pools.collect(user.area_prefix, [], budget)
    full = {form: value for value in values for form in forms_of({value})}
    problems, requests, masked_seen = [], 0, 0
    for route in all_routes():
        if route.short_name in NOT_WALKED:
            continue
        for params, _foreign in fillings(route, pools):
            url = route.url(params)
            if url.startswith(SKIPPED_PREFIXES):
                break
            # The plain request always; then the route's other variants, none of which asks to unmask.
            variants = [("", {})] + [(query, headers) for query, headers in queries_for(route, pools)
                                     if "unmask" not in query and (query, headers) != ("", {})]
            for query, headers in variants:
                last = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                full_url = f"{url}?{query}" if query else url
                response = client.get(full_url, **headers)
                requests += 1
                if response.status_code >= 500:
                    problems.append(f"GET {full_url} ({route.name}) crashed: {response.status_code}")
                    continue
                texts = _contents(response)
                shown = sorted({full[form] for text in texts for form in full if form in text})
                if shown and not _revealed_with_log(user, last):
                    problems.append(f"GET {full_url} ({route.name}) shows in full: {shown[:4]}")
                masked_seen += any(mask(kind, value) in text for text in texts for value, kind in values.items())
    return problems, requests, masked_seen


def _check(user, values, budget):
    problems, requests, masked_seen = _scan(user, values, budget)
    assert not problems, f"{len(problems)} problems in {requests} requests as {user.role}:\n" + "\n".join(
        problems[:40])
    assert requests > 100
    if user.role not in (Role.DEPARTMENT_CLERK, Role.INSURER):
        assert masked_seen, "the scan never met a masked value: it did not reach the personal data"


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_no_page_or_export_shows_personal_data_that_was_not_unmasked(staff, seeded, role):
    _check(staff[role], seeded, SAMPLED)


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_no_page_or_export_in_any_variant_shows_personal_data(staff, seeded, role):
    _check(staff[role], seeded, EXHAUSTIVE)


@pytest.mark.django_db
def test_an_explicit_unmask_reveals_and_is_logged(staff, seeded):
    cadre = staff[Role.VILLAGE_CADRE]
    client = Client()
    client.force_login(cadre)
    household = Household.objects.get(phone="15822226666")
    member = household.members.first()

    page = client.post(reverse("household-unmask", args=[household.pk]),
                       {"field": "id_number", "member": member.pk, "reason": "入户核实身份"})
    assert member.id_number in page.content.decode()
    assert client.get(f"/api/households/{household.pk}/?unmask=phone&unmask_reason=回电").json()["phone"] == "15822226666"
    entry = ChangeLog.objects.get(object_type="cases.objection", after__objector_phone="13644445555")
    history = client.post(reverse("change-unmask", args=[entry.pk]),
                          {"field": "objector_phone", "side": "after", "reason": "回电核实异议"})
    assert "13644445555" in history.content.decode()
    rows = list(AccessLog.objects.filter(actor=cadre).order_by("pk"))
    assert [row.kind for row in rows] == [AccessLog.Kind.UNMASK] * 3
    assert rows[-1].detail["reason"] == "回电核实异议"
