from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "创建空数据库（执行迁移，不含演示数据）/ Create an empty database in the data dir."

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(self.style.SUCCESS(f"数据库已就绪 / database ready: {settings.DATABASES['default']['NAME']}"))
