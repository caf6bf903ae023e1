"""The scoping walk: no page, export or API route shows one area's data to another area's user.

Four villages get households, members, incomes, change-log and access-log rows, each datum carrying
a marker no other datum contains (household number, names, ID number, phone, address, change
reason). Then a village cadre of one village, and a township officer of one township, request every
URL pattern the project has — found by walking the URL resolver, so routes added later are walked
too — with path parameters filled with the keys of their own rows and of the other areas' rows,
with `?unmask=1`, as HTMX, in every API format, and the list routes with every value of their
filters aimed at the other areas. The walk fails when

- any response (body, `Location` or `Content-Disposition`, inside zip files such as xlsx too)
  carries a marker of another area, in full, masked or JSON-escaped;
- a route whose `pk` names a row of another area answers a GET or an empty POST with anything but
  403, 404 or 405 (the `pk` of a route is a row of its view's `model`, as in Django's generic
  views and in our viewsets; other parameter names are matched to models by their prefix);
- a route crashes, or a URL built for a pattern does not resolve back to it.

A separate walk as an anonymous visitor checks that only the routes in PUBLIC answer at all.
"""

import datetime
import functools
import io
import itertools
import json
import logging
import re
import warnings
import zipfile
from dataclasses import dataclass, field
from urllib.parse import urlencode

import django_filters
import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import LocalePrefixPattern, Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

from fangpin.core.masking import mask_id_number, mask_phone
from fangpin.core.models import AccessLog, User
from fangpin.core.roles import Role
from fangpin.regions.models import Place
from fangpin.registry import services
from fangpin.registry.choices import Relation, Sex
from fangpin.registry.filters import HouseholdFilter
from fangpin.registry.idnumber import compose_id_number
from fangpin.registry.models import Household, Income, Member

from .factories import make_user

# Routes anyone may open without signing in, and why.
PUBLIC = {
    "login": "the sign-in page is where everyone starts",
    "declare": "farmers self-declare without an account (DOMAIN.md §4, channel 1); shows only place names",
    "declare-done": "shows the ack number kept in the visitor's own session, nothing else",
    "declare-status": "a farmer checks status with ack number and phone together; shows status words only",
    "tip": "anyone may report a household in difficulty, anonymously (DOMAIN.md §4, channel 6)",
    "tip-done": "shows the ack number kept in the visitor's own session, nothing else",
}
# Routes the signed-in walk leaves out, and why. Everything else is walked.
NOT_WALKED = {
    "logout": "would end the walking user's session",
    "set_language": "only stores a language choice and redirects; it reads no data",
}
SKIPPED_PREFIXES = (settings.STATIC_URL, settings.MEDIA_URL)

DENIED = {403, 404, 405}
OWN_ROWS_PER_MODEL = 3
FOREIGN_ROWS_PER_MODEL = 8
VILLAGES = ("t1v1", "t1v2", "t2v1", "t2v2")
VILLAGE_MARK = dict(zip(VILLAGES, "甲乙丙丁"))
HOUSEHOLD_MARK = "一二"
MEMBER_MARK = "子丑寅"


# ---------------------------------------------------------------- the world


