"""Read-side helpers shared by calibration, the monthly list and the pages."""

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from fangpin.core.errors import ValidationFailed
from fangpin.regions.models import Level, Place

from ..choices import OPEN_LEAD_STATUSES
from ..models import Lead


def in_monitoring(household_ref: str = "pk"):
    """A condition on households that are already followed, so a warning would find nothing new: a
    monitored household (confirmed, risk not yet eliminated), or one with an open lead (new or accepted)
    whose identification is under way. Calibration what-if and the monthly list both use it."""
    from fangpin.cases.choices import MonitoringStatus
    from fangpin.cases.models import Monitoring

    return Exists(Lead.objects.filter(household=OuterRef(household_ref), status__in=OPEN_LEAD_STATUSES)) | Exists(
        Monitoring.objects.filter(household=OuterRef(household_ref), status=MonitoringStatus.MONITORED))


def county_of(place: Place) -> Place:
    """The county a place lies in (statistical codes nest: the county's code is the first 6 digits)."""
    if place.level == Level.COUNTY:
        return place
    county = Place.objects.filter(code=f"{place.code[:6]}000000", level=Level.COUNTY).first()
    if county is None:
        raise ValidationFailed("county_missing", _("该区划不属于任何县。"))
    return county


def user_county(user) -> Place | None:
    """The county of a signed-in user's place, or None for a user without a place."""
    if not getattr(user, "place_id", None):
        return None
    return county_of(user.place)
