"""Error codes of regions (administrative places); how codes are declared: `fangpin.core.errors`."""

from fangpin.core.errors import ErrorCode


class RegionsErrorCode(ErrorCode):
    DUPLICATE_COLUMN = "duplicate_column", "The place file has the same column twice."
    PLACES_INVALID = "places_invalid", "The place file has errors (listed in details); nothing was imported."
