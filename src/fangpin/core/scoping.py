"""Area scoping: every model that belongs to a place is read through `restrict(user, perm)`.

A model opts in by using `AreaManager` and naming `area_field`, the lookup path to the 12/15-digit
code of the place it belongs to. A user bound to a place sees that place and everything under it:
statistical codes nest by prefix (county 6 digits, township 9, village 12, group 15).
"""

from django.db import models
from django.db.models import Q

from .errors import CoreErrorCode, PermissionDenied


class AreaQuerySet(models.QuerySet):
    def in_area(self, prefix: str):
        field = self.model.area_field
        return self.filter(**{f"{field}__startswith": prefix})

    def restrict(self, user, perm: str | None = None):
        """Rows the user may see; none at all when they lack `perm` or have no place."""
        if user is None or not user.is_authenticated or not getattr(user, "place_id", None):
            return self.none()
        if perm is not None and not user.has_perm_named(perm):
            return self.none()
        return self.in_area(user.area_prefix)


AreaManager = models.Manager.from_queryset(AreaQuerySet)


class UpwardAreaQuerySet(AreaQuerySet):
    """Rows that belong to a place and serve everything under it (a county catalogue, a township
    training course, a county project): a user sees the rows in their area and those of the places
    above them."""

    def restrict(self, user, perm: str | None = None):
        own = super().restrict(user, perm)
        if not own.query.is_empty() and user.place_id:
            above = [place.code for place in user.place.ancestors()]
            if above:
                return self.filter(Q(**{f"{self.model.area_field}__startswith": user.area_prefix})
                                   | Q(**{f"{self.model.area_field}__in": above}))
        return own


UpwardAreaManager = models.Manager.from_queryset(UpwardAreaQuerySet)


def ensure_in_area(user, obj, perm: str) -> None:
    """Raise unless `obj` lies in the user's area and the user holds `perm`."""
    user.require(perm)
    code = obj.area_code
    if not code.startswith(user.area_prefix):
        raise PermissionDenied(CoreErrorCode.OUT_OF_AREA, "该记录不在您的辖区内。")
