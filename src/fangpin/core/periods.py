"""Months and periods: a "YYYY-MM" month typed or passed on the command line, and calendar-month
arithmetic."""

import datetime
import re

from dateutil.relativedelta import relativedelta
from django.utils.translation import gettext as _

from .errors import CoreErrorCode, ValidationFailed

PERIOD_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def parse_period(period: str) -> datetime.date:
    """The first day of a "YYYY-MM" month (year 2000 or later)."""
    match = PERIOD_PATTERN.match(str(period or "").strip())
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise ValidationFailed(CoreErrorCode.PERIOD_FORMAT, _("月份格式应为YYYY-MM，例如2026-03：%(p)s") % {"p": period},
                               field="period")
    return datetime.date(int(match.group(1)), int(match.group(2)), 1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` calendar months later (earlier when negative); a day the target month does
    not have becomes its last day (31 January + 1 month = 28 or 29 February)."""
    return day + relativedelta(months=months)
