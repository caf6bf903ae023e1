"""`fangpin imports list` and `fangpin imports clean [--older-than DAYS] [--dry-run]`."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fangpin.core.context import source_var
from fangpin.core.errors import ServiceError
from fangpin.registry.ledger.models import LedgerImport
from fangpin.registry.ledger.services import ledger_imports_clean, ledger_imports_list, stored_upload

from ._common import find_actor

DEFAULT_DAYS = 30


def _age(moment) -> str:
    delta = timezone.now() - moment
    if delta.days >= 1:
        return f"{delta.days}天"
    hours = delta.seconds // 3600
    return f"{hours}小时" if hours else f"{delta.seconds // 60}分钟"


class Command(BaseCommand):
    help = ("列出台账导入（状态、时长、文件），清理未导入的陈旧导入及其上传文件 / List ledger imports (status, age, "
            "file); clean stale ones that never reached the registry and their uploaded files.")

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,clean}")
        listing = actions.add_parser("list", help="列出导入 / list imports")
        listing.add_argument("--as", dest="username", help="只列该用户辖区内的导入 / only this user's area")
        clean = actions.add_parser(
            "clean", help="清理导入失败、有错误、上传或校验后搁置的导入 / remove failed, invalid and abandoned imports")
        clean.add_argument("--older-than", dest="days", type=int, default=DEFAULT_DAYS, metavar="DAYS",
                           help=f"最后一次操作早于多少天（默认 {DEFAULT_DAYS}）/ no activity for DAYS days "
                                f"(default {DEFAULT_DAYS})")
        clean.add_argument("--dry-run", action="store_true", help="只列出，不删除 / list only, remove nothing")
        clean.add_argument("--as", dest="username", help="以该用户身份清理 / act as this user")

    def handle(self, *args, action, username=None, days=DEFAULT_DAYS, dry_run=False, **options):
        actor = find_actor(username)
        token = source_var.set("cli")
        try:
            if action == "list":
                self._list(ledger_imports_list(actor=actor))
            else:
                if days < 0:
                    raise CommandError("--older-than 不能为负数 / must not be negative")
                self._clean(actor, days, dry_run)
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        finally:
            source_var.reset(token)

    def _line(self, item: LedgerImport) -> str:
        upload = stored_upload(item)
        where = item.file_path if upload is None else f"{item.file_path}{'' if upload.exists() else ' （文件已不在）'}"
        reason = f"  {item.status_reason}" if item.status_reason else ""
        return (f"#{item.pk:<6} {item.get_status_display():<6} {_age(item.created_at):>6}前  {item.rows:>7}行  "
                f"{item.area_code or '-':<12} {item.original_name}  {where}{reason}")

    def _list(self, imports: list[LedgerImport]) -> None:
        if not imports:
            self.stdout.write("没有导入记录 / no imports")
            return
        self.stdout.write("编号    状态     上传至今     数据行  区划         文件")
        for item in imports:
            self.stdout.write(self._line(item))
        counts = {}
        for item in imports:
            counts[item.get_status_display()] = counts.get(item.get_status_display(), 0) + 1
        self.stdout.write("共 {} 个 / total: {}".format(len(imports), "，".join(f"{k} {v}" for k, v in counts.items())))

    def _clean(self, actor, days: int, dry_run: bool) -> None:
        removed = ledger_imports_clean(actor=actor, older_than=datetime.timedelta(days=days), dry_run=dry_run)
        for item in removed:
            self.stdout.write(self._line(item))
        if dry_run:
            self.stdout.write(self.style.WARNING(
                f"将清理 {len(removed)} 个导入（--dry-run：未删除）/ would remove {len(removed)} imports"))
        else:
            self.stdout.write(self.style.SUCCESS(
                f"已清理 {len(removed)} 个{days}天无操作的导入及其上传文件 / removed {len(removed)} imports"))
