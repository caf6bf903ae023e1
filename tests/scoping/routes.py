"""Every route of the project, what to fill its parameters with, and how to look at its answers.

Routes are found by walking the URL resolver, so routes added later are walked too. A `pk` names a
row of its view's `model` (as in Django's generic views and in our viewsets); other parameter names
are matched to models by their prefix. A `Budget` says how many rows and query values per route the
walk tries: all of them (the exhaustive walk) or a deterministic sample spread over the other areas.
"""

import io
import itertools
import json
import logging
import re
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from urllib.parse import unquote_plus, urlencode

import django_filters
from django import forms
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import LocalePrefixPattern, Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

from fangpin.core.models import User
from fangpin.regions.models import Place
from fangpin.registry.choices import Relation
from fangpin.registry.filters import HouseholdFilter
from fangpin.registry.models import Household, Income, Member

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
# Asking for personal data in full, with the reason the API requires.
UNMASK = urlencode({"unmask": "1", "unmask_reason": "核对"})


# Routes that describe the API rather than read rows: walked with one plain request each.
DESCRIBES_ONLY = {
    "api-schema": "the OpenAPI document lists routes and fields; it reads no rows",
    "api-docs": "Swagger UI page around the schema",
    "api-redoc": "Redoc page around the schema",
}


@dataclass(frozen=True)
class Budget:
    """How much of the world one route is walked with: rows per model inside and outside the user's
    area, values per kind of query and filters per filter set (None: all), whether every API format
    and every variant of a request (unmasked, as HTMX, aimed by household, place or search) is tried
    or one of them."""

    own_rows: int | None = 3
    foreign_rows: int | None = None
    query_values: int | None = None
    filters: int | None = None
    every_format: bool = True
    every_variant: bool = True


# Every row of the other areas for path parameters and row choices; up to eight values per kind of
# query (a search for each of 48 foreign names, numbers and ID numbers on each of 70 list pages adds
# hours and no kind of leak the first eight would not show).
EXHAUSTIVE = Budget(query_values=8)
SAMPLED = Budget(own_rows=1, foreign_rows=1, query_values=1, filters=4, every_format=False, every_variant=False)


def sample(values: list, size: int | None, seed: int = 0) -> list:
    """`size` values spread evenly over `values`, starting at an offset given by `seed`: the same
    values for the same seed, other values for other seeds."""
    if size is None or len(values) <= size:
        return list(values)
    step = len(values) / size
    offset = seed % max(1, int(step))
    return [values[min(len(values) - 1, int(i * step) + offset)] for i in range(size)]


def seed_of(*parts) -> int:
    return zlib.crc32("/".join(map(str, parts)).encode())


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
    """Keys of rows inside the walking user's area and of rows in the other areas, per model. Rows at
    a place above the user (a county's standard seen from a village) are in neither pool."""

    own: dict = field(default_factory=dict)
    foreign: dict = field(default_factory=dict)
    foreign_codes: list = field(default_factory=list)
    foreign_texts: list = field(default_factory=list)
    budget: Budget = EXHAUSTIVE
    seed: int = 0

    @classmethod
    def collect(cls, own_prefix: str, foreign_prefixes: list[str] | None = None, budget: Budget = EXHAUSTIVE,
                seed: int = 0, above: list[str] = ()) -> "Pools":
        """Rows under `own_prefix`, and rows under `foreign_prefixes` (None: every row neither under
        `own_prefix` nor at a place whose code is in `above`)."""
        pools = cls(budget=budget, seed=seed)
        for model in scoped_models():
            rows = model.objects.order_by("pk")
            pools.own[model] = list(rows.in_area(own_prefix).values_list("pk", flat=True)[:budget.own_rows or None])
            if foreign_prefixes is None:
                foreign = rows.exclude(pk__in=rows.in_area(own_prefix).values("pk")).exclude(
                    **{f"{model.area_field}__in": list(above)})
                pools.foreign[model] = list(foreign.values_list("pk", flat=True))
            else:
                pools.foreign[model] = [pk for prefix in foreign_prefixes
                                        for pk in rows.in_area(prefix).values_list("pk", flat=True)]
        places = Place.objects.filter(pk__in=pools.foreign[Place])
        pools.foreign_codes = sorted(places.values_list("code", flat=True))
        for household in Household.objects.filter(pk__in=pools.foreign[Household]).order_by("pk"):
            head = household.members.get(relation=Relation.HEAD)
            pools.foreign_texts += [household.number, head.name, head.id_number]
        return pools

    @classmethod
    def for_user(cls, user, budget: Budget = EXHAUSTIVE, seed: int = 0) -> "Pools":
        """The user's own rows, and every row they may not see. Rows at a place above the user (a
        county's standard seen from a village) are in neither pool."""
        above = [place.code for place in user.place.ancestors()] if user.place_id else []
        return cls.collect(user.area_prefix, None, budget, seed, above)

    def foreign_rows(self, model, *salt) -> list:
        return sample(self.foreign.get(model, []), self.budget.foreign_rows, seed_of(self.seed, *salt))

    def values(self, values: list, *salt) -> list:
        return sample(values, self.budget.query_values, seed_of(self.seed, *salt))

    def any_pks(self) -> list[int]:
        keys = {pk for model in (Household, Member, Income, Place)
                for pk in self.own[model] + self.foreign_rows(model, "any")}
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
            choices.append([(f, False) for f in pools.values(["json", "api"], route.name, "format")
                            ] if not pools.budget.every_format else [("json", False), ("api", False)])
            continue
        model = model_of(route, param)
        options = []
        if model in pools.foreign:
            options = ([(pk, True) for pk in pools.foreign_rows(model, route.name, param)]
                       + [(pk, False) for pk in pools.own[model]])
        elif param in ("code", "place_code"):
            options = [(code, False) for code in pools.values(pools.foreign_codes, route.name, param)]
        # A route whose rows the world does not hold is still requested, with keys of other rows.
        choices.append(options or [(pk, False) for pk in pools.any_pks()] or [(1, False)])
    for combination in itertools.product(*choices):
        values = {param: value for param, (value, _) in zip(route.params, combination)}
        yield values, any(foreign for _, foreign in combination)


