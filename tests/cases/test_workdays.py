"""Working-day arithmetic across the Spring Festival and National Day, with adjusted working days,
and the county holiday table for a year the published calendar does not cover."""

import datetime

import pytest

from fangpin.cases import services
from fangpin.cases.workdays import county_calendar
from fangpin.core.calendar import WorkCalendar

D = datetime.date


def test_ordinary_week():
    calendar = WorkCalendar()
    assert calendar.add(D(2026, 6, 1), 3) == D(2026, 6, 4)     # Mon + 3 → Thu
    assert calendar.add(D(2026, 6, 5), 1) == D(2026, 6, 8)     # Fri + 1 → Mon
    assert calendar.between(D(2026, 6, 1), D(2026, 6, 8)) == 5
    assert calendar.add(D(2026, 6, 1), 0) == D(2026, 6, 1)
    assert calendar.warnings == []


def test_spring_festival_2026():
    """2026: holidays 15-23 February; Saturday 14 and Saturday 28 February are working days."""
    calendar = WorkCalendar()
    assert calendar.is_workday(D(2026, 2, 14))          # adjusted working Saturday
    assert not calendar.is_workday(D(2026, 2, 16))      # a Monday inside the holiday
    assert calendar.is_workday(D(2026, 2, 28))          # adjusted working Saturday
    # Friday 13 February + 1 working day: Saturday 14 works.
    assert calendar.add(D(2026, 2, 13), 1) == D(2026, 2, 14)
    # From Saturday 14 + 1: the whole holiday is skipped, Tuesday 24 is the next working day.
    assert calendar.add(D(2026, 2, 14), 1) == D(2026, 2, 24)
    # 15 working days from Friday 13 February: 14 Feb, 24-27 Feb, 28 Feb, 2-6 Mar, 9-12 Mar.
    assert calendar.add(D(2026, 2, 13), 15) == D(2026, 3, 12)
    assert calendar.between(D(2026, 2, 13), D(2026, 3, 12)) == 15


def test_national_day_2026():
    """2026: holidays 1-7 October; Sunday 20 September and Saturday 10 October are working days."""
    calendar = WorkCalendar()
    assert calendar.is_workday(D(2026, 9, 20))
    assert not calendar.is_workday(D(2026, 10, 5))
    assert calendar.is_workday(D(2026, 10, 10))
    # Wednesday 30 September + 1 → Thursday 8 October; + 3 → Saturday 10 October.
    assert calendar.add(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert calendar.add(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert calendar.between(D(2026, 9, 18), D(2026, 10, 12)) == 12


def test_uncovered_year_falls_back_to_weekends_with_warning():
    calendar = WorkCalendar()
    assert calendar.add(D(2026, 12, 30), 3) == D(2027, 1, 4)  # 31 Dec, then 1 Jan (a Friday) counts, 4 Jan
    assert len(calendar.warnings) == 1
    assert "2027" in calendar.warnings[0] and "周六、周日" in calendar.warnings[0]


def test_county_holiday_table_covers_missing_year(places, county_admin):
    county = places["county"]
    for day in (D(2027, 1, 1),):
        services.holiday_set(actor=county_admin, county=county, date=day, is_workday=False, name="元旦")
    services.holiday_set(actor=county_admin, county=county, date=D(2027, 1, 9), is_workday=True, name="调休上班")
    calendar = county_calendar(county)
    assert calendar.add(D(2026, 12, 31), 1) == D(2027, 1, 4)   # 1 January is a holiday now
    assert calendar.add(D(2027, 1, 8), 1) == D(2027, 1, 9)     # adjusted working Saturday
    assert "本县节假日表" in calendar.warnings[0]
    # Correcting a day keeps one row and logs the change.
    services.holiday_set(actor=county_admin, county=county, date=D(2027, 1, 9), is_workday=False, name="")
    assert not county_calendar(county).is_workday(D(2027, 1, 9))


def test_holiday_table_needs_permission(places, village_cadre):
    from fangpin.core.errors import ServiceError

    with pytest.raises(ServiceError):
        services.holiday_set(actor=village_cadre, county=places["county"], date=D(2027, 1, 1), is_workday=False)
