"""The synthetic county: deterministic, internally consistent, calibrated, with working demo logins."""

import datetime
import hashlib
import re
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import RequestFactory

from fangpin.core.auth import DEMO_PASSWORD, is_demo_database
from fangpin.core.models import ChangeLog, User
from fangpin.core.roles import Role
from fangpin.demo import generator
from fangpin.demo.calibration import measure
from fangpin.demo.economy import INCOME_YEARS
from fangpin.demo.generator import MEMBERS, ODDITIES, CountyGenerator, generate_county
from fangpin.demo.people import DATA_AS_OF
from fangpin.demo.users import create_demo_users
from fangpin.demo.writers import FastWriter
from fangpin.regions.models import Level, Place
from fangpin.registry.idnumber import parse_id_number
from fangpin.registry.models import Household, Income, Member
from fangpin.registry.phone import normalise_phone

SEED = 2026
NAME = re.compile(r"^[\u4e00-\u9fff]{2,6}$|^[\u4e00-\u9fff]{2,5}·[\u4e00-\u9fff]{2,5}$")


@pytest.fixture
def county(db):
    return generate_county(households=2000, seed=SEED)


def fingerprint() -> str:
    """Hash of everything generated, keyed by natural keys (database ids may differ between runs)."""
    digest = hashlib.sha256()
    for row in Place.objects.order_by("code").values_list("code", "name", "level", "parent__code"):
        digest.update(repr(row).encode())
    skip = {"id", "created_at", "updated_at", "county", "place", "helper", "grid_worker", "merged_into"}
    household_fields = [f.attname for f in Household._meta.concrete_fields if f.name not in skip]
    for row in Household.objects.order_by("number").values_list("place__code", *household_fields):
        digest.update(repr(row).encode())
    member_fields = [f.attname for f in Member._meta.concrete_fields if f.name not in skip | {"household"}]
    for row in Member.objects.order_by("household__number", "id_number").values_list("household__number",
                                                                                       *member_fields):
        digest.update(repr(row).encode())
    income_fields = [f.attname for f in Income._meta.concrete_fields if f.name not in skip | {"household"}]
    for row in Income.objects.order_by("household__number", "year").values_list("household__number", *income_fields):
        digest.update(repr(row).encode())
    return digest.hexdigest()


def age_on(birth: datetime.date, day: datetime.date = DATA_AS_OF) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@pytest.mark.django_db
def test_same_seed_same_county_other_seed_other_county():
    point = transaction.savepoint()
    generate_county(households=500, seed=7)
    first = fingerprint()
    transaction.savepoint_rollback(point)
    assert not Household.objects.exists()

    point = transaction.savepoint()
    generate_county(households=500, seed=7)
    assert fingerprint() == first
    transaction.savepoint_rollback(point)

    generate_county(households=500, seed=8)
    assert fingerprint() != first


def test_places_nest_by_code(county):
    assert county.code == "513921000000" and county.level == Level.COUNTY
    townships = Place.objects.filter(level=Level.TOWNSHIP)
    villages = Place.objects.filter(level=Level.VILLAGE)
    groups = Place.objects.filter(level=Level.GROUP)
    assert 10 <= townships.count() <= 20
    for place in [*townships, *villages, *groups]:
        assert place.code.startswith(place.parent.scope_prefix)
        assert len(place.code) == (15 if place.level == Level.GROUP else 12)
    for village in villages:
        assert 3 <= village.children.count() <= 8
    assert not Household.objects.exclude(place__level=Level.GROUP).exists()


