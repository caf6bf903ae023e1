from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动网页服务 / Serve the web application with waitress."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, host, port, threads, **options):
        from waitress import serve

        from fangpin.core import uploads
        from fangpin.wsgi import application

        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(f"fangpin: http://{host}:{port}/  (data dir {settings.DATA_DIR}; Ctrl+C to stop)")
        # Waitress buffers a request body before the application sees it: refuse oversized ones unread.
        serve(application, host=host, port=port, threads=threads, ident="fangpin",
              max_request_body_size=uploads.max_request_bytes())
