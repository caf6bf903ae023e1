"""Sign-in and password rules around the demo accounts.

Every demo account shares one published password (`DEMO_PASSWORD`, used by `fangpin.demo.users`), hashed once for
all of them, so that a demo county with hundreds of field staff builds in seconds. That is acceptable only
for trying the system, so:

- the demo password signs in only in a database built by `fangpin demo` (`is_demo_database`); in any
  other database a sign-in with it is refused, whoever the account is;
- no account can be given the demo password (`NotDemoPasswordValidator`, one of AUTH_PASSWORD_VALIDATORS:
  `fangpin createuser`, `changepassword` and every password form run it), and each account's password is
  hashed on its own with its own salt;
- in a demo database the sign-in page says that demo accounts share one known password.
"""

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangpin.regions.models import Place

from .models import ChangeLog


DEMO_PASSWORD = "Qinglan-2026"


def is_demo_database() -> bool:
    """Whether `fangpin demo` built this database: the generator records each demo county it builds in the
    change log with source "demo"; nothing else writes that source."""
    return ChangeLog.objects.unrestricted().filter(source="demo", object_type=Place._meta.label_lower,
                                                   action=ChangeLog.Action.CREATE).exists()


class NotDemoPasswordValidator:
    """Refuses the demo accounts' published password for any account."""

    def validate(self, password, user=None):
        if password == DEMO_PASSWORD:
            raise ValidationError(_("这是演示系统公开的密码，任何人都知道，不能用作账号密码。请另设一个密码。"),
                                  code="demo_password")

    def get_help_text(self):
        return _("不能使用演示系统公开的密码。")


class SignInForm(AuthenticationForm):
    """The sign-in form; refuses the demo password outside a demo database."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "demo_password": gettext_lazy("演示账号的公开密码只能在演示系统中使用，本系统不接受。请使用县级管理员为您设置的密码。"),
    }

    @cached_property
    def demo(self):
        """The demo password when this database was built by `fangpin demo`, else None."""
        return DEMO_PASSWORD if is_demo_database() else None

    def clean(self):
        password = self.cleaned_data.get("password")
        if password == DEMO_PASSWORD and self.demo is None:
            raise ValidationError(self.error_messages["demo_password"], code="demo_password")
        return super().clean()
