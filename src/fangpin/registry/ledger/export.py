"""Write the households of an area in the ledger format (docs/ledger-format.md).

An export read back by the import changes nothing. Households are read in chunks with their
members and yearly incomes, and written row by row (XlsxWriter in constant-memory mode, or CSV in
UTF-8 with BOM so that Excel opens it correctly)."""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fangpin.core.audit import cli_account, log_access
from fangpin.core.errors import CoreErrorCode, PermissionDenied, ValidationFailed
from fangpin.core.models import AccessLog
from fangpin.core.roles import Perm
from fangpin.regions.models import Level, Place
from fangpin.registry.errors import RegistryErrorCode

from ..choices import (
    DisabilityGrade,
    Education,
    Health,
    HouseGrade,
    HouseholdStatus,
    HouseholdType,
    LabourCapacity,
    MedicalInsurance,
    Relation,
    Schooling,
    Sex,
    WorkPlace,
)
from ..models import Household, Income, Member
from .columns import COLUMNS, MONEY_FIELDS, export_label
from .plan import PlaceIndex

CHUNK = 1000
EXPORT_HEADER = [c.label for c in COLUMNS]
HOUSEHOLD_VALUES = ("pk", "number", "place_id", "household_type", "exit_year", "phone", "address", "relocated",
                    "house_grade", "water_safe")
MEMBER_VALUES = ("household_id", "id", "name", "sex", "birth_date", "id_number", "relation", "ethnicity",
                 "education", "schooling", "health", "disability_grade", "labour_capacity", "work_place",
                 "work_months", "medical_insurance", "dibao", "tekun")


@dataclass
class ExportResult:
    path: Path
    households: int
    members: int


def _yes_no(value) -> str:
    if value is None:
        return ""
    return "是" if value else "否"


def export_ledger(actor, out_path, place=None, *, year: int | None = None, progress=None) -> ExportResult:
    """Write the active households of the actor's area (optionally under `place`, a Place or code)
    to `out_path` (.xlsx or .csv). The file carries full ID numbers and phones, as the national
    system needs them and the import reads them back, so the actor must also be allowed to see full
    ID numbers (docs/admin-guide.md). Every export is written to the access log."""
    out_path = Path(out_path)
    if out_path.suffix.lower() not in (".xlsx", ".csv"):
        raise ValidationFailed(CoreErrorCode.FILE_TYPE, _("导出文件须以 .xlsx 或 .csv 结尾。"))
    if actor is not None:
        actor.require(Perm.EXPORT_LEDGER)
        actor.require(Perm.UNMASK_ID_NUMBER)
        households = Household.objects.restrict(actor, Perm.EXPORT_LEDGER)
    else:
        households = Household.objects.all()
    if place is not None and not isinstance(place, Place):
        found = Place.objects.unrestricted().filter(code=str(place).strip()).first()
        if found is None:
            raise ValidationFailed(RegistryErrorCode.UNKNOWN_PLACE, _("区划代码%(c)s不存在。") % {"c": place}, field="place")
        place = found
    if place is not None:
        if actor is not None and not place.code.startswith(actor.area_prefix) and not actor.area_prefix.startswith(
                place.scope_prefix):
            raise PermissionDenied(CoreErrorCode.OUT_OF_AREA, _("该区划不在您的辖区内。"))
        households = households.filter(place__code__startswith=place.scope_prefix)
    households = households.filter(status=HouseholdStatus.ACTIVE).order_by("place__code", "number")
    rows = list(households.values_list(*HOUSEHOLD_VALUES))
    writer = _XlsxWriter(out_path) if out_path.suffix.lower() == ".xlsx" else _CsvWriter(out_path)
    places = PlaceIndex()
    default_year = year or timezone.localdate().year
    member_count = 0
    counties = set()
    place_cells: dict[int, dict] = {}
    with translation.override(None):
        writer.header(EXPORT_HEADER)
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            ids = [r[0] for r in chunk]
            incomes = _incomes(ids, year)
            members: dict[int, list] = {}
            for m in Member.objects.unrestricted().filter(household_id__in=ids, ended_on__isnull=True).values_list(*MEMBER_VALUES):
                members.setdefault(m[0], []).append(m)
            for household in chunk:
                place_columns = place_cells.get(household[2])
                if place_columns is None:
                    place_columns = place_cells[household[2]] = _place_columns(places, household[2])
                counties.add(place_columns["county_code"])
                income = incomes.get(household[0])
                household_cells = _household_cells(household, place_columns, income, default_year)
                listed = sorted(members.get(household[0], []), key=lambda m: (m[6] != Relation.HEAD, m[1]))
                for member in listed:
                    writer.row(household_cells + _member_cells(member))
                member_count += len(listed)
            if progress:
                progress("export", start + len(chunk), len(rows))
    writer.close()
    if place is not None:
        area_code = place.code
    elif actor is not None:
        area_code = actor.place.code
    else:
        area_code = counties.pop() if len(counties) == 1 else ""
    log_access(actor=actor or cli_account(), kind=AccessLog.Kind.EXPORT, area_code=area_code,
               target=_("户成员台账导出 %(name)s") % {"name": out_path.name},
               detail={"households": len(rows), "members": member_count, "place": place.code if place else "",
                       "format": out_path.suffix.lower().lstrip("."), "full_id_numbers": True, "year": year})
    return ExportResult(path=out_path, households=len(rows), members=member_count)


