"""Working-day arithmetic for stage and case time limits and any other limit counted in working days.

Days come from chinese-calendar (the State Council's published holidays and adjusted working days).
A year it does not cover yet — next year's schedule is published each November — falls back to the
county's own holiday entries (`overrides`: day → is a working day), and to plain weekends when those
have nothing for the year; `warnings` says which years were counted that way. A county entry also
overrides a published day. Where a county keeps its entries is the caller's business (cases.Holiday,
read by `fangpin.cases.workdays.county_calendar`).
"""

import datetime

import chinese_calendar
from django.utils.translation import gettext as _


class WorkCalendar:
    def __init__(self, overrides: dict[datetime.date, bool] | None = None):
        self.overrides = dict(overrides or {})
        self.county_years = {day.year for day in self.overrides}
        self.fallback_years: set[int] = set()

    def is_workday(self, day: datetime.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            self.fallback_years.add(day.year)
            return day.weekday() < 5

    def add(self, start: datetime.date, days: int) -> datetime.date:
        """The day on which `days` working days after `start` have passed (`start` itself not counted)."""
        day = start
        while days > 0:
            day += datetime.timedelta(days=1)
            if self.is_workday(day):
                days -= 1
        return day

    def between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        count, day = 0, start
        while day < end:
            day += datetime.timedelta(days=1)
            count += self.is_workday(day)
        return count

    @property
    def warnings(self) -> list[str]:
        """What the caller should tell the user about years counted without the published calendar."""
        messages = []
        for year in sorted(self.fallback_years):
            if year in self.county_years:
                messages.append(_("%(y)s年的国家节假日安排尚未收录，按本县节假日表计算工作日。") % {"y": year})
            else:
                messages.append(_("%(y)s年的国家节假日安排尚未收录，本县节假日表也没有该年内容，暂按周六、周日休息计算；"
                                  "请县级管理员录入该年节假日和调休上班日。") % {"y": year})
        return messages
