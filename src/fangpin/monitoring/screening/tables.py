"""Canonical tables: what the screening rules read, named and typed once.

The rules never see the registry's own tables. They read canonical tables whose columns are plain
integers, booleans and short codes, so that the same Ibis expression gives the same rows on every
engine:

- keys are integers (`household_id`, `member_id`), never ID-card strings;
- money is an integer number of fen (`*_fen`), so comparisons at a line are exact on engines that
  store decimals as floats (SQLite) as much as on those with exact decimals (PostgreSQL, DuckDB);
- dates are integers YYYYMMDD (`*_ymd`), so ages and windows are integer arithmetic everywhere.

Each table knows how to derive itself from the app database (`derive`, an Ibis expression over the
registry's tables for one county). The DuckDB engine writes these derived tables to Parquet and runs
the rules there. A department feed (medical claims, civil-affairs 低保 lists, disability, education,
housing, emergency management) becomes one more `CanonicalTable` keyed by `household_id` or
`member_id`, and rules that need it name it in `Rule.reads`.
"""

from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from fangpin.registry.choices import HouseholdStatus, HouseholdType
from fangpin.registry.conditions import WATER_UNSAFE

# ---------------------------------------------------------------- the app database, as Ibis sees it

REGISTRY_HOUSEHOLD = ibis.table({
    "id": "int64", "county_id": "int64", "place_id": "int64", "household_type": "string",
    "exit_year": "int64", "house_grade": "string", "water_safe": "boolean", "water_quantity_ok": "boolean",
    "water_quality_ok": "boolean", "water_convenient_ok": "boolean", "water_supply_ok": "boolean",
    "status": "string",
}, name="registry_household")

REGISTRY_MEMBER = ibis.table({
    "id": "int64", "household_id": "int64", "relation": "string", "birth_date": "date", "health": "string",
    "disability_grade": "string", "labour_capacity": "string", "work_place": "string", "work_months": "int64",
    "schooling": "string", "medical_insurance": "string", "dibao": "boolean", "tekun": "boolean",
    "joined_on": "date", "ended_on": "date", "end_reason": "string",
}, name="registry_member")

MONEY_COLUMNS = ("wage_income", "operating_income", "property_income", "transfer_income", "operating_costs",
                 "medical_spending", "education_spending", "disaster_loss", "insurance_payout")
REGISTRY_INCOME = ibis.table({
    "id": "int64", "household_id": "int64", "year": "int64", "quarter": "int64",
    **{name: "decimal(12, 2)" for name in MONEY_COLUMNS},
}, name="registry_income")


def fen(amount: ir.NumericValue) -> ir.IntegerValue:
    """Yuan with two decimals as whole fen (rounding away float noise where decimals are floats)."""
    return (amount * 100).round().cast("int64")


def ymd(day: ir.DateValue) -> ir.IntegerValue:
    return day.strftime("%Y%m%d").cast("int64")


def flag(value: ir.BooleanValue) -> ir.BooleanValue:
    """A stored boolean as an expression: SQLite then hands back 0/1 without Django's per-value
    converter for declared `bool` columns (a third of the snapshot time at 3.5M members)."""
    return ibis.ifelse(value, True, False)


# ---------------------------------------------------------------- canonical tables


@dataclass(frozen=True)
class CanonicalTable:
    name: str
    schema: ibis.Schema
    description: str
    derive: Callable[[int], ir.Table]  # county id -> expression over the app database

    def unbound(self) -> ir.Table:
        return ibis.table(self.schema, name=self.name)


def _households(county_id: int) -> ir.Table:
    h = REGISTRY_HOUSEHOLD
    return h.filter(h.county_id == county_id, h.status == HouseholdStatus.ACTIVE.value).select(
        household_id=h.id,
        place_id=h.place_id,
        exited=h.household_type == HouseholdType.EXITED.value,
        exit_year=h.exit_year,
        house_grade=h.house_grade,
        water_unsafe=WATER_UNSAFE.ibis(h),
    )


def _of_households(table: ir.Table, county_id: int) -> ir.Table:
    """The rows of `table` (members, incomes) of the county's active households (`_households`): an inner
    join on the unique household id (faster than a semi-join on SQLite)."""
    households = _households(county_id).select("household_id")
    return table.join(households, table.household_id == households.household_id)


def _members(county_id: int) -> ir.Table:
    m = REGISTRY_MEMBER
    return _of_households(m, county_id).select(
        member_id=m.id,
        household_id=m.household_id,
        relation=m.relation,
        birth_ymd=ymd(m.birth_date),
        joined_ymd=ymd(m.joined_on),
        ended_ymd=ymd(m.ended_on),
        end_reason=m.end_reason,
        health=m.health,
        disability_grade=m.disability_grade,
        labour_capacity=m.labour_capacity,
        work_place=m.work_place,
        work_months=m.work_months,
        schooling=m.schooling,
        medical_insurance=m.medical_insurance,
        dibao=flag(m.dibao),
        tekun=flag(m.tekun),
    )


def _incomes(county_id: int) -> ir.Table:
    i = REGISTRY_INCOME
    return _of_households(i, county_id).select(
        household_id=i.household_id,
        year=i.year,
        quarter=i.quarter.fill_null(0),
        wage_fen=fen(i.wage_income),
        operating_fen=fen(i.operating_income),
        property_fen=fen(i.property_income),
        transfer_fen=fen(i.transfer_income),
        costs_fen=fen(i.operating_costs),
        medical_fen=fen(i.medical_spending),
        education_fen=fen(i.education_spending),
        disaster_fen=fen(i.disaster_loss),
        payout_fen=fen(i.insurance_payout),
    )


HOUSEHOLDS = CanonicalTable("households", ibis.schema({
    "household_id": "int64", "place_id": "int64", "exited": "boolean", "exit_year": "int64",
    "house_grade": "string", "water_unsafe": "boolean",
}), "Households in the register (active), one row each.", _households)

MEMBERS = CanonicalTable("members", ibis.schema({
    "member_id": "int64", "household_id": "int64", "relation": "string", "birth_ymd": "int64",
    "joined_ymd": "int64", "ended_ymd": "int64", "end_reason": "string", "health": "string",
    "disability_grade": "string", "labour_capacity": "string", "work_place": "string", "work_months": "int64",
    "schooling": "string", "medical_insurance": "string", "dibao": "boolean", "tekun": "boolean",
}), "Members of those households, past (ended) and present.", _members)

INCOMES = CanonicalTable("incomes", ibis.schema({
    "household_id": "int64", "year": "int64", "quarter": "int64",
    "wage_fen": "int64", "operating_fen": "int64", "property_fen": "int64", "transfer_fen": "int64",
    "costs_fen": "int64", "medical_fen": "int64", "education_fen": "int64", "disaster_fen": "int64",
    "payout_fen": "int64",
}), "Income and spending per year (quarter 0) or quarter, in fen.", _incomes)

CANONICAL_TABLES: dict[str, CanonicalTable] = {t.name: t for t in (HOUSEHOLDS, MEMBERS, INCOMES)}


class Tables:
    """The canonical tables one evaluation reads, as Ibis table expressions (bound to an engine or
    derived from the app database)."""

    def __init__(self, tables: dict[str, ir.Table]):
        self._tables = tables

    def __getattr__(self, name: str) -> ir.Table:
        try:
            return self._tables[name]
        except KeyError:
            raise AttributeError(name) from None

    @classmethod
    def derived(cls, county_id: int) -> "Tables":
        return cls({name: table.derive(county_id) for name, table in CANONICAL_TABLES.items()})
