from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from fangpin.core.models import User
from fangpin.core.roles import Role
from fangpin.regions.models import Place


class Command(BaseCommand):
    help = "新建用户并绑定区划 / Create a user bound to a place."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--place", required=True, help="12/15-digit place code")
        parser.add_argument("--name", default="", help="display name")
        parser.add_argument("--password", help="password (prompted when omitted)")

    @transaction.atomic
    def handle(self, *args, username, role, place, name, password, **options):
        found = Place.objects.filter(code=place).first()
        if found is None:
            raise CommandError(f"区划代码 {place} 不存在 / no place with code {place}")
        if User.objects.filter(username=username).exists():
            raise CommandError(f"用户名 {username} 已存在 / username {username} is taken")
        if not password:
            import getpass

            password = getpass.getpass("密码 / password: ")
        from django.contrib.auth.password_validation import validate_password
        from django.core.exceptions import ValidationError

        user = User(username=username, role=role, place=found, first_name=name)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        user.set_password(password)
        user.save()
        self.stdout.write(self.style.SUCCESS(f"{username} ({Role(role).label}, {found.full_name})"))
