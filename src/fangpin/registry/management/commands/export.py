"""`fangpin export ledger --out FILE [--place CODE] [--year YEAR] [--as USERNAME]`."""

from django.core.management.base import BaseCommand, CommandError

from fangpin.core.errors import ServiceError
from fangpin.core.audit import CLI_ACCOUNT
from fangpin.registry.ledger.export import export_ledger

from ._common import find_actor, progress_bar


class Command(BaseCommand):
    help = "导出户成员台账（.xlsx 或 .csv）/ Export the household ledger (.xlsx or .csv)."

    def add_arguments(self, parser):
        kinds = parser.add_subparsers(dest="kind", required=True, metavar="{ledger}")
        ledger = kinds.add_parser("ledger", help="户成员台账 / household ledger")
        ledger.add_argument("--out", required=True, help="输出文件 .xlsx 或 .csv / output file")
        ledger.add_argument("--place", help="只导出该区划（代码）/ only this place (code)")
        ledger.add_argument("--year", type=int, help="收支年度（默认：每户最近一年）/ income year (default: latest)")
        ledger.add_argument("--as", dest="username",
                            help=f"以该用户身份导出（默认：命令行系统身份，记入访问日志的账号为 {CLI_ACCOUNT}）"
                                 f" / act as this user (default: system context, logged as {CLI_ACCOUNT})")

    def handle(self, *args, kind, out, place=None, year=None, username=None, **options):
        actor = find_actor(username)
        try:
            with progress_bar() as progress:
                result = export_ledger(actor, out, place, year=year, progress=progress)
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(
            f"已导出 / exported {result.households} 户 {result.members} 人 → {result.path}"))
