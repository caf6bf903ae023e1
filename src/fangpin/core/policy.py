"""County policy: every figure a county may set, as versioned rows.

A policy model (the monitoring standard, the visit schedule, the procedures, the elimination
criteria, the intake limits, the register limits) extends `CountyPolicy`: one row is one version of
the county's policy, in force from `effective_from` until a later version takes over. Versions are
never edited: a change adopts a new version (`policy_adopt`), and every check that used a policy
records the version it read. A county that never adopted a version of a policy starts from the
defaults: `policy_in_force` reads version 1 from the field defaults, and `policy_recorded` writes it the
first time a record must point at it.

The models declare here what the county policy page needs: a title, the fields a version sets
(`policy_fields`), the permission that adopts a new version and, for the policies with a page of
their own, the name of that page.
"""

import datetime

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangpin.regions.models import Level

from .audit import log_change
from .errors import CoreErrorCode, ValidationFailed
from .models import ChangeLog
from .scoping import AreaScoped, UpwardAreaQuerySet, ensure_in_area

# Version 1 written from the defaults is in force from this day, so that every past check finds it.
DEFAULTS_IN_FORCE_FROM = datetime.date(2000, 1, 1)
DEFAULTS_NOTE = gettext_lazy("默认值（县级管理员可在“县级政策”中制定新版本）")


class PolicyQuerySet(UpwardAreaQuerySet):
    """County rows that serve every place under the county: a user sees the versions of their county."""

    def series(self, county, **key):
        """Every version of one policy of `county` (`key` names the series where a county keeps
        several, e.g. one procedure per kind of case). The county is the caller's choice: a view passes
        the user's own county, a check the county of the household it checks."""
        return self.unrestricted().filter(county=county, **key)

    def in_force(self, county, on: datetime.date, **key):
        """The version in force on day `on`: the latest effective one, the newer version first on a tie."""
        return self.series(county, **key).filter(effective_from__lte=on).order_by("-effective_from", "-version").first()


PolicyManager = models.Manager.from_queryset(PolicyQuerySet)


def version_unique(name: str, *series_fields: str) -> models.UniqueConstraint:
    """One number per version within a county's series of a policy."""
    return models.UniqueConstraint(fields=["county", *series_fields, "version"], name=name)