def build_world(places) -> dict[str, set[str]]:
    """Two households per village (one in the village, one in its group) with three members each,
    flags that every household filter can select, incomes, edits and an unmasking. Returns the
    markers of each village."""
    admin = make_user(Role.COUNTY_ADMIN, places["county"], "walk_admin")
    markers: dict[str, set[str]] = {}
    sequence = itertools.count(1)
    for vi, key in enumerate(VILLAGES, start=1):
        texts = markers[key] = set()
        for hi, place in enumerate((places[key], places[f"{key}g1"]), start=1):
            tag = f"{VILLAGE_MARK[key]}{HOUSEHOLD_MARK[hi - 1]}"
            person = functools.partial(_person, vi, hi, tag, sequence)
            head = person(0, Relation.HEAD, Sex.MALE, health="serious" if hi == 1 else "healthy",
                          dibao=hi == 1)
            others = [person(1, Relation.SPOUSE, Sex.FEMALE, tekun=hi == 2,
                             health="disabled" if hi == 2 else "chronic", disability_grade="2" if hi == 2 else ""),
                      person(2, Relation.SON, Sex.MALE)]
            household = services.household_create(
                actor=admin, place=place, number=f"73{vi}{hi}0{vi}{hi}5", head=head, members=others,
                address=f"{VILLAGE_MARK[key]}村{HOUSEHOLD_MARK[hi - 1]}巷{vi}{hi}号",
                phone=f"1{vi + 4}{hi}5550{vi}{hi}{vi}{hi}",
                household_type="exited" if hi == 1 else "ordinary", exit_year=2018 if hi == 1 else None,
                house_grade="D" if hi == 1 else "A", relocated=hi == 1, water_quantity_ok=hi != 1,
            )
            services.income_set(actor=admin, household=household, year=2024, wage_income="21000",
                                medical_spending="9000")
            services.income_set(actor=admin, household=household, year=2025, quarter=1, wage_income="4000")
            reason = f"{VILLAGE_MARK[key]}村核改{hi}"
            household = services.household_update(actor=admin, household=household, industries="养牛",
                                                  reason=reason)
            services.member_end(actor=admin, member=household.members.get(relation=Relation.SON),
                                reason="moved_out")
            texts |= {household.number, household.address, household.phone, mask_phone(household.phone), reason}
            for member in household.members.all():
                texts |= {member.name, member.id_number, mask_id_number(member.id_number)}
            texts |= _procedure_world(admin, household, tag)
        cadre = make_user(Role.VILLAGE_CADRE, places[key], f"walk_cadre_{key}")
        unmasking = Client()
        unmasking.force_login(cadre)
        assert unmasking.get("/api/households/?unmask=1").status_code == 200
    assert AccessLog.objects.count() == len(VILLAGES)
    return markers


