"""`fangpin worker`: run the background jobs (screening, ledger merges, exports, monthly lists)
queued in the database. `fangpin serve` starts one beside the web server; run this command
instead where the web server runs without it (`fangpin serve --no-worker`) or to add workers.
`--batch` runs what is queued and stops (for a scheduled task or a test)."""

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand


class Command(DatabaseWorkerCommand):
    help = "运行后台任务 / Run the queued background jobs (django-tasks database worker)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # Reloading on code changes is for development only; a county server runs without it.
        parser.set_defaults(reload=False, queue_name="*")
