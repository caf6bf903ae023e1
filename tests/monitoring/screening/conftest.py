import datetime
from decimal import Decimal

import pytest

from fangpin.monitoring import services
from fangpin.monitoring.choices import LineMethod
from fangpin.registry.choices import Relation, Sex
from fangpin.registry.models import Household, Income, Member

from ...factories import id_number

MONTH = "2026-05"  # income basis: the quarters 2025Q2-2026Q1 where all four exist, else the year 2025
ZERO = Decimal("0")


@pytest.fixture(params=["db", "duckdb"])
def engine(request):
    return request.param


@pytest.fixture
def thresholds(county_admin, places):
    """Line 8700.00, watch line 9570.00, drop 30%, medical: 10000 or 50%/100% of a reference income
    of 17000 (exited/other), education: 30% of net income, disaster: 20000, stable work: 6 months."""
    return services.thresholds_adopt(
        actor=county_admin, county=places["county"], effective_from=datetime.date(2026, 1, 1), year=2026,
        line_method=LineMethod.FIXED, line_parameters={"amount": "8700"}, watch_band_ratio="0.1",
        income_drop_ratio="0.3", reference_income="17000", medical_warning_amount="10000",
        medical_warning_reference_share_exited="0.5", medical_warning_reference_share_other="1.0",
        education_warning_income_share="0.3", disaster_warning_amount="20000", stable_employment_months=6)


def person(relation=Relation.HEAD, **fields):
    data = {"relation": relation, "sex": Sex.MALE if relation == Relation.HEAD else Sex.FEMALE,
            "birth_date": datetime.date(1980, 5, 17), "labour_capacity": "ordinary", "health": "healthy",
            "medical_insurance": "resident", "name": "某"}
    data.update(fields)
    data.setdefault("id_number", id_number(data["sex"], data["birth_date"]))
    return data


def yearly(wage="40000", **fields):
    return {"wage_income": Decimal(wage), **{k: Decimal(v) for k, v in fields.items()}}


def make_home(place, *, members=None, incomes=None, number=None, **fields) -> Household:
    """A household written straight to the tables: by default two healthy, insured adults of
    ordinary labour with a wage income of 40000 in 2024 and 2025 (20000 per person), a safe
    house (grade A) and safe water."""
    make_home.counter = getattr(make_home, "counter", 0) + 1
    county = place.parent
    while county.parent_id:
        county = county.parent
    defaults = {"household_type": "ordinary", "house_grade": "A", "water_safe": True, "water_quantity_ok": True,
                "water_quality_ok": True, "water_convenient_ok": True, "water_supply_ok": True}
    household = Household.objects.create(county=county, place=place,
                                         number=number or f"{place.code[6:12]}{make_home.counter:06d}",
                                         **{**defaults, **fields})
    for data in members or [person(), person(Relation.SPOUSE)]:
        Member.objects.create(household=household, **data)
    for key, values in (incomes or {2024: yearly(), 2025: yearly()}).items():
        year, quarter = key if isinstance(key, tuple) else (key, None)
        Income.objects.create(household=household, year=year, quarter=quarter, **values)
    return household
