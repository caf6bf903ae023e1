"""`fangpin jobs prune`: delete the files background jobs wrote (exports, error sheets) once they are
older than `FANGPIN_JOB_FILES_DAYS` days (default 30), each logged in the change log. The worker does
the same by itself; this is for a server that runs without one or for a scheduled task."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from fangpin.core.context import source_var
from fangpin.core.jobs import job_files_prune


class Command(BaseCommand):
    help = "后台任务维护 / Background job upkeep: `prune` deletes job files past their retention period."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("prune", help="清理超过保存期限的任务文件 / delete job files past the retention period")

    def handle(self, *args, action, **options):
        token = source_var.set("cli")
        try:
            pruned = job_files_prune()
        finally:
            source_var.reset(token)
        self.stdout.write(_("已清理%(n)d个任务的文件。") % {"n": pruned})
