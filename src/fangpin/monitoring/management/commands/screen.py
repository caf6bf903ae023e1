"""fangpin screen --month YYYY-MM [--engine db|duckdb] [--county CODE] [--as USERNAME] [--json]"""

import json

from django.core.management.base import BaseCommand, CommandError

from fangpin.core.context import source_var
from fangpin.core.errors import ServiceError
from fangpin.core.models import User
from fangpin.monitoring.choices import Channel
from fangpin.monitoring.screening.engines import ENGINES
from fangpin.monitoring.screening.rules import RULES_BY_CODE
from fangpin.monitoring.screening.services import screening_run
from fangpin.regions.models import Level, Place


class Command(BaseCommand):
    help = "按月执行系统筛查 / Screen a county's households with every rule for a month."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--engine", default="db", choices=ENGINES)
        parser.add_argument("--county", help="12-digit county code (needed when there are several counties)")
        parser.add_argument("--as", dest="username", help="run as this user (default: the system)")
        parser.add_argument("--json", action="store_true", help="print one JSON object: new, merged, total per rule")

    def handle(self, *args, month, engine, county, username, json: bool, **options):
        place = self._county(county)
        actor = None
        if username:
            actor = User.objects.filter(username=username, is_active=True).first()
            if actor is None:
                raise CommandError(f"用户 {username} 不存在或已停用 / no active user {username}")
        token = source_var.set("cli")
        try:
            run = screening_run(actor=actor, county=place, period=month, engine=engine)
        except ServiceError as error:
            raise CommandError(f"{error.message} ({error.code})") from None
        finally:
            source_var.reset(token)
        if json:
            self._print_json(run)
        else:
            self._print_table(run)

    def _county(self, code):
        counties = Place.objects.filter(level=Level.COUNTY)
        if code:
            found = counties.filter(code=code).first()
            if found is None:
                raise CommandError(f"县级区划代码 {code} 不存在 / no county with code {code}")
            return found
        found = list(counties[:2])
        if len(found) != 1:
            raise CommandError("请用 --county 指定县 / name the county with --county" if found
                               else "尚无县级区划 / no county yet")
        return found[0]

    def _print_json(self, run):
        data = {code: {"new": c["new"], "merged": c["merged"], "total": c["total"]} for code, c in run.counts.items()}
        self.stdout.write(json_dumps(data))

    def _print_table(self, run):
        write = self.stdout.write
        write(f"{run.county.name} {run.period} · 引擎 {run.engine} · 监测标准 v{run.thresholds.version} · 批次 #{run.pk}")
        write(f"{'规则 / rule':<40}{'新增':>8}{'并入':>8}{'命中':>8}  并入来源 / merged into")
        for code, c in run.counts.items():
            title = str(RULES_BY_CODE[code].title) if code in RULES_BY_CODE else code
            into = ", ".join(f"{Channel(k).label} {v}" for k, v in c.get("merged_into", {}).items())
            write(f"{code + ' ' + title:<40}{c['new']:>8}{c['merged']:>8}{c['total']:>8}  {into}")
        totals = {key: sum(c[key] for c in run.counts.values()) for key in ("new", "merged", "total")}
        write(f"{'合计 / total':<40}{totals['new']:>8}{totals['merged']:>8}{totals['total']:>8}")
        write(f"来源 / channel: {Channel.SCREENING.label} {totals['new'] + totals['merged']}")
        tiers = getattr(run, "tier_counts", {})
        if tiers:
            write("风险等级 / risk tiers: " + ", ".join(f"{k} {v}" for k, v in sorted(tiers["risk"].items())))
            write("稳定性 / stability: " + ", ".join(f"{k} {v}" for k, v in sorted(tiers["stability"].items())))


def json_dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=False)
