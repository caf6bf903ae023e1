"""`fangpin worker`: run the background jobs (screening, ledger merges, exports, monthly lists)
queued in the database. `fangpin serve` starts one beside the web server; run this command
instead where the web server runs without it (`fangpin serve --no-worker`) or to add workers.
`--batch` runs what is queued and stops (for a scheduled task or a test).

Beside the queue the worker keeps house (`fangpin.core.jobs.jobs_housekeeping`): on start and then
every `JOB_HEARTBEAT_SECONDS` it says its running jobs are alive, ends failed the jobs whose worker
is gone, and prunes job files older than `JOB_FILES_DAYS`."""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from fangpin.core.context import source_var
from fangpin.core.jobs import jobs_housekeeping

logger = logging.getLogger("fangpin.core.jobs")


def keep_house() -> None:
    token = source_var.set("job")
    try:
        ended, pruned = jobs_housekeeping()
        if ended or pruned:
            logger.info("housekeeping: %d interrupted job(s) ended, files of %d job(s) pruned", ended, pruned)
    except Exception:  # a failed round is retried on the next; the queue keeps running
        logger.exception("job housekeeping failed")
    finally:
        source_var.reset(token)
        close_old_connections()


def keep_house_forever(stop: threading.Event) -> None:
    while not stop.wait(settings.JOB_HEARTBEAT_SECONDS):
        keep_house()


class Command(DatabaseWorkerCommand):
    help = "运行后台任务 / Run the queued background jobs (django-tasks database worker)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # Reloading on code changes is for development only; a county server runs without it.
        parser.set_defaults(reload=False, queue_name="*")

    def handle(self, *args, **options):
        keep_house()
        stop = threading.Event()
        if not options["batch"]:
            threading.Thread(target=keep_house_forever, args=(stop,), name="job-housekeeping", daemon=True).start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