def test_household_and_member_invariants(county):
    households = {h.pk: h for h in Household.objects.select_related("place")}
    assert len(households) == 2000
    members = list(Member.objects.all())
    active = [m for m in members if m.ended_on is None]
    by_household = defaultdict(list)
    for member in active:
        by_household[member.household_id].append(member)

    ids = Counter(m.id_number for m in active)
    assert ids.most_common(1)[0][1] == 1, "an ID number is active in two places"
    for member in members:
        resident = parse_id_number(member.id_number)
        assert (resident.sex, resident.birth_date) == (member.sex, member.birth_date), member.id_number
        assert member.name and " " not in member.name
        assert 0 <= member.work_months <= 12 and 0 <= member.welfare_post_months <= 12
        assert bool(member.work_place) == (member.work_months > 0), member.id_number
        assert (member.health == "disabled") == bool(member.disability_grade)
        assert member.joined_on <= DATA_AS_OF and member.joined_on >= member.birth_date
        if member.ended_on:
            assert member.end_reason and member.ended_on >= member.joined_on
        if age_on(member.birth_date) < 16:
            assert member.labour_capacity == "none"
        assert not (member.dibao and member.tekun)

    for pk, household in households.items():
        people = by_household[pk]
        if household.status != "active":
            assert not people and household.ended_on
            continue
        assert 1 <= len(people) <= 10
        heads = [m for m in people if m.relation == "head"]
        assert len(heads) == 1, household.number
        head_age = age_on(heads[0].birth_date)
        for member in people:
            age = age_on(member.birth_date)
            if member.relation == "spouse":
                assert member.sex != heads[0].sex and abs(age - head_age) <= 15
            elif member.relation in ("son", "daughter"):
                assert head_age - age >= 15 and member.sex == ("M" if member.relation == "son" else "F")
            elif member.relation in ("grandson", "granddaughter"):
                assert head_age - age >= 34
            elif member.relation in ("father", "mother"):
                assert age - head_age >= 15
            elif member.relation == "daughter_in_law":
                assert member.sex == "F"
            elif member.relation == "son_in_law":
                assert member.sex == "M"
        assert household.number.isdigit() and household.number.startswith(household.place.code[:12])
        if household.phone:
            assert normalise_phone(household.phone) == household.phone and len(household.phone) == 11
        if household.household_type == "exited":
            assert 2014 <= household.exit_year <= 2020
        else:
            assert household.exit_year is None
        water = [household.water_quantity_ok, household.water_quality_ok, household.water_convenient_ok,
                 household.water_supply_ok]
        assert household.water_safe == all(water)

    assert all(NAME.match(m.name) for m in members), [m.name for m in members if not NAME.match(m.name)][:5]


def test_income_blocks(county):
    incomes = list(Income.objects.all())
    years = Counter(i.year for i in incomes)
    assert set(years) == set(INCOME_YEARS)
    active = Household.objects.filter(status="active").count()
    assert years[INCOME_YEARS[-1]] == active
    for income in incomes:
        assert income.quarter is None
        for field in Income.MONEY_FIELDS:
            amount = getattr(income, field)
            assert isinstance(amount, Decimal) and amount >= 0
            assert amount == amount.quantize(Decimal("0.01"))
        assert income.operating_costs <= income.operating_income


def test_one_change_log_row_records_the_generation(county):
    rows = ChangeLog.objects.all()
    assert rows.count() == 1
    row = rows.get()
    assert (row.action, row.object_type, row.object_id, row.area_code) == ("create", "regions.place", county.pk,
                                                                             county.code)
    assert row.after["seed"] == SEED and row.after["households"] == 2000
    assert row.after["members"] == Member.objects.filter(ended_on__isnull=True).count()
    for kind in ODDITIES:
        assert row.after["oddities"][kind]["count"] >= 1, kind


def test_planted_oddities_are_there(county):
    oddities = ChangeLog.objects.get().after["oddities"]
    for number in oddities["serious_illness_zero_medical"]["sample_households"]:
        household = Household.objects.get(number=number)
        assert household.members.filter(health="serious", ended_on__isnull=True).exists()
        assert household.incomes.get(year=2025).medical_spending == 0
    for number in oddities["dibao_zero_transfer"]["sample_households"]:
        household = Household.objects.get(number=number)
        assert household.members.filter(dibao=True).exists()
        assert household.incomes.get(year=2025).transfer_income == 0
    for number in oddities["lost_labour_but_working"]["sample_households"]:
        assert Household.objects.get(number=number).members.filter(labour_capacity="lost", work_months__gt=0).exists()


# Sampling noise at 2,000 households: each range may widen by a quarter of its width.
def test_calibration_within_tolerance(county):
    failures = []
    for metric in measure(county):
        slack = (metric.high - metric.low) / 4
        if not metric.low - slack <= metric.value <= metric.high + slack:
            failures.append(f"{metric.key}: {metric.value:.4f} not in [{metric.low}, {metric.high}]")
    assert not failures, failures


