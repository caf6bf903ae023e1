from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from fangpin.core.models import User
from fangpin.core.roles import Role

# Machines that call the API on a schedule; people sign in with a password and a session instead.
TOKEN_ROLES = {Role.DEPARTMENT_CLERK, Role.INSURER}


class Command(BaseCommand):
    help = "显示（必要时生成）用户的 API 令牌 / Print (creating if needed) a user's API token."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reset", action="store_true", help="作废旧令牌并生成新令牌 / replace the token")
        parser.add_argument("--revoke", action="store_true", help="作废令牌，不再生成 / delete the token")
        parser.add_argument("--any-role", action="store_true",
                            help="允许部门数据专员和保险机构以外的角色 / allow roles other than clerks and insurers")

    @transaction.atomic
    def handle(self, *args, username, reset, revoke, any_role, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户 {username} 不存在 / no user {username}")
        if revoke:
            deleted, _by_model = Token.objects.filter(user=user).delete()
            self.stdout.write("令牌已作废 / token revoked" if deleted else "该用户没有令牌 / no token")
            return
        if not user.is_active or not user.role or not user.place_id:
            raise CommandError(f"用户 {username} 已停用或未设角色、区划 / {username} is inactive or has no role or place")
        if user.role not in TOKEN_ROLES and not any_role:
            raise CommandError(
                f"角色“{Role(user.role).label}”通常登录使用；确需令牌请加 --any-role / "
                f"role {user.role} signs in with a password; pass --any-role to issue a token anyway"
            )
        if reset:
            Token.objects.filter(user=user).delete()
        token, _created = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
