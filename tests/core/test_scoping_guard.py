"""While a request is served, a queryset of an area-scoped model must be narrowed before it reaches
the database: every way Django evaluates a queryset raises `UnscopedQuery` otherwise."""

import asyncio
import datetime

import pytest
from django.db.models import Count, Exists, OuterRef
from django.test import RequestFactory

from fangpin.core.roles import Perm, Role
from fangpin.core.scoping import (AreaScoped, RequestScopeMiddleware, UnscopedQuery, UpwardAreaQuerySet, in_request,
                                  serving_request)
from fangpin.regions.models import Place
from fangpin.registry.models import Household, Member

from ..factories import make_household, make_user

EVALUATIONS = {
    "iterate": lambda qs: list(qs),
    "len": lambda qs: len(qs),
    "bool": lambda qs: bool(qs),
    "index": lambda qs: qs[0],
    "get": lambda qs: qs.get(number="00000001"),
    "first": lambda qs: qs.first(),
    "last": lambda qs: qs.last(),
    "latest": lambda qs: qs.latest("pk"),
    "earliest": lambda qs: qs.earliest("pk"),
    "count": lambda qs: qs.count(),
    "exists": lambda qs: qs.exists(),
    "contains": lambda qs: qs.contains(Household.objects.unrestricted().first()),
    "aggregate": lambda qs: qs.aggregate(n=Count("pk")),
    "iterator": lambda qs: list(qs.iterator()),
    "in_bulk": lambda qs: qs.in_bulk(),
    "values": lambda qs: list(qs.values("number")),
    "values_list": lambda qs: list(qs.values_list("number", flat=True)),
    "update": lambda qs: qs.update(address="改"),
    "delete": lambda qs: qs.filter(pk=-1).delete(),
    "get_or_create": lambda qs: qs.get_or_create(number="00000001"),
    "explain": lambda qs: qs.explain(),
}


@pytest.fixture
def households(places, county_admin):
    return [make_household(county_admin, places["t1v1g1"], number="00000001"),
            make_household(county_admin, places["t2v1g1"], number="00000002")]


@pytest.mark.parametrize("how", EVALUATIONS)
def test_every_evaluation_of_an_unnarrowed_queryset_raises_during_a_request(households, how):
    with serving_request(), pytest.raises(UnscopedQuery, match="registry.Household"):
        EVALUATIONS[how](Household.objects.filter(number__startswith="0000"))


@pytest.mark.parametrize("how", EVALUATIONS)
def test_narrowed_querysets_evaluate(households, village_cadre, how):
    narrowed = {
        "restrict": Household.objects.restrict(village_cadre, Perm.VIEW_REGISTRY),
        "in_area": Household.objects.in_area("510101001"),
        "unrestricted": Household.objects.unrestricted(),
    }
    with serving_request():
        for queryset in narrowed.values():
            EVALUATIONS[how](queryset.filter(number="00000001"))


def test_restrict_keeps_to_the_area(households, village_cadre):
    with serving_request():
        assert [h.number for h in Household.objects.restrict(village_cadre, Perm.VIEW_REGISTRY)] == ["00000001"]
        assert list(Household.objects.restrict(village_cadre, "no_such_perm")) == []


def test_narrowing_survives_chaining(households, village_cadre):
    with serving_request():
        queryset = Household.objects.restrict(village_cadre, Perm.VIEW_REGISTRY).filter(number="00000001")
        assert queryset.order_by("pk").select_related("place").exclude(pk=-1).count() == 1


def test_async_iteration_is_checked(households):
    async def collect(queryset):
        return [row async for row in queryset.aiterator()]

    with serving_request(), pytest.raises(UnscopedQuery):
        asyncio.run(collect(Household.objects.all()))


def test_bulk_update_goes_through_the_check(households):
    first = Household.objects.unrestricted().get(number="00000001")
    first.address = "新地址"
    with serving_request():
        with pytest.raises(UnscopedQuery):
            Household.objects.bulk_update([first], ["address"])
        Household.objects.unrestricted().bulk_update([first], ["address"])
    assert Household.objects.get(pk=first.pk).address == "新地址"


def test_related_managers_prefetches_and_forward_links_count_as_narrowed(households):
    household = Household.objects.unrestricted().get(number="00000001")
    with serving_request():
        members = list(household.members.all())
        assert members and household.members.count() == len(members)
        assert members[0].household == household
        assert members[0].household.place.code.startswith("510101001")
        listed = list(Household.objects.unrestricted().prefetch_related("members"))
        assert sum(len(h.members.all()) for h in listed) == Member.objects.unrestricted().count()


def test_subqueries_are_not_evaluated_on_their_own(households, village_cadre):
    with serving_request():
        with_members = Household.objects.restrict(village_cadre, Perm.VIEW_REGISTRY).filter(
            Exists(Member.objects.filter(household=OuterRef("pk"))),
            pk__in=Member.objects.values("household"))
        assert with_members.count() == 1


def test_nothing_is_checked_outside_a_request(households):
    assert not in_request()
    assert Household.objects.count() == 2
    with serving_request(), serving_request(False):
        assert Household.objects.count() == 2


def test_an_empty_queryset_needs_no_narrowing(households):
    with serving_request():
        assert list(Household.objects.none()) == []


def test_the_middleware_marks_every_request():
    seen = []
    middleware = RequestScopeMiddleware(lambda request: seen.append(in_request()) or "response")
    assert middleware(RequestFactory().get("/")) == "response"
    assert seen == [True] and not in_request()


def test_area_code_is_read_along_area_field(households):
    member = Member.objects.unrestricted().filter(household__number="00000001").first()
    assert member.area_code == member.household.place.code
    place = Place.objects.unrestricted().get(code="510101001001")
    assert place.area_code == "510101001001"


def test_every_scoped_model_uses_the_mixin_and_a_scoped_manager():
    from django.apps import apps

    for model in apps.get_models():
        if hasattr(model, "area_field"):
            assert issubclass(model, AreaScoped), model
            assert model.area_field, model
            assert hasattr(model._default_manager.all(), "unrestricted"), model


def test_county_configuration_is_seen_from_below(places):
    from fangpin.assistance.models import MeasureCatalogueItem
    from fangpin.cases.models import Holiday, ProcedureConfig
    from fangpin.monitoring.models import Thresholds, VisitPolicy

    for model in (Thresholds, VisitPolicy, ProcedureConfig, MeasureCatalogueItem, Holiday):
        assert isinstance(model._default_manager.all(), UpwardAreaQuerySet), model


def test_a_village_user_sees_county_rows_of_an_upward_model(places, county_admin):
    from fangpin.cases.models import Holiday

    cadre = make_user(Role.VILLAGE_CADRE, places["t1v1"])
    Holiday.objects.create(county=places["county"], date=datetime.date(2026, 10, 1), is_workday=False, name="国庆")
    with serving_request():
        assert Holiday.objects.restrict(cadre).count() == 1