def _procedure_world(admin, household, tag) -> set[str]:
    """A lead and an identification case for each household: the first household's case is on a public
    notice with an objection and attachments, the second's is confirmed, with a measure and evidence.
    Returns the markers these rows carry."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fangpin.assistance.services import measure_add, measure_add_evidence
    from fangpin.cases import services as case_services
    from fangpin.cases.models import Case, Monitoring
    from fangpin.monitoring.services import lead_accept, lead_raise

    lead = lead_raise(actor=admin, channel="helper_visit", risk_types=["illness"], household=household,
                      summary=f"{tag}线索").lead
    lead_accept(actor=admin, lead=lead)
    case = case_services.case_open_identification(
        actor=admin, household=household, lead=lead, category="marginal", risk_types=["illness"],
        summary=f"{tag}案情")
    texts = {lead.summary, case.summary, case.number}
    if household.household_type == "exited":
        Case.objects.filter(pk=case.pk).update(stage_index=3)   # at the notice stage
        case.refresh_from_db()
        notice = case_services.notice_publish(actor=admin, cases=[case], objection_phone="0816-1")
        proof = SimpleUploadedFile(f"{tag}异议.jpg", b"\xff\xd8\xff\xe0 photo")
        objection = case_services.objection_record(actor=admin, case=case, content=f"{tag}异议内容",
                                                   attachments=[proof])
        texts |= {notice.number, objection.content, objection.attachments.get().name}
    else:
        Case.objects.filter(pk=case.pk).update(status="confirmed")
        Monitoring.objects.create(household=household, category="marginal", risk_types=["illness"],
                                  identified_on=datetime.date(2026, 1, 5), identification_case=case)
        measure = measure_add(actor=admin, household=household, responsible_unit=f"{tag}责任单位",
                              starts_on=datetime.date(2026, 1, 6), category="employment", name=f"{tag}帮扶措施",
                              status="in_progress")
        evidence = measure_add_evidence(actor=admin, measure=measure, name=f"{tag}佐证",
                                        file=SimpleUploadedFile("proof.jpg", b"\xff\xd8\xff\xe0 photo"))
        texts |= {measure.name, measure.responsible_unit, evidence.name}
    return texts


def _person(vi, hi, tag, sequence, mi, relation, sex, **extra) -> dict:
    """A member whose name and ID number carry the village: ID area codes 510201-510204."""
    birth = datetime.date(1970 + vi, hi, 10 + mi)
    number = compose_id_number(f"5102{vi:02d}", birth, next(sequence), sex)
    return {"name": f"禤{tag}{MEMBER_MARK[mi]}", "id_number": number, "relation": relation, **extra}


def forms_of(texts: set[str]) -> set[str]:
    """A marker as it may appear in a response: as is, or JSON-escaped (`ensure_ascii`)."""
    return texts | {json.dumps(t)[1:-1] for t in texts}


# ---------------------------------------------------------------- routes


@dataclass
class Route:
    name: str
    chain: list  # the pattern objects from the root to this route
    callback: object

    @property
    def params(self) -> list[str]:
        names = []
        for pattern in self.chain:
            if isinstance(pattern, RoutePattern):
                names += list(pattern.converters)
            elif isinstance(pattern, RegexPattern):
                names += list(pattern.regex.groupindex)
        return names

    @property
    def view_class(self):
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)

    @property
    def short_name(self) -> str:
        return self.name.rsplit(":", 1)[-1]

    def url(self, values: dict) -> str:
        return "/" + "".join(_fill(pattern, values) for pattern in self.chain)


def all_routes() -> list[Route]:
    routes = []

    def walk(patterns, chain, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else (
                    pattern.namespace or namespace)
                walk(pattern.url_patterns, [*chain, pattern.pattern], inner)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace else (pattern.name or "")
                routes.append(Route(name, [*chain, pattern.pattern], pattern.callback))

    walk(get_resolver().url_patterns, [], None)
    return routes


_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?:[^()]|\([^()]*\))*\)")


def _fill(pattern, values: dict) -> str:
    if isinstance(pattern, LocalePrefixPattern):
        return pattern.language_prefix
    if isinstance(pattern, RoutePattern):
        return re.sub(r"<(?:[^>:]+:)?(?P<name>\w+)>",
                      lambda m: str(pattern.converters[m["name"]].to_url(values[m["name"]])), str(pattern))
    text = _GROUP.sub(lambda m: str(values[m["name"]]), pattern.regex.pattern)
    return text.removeprefix("^").removesuffix("$").replace("/?", "/").replace("\\.", ".")


# ---------------------------------------------------------------- what to fill in


def scoped_models():
    return [m for m in apps.get_models() if hasattr(m, "area_field")]


@dataclass
class Pools:
    """Keys of rows inside the walking user's area and of rows in the other areas, per model."""

    own: dict = field(default_factory=dict)
    foreign: dict = field(default_factory=dict)
    foreign_codes: list = field(default_factory=list)
    foreign_texts: list = field(default_factory=list)

    @classmethod
    def collect(cls, own_prefix: str, foreign_prefixes: list[str]) -> "Pools":
        pools = cls()
        for model in scoped_models():
            pools.own[model] = list(model.objects.in_area(own_prefix).order_by("pk")
                                    .values_list("pk", flat=True)[:OWN_ROWS_PER_MODEL])
            foreign = []
            for prefix in foreign_prefixes:
                foreign += model.objects.in_area(prefix).order_by("pk").values_list("pk", flat=True)
            # Spread the sample over the foreign areas rather than taking the first rows of one.
            step = max(1, len(foreign) // FOREIGN_ROWS_PER_MODEL)
            pools.foreign[model] = foreign[::step][:FOREIGN_ROWS_PER_MODEL]
        places = Place.objects.filter(pk__in=[pk for p in foreign_prefixes
                                              for pk in Place.objects.in_area(p).values_list("pk", flat=True)])
        pools.foreign_codes = sorted(places.values_list("code", flat=True))
        for prefix in foreign_prefixes:
            for household in Household.objects.in_area(prefix):
                head = household.members.get(relation=Relation.HEAD)
                pools.foreign_texts += [household.number, head.name, head.id_number]
        return pools

    def any_pks(self) -> list[int]:
        keys = {pk for model in (Household, Member, Income, Place) for pk in self.own[model] + self.foreign[model]}
        return sorted(keys)


def model_of(route: Route, param: str):
    """The model whose rows a path parameter names, when the route says so clearly."""
    if param in ("pk", "id"):
        model = getattr(route.view_class, "model", None)
        if model is None and getattr(route.view_class, "queryset", None) is not None:
            model = route.view_class.queryset.model
        return model
    lowered = param.lower()
    for model in scoped_models() + [User]:
        if lowered.startswith(model._meta.model_name):
            return model
    return None


def fillings(route: Route, pools: Pools):
    """(values, names a foreign row) for every combination of parameter values worth trying."""
    choices = []
    for param in route.params:
        if param == "format":
            choices.append([("json", False), ("api", False)])
            continue
        model = model_of(route, param)
        options = []
        if model in pools.foreign:
            options = [(pk, True) for pk in pools.foreign[model]] + [(pk, False) for pk in pools.own[model]]
        elif param in ("code", "place_code"):
            options = [(code, False) for code in pools.foreign_codes]
        # A route whose rows the world does not hold is still requested, with keys of other rows.
        choices.append(options or [(pk, False) for pk in pools.any_pks()] or [(1, False)])
    for combination in itertools.product(*choices):
        values = {param: value for param, (value, _) in zip(route.params, combination)}
        yield values, any(foreign for _, foreign in combination)


def filter_queries(filterset_class, pools: Pools) -> list[str]:
    """One query per filter value, the values aimed at the other areas."""
    queries = []
    for name, spec in filterset_class.base_filters.items():
        if isinstance(spec, django_filters.BooleanFilter):
            values = ["true", "false"]
        elif isinstance(spec, django_filters.ChoiceFilter):
            choices = spec.extra.get("choices") or []
            values = [value for value, _ in (choices() if callable(choices) else choices) if value != ""]
        elif isinstance(spec, (django_filters.NumberFilter, django_filters.ModelChoiceFilter)):
            values = pools.foreign[Household] + pools.foreign[Member]
        elif isinstance(spec, (django_filters.DateFilter, django_filters.DateFromToRangeFilter)):
            values = ["2024-01-01"]
        else:
            values = pools.foreign_texts + pools.foreign_codes
        queries += [urlencode({name: value}) for value in values]
    return queries


def form_inputs(route: Route, pools: Pools) -> list[dict]:
    """Inputs for the form of a form page: every choice once, and every foreign row a model choice
    may name. Export pages are forms too; this is how the walk downloads other areas' exports."""
    form_class = getattr(route.view_class, "form_class", None)
    if form_class is None:
        return []
    defaults, variants = {}, []
    for name, spec in form_class.base_fields.items():
        if isinstance(spec, forms.ModelChoiceField):
            variants += [{name: pk} for pk in pools.foreign.get(spec.queryset.model, [])]
        elif isinstance(spec, forms.ChoiceField):
            values = [value for value, _ in spec.choices if value not in ("", None)]
            defaults[name] = values[0] if values else ""
            variants += [{name: value} for value in values[1:]]
        elif not isinstance(spec, forms.FileField):
            defaults[name] = ""
    return [defaults] + [{**defaults, **variant} for variant in variants]


def queries_for(route: Route, pools: Pools) -> list[tuple[str, dict]]:
    """Query strings and headers to request a route with."""
    variants = [("", {}), ("unmask=1", {})]
    if set(route.params) - {"format"}:
        return variants
    if "format" in route.params:
        return variants
    variants.append(("", {"HTTP_HX_REQUEST": "true"}))
    common = [urlencode({"household": pk}) for pk in pools.foreign[Household]]
    common += [urlencode({"place": code}) for code in pools.foreign_codes]
    common += [urlencode({"q": text}) for text in pools.foreign_texts]
    filtersets = {getattr(route.view_class, "filterset_class", None)}
    if getattr(route.view_class, "model", None) is Household:
        filtersets.add(HouseholdFilter)
    for filterset in filtersets - {None}:
        common += filter_queries(filterset, pools)
    common += [urlencode(data) for data in form_inputs(route, pools)]
    return variants + [(query, {}) for query in dict.fromkeys(common)]


# ---------------------------------------------------------------- looking at responses


def texts_of(response) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    parts = [body]
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            parts = [archive.read(name) for name in archive.namelist()]
    texts = [part.decode("utf-8", errors="replace") for part in parts]
    texts += [response.get("Location", ""), response.get("Content-Disposition", "")]
    return texts


def leaks(response, markers: set[str], request_text: str) -> list[str]:
    """Foreign markers in a response, except those the request itself carried (a search box
    showing back what was searched for is not a leak; the row it found would carry others)."""
    found = set()
    for text in texts_of(response):
        found |= {m for m in markers if m in text and m not in request_text}
    return sorted(found)


@dataclass
class Walk:
    client: Client
    markers: set
    pools: Pools
    problems: list = field(default_factory=list)
    requests: int = 0
    walked: set = field(default_factory=set)

    def look(self, route: Route, method: str, url: str, query: str = "", headers=None, *, data=None,
             foreign_row=False):
        full = f"{url}?{query}" if query else url
        if data is not None:
            response = self.client.post(full, data)
            full = f"{full} {urlencode(data)}"
        else:
            response = getattr(self.client, method)(full, **(headers or {}))
        self.requests += 1
        status = response.status_code
        if status >= 500 and data is None:
            self.problems.append(f"{method.upper()} {full} ({route.name}) crashed: {status}")
        elif status >= 500:
            # Posting made-up input to a form page is beyond what the page promises; its crash is a
            # bug worth knowing about, not a leak, so it warns instead of failing the walk.
            warnings.warn(f"POST {full} ({route.name}) crashed ({status}): the walk could not check it",
                          stacklevel=2)
        if foreign_row and status not in DENIED:
            self.problems.append(f"{method.upper()} {full} ({route.name}) names another area's row "
                                 f"but answered {status}")
        found = leaks(response, self.markers, _unquoted(full))
        if found:
            self.problems.append(f"{method.upper()} {full} ({route.name}) shows another area's data: {found[:5]}")
        return response


def _unquoted(url: str) -> str:
    from urllib.parse import unquote_plus

    return unquote_plus(url)


def walk_everything(client: Client, markers: set, pools: Pools) -> Walk:
    walk = Walk(client, forms_of(markers), pools)
    for route in all_routes():
        if route.short_name in NOT_WALKED:
            continue
        for values, foreign_row in fillings(route, pools):
            url = route.url(values)
            if url.startswith(SKIPPED_PREFIXES):
                break
            try:
                match = resolve(url)
            except Resolver404:
                walk.problems.append(f"{url} built for {route.name or route.chain} does not resolve")
                break
            if match.func is not route.callback:
                walk.problems.append(f"{url} built for {route.name} resolves to {match.view_name}: unreachable")
                break
            walk.walked.add(route.name)
            for query, headers in queries_for(route, pools):
                walk.look(route, "get", url, query, headers, foreign_row=foreign_row)
            if foreign_row:
                walk.look(route, "post", url, foreign_row=True)
            elif not route.params and route.short_name not in PUBLIC:
                for data in form_inputs(route, pools):
                    walk.look(route, "post", url, data=data)
    return walk


# ---------------------------------------------------------------- the walks


@pytest.fixture
def world(places):
    return build_world(places)


@pytest.fixture(autouse=True)
def quiet_request_log():
    """Thousands of expected 403/404s would otherwise each print a warning."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.mark.django_db
@pytest.mark.parametrize("role, place, foreign_areas, foreign_villages", [
    (Role.VILLAGE_CADRE, "t1v1", ["t1v2", "t2"], ["t1v2", "t2v1", "t2v2"]),
    (Role.TOWNSHIP_OFFICER, "t1", ["t2"], ["t2v1", "t2v2"]),
])
def test_no_route_shows_another_areas_data(places, world, role, place, foreign_areas, foreign_villages):
    user = make_user(role, places[place], "walker")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    pools = Pools.collect(user.area_prefix, [places[key].scope_prefix for key in foreign_areas])
    markers = set().union(*(world[key] for key in foreign_villages))
    own_markers = set().union(*(world[key] for key in VILLAGES if key not in foreign_villages))

    walk = walk_everything(client, markers, pools)

    assert not walk.problems, f"{len(walk.problems)} problems in {walk.requests} requests:\n" + "\n".join(
        walk.problems[:40])
    # The walk is only worth something if it reached the data it should see and every kind of route.
    assert {"api:household-list", "api:household-detail", "api:member-detail", "api:income-detail",
            "api:place-detail", "api-schema"} <= walk.walked
    seen = Client()
    seen.force_login(user)
    own_numbers = {m for m in own_markers if m.isdigit() and len(m) == 8}
    listed = {row["number"] for row in seen.get("/api/households/").json()["results"]}
    assert listed == own_numbers
    assert walk.requests > 300


@pytest.mark.django_db
def test_only_public_routes_answer_anonymous_visitors(places, world):
    client = Client(raise_request_exception=False)
    pools = Pools.collect("no area", [places["county"].scope_prefix])
    markers = forms_of(set().union(*world.values()))
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
