"""`fangpin restore IN [--force]`: replace the database and the uploaded files with a backup's."""

from django.core.management.base import BaseCommand, CommandError

from fangpin.core.backup import restore
from fangpin.core.errors import ServiceError


class Command(BaseCommand):
    help = ("从 `fangpin backup` 的归档恢复数据库和上传文件；数据库已有数据时须加 --force / Restore the database and "
            "the uploaded files from a `fangpin backup` archive; a database holding data needs --force.")

    def add_arguments(self, parser):
        parser.add_argument("archive", help="备份归档文件 / the archive")
        parser.add_argument("--force", action="store_true",
                            help="覆盖已有数据的数据库和上传文件 / replace a database and uploads that hold data")

    def handle(self, *args, archive, force=False, **options):
        def say(text):
            self.stdout.write(text)

        try:
            summary = restore(archive, force=force, say=say if force else None)
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(
            f"已恢复 / restored: {summary.path}（{summary.method}；{len(summary.tables)} 张表 {summary.rows} 行，"
            f"上传文件 {summary.files} 个；各表行数与备份清单一致）"))
