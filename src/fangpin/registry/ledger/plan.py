"""Check a read ledger against the registry and work out what a merge would change.

Everything is set-based: the places are loaded once, households, members, incomes and people are
fetched in chunks with `IN (...)` queries, and the comparison happens in memory. Nothing is written."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from fangpin.core.tabular import cell_error
from fangpin.regions.models import Level, Place

from ..choices import HouseholdStatus, Relation
from ..models import Household, Income, Member
from ..services import id_number_refused
from .columns import BY_LABEL, MEMBER_DATA_FIELDS, MONEY_FIELDS, PLACE_NAME_COLUMNS
from .reader import BAD, HouseholdDraft, LedgerFile

CHUNK = 500


@dataclass
class Counts:
    rows: int = 0
    households_new: int = 0
    households_updated: int = 0
    households_unchanged: int = 0
    members_new: int = 0
    members_updated: int = 0
    members_unchanged: int = 0
    members_missing: int = 0
    incomes_new: int = 0
    incomes_updated: int = 0
    incomes_unchanged: int = 0


@dataclass(slots=True)
class HouseholdChange:
    """What a merge does to one household of the file."""

    draft: HouseholdDraft
    pk: int | None  # None: a new household
    fields: dict  # household fields to set (all of them for a new household)
    income: dict | None  # money fields to set (all of them for a new income row)
    income_pk: int | None
    new_members: list = field(default_factory=list)  # MemberDraft
    member_updates: list = field(default_factory=list)  # (pk, {field: value})
    demotions: list = field(default_factory=list)  # (pk, {field: value}) members who stop being head

    @property
    def changed(self) -> bool:
        return bool(self.pk is None or self.fields or self.income or self.new_members or self.member_updates
                    or self.demotions)


@dataclass
class MergePlan:
    ledger: LedgerFile
    errors: list[dict]
    warnings: list[dict]
    counts: Counts
    changes: list[HouseholdChange]
    places: dict[int, "PlaceInfo"]
    member_fields: list[str]


# ---------------------------------------------------------------- places


@dataclass(frozen=True, slots=True)
class PlaceInfo:
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None


class PlaceIndex:
    """Every place in memory (a county has a few thousand), looked up by code or by names."""

    def __init__(self):
        self.by_id: dict[int, PlaceInfo] = {}
        self.by_code: dict[str, PlaceInfo] = {}
        self.child: dict[tuple[int | None, str], PlaceInfo] = {}
        self.counties: dict[str, list[PlaceInfo]] = defaultdict(list)
        for pk, code, name, level, parent_id in Place.objects.unrestricted().values_list("pk", "code", "name", "level", "parent_id"):
            info = PlaceInfo(pk, code, "".join(name.split()), level, parent_id)
            self.by_id[pk] = info
            self.by_code[code] = info
            self.child[(parent_id, info.name)] = info
            if level == Level.COUNTY:
                self.counties[info.name].append(info)
        self._cache: dict[tuple, tuple[PlaceInfo | None, tuple | None]] = {}

    def chain(self, info: PlaceInfo) -> dict[str, PlaceInfo]:
        """The place and its ancestors by level."""
        found = {}
        while info is not None:
            found[info.level] = info
            info = self.by_id.get(info.parent_id) if info.parent_id else None
        return found

    def county_of(self, info: PlaceInfo) -> PlaceInfo | None:
        return self.chain(info).get(Level.COUNTY)

    def resolve(self, parts: dict[str, str]) -> tuple[PlaceInfo | None, tuple | None]:
        """The household's village or group, or (None, (column, value, reason))."""
        key = tuple(sorted(parts.items()))
        if key not in self._cache:
            self._cache[key] = self._resolve(parts)
        return self._cache[key]

    def _resolve(self, parts):
        code = parts.get("村代码", "")
        group_name = parts.get("村民小组", "")
        if code:
            info = self.by_code.get(code)
            if info is None or info.level not in (Level.VILLAGE, Level.GROUP):
                return None, ("村代码", code, _("村代码%(c)s未登记为村（请先导入区划）。") % {"c": code})
            if info.level == Level.VILLAGE and group_name:
                group = self.child.get((info.id, group_name))
                if group is None:
                    return None, ("村民小组", group_name, _("村代码%(c)s下没有名为“%(g)s”的村民小组。") % {
                        "c": code, "g": group_name})
                info = group
            chain = self.chain(info)
            for label, level in zip(PLACE_NAME_COLUMNS, (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE, Level.GROUP)):
                given = parts.get(label, "")
                if given and (level not in chain or chain[level].name != given):
                    stored = chain[level].name if level in chain else ""
                    return None, (label, given, _("与村代码%(c)s不一致（登记为“%(s)s”）。") % {"c": code, "s": stored})
            return info, None
        county_name = parts.get("县", "")
        counties = self.counties.get(county_name, [])
        if not county_name:
            return None, ("县", "", _("县不能为空（或填写村代码）。"))
        if not counties:
            return None, ("县", county_name, _("未登记的县“%(n)s”（请先导入区划）。") % {"n": county_name})
        if len(counties) > 1:
            return None, ("县", county_name, _("有多个名为“%(n)s”的县，请改用村代码。") % {"n": county_name})
        parent = counties[0]
        for label, what in (("乡镇", _("乡镇")), ("行政村", _("村"))):
            name = parts.get(label, "")
            if not name:
                return None, (label, "", _("%(w)s不能为空（或填写村代码）。") % {"w": what})
            found = self.child.get((parent.id, name))
            if found is None:
                return None, (label, name, _("“%(p)s”下没有名为“%(n)s”的%(w)s。") % {
                    "p": parent.name, "n": name, "w": what})
            parent = found
        if group_name:
            group = self.child.get((parent.id, group_name))
            if group is None:
                return None, ("村民小组", group_name, _("“%(p)s”下没有名为“%(n)s”的村民小组。") % {
                    "p": parent.name, "n": group_name})
            parent = group
        return parent, None


