"""The working-day calendar of a county: the published national calendar with the county's own
holiday table (cases.Holiday) laid over it."""

from fangpin.core.calendar import WorkCalendar

from .models import Holiday


def county_calendar(county=None) -> WorkCalendar:
    """The calendar for `county` (its holiday entries over the published calendar); the published
    calendar alone when no county is given."""
    if county is None:
        return WorkCalendar()
    return WorkCalendar(dict(Holiday.objects.unrestricted().filter(county=county).values_list("date", "is_workday")))
