"""`fangpin cases-daily [--date YYYY-MM-DD]`: the daily round of the procedures — close notice stages
whose period ended without objection, escalate newly overdue cases one level up, and list confirmed
households still without a measure a month after confirmation. Acts as the system."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fangpin.assistance.selectors import monitorings_without_measure
from fangpin.cases import daily
from fangpin.monitoring.models import Monitoring


class Command(BaseCommand):
    help = "每日处理：公示期满流转、超期上报、确认满一月无措施提醒 / Daily round of the procedures."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按哪一天处理（默认今天）/ the day to act as, YYYY-MM-DD")

    def handle(self, *args, date, **options):
        try:
            today = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as error:
            raise CommandError(f"日期格式应为YYYY-MM-DD：{date} / date must be YYYY-MM-DD") from error
        concluded = daily.notices_conclude_due(today=today)
        escalated = daily.cases_escalate_overdue(today=today)
        overdue = daily.overdue_cases(today=today).count()
        unmeasured = monitorings_without_measure(Monitoring.objects.all(), today).count()
        self.stdout.write(f"{today}：公示期满流转{concluded}件；新增超期上报{escalated}件（超期办理中共{overdue}件）；"
                          f"确认满一个月仍无帮扶措施{unmeasured}户")