# ---------------------------------------------------------------- the plan


def _chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def build_plan(ledger: LedgerFile, *, actor, places: PlaceIndex | None = None) -> MergePlan:
    """Every error and warning of the file against the registry, and the changes a merge makes."""
    places = places or PlaceIndex()
    errors = list(ledger.errors)
    warnings = list(ledger.warnings)
    counts = Counts(rows=ledger.rows)
    prefix = actor.area_prefix if actor is not None else ""
    usable = _locate(ledger, places, prefix, errors)

    member_fields = ledger.member_fields
    changes: list[HouseholdChange] = []
    by_county: dict[int, list[HouseholdDraft]] = defaultdict(list)
    for draft in usable:
        by_county[draft.county_id].append(draft)
    for county_id, drafts in by_county.items():
        for chunk in _chunks(drafts):
            _plan_chunk(chunk, county_id, ledger, member_fields, places, prefix, errors, warnings, counts, changes)
    errors.sort(key=lambda e: (e["row"] or 0, ledger.positions.get(e["column"], 999)))
    warnings.sort(key=lambda e: (e["row"] or 0, ledger.positions.get(e["column"], 999)))
    return MergePlan(ledger=ledger, errors=errors, warnings=warnings, counts=counts, changes=changes,
                     places=places.by_id, member_fields=member_fields)


def _locate(ledger: LedgerFile, places: PlaceIndex, prefix: str, errors: list) -> list[HouseholdDraft]:
    """Resolve each household's place; check the user's area and county-unique numbers."""
    place_labels = [label for label in ("村代码", *PLACE_NAME_COLUMNS) if label in ledger.positions]
    seen: dict[tuple[int, str], HouseholdDraft] = {}
    usable = []
    for draft in ledger.households:
        parts = {label: draft.values[label] for label in place_labels}
        if any(v is BAD for v in parts.values()):
            continue
        if parts.get("村代码"):
            parts = {k: v for k, v in parts.items() if v}
        info, problem = places.resolve(parts)
        if info is None:
            column, value, reason = problem
            errors.append(cell_error(draft.row, column, value, reason, "unknown_place"))
            continue
        if not info.code.startswith(prefix):
            errors.append(cell_error(draft.row, "村代码" if "村代码" in parts else "行政村", parts.get("村代码") or info.name,
                                     _("该村不在您的辖区内，不能导入。"), "out_of_area"))
            continue
        county = places.county_of(info)
        draft.place_id, draft.county_id = info.id, county.id
        key = (county.id, draft.number)
        if key in seen:
            errors.append(cell_error(draft.row, "户编号", draft.number,
                                     _("户编号%(n)s与第%(r)d行起的农户重复（同一县内户编号唯一）。") % {
                                         "n": draft.number, "r": seen[key].row}, "household_number_duplicate"))
            continue
        seen[key] = draft
        if draft.values["户编号"] is not BAD:
            usable.append(draft)
    return usable


