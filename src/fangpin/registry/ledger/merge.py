"""Write a checked merge plan: set-based inserts and updates in batches, one change-log row per
write. Called inside the merge transaction; any failure rolls the whole file back."""

from __future__ import annotations

from django.utils import timezone

from fangpin.core.audit import change_entry, snapshot
from fangpin.core.models import ChangeLog
from fangpin.regions.models import Place

from ..models import Household, Income, Member
from . import bulk
from .plan import HouseholdChange, MergePlan

HOUSEHOLDS_PER_STEP = 2000


def write_plan(plan: MergePlan, *, actor, reason: str, progress=None) -> None:
    changes = [c for c in plan.changes if c.changed]
    place_ids = {c.draft.place_id for c in changes} | {c.draft.county_id for c in changes}
    places = Place.objects.unrestricted().in_bulk(place_ids)
    writer = _Writer(plan, places, actor, reason)
    total, done = len(changes), 0
    for start in range(0, total, HOUSEHOLDS_PER_STEP):
        step = changes[start:start + HOUSEHOLDS_PER_STEP]
        writer.create([c for c in step if c.pk is None])
        writer.update([c for c in step if c.pk is not None])
        writer.flush_log()
        done += len(step)
        if progress:
            progress("merge", done, total)


class _Writer:
    def __init__(self, plan: MergePlan, places: dict[int, Place], actor, reason: str):
        self.member_fields = plan.member_fields
        self.places = places
        self.actor = actor
        self.reason = reason
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.log: list[ChangeLog] = []
        self.new_household = bulk.Builder(Household)
        self.new_member = bulk.Builder(Member)
        self.new_income = bulk.Builder(Income)

    def _entry(self, obj, action, before=None):
        self.log.append(change_entry(obj, action, actor=self.actor, before=before, reason=self.reason))

    def flush_log(self) -> None:
        bulk.insert(ChangeLog, self.log)
        self.log = []

    def _new_member(self, household: Household, draft) -> Member:
        resident = draft.resident
        values = dict(zip(self.member_fields, draft.data))
        values.update(household_id=household.pk, id_number=resident.number, sex=resident.sex,
                      birth_date=resident.birth_date, joined_on=self.today)
        member = self.new_member(values)
        member.household = household  # cached: the change log reads the place through it
        return member

    def _new_income(self, household: Household, change: HouseholdChange) -> Income:
        income = self.new_income({**change.income, "household_id": household.pk, "year": change.draft.year})
        income.household = household
        return income

    # ---------------------------------------------------------------- new households

    def create(self, changes: list[HouseholdChange]) -> None:
        if not changes:
            return
        households = []
        for change in changes:
            household = self.new_household({**change.fields, "county_id": change.draft.county_id,
                                             "number": change.draft.number})
            household.place = self.places[change.draft.place_id]
            households.append(household)
        bulk.insert(Household, households)
        members, incomes = [], []
        for household, change in zip(households, changes):
            self._entry(household, ChangeLog.Action.CREATE)
            members.extend(self._new_member(household, m) for m in change.new_members)
            if change.income is not None:
                incomes.append(self._new_income(household, change))
        self._insert(members)
        self._insert(incomes)

    def _insert(self, objects: list) -> None:
        if not objects:
            return
        bulk.insert(type(objects[0]), objects)
        for obj in objects:
            self._entry(obj, ChangeLog.Action.CREATE)

    # ---------------------------------------------------------------- households already registered

    def update(self, changes: list[HouseholdChange]) -> None:
        if not changes:
            return
        loaded = Household.objects.unrestricted().select_related("place").in_bulk([c.pk for c in changes if c.fields])
        rows = []
        for change in changes:
            if not change.fields:
                continue
            household = loaded[change.pk]
            before = snapshot(household)
            for key, value in change.fields.items():
                if key == "place_id":
                    household.place = self.places[value]
                else:
                    setattr(household, key, value)
            rows.append((household, before, change.fields))
        self._save(Household, rows)

        # Members who stop being head go first, so that the new head never meets the old one.
        self._update_rows(Member, [pair for c in changes for pair in c.demotions], "household__place")
        self._update_rows(Member, [pair for c in changes for pair in c.member_updates], "household__place")
        self._update_rows(Income, [(c.income_pk, c.income) for c in changes if c.income and c.income_pk],
                          "household__place")

        members, incomes = [], []
        for change in changes:
            new_income = change.income is not None and change.income_pk is None
            if not change.new_members and not new_income:
                continue
            household = loaded.get(change.pk) or Household(pk=change.pk, number=change.draft.number,
                                                           place=self.places[change.draft.place_id])
            members.extend(self._new_member(household, m) for m in change.new_members)
            if new_income:
                incomes.append(self._new_income(household, change))
        self._insert(members)
        self._insert(incomes)

    def _update_rows(self, model, pairs: list[tuple[int, dict]], related: str) -> None:
        if not pairs:
            return
        loaded = model.objects.unrestricted().select_related(related).in_bulk([pk for pk, _fields in pairs])
        rows = []
        for pk, fields in pairs:
            obj = loaded[pk]
            before = snapshot(obj)
            for key, value in fields.items():
                setattr(obj, key, value)
            rows.append((obj, before, fields))
        self._save(model, rows)

    def _save(self, model, rows: list[tuple]) -> None:
        """Bump versions, stamp the time, log the change and write in batches."""
        if not rows:
            return
        fields = {"version", "updated_at"}
        for obj, before, changed in rows:
            fields.update(changed)
            obj.version += 1
            obj.updated_at = self.now
            self._entry(obj, ChangeLog.Action.UPDATE, before=before)
        bulk.update(model, [obj for obj, _b, _c in rows], sorted(fields))
