"""Writes aimed at other areas: valid input, refused, nothing written.

A user who may write opens every page of their own rows, and every list and form page, and takes
each POST form found there as a browser would submit it (empty required fields filled in, the first
choice of each list). The form is then posted

- to the same action with the `pk` of another area's row: refused with 403, 404 or 405;
- to its own action with each row choice (household, member, place, workshop...) pointed at another
  area's row: refused, or answered with the form and its error;

and after each of these the change log, the number of rows of every scoped model and the row aimed
at are exactly as before. The same input posted to the user's own row then writes (so the input was
valid and the refusal came from the area). The API refuses PATCH, PUT and DELETE on other areas' rows
and creating rows in their households, while PATCH on the user's own rows keeps working.
"""

import json

import pytest
from django.contrib import messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, resolve

from fangpin.core.models import ChangeLog
from fangpin.core.roles import Role
from fangpin.registry.choices import Relation
from fangpin.registry.models import Household, Income, Member

from ..factories import id_number, make_user
from .forms import page_forms
from .routes import DENIED, NOT_WALKED, PUBLIC, SAMPLED, SKIPPED_PREFIXES, Pools, all_routes, model_of, scoped_models
from .world import JPEG

# Routes whose form the walk does not post, and why.
NOT_POSTED = {
    "ledger-upload": "needs a ledger file; the ledger tests post real ones",
    "pushed-list-upload": "needs a department list file; the intake tests post real ones",
}
SKIPPED = set(NOT_WALKED) | set(PUBLIC) | set(NOT_POSTED)
# Values some forms need instead of those `own_values` gives: a person new to the registry, and an
# edit that leaves the ID number as it is.
ROUTE_VALUES = {"member-add": {"id_number": id_number(), "relation": Relation.DAUGHTER},
                "member-edit": {"id_number": ""}}
WRITERS = [(Role.VILLAGE_CADRE, "t1v1"), (Role.COUNTY_ADMIN, "county")]


def state(targets=()) -> tuple:
    """What a refused write must leave as it was: the change log, the rows of every scoped model and
    the rows aimed at."""
    counts = tuple(model.objects.count() for model in scoped_models())
    rows = tuple(model.objects.filter(pk=pk).values().first() for model, pk in targets)
    return ChangeLog.objects.count(), counts, rows


def route_of(path: str, routes_by_callback: dict):
    try:
        match = resolve(path)
    except Resolver404:
        return None, None
    return routes_by_callback.get(match.func), match.kwargs


def own_values(user) -> dict:
    """What a form asks for by name, from the user's own area: a person by ID number, a household by
    its number, and a reason for the change."""
    member = Member.objects.in_area(user.area_prefix).filter(relation="spouse").order_by("pk").first()
    return {"id_number": member.id_number, "household_number": member.household.number, "reason": "走访核对",
            "risk_types": "illness"}


def collect_forms(client, pools, routes, by_name) -> dict:
    """POST forms found on the user's own pages, by (route name, own pk or None)."""
    by_callback = {route.callback: route for route in routes}
    found = {}
    for route in routes:
        if route.short_name in SKIPPED or route.name.startswith("api") or "format" in route.params:
            continue
        if route.params:
            model = model_of(route, route.params[0])
            if not pools.own.get(model):
                continue
            url = route.url({route.params[0]: pools.own[model][0]})
        else:
            url = route.url({})
        if url.startswith(SKIPPED_PREFIXES):
            continue
        response = client.get(url)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        for form in page_forms(url, response.content.decode(), by_name):
            target, kwargs = route_of(form.action, by_callback)
            if target is None or target.short_name in SKIPPED:
                continue
            form.data.update(ROUTE_VALUES.get(target.short_name, {}))
            found.setdefault((target.name, kwargs.get("pk")), (target, form))
    return found


def _row_fields() -> dict:
    """Field names that name a row in forms without a form class: a model's own name, and the names
    forms use for members and places."""
    from fangpin.regions.models import Place

    names = {model._meta.model_name: model for model in scoped_models()}
    return {**names, "holder": Member, "borrower": Member, "village": Place, "township": Place, "county": Place}


ROW_FIELDS = _row_fields()


def foreign_variants(route, form, pools) -> list[tuple[str, dict, list]]:
    """(what is aimed at, data, rows aimed at): the row choices of the form pointed at other areas."""
    variants = []
    form_class = getattr(route.view_class, "form_class", None)
    for name, value in form.data.items():
        if not isinstance(value, str) or not value.isdigit():
            continue
        spec = form_class.base_fields.get(name) if form_class is not None else None
        model = getattr(getattr(spec, "queryset", None), "model", None) or ROW_FIELDS.get(name.removesuffix("_id"))
        if model is None or model not in pools.foreign:
            continue
        for pk in pools.foreign_rows(model, route.name, name)[:1]:
            variants.append((f"{name}={model._meta.label}:{pk}", {**form.data, name: str(pk)}, [(model, pk)]))
    # People and households typed in by number: another area's.
    typed = {"id_number": Member, "household_number": Household}
    for name, model in typed.items():
        if name in form.data and form.data[name]:
            pk = pools.foreign_rows(model, route.name, name)[0]
            row = model.objects.get(pk=pk)
            value = row.id_number if model is Member else row.number
            variants.append((f"{name}={value}", {**form.data, name: value}, [(model, pk)]))
    return variants


