"""What the visit pages read: the to-do list, overdue visits per helper and per village, and sweep
progress. Each is a fixed number of queries over the user's area, however many households it has."""

import datetime
from dataclasses import dataclass

from django.db.models import BooleanField, Case, CharField, Count, F, OuterRef, Q, Subquery, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _

from fangpin.core.models import User
from fangpin.core.roles import Perm
from fangpin.regions.models import Level, Place
from fangpin.registry.choices import Relation
from fangpin.registry.models import Household, Member

from ..choices import LeadStatus, RiskTier
from ..models import Lead, SweepChecklist, SweepGroup, SweepItem
from . import schedule

DAY_LIST_VISITS = 60
DAY_LIST_LEADS = 20
DAY_LIST_SWEEPS = 40


def head_name(outer: str = "pk") -> Subquery:
    heads = Member.objects.filter(household=OuterRef(outer), relation=Relation.HEAD, ended_on__isnull=True)
    return Subquery(heads.values("name")[:1], output_field=CharField())


def place_label(place: Place) -> str:
    """A household's place as a field worker says it: the village, and the group when it has one."""
    return f"{place.parent.name}{place.name}" if place.level == Level.GROUP and place.parent_id else place.name


def village_of_place() -> Case:
    """The village of a household's place (its own place, or the parent of its group)."""
    return Case(When(place__level=Level.GROUP, then=F("place__parent_id")), default=F("place_id"))


@dataclass
class TodoEntry:
    kind: str  # visit, lead or sweep
    household_id: int
    head: str
    place: str
    reason: str
    url: str
    own: bool = False
    urgent: bool = False
    badge: str = ""


@dataclass
class Todo:
    entries: list
    visits_due: int
    leads_new: int
    sweeps_pending: int


def todo_for(user, on: datetime.date) -> Todo:
    """Today's list for a field worker: visits due (their own households first, the longest overdue
    next), new leads in their area, and households still to sweep this month."""
    households = Household.objects.restrict(user, Perm.RECORD_VISIT)
    policies = schedule.policies_for(user.area_prefix, on)
    own = Q(helper=user) | Q(grid_worker=user)
    due = (schedule.due(households, policies, on)
           .annotate(own=Case(When(own, then=Value(True)), default=Value(False), output_field=BooleanField()),
                     head_label=head_name())
           .select_related("place__parent"))
    visits_due = due.count()
    rows = schedule.attach_due_dates(due.order_by("-own", "schedule_from", "pk")[:DAY_LIST_VISITS], policies, on)
    rows.sort(key=lambda r: (not r.own, -r.days_overdue, r.pk))
    entries = [TodoEntry(
        "visit", row.pk, row.head_label or row.number, place_label(row.place), _due_reason(row),
        reverse("visit-new", args=[row.pk]), own=row.own, urgent=row.days_overdue > 0,
        badge=str(RiskTier(row.risk_tier).label),
    ) for row in rows]

    leads = (Lead.objects.restrict(user, Perm.VIEW_LEADS).filter(status=LeadStatus.NEW, household__isnull=False)
             .annotate(head_label=head_name("household")).select_related("place__parent").order_by("raised_at", "pk"))
    leads_new = leads.count()
    for lead in leads[:DAY_LIST_LEADS]:
        entries.append(TodoEntry(
            "lead", lead.household_id, lead.head_label or "", place_label(lead.place),
            _("新线索（%(c)s）：%(s)s") % {"c": lead.get_channel_display(), "s": lead.summary[:40]},
            reverse("visit-new", args=[lead.household_id]), urgent=bool(lead.accept_due and lead.accept_due.date() <= on),
        ))

    items = (SweepItem.objects.restrict(user, Perm.RECORD_VISIT)
             .filter(status=SweepItem.Status.PENDING, checklist__period=on.strftime("%Y-%m"))
             .annotate(head_label=head_name("household")).select_related("household__place__parent").order_by("pk"))
    sweeps_pending = items.count()
    labels = dict(SweepGroup.choices)
    for item in items[:DAY_LIST_SWEEPS]:
        entries.append(TodoEntry(
            "sweep", item.household_id, item.head_label or "", place_label(item.household.place),
            _("八必访：%(g)s") % {"g": "、".join(str(labels.get(g, g)) for g in item.groups)},
            reverse("sweep-detail", args=[item.checklist_id]) + f"#item-{item.pk}",
        ))
    return Todo(entries, visits_due, leads_new, sweeps_pending)


