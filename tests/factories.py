"""Small hand-made fixtures for unit tests; larger data comes from the demo generator."""

import datetime
import itertools

from fangpin.core.models import User
from fangpin.core.roles import Role
from fangpin.regions.models import Level, Place
from fangpin.registry import services
from fangpin.registry.choices import Relation, Sex
from fangpin.registry.idnumber import compose_id_number

_sequence = itertools.count(1)


def make_places() -> dict[str, Place]:
    """County 510101 with two townships; each township two villages; each village one group."""
    county = Place.objects.create(code="510101000000", name="示范县", level=Level.COUNTY)
    places = {"county": county}
    for t in (1, 2):
        township = Place.objects.create(code=f"510101{t:03d}000", name=f"第{t}镇", level=Level.TOWNSHIP, parent=county)
        places[f"t{t}"] = township
        for v in (1, 2):
            village = Place.objects.create(code=f"510101{t:03d}{v:03d}", name=f"第{t}镇{v}村", level=Level.VILLAGE,
                                           parent=township)
            places[f"t{t}v{v}"] = village
            places[f"t{t}v{v}g1"] = Place.objects.create(code=f"{village.code}001", name="一组", level=Level.GROUP,
                                                         parent=village)
    return places


def make_second_county(places: dict[str, Place]) -> dict[str, Place]:
    """A neighbouring county 510102 with one township, village and group, added to `places` as c2,
    c2t1, c2t1v1 and c2t1v1g1."""
    county = Place.objects.create(code="510102000000", name="邻县", level=Level.COUNTY)
    township = Place.objects.create(code="510102001000", name="邻县第1镇", level=Level.TOWNSHIP, parent=county)
    village = Place.objects.create(code="510102001001", name="邻县第1镇1村", level=Level.VILLAGE, parent=township)
    group = Place.objects.create(code=f"{village.code}001", name="一组", level=Level.GROUP, parent=village)
    places.update({"c2": county, "c2t1": township, "c2t1v1": village, "c2t1v1g1": group})
    return places


def make_user(role: str, place: Place, username: str | None = None) -> User:
    username = username or f"{role}_{place.code}"
    return User.objects.create_user(username=username, password="Test-pass-2026", role=role, place=place,
                                    first_name=username)


def id_number(sex: str = Sex.MALE, birth: datetime.date = datetime.date(1980, 5, 17)) -> str:
    """A valid number never handed out before in this process: the 3-digit sequence wraps every 500
    numbers, so each wrap moves to the next area code (510101, 510102, ...)."""
    n = next(_sequence)
    return compose_id_number(f"5101{n // 500 % 90 + 1:02d}", birth, n, sex)


def make_household(actor, place: Place, *, number: str | None = None, members: int = 2, **fields):
    number = number or f"{next(_sequence):08d}"
    fields.setdefault("household_type", "ordinary")
    head = {"name": f"户主{number[-3:]}", "id_number": id_number(Sex.MALE), "labour_capacity": "ordinary",
            "health": "healthy"}
    others = [
        {"name": f"成员{number[-3:]}{i}", "id_number": id_number(Sex.FEMALE, datetime.date(1985, 3, 2)),
         "relation": Relation.SPOUSE if i == 1 else Relation.DAUGHTER, "health": "healthy"}
        for i in range(1, members)
    ]
    return services.household_create(actor=actor, place=place, number=number, head=head, members=others, **fields)


ALL_ROLES = list(Role.values)
