"""Area scoping: every model that belongs to a place is read through `restrict(user, perm)`.

A model opts in by inheriting `AreaScoped` and naming `area_field` once: the lookup path to the
12/15-digit code of the place it belongs to (`"household__place__code"`). Its `area_code` is read
along the same path, so the queryset filter and the check on one row cannot disagree. A user bound to
a place sees that place and everything under it: statistical codes nest by prefix (county 6 digits,
township 9, village 12, group 15). County configuration (`UpwardAreaQuerySet`) is also seen from
below: a township or village user reads the rows of their own area and of the places above it.

Scoping cannot be forgotten. While a web or API request is served (`RequestScopeMiddleware` marks
it), evaluating a queryset of a scoped model raises `UnscopedQuery` unless it was narrowed first:

- `.restrict(user, perm)` or `.in_area(prefix)`: the rows of an area;
- `.unrestricted()`: said out loud, for a service that looks rows up after the view checked the area
  (or that checks it itself with `ensure_in_area`), and for the worker and commands;
- a related manager of a row (`household.members.all()`) or a prefetch: Django marks those with the
  `instance` hint, and the row itself was reached through a narrowed queryset.

Forward foreign keys (`member.household`) go through the plain base manager and are not checked;
subqueries (`Exists(...)`, `pk__in=qs`) are never evaluated on their own, only inside their outer
query. The worker, management commands and code called directly by tests are outside any request and
are not checked.
"""

import contextlib
import contextvars

from django.db import models
from django.db.models import Q

from django.utils.translation import gettext as _

from .errors import CoreErrorCode, PermissionDenied

_serving_request: contextvars.ContextVar[bool] = contextvars.ContextVar("fangpin_serving_request", default=False)


class UnscopedQuery(RuntimeError):
    """A queryset of an area-scoped model was evaluated during a request without being narrowed."""

    def __init__(self, model):
        self.model = model
        super().__init__(
            f"{model._meta.label}: a queryset of an area-scoped model was evaluated during a request without "
            f"being narrowed; use .restrict(user, perm), .in_area(prefix) or, where the area was already "
            f"checked, .unrestricted()")


@contextlib.contextmanager
def serving_request(active: bool = True):
    """Mark the code inside as serving a request (`active=True`, what the middleware does) or as
    outside one (`active=False`: Django's own uniqueness checks, which must see every row)."""
    token = _serving_request.set(active)
    try:
        yield
    finally:
        _serving_request.reset(token)


def in_request() -> bool:
    return _serving_request.get()


class RequestScopeMiddleware:
    """Marks every request as served, so that unnarrowed querysets of scoped models raise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with serving_request():
            return self.get_response(request)


class AreaQuerySet(models.QuerySet):
    """Rows that belong to a place. Narrow with `restrict`, `in_area` or `unrestricted` before
    evaluating during a request."""

    _narrowed = False

    def _clone(self):
        clone = super()._clone()
        clone._narrowed = self._narrowed
        return clone

    def _narrow(self, queryset):
        queryset._narrowed = True
        return queryset

    def in_area(self, prefix: str):
        field = self.model.area_field
        return self._narrow(self.filter(**{f"{field}__startswith": prefix}))

    def restrict(self, user, perm: str | None = None):
        """Rows the user may see; none at all when they lack `perm` or have no place."""
        if user is None or not user.is_authenticated or not getattr(user, "place_id", None):
            return self._narrow(self.none())
        if perm is not None and not user.has_perm_named(perm):
            return self._narrow(self.none())
        return self.in_area(user.area_prefix)

    def unrestricted(self):
        """Every row, on purpose: the caller checked the area already, or is not serving a user."""
        return self._narrow(self._chain())

    # -- the check, at every place where Django sends a query -------------------------------------

    def _check_scoped(self):
        if (_serving_request.get() and not self._narrowed and "instance" not in self._hints
                and not self.query.is_empty()):
            raise UnscopedQuery(self.model)

    def _fetch_all(self):
        if self._result_cache is None:
            self._check_scoped()
        super()._fetch_all()

    def _iterator(self, use_chunked_fetch, chunk_size):
        self._check_scoped()
        yield from super()._iterator(use_chunked_fetch, chunk_size)

    async def aiterator(self, chunk_size=2000):
        self._check_scoped()
        async for row in super().aiterator(chunk_size):
            yield row

    def count(self):
        if self._result_cache is None:
            self._check_scoped()
        return super().count()

    def exists(self):
        if self._result_cache is None:
            self._check_scoped()
        return super().exists()

    def contains(self, obj):
        if self._result_cache is None:
            self._check_scoped()
        return super().contains(obj)

    def aggregate(self, *args, **kwargs):
        self._check_scoped()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._check_scoped()
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        # Checked before Django opens its transaction, so that the error leaves the outer one usable.
        self._check_scoped()
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def _update(self, values):
        self._check_scoped()
        return super()._update(values)

    def delete(self):
        self._check_scoped()
        return super().delete()

    def explain(self, *, format=None, **options):
        self._check_scoped()
        return super().explain(format=format, **options)


AreaManager = models.Manager.from_queryset(AreaQuerySet)


class UpwardAreaQuerySet(AreaQuerySet):
    """Rows that belong to a place and serve everything under it (county configuration, a county
    catalogue, a township training course, a county project): a user sees the rows in their area and
    those of the places above them."""

    def restrict(self, user, perm: str | None = None):
        own = super().restrict(user, perm)
        if not own.query.is_empty() and user.place_id:
            above = [place.code for place in user.place.ancestors()]
            if above:
                return self._narrow(self.filter(Q(**{f"{self.model.area_field}__startswith": user.area_prefix})
                                                | Q(**{f"{self.model.area_field}__in": above})))
        return own


UpwardAreaManager = models.Manager.from_queryset(UpwardAreaQuerySet)


def unrestricted_rows(model) -> models.QuerySet:
    """Every row of any model, scoped or not: for code that names rows another, narrowed query
    already chose (the objects a change-log entry points to)."""
    queryset = model._default_manager.all()
    return queryset.unrestricted() if isinstance(queryset, AreaQuerySet) else queryset


def area_code_of(obj) -> str:
    """The place code at the end of `obj`'s `area_field`, walked attribute by attribute ("" when a
    link on the way is empty)."""
    value = obj
    for name in type(obj).area_field.split("__"):
        value = getattr(value, name)
        if value is None:
            return ""
    return value


class AreaScoped(models.Model):
    """A model that belongs to a place. Subclasses set `area_field` (the lookup path to the place
    code) and keep `AreaManager`, `UpwardAreaManager` or a manager over a subclass of their querysets
    as `objects`. A model whose `area_field` is a column of its own (`"area_code"`) keeps that column:
    Django's field descriptor replaces the property below."""

    area_field = ""
    objects = AreaManager()

    class Meta:
        abstract = True

    @property
    def area_code(self) -> str:
        return area_code_of(self)

    def validate_unique(self, exclude=None):
        # Uniqueness is a fact about every row, not about the user's area: checked unnarrowed.
        with serving_request(False):
            super().validate_unique(exclude=exclude)

    def validate_constraints(self, exclude=None):
        with serving_request(False):
            super().validate_constraints(exclude=exclude)


def ensure_in_area(user, obj, perm: str) -> None:
    """Raise unless `obj` lies in the user's area and the user holds `perm`."""
    user.require(perm)
    code = obj.area_code
    if not code.startswith(user.area_prefix):
        raise PermissionDenied(CoreErrorCode.OUT_OF_AREA, _("该记录不在您的辖区内。"))
