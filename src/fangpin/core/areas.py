"""Looking up the places above a place: the county a village or township lies in, and a user's county."""

from django.utils.translation import gettext as _

from fangpin.regions.models import Level, Place

from .errors import CoreErrorCode, ValidationFailed


def county_of(place: Place) -> Place:
    """The county a place lies in: the place itself at county level, otherwise the nearest place above
    it at county level (walked through `parent`, so parents already loaded cost no query)."""
    node = place
    while node is not None and node.level != Level.COUNTY:
        node = node.parent
    if node is None:
        raise ValidationFailed(CoreErrorCode.COUNTY_MISSING, _("该区划不属于任何县。"))
    return node


def user_county(user) -> Place | None:
    """The county of a signed-in user's place, or None for a user without a place."""
    if not getattr(user, "place_id", None):
        return None
    return county_of(user.place)