def _due_reason(row) -> str:
    if row.days_overdue > 0:
        return _("逾期%(n)d天未走访") % {"n": row.days_overdue}
    if row.last_visited_on is None:
        return _("今日应走访（尚无走访记录）")
    return _("今日应走访（上次%(d)s）") % {"d": row.last_visited_on.isoformat()}


# ---------------------------------------------------------------- overdue visits for township and county


@dataclass
class OverdueRow:
    key: str
    name: str
    overdue: int
    total: int


def overdue_summary(user, on: datetime.date) -> tuple[list[OverdueRow], list[OverdueRow], int]:
    """(per helper, per village, total overdue) over the user's area."""
    households = Household.objects.restrict(user, Perm.VIEW_REGISTRY)
    policies = schedule.policies_for(user.area_prefix, on)
    late = schedule.overdue(households, policies, on)
    active = schedule.with_schedule(households)

    late_by_helper = dict(late.order_by().values_list("helper_id").annotate(n=Count("pk")))
    total_by_helper = dict(active.order_by().values_list("helper_id").annotate(n=Count("pk")))
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=[k for k in total_by_helper if k])}
    helpers = sorted(
        (OverdueRow(str(k or 0), names.get(k, _("未指定帮扶责任人")), late_by_helper.get(k, 0), n)
         for k, n in total_by_helper.items()),
        key=lambda r: (-r.overdue, r.name))

    late_by_village = dict(late.order_by().annotate(v=village_of_place()).values_list("v").annotate(n=Count("pk")))
    total_by_village = dict(active.order_by().annotate(v=village_of_place()).values_list("v").annotate(n=Count("pk")))
    places = {p.pk: p for p in Place.objects.unrestricted().filter(pk__in=list(total_by_village)).select_related("parent")}
    villages = sorted(
        (OverdueRow(str(k), f"{places[k].parent.name if places[k].parent else ''}{places[k].name}",
                    late_by_village.get(k, 0), n) for k, n in total_by_village.items() if k in places),
        key=lambda r: (-r.overdue, r.name))
    return helpers, villages, sum(late_by_helper.values())


def overdue_households(user, on: datetime.date, *, helper: str = "", village: str = ""):
    """Overdue households of the user's area, optionally of one helper ("0": none) or one village,
    longest without a visit first; each row with `head`, `next_due` and `days_overdue` once paged."""
    households = Household.objects.restrict(user, Perm.VIEW_REGISTRY)
    policies = schedule.policies_for(user.area_prefix, on)
    rows = schedule.overdue(households, policies, on)
    if helper.isdigit():
        rows = rows.filter(helper__isnull=True) if helper == "0" else rows.filter(helper_id=int(helper))
    if village.isdigit():
        rows = rows.annotate(v=village_of_place()).filter(v=int(village))
    rows = rows.annotate(head_label=head_name()).select_related("place__parent", "helper").order_by("schedule_from", "pk")
    return rows, policies


# ---------------------------------------------------------------- sweeps


@dataclass
class SweepProgress:
    village: Place
    checklist: SweepChecklist | None
    total: int = 0
    done: int = 0
    risks: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def sweep_progress(user, period: str) -> list[SweepProgress]:
    """Every village of the user's area with its checklist for the month (or none yet)."""
    villages = list(Place.objects.restrict(user).filter(level=Level.VILLAGE).select_related("parent"))
    if user.place_id and user.place.level == Level.GROUP:
        villages = [user.place.parent]
    checklists = {c.village_id: c for c in SweepChecklist.objects.unrestricted().filter(
        village__in=villages, period=period).annotate(
        total=Count("items"),
        done=Count("items", filter=~Q(items__status=SweepItem.Status.PENDING)),
        risks=Count("items", filter=Q(items__status=SweepItem.Status.LEAD_RAISED)))}
    rows = []
    for village in villages:
        checklist = checklists.get(village.pk)
        rows.append(SweepProgress(village, checklist, *((checklist.total, checklist.done, checklist.risks)
                                                        if checklist else (0, 0, 0))))
    return rows
