"""`fangpin backup OUT [--portable]`: the database and the uploaded files in one archive."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fangpin.core.audit import cli_account, log_access
from fangpin.core.backup import backup
from fangpin.core.errors import ServiceError
from fangpin.core.models import AccessLog
from fangpin.regions.models import Level, Place


class Command(BaseCommand):
    help = ("备份整个数据库和上传文件到一个归档文件（.tar.gz）/ Back up the whole database and the uploaded files "
            "into one archive (.tar.gz).")

    def add_arguments(self, parser):
        parser.add_argument("out", help="归档文件路径（不能已存在）/ archive to write (must not exist)")
        parser.add_argument("--portable", action="store_true",
                            help="用 Django 的导出代替 SQLite 备份或 pg_dump / a Django-level "
                                 "dump instead of the SQLite copy or pg_dump")

    def handle(self, *args, out, portable=False, **options):
        out = Path(out)
        if out.exists():
            raise CommandError(f"文件已存在，不会覆盖 / exists, not overwritten: {out}")
        counties = list(Place.objects.filter(level=Level.COUNTY).values_list("code", flat=True)[:2])
        # The whole database leaves the system: in the access log (and so in the archive itself).
        log_access(actor=cli_account(), kind=AccessLog.Kind.EXPORT,
                   area_code=counties[0] if len(counties) == 1 else "", target=f"整库备份 {out.name}",
                   detail={"path": str(out.resolve()), "portable": portable})
        try:
            summary = backup(out, portable=portable)
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(
            f"已备份 / backed up: {summary.path}（{summary.vendor}，{summary.method}；{len(summary.tables)} 张表 "
            f"{summary.rows} 行，上传文件 {summary.files} 个 {summary.file_bytes} 字节）"))
