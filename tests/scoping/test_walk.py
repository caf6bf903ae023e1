"""The scoping walk: no page, export or API route shows one area's data to another area's user.

Every role, bound to its place (a village, a village group, a township, county 1, county 2), requests
every URL pattern the project has with path parameters filled with the keys of its own rows and of
the other areas' rows, asking to unmask (with a reason), as HTMX, in every API format, and the list
routes with every value of their filters aimed at the other areas; form pages get their forms posted
with every choice and every foreign row a model choice may name. The walk fails when

- any response (body, `Location` or `Content-Disposition`, inside zip files such as xlsx too)
  carries a marker of another area, in full, masked or JSON-escaped;
- a route whose `pk` names a row of another area answers a GET or an empty POST with anything but
  403, 404 or 405;
- a route crashes, or a URL built for a pattern does not resolve back to it.

The walk in CI takes a deterministic sample of the other areas' rows and query values per route (a
different one per walker); the exhaustive walk (`-m slow`) takes them all. A separate walk as an
anonymous visitor checks that only the routes in PUBLIC answer at all.
"""

import time

import pytest
from django.test import Client

from fangpin.core.roles import Role

from ..factories import make_user
from .routes import (EXHAUSTIVE, NOT_WALKED, PUBLIC, SAMPLED, SKIPPED_PREFIXES, Pools, all_routes, fillings,
                     forms_of, leaks, scoped_models, walk_everything)
from .world import WALKERS

WALKER_IDS = [f"{role}@{place}" for role, place in WALKERS]
# The exhaustive walk (every row, format and variant: about 7,000 requests and ten minutes a user on our
# machines) runs for the two users bound where most rows and routes meet — a village and a township — so
# that CI stays within its time on both databases; every other role walks the sampled budget above, with
# its own seed, on every run.
EXHAUSTIVE_WALKERS = [(Role.VILLAGE_CADRE, "t1v1"), (Role.TOWNSHIP_OFFICER, "t1")]


def walk_as(world, role, place_key, budget, seed):
    user = make_user(role, world.places[place_key], "walker")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    pools = Pools.for_user(user, budget, seed)
    started = time.perf_counter()
    walk = walk_everything(client, world.foreign_markers(user), pools)
    print(f"\n{role}@{place_key}: {walk.requests} requests in {time.perf_counter() - started:.1f} s")

    assert not walk.problems, f"{len(walk.problems)} problems in {walk.requests} requests:\n" + "\n".join(
        walk.problems[:40])
    # The walk is only worth something if it reached every route and the data the user should see.
    expected = {route.name for route in all_routes() if route.short_name not in NOT_WALKED
                and not route.url(next(fillings(route, pools))[0]).startswith(SKIPPED_PREFIXES)}
    assert walk.walked == expected
    assert all(pools.foreign[model] for model in scoped_models()), "every model has rows outside the area"
    seen = Client()
    seen.force_login(user)
    own_numbers = {m for m in world.own_markers(user) if m.isdigit() and len(m) == 8}
    listed = {row["number"] for row in seen.get("/api/households/").json()["results"]}
    assert own_numbers and listed == own_numbers


@pytest.mark.django_db
@pytest.mark.parametrize("role, place_key", WALKERS, ids=WALKER_IDS)
def test_no_route_shows_another_areas_data(world, role, place_key):
    walk_as(world, role, place_key, SAMPLED, seed=WALKERS.index((role, place_key)))


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("role, place_key", EXHAUSTIVE_WALKERS, ids=[f"{r}@{p}" for r, p in EXHAUSTIVE_WALKERS])
def test_no_route_shows_another_areas_data_exhaustive(world, role, place_key):
    walk_as(world, role, place_key, EXHAUSTIVE, seed=0)


@pytest.mark.django_db
def test_every_scoped_model_has_rows_in_two_areas(world):
    """A model added later with an area and no rows in the world fails here: the walk would have nothing
    of another area to aim at. Every scoped model has rows in both counties, and a model whose rows sit
    in villages has them in two villages of county 1."""
    places = world.places
    missing = []
    for model in scoped_models():
        rows = model.objects.all()
        areas = ["county", "c2"]
        if any(len(code) >= 12 and not code.endswith("000") for code in rows.values_list(model.area_field, flat=True)):
            areas += ["t1v1", "t1v2"]
        missing += [f"{model._meta.label} has no rows in {places[key].name} ({places[key].code})"
                    for key in areas if not rows.in_area(places[key].scope_prefix).exists()]
    assert not missing, "\n".join(missing)


@pytest.mark.django_db
def test_only_public_routes_answer_anonymous_visitors(world):
    client = Client(raise_request_exception=False)
    pools = Pools.for_user(make_user(Role.COUNTY_ADMIN, None, "no_place"), SAMPLED)
    markers = forms_of(set().union(*world.marks.values(), *world.serving_marks.values()))
    problems = []
    for route in all_routes():
        if route.short_name in NOT_WALKED:
            continue
        values, _ = next(fillings(route, pools))
        url = route.url(values)
        if url.startswith(SKIPPED_PREFIXES):
            continue
        response = client.get(url)
        if route.short_name not in PUBLIC and 200 <= response.status_code < 300:
            problems.append(f"{url} ({route.name}) answered {response.status_code} without signing in")
        if response.status_code >= 500:
            problems.append(f"{url} ({route.name}) crashed: {response.status_code}")
        found = leaks(response, markers, url)
        if found:
            problems.append(f"{url} ({route.name}) shows data without signing in: {found[:5]}")
    assert not problems, "\n".join(problems)


def test_the_allow_lists_name_real_routes():
    names = {route.short_name for route in all_routes()}
    assert set(PUBLIC) <= names and set(NOT_WALKED) <= names
