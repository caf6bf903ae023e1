"""The scoping walk lives in tests/scoping/: the world in world.py, route enumeration and the walk in
routes.py, the walks of every role in test_walk.py, writes in test_writes.py and file downloads in
test_files.py. This module keeps the names other tests import from here."""

from .scoping.routes import (  # noqa: F401
    DENIED,
    EXHAUSTIVE,
    NOT_WALKED,
    PUBLIC,
    SAMPLED,
    SKIPPED_PREFIXES,
    Budget,
    Pools,
    Route,
    Walk,
    all_routes,
    fillings,
    filter_queries,
    form_inputs,
    forms_of,
    leaks,
    model_of,
    queries_for,
    scoped_models,
    texts_of,
    walk_everything,
)
from .scoping.world import VILLAGES, World, build_world  # noqa: F401
from .scoping.world import procedure_rows as _procedure_world  # noqa: F401
