"""Read-side helpers shared by calibration, the monthly list and the pages."""

from django.db.models import Exists, OuterRef

from ..choices import OPEN_LEAD_STATUSES, MonitoringStatus
from ..models import Lead, Monitoring


def in_monitoring(household_ref: str = "pk"):
    """A condition on households that are already followed, so a warning would find nothing new: a
    monitored household (confirmed, risk not yet eliminated), or one with an open lead (new or accepted)
    whose identification is under way. Calibration what-if and the monthly list both use it."""
    return Exists(Lead.objects.filter(household=OuterRef(household_ref), status__in=OPEN_LEAD_STATUSES)) | Exists(
        Monitoring.objects.filter(household=OuterRef(household_ref), status=MonitoringStatus.MONITORED))