def filter_queries(filterset_class, pools: Pools) -> list[str]:
    """One query per filter value, the values aimed at the other areas."""
    queries = []
    names = sample(sorted(filterset_class.base_filters), pools.budget.filters, seed_of(pools.seed, filterset_class))
    for name in names:
        spec = filterset_class.base_filters[name]
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
        queries += [urlencode({name: value}) for value in pools.values(values, filterset_class.__name__, name)]
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
            model = spec.queryset.model
            variants += [{name: pk} for pk in pools.foreign_rows(model, route.name, name)]
        elif isinstance(spec, forms.ChoiceField):
            values = [value for value, _ in spec.choices if value not in ("", None)]
            defaults[name] = values[0] if values else ""
            variants += [{name: value} for value in pools.values(values[1:], route.name, name)]
        elif not isinstance(spec, forms.FileField):
            defaults[name] = ""
    return [defaults] + [{**defaults, **variant} for variant in variants]


def queries_for(route: Route, pools: Pools, foreign_row: bool = False) -> list[tuple[str, dict]]:
    """Query strings and headers to request a route with."""
    every = pools.budget.every_variant
    variants = [("", {}), (UNMASK, {})]
    if route.short_name in DESCRIBES_ONLY or foreign_row and not every:
        return variants[:1]
    if route.params:
        return variants if every else pools.values(variants, route.name, "variant")
    variants.append(("", {"HTTP_HX_REQUEST": "true"}))
    aimed = [[urlencode({"household": pk}) for pk in pools.foreign_rows(Household, route.name, "household")],
             [urlencode({"place": code}) for code in pools.values(pools.foreign_codes, route.name, "place")],
             [urlencode({"q": text}) for text in pools.values(pools.foreign_texts, route.name, "q")]]
    common = [query for kind in (aimed if every else pools.values(aimed, route.name, "aimed")) for query in kind]
    filtersets = {getattr(route.view_class, "filterset_class", None)}
    if getattr(route.view_class, "model", None) is Household:
        filtersets.add(HouseholdFilter)
    for filterset in filtersets - {None}:
        common += filter_queries(filterset, pools)
    common += [urlencode(data) for data in form_inputs(route, pools)]
    return variants + [(query, {}) for query in dict.fromkeys(common)]


# ---------------------------------------------------------------- looking at responses


def forms_of(texts: set[str]) -> set[str]:
    """A marker as it may appear in a response: as is, or JSON-escaped (`ensure_ascii`)."""
    return texts | {json.dumps(t)[1:-1] for t in texts}


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
        found = leaks(response, self.markers, unquote_plus(full))
        if found:
            self.problems.append(f"{method.upper()} {full} ({route.name}) shows another area's data: {found[:5]}")
        return response


def accepts_post(route: Route) -> bool:
    """Whether the route's view handles POST at all (others answer 405 without reading anything)."""
    actions = getattr(route.callback, "actions", None)
    if actions is not None:
        return "post" in actions
    view_class = route.view_class
    return view_class is None or hasattr(view_class, "post") and "post" in view_class.http_method_names


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
            for query, headers in queries_for(route, pools, foreign_row):
                walk.look(route, "get", url, query, headers, foreign_row=foreign_row)
            if foreign_row and (pools.budget.every_variant or accepts_post(route)):
                walk.look(route, "post", url, foreign_row=True)
            elif not route.params and route.short_name not in PUBLIC:
                for data in form_inputs(route, pools):
                    walk.look(route, "post", url, data=data)
    return walk


