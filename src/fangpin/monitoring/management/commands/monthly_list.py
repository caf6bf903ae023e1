"""`fangpin monthly_list --month YYYY-MM [--send] [--county CODE]`: build each township's monthly
suggested list (月度预警名单) and optionally send them; run it on the list day (default the 8th).
The run acts as the system (no signed-in person), as the scheduled screening does."""

from django.core.management.base import BaseCommand, CommandError

from fangpin.core.areas import county_of
from fangpin.core.errors import ServiceError
from fangpin.monitoring.models import MonthlyList
from fangpin.monitoring.standards import services
from fangpin.regions.models import Level, Place


class Command(BaseCommand):
    help = "生成（并可下发）各乡镇的月度预警名单 / Build (and optionally send) the monthly suggested lists."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--send", action="store_true", help="下发生成的名单 / send the lists to the townships")
        parser.add_argument("--county", help="县的区划代码（只有一个县时可省略）/ county code")

    def handle(self, *args, month, send, county, **options):
        county_place = self._county(county)
        actor = None  # the system: the scheduled run on the list day
        try:
            result = services.monthly_list_build(actor=actor, county=county_place, period=month)
            sent = 0
            if send:
                for monthly_list in MonthlyList.objects.filter(pk__in=[m.pk for m in result.lists],
                                                               sent_at__isnull=True):
                    services.monthly_list_send(actor=actor, monthly_list=monthly_list)
                    sent += 1
        except ServiceError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"{county_place.name} {month}：新建{result.created}份、更新{result.refreshed}份、"
            f"已下发未改动{result.unchanged}份，共{result.lines}户" + (f"；下发{sent}份" if send else ""))
        for progress in services.progress(MonthlyList.objects.filter(pk__in=[m.pk for m in result.lists])):
            state = "已下发" if progress.monthly_list.sent_at else "未下发"
            self.stdout.write(f"  {progress.monthly_list.township.name:<8} {progress.total:>5}户 {state}")

    def _county(self, code: str | None) -> Place:
        counties = Place.objects.filter(level=Level.COUNTY)
        if code:
            place = Place.objects.filter(code=code).first()
            if place is None:
                raise CommandError(f"没有区划代码为{code}的地方 / no place with code {code}")
            return county_of(place)
        if counties.count() != 1:
            raise CommandError("有多个县，请用 --county 指定 / several counties: name one with --county")
        return counties.get()
