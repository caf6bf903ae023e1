import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

# How long `serve` waits at shutdown for the worker to finish its current job before ending it.
WORKER_STOP_SECONDS = 30


class Command(BaseCommand):
    help = "启动网页服务 / Serve the web application with waitress."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--no-worker", action="store_false", dest="worker",
                            help="不启动后台任务进程 / do not start the background worker (run `fangpin worker` elsewhere)")

    def handle(self, *args, host, port, threads, worker=True, **options):
        from waitress import serve

        from fangpin.core import uploads
        from fangpin.wsgi import application

        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"fangpin: http://{host}:{port}/  (data dir {settings.DATA_DIR}; Ctrl+C to stop)")
        worker_process = start_worker() if worker else None
        try:
            # Waitress buffers a request body before the application sees it: refuse oversized ones unread.
            serve(application, host=host, port=port, threads=threads, ident="fangpin",
                  max_request_body_size=uploads.max_request_bytes())
        finally:
            if worker_process is not None:
                stop_worker(worker_process)


def start_worker() -> subprocess.Popen:
    """The background worker as a child process (`fangpin worker`), with this process's settings and
    data dir. A process of its own, not a thread: the worker handles its own signals and a long job
    does not hold the web server's interpreter."""
    # A session of its own: Ctrl+C on the terminal reaches `serve`, which then stops the worker once.
    return subprocess.Popen([sys.executable, "-m", "fangpin.cli", "worker", "--no-startup-delay", "--verbosity", "0"],
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE",
                                                                                        "fangpin.settings")},
                            start_new_session=True)


def stop_worker(process: subprocess.Popen, timeout: float = WORKER_STOP_SECONDS) -> None:
    """Ask the worker to stop (it finishes the job it is running), then end it if it does not."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