def test_demo_users_one_per_role_and_every_household_has_helper(county):
    logins = create_demo_users(county)
    assert {login.role for login in logins} == set(Role.values)
    by_name = {login.username: login for login in logins}
    cadre, cadre2 = User.objects.get(username="cadre"), User.objects.get(username="cadre2")
    assert cadre.place != cadre2.place and cadre.place.parent != cadre2.place.parent
    assert all(login.place_name.startswith(county.name) for login in logins)
    assert by_name["admin"].role_label == str(Role.COUNTY_ADMIN.label)

    with pytest.raises(ValidationError):  # published: no real account may be given it
        validate_password(DEMO_PASSWORD)
    assert is_demo_database()  # where the demo password signs in
    request = RequestFactory().post("/login/")
    for login in logins:
        user = authenticate(request, username=login.username, password=DEMO_PASSWORD)
        assert user is not None and user.role == login.role, login.username

    active = Household.objects.filter(status="active")
    assert not active.filter(helper__isnull=True).exists()
    assert not active.filter(grid_worker__isnull=True).exists()
    helper = User.objects.get(username="helper")
    assert helper.helped_households.exists()
    assert all(h.place.parent_id == helper.place_id for h in helper.helped_households.all())
    assert Household.objects.restrict(cadre).count() > 0
    assert not Household.objects.restrict(cadre).filter(pk__in=Household.objects.restrict(cadre2)).exists()


def test_demo_users_without_field_staff(county):
    create_demo_users(county, field_staff=False)
    assert User.objects.count() == 10
    assert not Household.objects.filter(helper__isnull=False).exists()


def test_small_county_still_has_all_places(db):
    county = generate_county(households=30, seed=1)
    assert Household.objects.count() == 30
    assert Place.objects.filter(level=Level.TOWNSHIP).count() >= 10
    logins = create_demo_users(county)
    assert len(logins) == 10


def test_rejects_empty_county(db):
    with pytest.raises(ValueError):
        generate_county(households=0, seed=1)
    assert not Place.objects.exists()


def test_services_work_on_top_of_the_generated_data(county):
    from ..factories import make_household, make_user

    admin = make_user(Role.COUNTY_ADMIN, county, "admin_after_demo")
    group = Place.objects.filter(level=Level.GROUP).order_by("code").first()
    household = make_household(admin, group, members=3)
    assert household.pk > Household.objects.exclude(pk=household.pk).order_by("-pk").first().pk
    assert household.size == 3


def registry_indexes() -> set:
    tables = [Household._meta.db_table, Member._meta.db_table, Income._meta.db_table]
    with connection.cursor() as cursor:
        return {(table, name) for table in tables
                for name in connection.introspection.get_constraints(cursor, table)}


@pytest.mark.django_db(transaction=True)
def test_writer_thread_writes_the_same_county_as_inline_writing(monkeypatch):
    monkeypatch.setattr(generator, "DEFER_INDEXES_FROM", 100)  # exercise the large-county path cheaply
    indexes = registry_indexes()
    with transaction.atomic():  # inside a transaction the chunks are written in this thread
        generate_county(households=300, seed=5)
        inline = fingerprint()
        transaction.set_rollback(True)
    generate_county(households=300, seed=5)  # outside: on the writer thread, a transaction per chunk
    assert fingerprint() == inline
    assert ChangeLog.objects.count() == 1
    assert registry_indexes() == indexes


@pytest.mark.django_db(transaction=True)
def test_writer_failure_stops_generation_and_leaves_no_half_chunk(monkeypatch):
    monkeypatch.setattr(generator, "DEFER_INDEXES_FROM", 100)
    indexes = registry_indexes()

    class BrokenWriter(FastWriter):
        def write(self, table, rows):
            if table is MEMBERS:
                raise RuntimeError("disk full")
            super().write(table, rows)

    with pytest.raises(RuntimeError, match="disk full"):
        CountyGenerator(households=2500, seed=3).run(writer=BrokenWriter())
    assert not Household.objects.exists() and not Member.objects.exists()
    assert not ChangeLog.objects.exists()
    assert registry_indexes() == indexes
