"""Stable codes of the errors raised by regions (administrative places).

Each member's value is the `code` API clients read; its second part says what the code means and is
listed in the API documentation. Codes several apps raise live in the lowest app that raises them
(generic ones in `fangpin.core.errors.CoreErrorCode`).
"""

from fangpin.core.errors import ErrorCode


class RegionsErrorCode(ErrorCode):
    DUPLICATE_COLUMN = "duplicate_column", "The place file has the same column twice."
    PLACES_INVALID = "places_invalid", "The place file has errors (listed in details); nothing was imported."