class CountyPolicy(AreaScoped):
    """One version of one county policy."""

    county = models.ForeignKey("regions.Place", on_delete=models.PROTECT, related_name="+",
                               verbose_name=gettext_lazy("县"))
    version = models.PositiveIntegerField(gettext_lazy("版本"))
    effective_from = models.DateField(gettext_lazy("生效日期"))
    note = models.CharField(gettext_lazy("说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                   related_name="+", verbose_name=gettext_lazy("制定人"))
    created_at = models.DateTimeField(gettext_lazy("制定时间"), auto_now_add=True)

    area_field = "county__code"
    objects = PolicyManager()

    # What each policy declares for the county policy page.
    policy_title = ""  # what the county calls this policy
    policy_fields: tuple[str, ...] = ()  # the figures a version sets, in the order pages list them
    series_fields: tuple[str, ...] = ()  # fields beside the county that separate series
    policy_list_choices: dict = {}  # list-valued figures (JSON) and the choices they take
    adopt_perm = ""  # the named permission that adopts a new version
    adopt_url_name = ""  # a page of its own that adopts a version; empty: the policy page's form
    page_order = 100
    # Every figure has a default that stands as version 1 until the county adopts its own.
    starts_from_defaults = False

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return _("%(p)s第%(v)d版") % {"p": self.policy_title, "v": self.version}

    @property
    def series_key(self) -> dict:
        return {name: getattr(self, name) for name in self.series_fields}

    def shown_value(self, name: str) -> str:
        """One figure of this version as a person reads it (a policy overrides this for a figure
        that needs more words than its stored value)."""
        field = self._meta.get_field(name)
        value = getattr(self, name)
        if value in (None, ""):
            return "—"
        if isinstance(value, bool):
            return _("是") if value else _("否")
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        return str(value)

    def shown_values(self) -> list[tuple[str, str]]:
        """(label, value) of every figure this version sets."""
        return [(str(self._meta.get_field(name).verbose_name), self.shown_value(name)) for name in self.policy_fields]

    def clean_policy(self) -> None:
        """Rules between the figures of one version; raise ValidationFailed naming the field."""


def policy_models() -> list[type[CountyPolicy]]:
    """Every county policy, in the order the county policy page lists them."""
    found = [model for model in apps.get_models() if issubclass(model, CountyPolicy)]
    return sorted(found, key=lambda model: (model.page_order, model._meta.label))


def _check_values(policy: CountyPolicy) -> None:
    try:
        policy.full_clean(exclude=["county", "created_by", "version"], validate_unique=False,
                          validate_constraints=False)
    except DjangoValidationError as error:
        name, messages = next(iter(error.message_dict.items()))
        label = policy._meta.get_field(name).verbose_name if name != "__all__" else policy.policy_title
        raise ValidationFailed(CoreErrorCode.POLICY_VALUE_INVALID, _("%(f)s：%(m)s") % {"f": label, "m": messages[0]},
                               field=None if name == "__all__" else name) from None
    policy.clean_policy()


@transaction.atomic
def policy_adopt(model: type[CountyPolicy], *, actor, county, effective_from: datetime.date | None = None,
                 note: str = "", **values) -> CountyPolicy:
    """Adopt a new version of a county policy, in force from `effective_from` (today when not
    given). Earlier versions stay as they were; the new one gets the next number and a change-log
    entry. `values` hold the figures (and the series fields, e.g. the kind of a procedure)."""
    ensure_in_area(actor, county, model.adopt_perm)
    if county.level != Level.COUNTY:
        raise ValidationFailed(CoreErrorCode.COUNTY_LEVEL, _("%(p)s按县制定。") % {"p": model.policy_title}, field="county")
    key = {name: values[name] for name in model.series_fields}
    last = model.objects.unrestricted().select_for_update().filter(county=county, **key).order_by("-version").first()
    if last is None and model.starts_from_defaults:
        # The defaults were in force until now: they become version 1, the adopted figures version 2.
        last = policy_start(model, county, **key)
    policy = model(county=county, version=(last.version + 1) if last else 1,
                   effective_from=effective_from or timezone.localdate(), note=(note or "").strip()[:300],
                   created_by=actor if getattr(actor, "pk", None) else None, **values)
    _check_values(policy)
    policy.save()
    log_change(policy, ChangeLog.Action.CREATE, actor=actor, reason=policy.note)
    return policy


def policy_start(model: type[CountyPolicy], county, **key) -> CountyPolicy:
    """Version 1 of a policy from its defaults, for a county that has none yet (written once, even
    when two requests ask at the same time). `key` names the series and may add defaults of its own."""
    existing = model.objects.unrestricted().filter(county=county, version=1, **{k: key[k] for k in model.series_fields}).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            policy = model.objects.create(
                county=county, version=1, effective_from=DEFAULTS_IN_FORCE_FROM,
                note=str(DEFAULTS_NOTE), **key)
            log_change(policy, ChangeLog.Action.CREATE, actor=None)
    except IntegrityError:
        policy = model.objects.unrestricted().get(county=county, version=1, **{k: key[k] for k in model.series_fields})
    return policy


def policy_in_force(model: type[CountyPolicy], county, on: datetime.date | None = None, **key) -> CountyPolicy:
    """The version of a county policy in force on `on` (today when not given). A county that never
    adopted one reads version 1 from the defaults (not written: reading a page writes nothing); one
    whose versions all start later is refused."""
    on = on or timezone.localdate()
    policy = model.objects.in_force(county, on, **key)
    if policy is not None:
        return policy
    if model.objects.series(county, **key).exists():
        raise ValidationFailed(CoreErrorCode.NO_POLICY_IN_FORCE, _("%(c)s在%(d)s尚无生效的%(p)s。") % {
            "c": county.name, "d": on.isoformat(), "p": model.policy_title})
    return model(county=county, version=1, effective_from=DEFAULTS_IN_FORCE_FROM, note=str(DEFAULTS_NOTE), **key)


def policy_recorded(model: type[CountyPolicy], county, on: datetime.date | None = None, **key) -> CountyPolicy:
    """The version in force, as a saved row a record can point at: a write that keeps the version it
    used (a lead's deadline) writes version 1 from the defaults when the county has none yet."""
    policy = policy_in_force(model, county, on, **key)
    return policy if policy.pk else policy_start(model, county, **key)