def _plan_chunk(drafts, county_id, ledger, member_fields, places, prefix, errors, warnings, counts, changes):
    numbers = [d.number for d in drafts]
    hh_fields = ["pk", "number", "status", "place_id", *[BY_LABEL[c].field for c in ledger.data_columns]]
    existing = {row[1]: row for row in Household.objects.unrestricted().filter(county_id=county_id, number__in=numbers)
                .values_list(*hh_fields)}
    household_ids = [row[0] for row in existing.values()]
    members: dict[int, dict[str, tuple]] = defaultdict(dict)
    member_columns = ["pk", "household_id", "id_number", *MEMBER_DATA_FIELDS]
    for row in Member.objects.unrestricted().filter(household_id__in=household_ids, ended_on__isnull=True).values_list(*member_columns):
        members[row[1]][row[2]] = row
    years = {d.year for d in drafts if d.year is not BAD}
    incomes = {(row[1], row[2]): row for row in Income.objects.unrestricted().filter(
        household_id__in=household_ids, quarter__isnull=True, year__in=years).values_list(
        "pk", "household_id", "year", *MONEY_FIELDS)}
    ids = [m.id_number for d in drafts for m in d.members if m.id_number]
    active_elsewhere = {row[0]: row for row in Member.objects.unrestricted().filter(id_number__in=ids, ended_on__isnull=True)
                        .values_list("id_number", "household_id", "household__number", "household__place__code")}
    field_index = {f: i for i, f in enumerate(member_columns)}
    data_columns = ledger.data_columns

    for draft in drafts:
        stored = existing.get(draft.number)
        household_id = stored[0] if stored else None
        broken = False
        if stored is not None:
            if stored[2] != HouseholdStatus.ACTIVE:
                errors.append(cell_error(draft.row, "户编号", draft.number,
                                         _("农户%(n)s已销户或已合户，不能再导入。") % {"n": draft.number}, "household_ended"))
                broken = True
            elif not places.by_id[stored[3]].code.startswith(prefix):
                errors.append(cell_error(draft.row, "户编号", draft.number,
                                         _("农户%(n)s目前登记在您的辖区以外，不能导入。") % {"n": draft.number},
                                         "out_of_area"))
                broken = True
        file_ids = set()
        for member in draft.members:
            if not member.id_number:
                continue
            file_ids.add(member.id_number)
            other = active_elsewhere.get(member.id_number)
            if other is not None and other[1] != household_id:
                if other[3].startswith(prefix):
                    errors.append(cell_error(
                        member.row, "证件号码", member.id_number,
                        _("该人已是农户%(n)s的在册成员；人员转户须在系统中办理迁移，不能通过导入完成。") % {"n": other[2]},
                        "person_in_other_household"))
                else:
                    # Outside the importer's area: refused like any number they may not register,
                    # without telling whether or where the person is registered.
                    refused = id_number_refused(member.id_number)
                    errors.append(cell_error(member.row, "证件号码", member.id_number, refused.message, refused.code))
                broken = True
        if broken or any(m.relation is BAD or not m.id_number for m in draft.members):
            continue
        stored_members = members.get(household_id, {}) if household_id else {}
        missing = [row for id_number, row in stored_members.items() if id_number not in file_ids]
        heads_kept = [row for row in missing if row[field_index["relation"]] == Relation.HEAD]
        file_heads = [m for m in draft.members if m.relation == Relation.HEAD]
        if heads_kept and file_heads:
            kept = heads_kept[0]
            errors.append(cell_error(
                file_heads[0].row, "与户主关系", "户主",
                _("系统中本户的户主%(name)s（%(id)s）不在文件中：请先在系统中变更户主或办理离户，或把他列入文件。") % {
                    "name": kept[field_index["name"]], "id": kept[2]}, "head_conflict"))
            continue
        for row in missing:
            warnings.append(cell_error(
                draft.row, "证件号码", row[2],
                _("系统中本户成员%(name)s不在文件中；导入不会让其离户，如需离户请在系统中办理。") % {
                    "name": row[field_index["name"]]}, "member_missing"))
        counts.members_missing += len(missing)
        change = _diff(draft, stored, hh_fields, data_columns, incomes, stored_members, field_index,
                       member_fields, ledger, counts)
        changes.append(change)


def _diff(draft, stored, hh_fields, data_columns, incomes, stored_members, field_index, member_fields, ledger,
          counts) -> HouseholdChange:
    wanted = {BY_LABEL[c].field: draft.values[c] for c in data_columns}
    wanted["place_id"] = draft.place_id
    income_wanted = draft.income(ledger.money_columns) if draft.year is not BAD else None
    if stored is None:
        counts.households_new += 1
        counts.members_new += len(draft.members)
        if income_wanted is not None:
            counts.incomes_new += 1
        return HouseholdChange(draft=draft, pk=None, fields=wanted, income=income_wanted, income_pk=None,
                               new_members=list(draft.members))
    current = dict(zip(hh_fields, stored))
    fields = {k: v for k, v in wanted.items() if current[k] != v}
    income, income_pk = None, None
    if income_wanted is not None:
        row = incomes.get((stored[0], draft.year))
        if row is None:
            income = income_wanted
            counts.incomes_new += 1
        else:
            income_pk = row[0]
            stored_money = dict(zip(MONEY_FIELDS, row[3:]))
            income = {k: v for k, v in income_wanted.items() if stored_money[k] != v}
            if income:
                counts.incomes_updated += 1
            else:
                counts.incomes_unchanged += 1
    change = HouseholdChange(draft=draft, pk=stored[0], fields=fields, income=income or None, income_pk=income_pk)
    health_only = "health" in member_fields and "disability_grade" not in member_fields
    for member in draft.members:
        row = stored_members.get(member.id_number)
        if row is None:
            change.new_members.append(member)
            counts.members_new += 1
            continue
        updates = {f: v for f, v in zip(member_fields, member.data) if row[field_index[f]] != v}
        if health_only and row[field_index["disability_grade"]] and dict(zip(member_fields, member.data))["health"] != "disabled":
            updates["disability_grade"] = ""
        if not updates:
            counts.members_unchanged += 1
            continue
        counts.members_updated += 1
        if row[field_index["relation"]] == Relation.HEAD and updates.get("relation", Relation.HEAD) != Relation.HEAD:
            change.demotions.append((row[0], updates))
        else:
            change.member_updates.append((row[0], updates))
    if change.changed:
        counts.households_updated += 1
    else:
        counts.households_unchanged += 1
    return change
