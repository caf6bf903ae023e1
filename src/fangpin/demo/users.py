"""Demo logins (one per role, plus a second village cadre) and the county's field staff: a handful of
helpers (帮扶责任人) per village, so that every active household has one, and a grid worker (网格员)
per village group.

Every demo account shares `DEMO_PASSWORD`; it is hashed once and the hash reused, so thousands of
field-staff accounts cost no more than one. That is for trying the system only: the password signs in only
in a database the demo built (`is_demo_database`), no other account can be given it, and the demo's
printed logins and the sign-in page say so (see fangpin.core.auth).
"""

import dataclasses
import math
import random

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import Mod

from fangpin.core.auth import DEMO_PASSWORD
from fangpin.core.models import User
from fangpin.core.roles import Role
from fangpin.regions.models import Level, Place
from fangpin.registry.choices import HouseholdStatus
from fangpin.registry.models import Household

from . import names

HOUSEHOLDS_PER_HELPER = 10
HELPERS_PER_VILLAGE = (2, 8)


@dataclasses.dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    role_label: str
    place_name: str


def _busiest_village(township: Place) -> Place:
    counts = (Household.objects.filter(place__parent__parent=township, status=HouseholdStatus.ACTIVE)
              .values("place__parent").annotate(n=Count("id")).order_by("-n", "place__parent__code"))
    top = counts.first()
    if top is not None:
        return Place.objects.get(pk=top["place__parent"])
    return township.children.order_by("code").first()


def _person_name(rng: random.Random) -> str:
    sex = "M" if rng.random() < 0.6 else "F"
    return names.SURNAMES.pick(rng) + names.given_name(rng, sex, rng.randint(1968, 1998))


@transaction.atomic
def create_demo_users(county: Place, *, field_staff: bool = True) -> list[DemoLogin]:
    """Create the demo logins and (unless `field_staff=False`) the helpers and grid workers of every
    village, and assign them to the households. Returns the demo logins, county first."""
    rng = random.Random(county.code)
    password = make_password(DEMO_PASSWORD)
    townships = list(county.children.order_by("code"))
    home_township = townships[0]
    other_township = townships[1] if len(townships) > 1 else townships[0]
    home_village = _busiest_village(home_township)
    other_village = _busiest_village(other_township)
    if other_village == home_village:
        other_village = home_township.children.exclude(pk=home_village.pk).order_by("code").first()

    plan = [
        ("admin", Role.COUNTY_ADMIN, county), ("officer", Role.COUNTY_OFFICER, county),
        ("township", Role.TOWNSHIP_OFFICER, home_township), ("cadre", Role.VILLAGE_CADRE, home_village),
        ("cadre2", Role.VILLAGE_CADRE, other_village), ("helper", Role.HELPER, home_village),
        ("grid", Role.GRID_WORKER, home_village), ("clerk", Role.DEPARTMENT_CLERK, county),
        ("insurer", Role.INSURER, county), ("auditor", Role.AUDITOR, county),
    ]
    demo_users = {
        username: User(username=username, password=password, role=role, place=place, phone=names.mobile(rng),
                       first_name=_person_name(rng))
        for username, role, place in plan
    }
    User.objects.bulk_create(demo_users.values())
    demo_users = {u.username: u for u in User.objects.filter(username__in=demo_users)}
    if field_staff:
        _field_staff(county, rng, password, demo_users["helper"], demo_users["grid"], home_village)
    return [DemoLogin(username=u, role=role, role_label=str(Role(role).label),
                      place_name=place.full_name) for u, role, place in plan]


def _field_staff(county: Place, rng: random.Random, password: str, demo_helper: User, demo_grid: User,
                 home_village: Place) -> None:
    villages = list(Place.objects.filter(level=Level.VILLAGE, code__startswith=county.scope_prefix).order_by("code"))
    groups_by_village: dict[int, list[Place]] = {}
    for group in Place.objects.filter(level=Level.GROUP, code__startswith=county.scope_prefix).order_by("code"):
        groups_by_village.setdefault(group.parent_id, []).append(group)
    active = Household.objects.filter(status=HouseholdStatus.ACTIVE)
    sizes = dict(active.filter(place__parent__in=villages).values_list("place__parent").annotate(n=Count("id")))

    staff, helper_slots, grid_slots = [], [], []
    for village in villages:
        low, high = HELPERS_PER_VILLAGE
        helpers = max(low, min(high, math.ceil(sizes.get(village.pk, 0) / HOUSEHOLDS_PER_HELPER)))
        for k in range(helpers):
            if village.pk == home_village.pk and k == 0:
                user = demo_helper
            else:
                user = User(username=f"bf{village.code}{k + 1:02d}", password=password, role=Role.HELPER,
                            place=village, first_name=_person_name(rng), phone=names.mobile(rng))
                staff.append(user)
            helper_slots.append((village, helpers, k, user))
        for i, group in enumerate(groups_by_village.get(village.pk, [])):
            if village.pk == home_village.pk and i == 0:
                user = demo_grid
            else:
                user = User(username=f"wg{group.code}", password=password, role=Role.GRID_WORKER, place=village,
                            first_name=_person_name(rng), phone=names.mobile(rng))
                staff.append(user)
            grid_slots.append((group, user))
    User.objects.bulk_create(staff, batch_size=1000)

    for village, count, k, user in helper_slots:
        group_ids = [g.pk for g in groups_by_village.get(village.pk, [])]
        (active.filter(place_id__in=group_ids).alias(slot=Mod("id", count)).filter(slot=k)
         .update(helper_id=user.pk))
    for group, user in grid_slots:
        active.filter(place_id=group.pk).update(grid_worker_id=user.pk)