def _incomes(household_ids: list[int], year: int | None) -> dict[int, tuple]:
    """Each household's yearly income row: of `year`, or its latest year."""
    query = Income.objects.unrestricted().filter(household_id__in=household_ids, quarter__isnull=True)
    if year is not None:
        query = query.filter(year=year)
    found: dict[int, tuple] = {}
    for row in query.values_list("household_id", "year", *MONEY_FIELDS):
        if row[0] not in found or row[1] > found[row[0]][1]:
            found[row[0]] = row
    return found


def _place_columns(places: PlaceIndex, place_id: int) -> dict[str, str]:
    chain = places.chain(places.by_id[place_id])
    raw_names = {}
    for level in (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE, Level.GROUP):
        raw_names[level] = chain[level].name if level in chain else ""
    return {"县": raw_names[Level.COUNTY], "乡镇": raw_names[Level.TOWNSHIP], "行政村": raw_names[Level.VILLAGE],
            "村民小组": raw_names[Level.GROUP], "村代码": chain[Level.VILLAGE].code if Level.VILLAGE in chain else "",
            "county_code": chain[Level.COUNTY].code[:6] if Level.COUNTY in chain else ""}


def _household_cells(household, place_columns, income, default_year) -> list:
    _pk, number, _place_id, htype, exit_year, phone, address, relocated, grade, water_safe = household
    money = list(income[2:]) if income else [None] * len(MONEY_FIELDS)
    return [
        income[1] if income else default_year,
        place_columns["县"], place_columns["乡镇"], place_columns["行政村"], place_columns["村民小组"],
        place_columns["村代码"],
        number,
        export_label(HouseholdType, htype),
        exit_year,
        phone,
        address,
        _yes_no(relocated),
        export_label(HouseGrade, grade),
        _yes_no(water_safe),
        *money,
    ]


def _member_cells(member) -> list:
    (_hid, _id, name, sex, birth_date, id_number, relation, ethnicity, education, schooling, health, grade,
     labour, work_place, work_months, medical, dibao, tekun) = member
    return [
        name,
        export_label(Sex, sex),
        birth_date,
        id_number,
        export_label(Relation, relation),
        ethnicity,
        export_label(Education, education),
        export_label(Schooling, schooling),
        export_label(Health, health),
        export_label(DisabilityGrade, grade),
        export_label(LabourCapacity, labour),
        export_label(WorkPlace, work_place),
        work_months,
        export_label(MedicalInsurance, medical),
        _yes_no(dibao),
        _yes_no(tekun),
    ]


class _XlsxWriter:
    def __init__(self, path: Path):
        import xlsxwriter

        self.workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        self.sheet = self.workbook.add_worksheet("户成员台账")
        self.money = self.workbook.add_format({"num_format": "0.00"})
        self.date = self.workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.bold = self.workbook.add_format({"bold": True})
        self.next_row = 0

    def header(self, labels: list[str]) -> None:
        self.sheet.write_row(0, 0, labels, self.bold)
        self.sheet.freeze_panes(1, 0)
        self.next_row = 1

    def row(self, values: list) -> None:
        r, sheet = self.next_row, self.sheet
        for c, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif isinstance(value, Decimal):
                sheet.write_number(r, c, float(value), self.money)
            elif isinstance(value, datetime.date):
                sheet.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()), self.date)
            else:
                sheet.write_number(r, c, value)
        self.next_row += 1

    def close(self) -> None:
        self.workbook.close()


class _CsvWriter:
    def __init__(self, path: Path):
        self.handle = open(path, "w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.handle)

    def header(self, labels: list[str]) -> None:
        self.writer.writerow(labels)

    def row(self, values: list) -> None:
        self.writer.writerow([_csv_text(v) for v in values])

    def close(self) -> None:
        self.handle.close()


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)