@pytest.mark.django_db
@pytest.mark.parametrize("role, place_key", WRITERS, ids=[f"{r}@{p}" for r, p in WRITERS])
def test_valid_posts_aimed_at_other_areas_are_refused(world, role, place_key):
    user = make_user(role, world.places[place_key], "writer")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    pools = Pools.for_user(user, SAMPLED, seed=WRITERS.index((role, place_key)))
    routes = all_routes()
    found = collect_forms(client, pools, routes, own_values(user))
    problems, attempts = [], 0

    def attempt(url, data, files, aimed, targets, *, pk_aimed):
        nonlocal attempts
        attempts += 1
        before = state(targets)
        response = client.post(url, {**data, **_files(files)})
        # A row named in the input may also be refused by the form (shown again with its error) or by
        # the service (back to the page with an error message).
        refused = response.status_code in DENIED or not pk_aimed and (
            response.status_code in (200, 400) or error_message_shown(response))
        if not refused:
            problems.append(f"POST {url} with {aimed} answered {response.status_code}")
        if state(targets) != before:
            problems.append(f"POST {url} with {aimed} wrote something")

    for (name, own_pk), (route, form) in found.items():
        if own_pk is not None:
            model = model_of(route, "pk")
            for pk in pools.foreign_rows(model, route.name, "pk")[:1]:
                attempt(route.url({"pk": pk}), form.data, form.files, f"pk={model._meta.label}:{pk}", [(model, pk)],
                        pk_aimed=True)
        for aimed, data, targets in foreign_variants(route, form, pools):
            attempt(form.action, data, form.files, aimed, targets, pk_aimed=False)

    # The same input on the user's own rows writes: it was valid, and the refusals came from the area.
    # Each in a savepoint rolled back at once, so that one (ending a member, dissolving a household)
    # does not change what the next finds.
    wrote = set()
    for (name, _), (route, form) in found.items():
        with transaction.atomic():
            if succeeded(client.post(form.action, {**form.data, **_files(form.files)})):
                wrote.add(route.short_name)
            transaction.set_rollback(True)

    print(f"\n{role}@{place_key}: {attempts} writes aimed at other areas from {len(found)} forms")
    assert not problems, f"{len(problems)} problems in {attempts} writes:\n" + "\n".join(problems[:40])
    assert attempts > 20
    must_write = {"household-edit", "household-dissolve", "member-add", "member-edit", "income-add", "income-edit",
                  "visit-new", "sweep-list", "sweep-item-no-risk", "measure-edit", "workshop-new", "workshop-edit",
                  "employee-new", "employee-edit", "welfare-new", "welfare-edit", "course-new", "course-edit",
                  "participant-new", "participant-edit", "loan-new", "loan-edit", "repayment-new", "project-new",
                  "project-edit", "choice-edit", "pairing-new", "pairing-edit"}
    assert not must_write - wrote, f"valid input on the user's own rows was not taken: {sorted(must_write - wrote)}"


def error_message_shown(response) -> bool:
    return any(message.level >= messages.ERROR for message in messages.get_messages(response.wsgi_request))


def succeeded(response) -> bool:
    """A form page's success: it redirects with no error message queued."""
    return response.status_code in (301, 302, 303) and not error_message_shown(response)


def _files(names) -> dict:
    return {name: SimpleUploadedFile("walk.jpg", JPEG, content_type="image/jpeg") for name in names}


# ---------------------------------------------------------------- the API


API_MODELS = {"household": Household, "member": Member, "income": Income}


@pytest.mark.django_db
@pytest.mark.parametrize("role, place_key", WRITERS, ids=[f"{r}@{p}" for r, p in WRITERS])
def test_api_writes_on_other_areas_rows_are_refused(world, role, place_key):
    user = make_user(role, world.places[place_key], "api_writer")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    pools = Pools.for_user(user, SAMPLED, seed=7)
    problems = []
    for basename, model in API_MODELS.items():
        own = client.get(f"/api/{basename}s/{pools.own[model][0]}/")
        assert own.status_code == 200
        body = {key: value for key, value in own.json().items() if not isinstance(value, (dict, list))}
        for pk in pools.foreign_rows(model, basename, "api"):
            for method in ("patch", "put", "delete"):
                before = state([(model, pk)])
                response = getattr(client, method)(f"/api/{basename}s/{pk}/", json.dumps(body),
                                                   content_type="application/json")
                if response.status_code not in DENIED:
                    problems.append(f"{method.upper()} /api/{basename}s/{pk}/ answered {response.status_code}")
                if state([(model, pk)]) != before:
                    problems.append(f"{method.upper()} /api/{basename}s/{pk}/ wrote something")
    # Creating rows in another area's household: refused without saying whose the household is.
    foreign_household = pools.foreign_rows(Household, "api-create")[0]
    for basename, body in (("member", {"household": foreign_household, "name": "禤走访", "relation": "son",
                                       "id_number": "510101199001011237"}),
                           ("income", {"household": foreign_household, "year": 2023, "wage_income": "100"})):
        before = state([(Household, foreign_household)])
        response = client.post(f"/api/{basename}s/", json.dumps(body), content_type="application/json")
        if response.status_code not in DENIED | {400}:
            problems.append(f"POST /api/{basename}s/ in another area's household answered {response.status_code}")
        if state([(Household, foreign_household)]) != before:
            problems.append(f"POST /api/{basename}s/ in another area's household wrote something")
    assert not problems, "\n".join(problems)

    # Own rows: PATCH keeps working.
    household = Household.objects.get(pk=pools.own[Household][0])
    response = client.patch(f"/api/households/{household.pk}/",
                            json.dumps({"address": "走访新址1号", "version": household.version}),
                            content_type="application/json")
    assert response.status_code == 200, response.content
    household.refresh_from_db()
    assert household.address == "走访新址1号"
