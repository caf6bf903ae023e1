"""Typed errors with stable codes. The UI shows `message`; API clients read `code`.

A code is always a member of an app's `ErrorCode` enum (`fangpin/<app>/errors.py`, core's own
below): the enum says in one place which codes exist and what each means, and a raise site cannot
invent a new one by typing a string (the error refuses it). A code several apps raise lives in the
lowest app that raises it, or here when it is generic (required, formats, stale forms, out of area).
"""

import enum
from importlib import import_module

from django.apps import apps
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext as _

from .roles import Perm


class ErrorCode(enum.StrEnum):
    """Base of each app's error codes. A member is declared as `NAME = "code", "what it means"`:
    the value is what API clients read, `description` is listed in the API documentation."""

    description: str

    def __new__(cls, value: str, description: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member


def error_codes() -> list[type[ErrorCode]]:
    """Every code enum: core's, the jobs', then each app's `errors.py` (for the API documentation
    and the test that no two enums give one code two meanings)."""
    enums: list[type[ErrorCode]] = [CoreErrorCode, JobError]
    for config in apps.get_app_configs():
        if config.name.startswith("fangpin.") and module_has_submodule(config.module, "errors"):
            module = import_module(f"{config.name}.errors")
            enums.extend(value for value in vars(module).values()
                         if isinstance(value, type) and issubclass(value, ErrorCode) and len(value)
                         and value not in enums)
    return enums


def error_code_choices() -> list[tuple[str, str]]:
    """(code, meaning) of every code, sorted by code: the error body's `code` in the API schema."""
    return sorted((member.value, member.description) for enum_ in error_codes() for member in enum_)


class CoreErrorCode(ErrorCode):
    """Codes raised by core (uploads, tables, backups, area checks) and the generic input codes
    every app shares (required, number and money formats, stale forms, out of area)."""

    BACKUP_EXISTS = "backup_exists", "The backup target file already exists and is not overwritten."
    BACKUP_IN_TRANSACTION = "backup_in_transaction", "Backup or restore was started inside a database transaction."
    BACKUP_INCOMPLETE = "backup_incomplete", "The backup archive lacks some of the uploaded files its manifest lists."
    BACKUP_MISSING = "backup_missing", "The backup file to restore does not exist."
    BACKUP_TOOL_FAILED = "backup_tool_failed", "The database's dump or restore tool ended with an error."
    BACKUP_TOOL_MISSING = "backup_tool_missing", "The database's dump or restore tool is not installed."
    BACKUP_UNREADABLE = "backup_unreadable", "The file is not a backup this system can read."
    BACKUP_WRONG_DATABASE = "backup_wrong_database", "The backup comes from the other kind of database (SQLite vs PostgreSQL)."
    BLANK = "blank", "A text value is required and an empty one was sent."
    COUNTY_LEVEL = "county_level", "The action is taken for a whole county, and the place given is not a county."
    COUNTY_MISSING = "county_missing", "The place does not belong to any county."
    DOES_NOT_EXIST = "does_not_exist", "A referenced record does not exist (or is outside the user's area)."
    FILE_CONTENT_MISMATCH = "file_content_mismatch", "An uploaded file's content does not match its extension."
    FILE_EMPTY = "file_empty", "An uploaded file is empty."
    FILE_ENCODING = "file_encoding", "A CSV file is neither UTF-8 nor GBK/GB18030."
    FILE_TOO_LARGE = "file_too_large", "An uploaded file exceeds the size limit."
    FILE_TYPE = "file_type", "The file type is not accepted here."
    FILE_UNREADABLE = "file_unreadable", "The file could not be read as a table."
    HEADER_MISSING = "header_missing", "No header row with the required columns was found in the file."
    INVALID = "invalid", "The input was refused by the API's own field checks (the field and message say which)."
    INCORRECT_TYPE = "incorrect_type", "A reference to a record was sent as the wrong type (not an id)."
    INVALID_CHOICE = "invalid_choice", "A value is not one of the field's choices."
    MAX_DECIMAL_PLACES = "max_decimal_places", "A number has more decimal places than the field allows."
    MAX_DIGITS = "max_digits", "A number has more digits than the field allows."
    MAX_LENGTH = "max_length", "A text is longer than the field allows."
    MAX_VALUE = "max_value", "A number is above the field's maximum."
    MIN_VALUE = "min_value", "A number is below the field's minimum."
    MISSING_PERMISSION = "missing_permission", "The user's role lacks the named permission (listed in details)."
    MONEY_DECIMALS = "money_decimals", "An amount has more than two decimal places."
    MONEY_FORMAT = "money_format", "The value is not an amount of money."
    MONEY_NEGATIVE = "money_negative", "An amount is negative."
    MONEY_TOO_LARGE = "money_too_large", "An amount is larger than the database can hold."
    NO_POLICY_IN_FORCE = "no_policy_in_force", "No county policy of this kind is in force on that date."
    NOT_A_LIST = "not_a_list", "A list was expected."
    NULL = "null", "A value is required and null was sent."
    NUMBER_FORMAT = "number_format", "A whole number was expected."
    NUMBER_RANGE = "number_range", "The number lies outside the allowed range."
    OUT_OF_AREA = "out_of_area", "The record or place lies outside the acting user's area."
    PERIOD_FORMAT = "period_format", "A month is not written as YYYY-MM."
    PLACE_LEVEL = "place_level", "The place is not of the administrative level this record needs."
    POLICY_VALUE_INVALID = "policy_value_invalid", "A county policy value broke its field's rule."
    REASON_MISSING = "reason_missing", "A reason is required for this action and none was given."
    REQUIRED = "required", "A required field was left empty."
    RESTORE_MISMATCH = "restore_mismatch", "The restored data does not match the backup's manifest."
    RESTORE_NOT_EMPTY = "restore_not_empty", "Restore refused: the database already holds data (use --force to overwrite)."
    STALE_VERSION = "stale_version", "Someone else changed the record since the form was opened; reload and enter again."
    UNKNOWN_FIELD = "unknown_field", "The input names a field that cannot be set here."
    UNMASK_REASON_MISSING = "unmask_reason_missing", "Unmasking personal data needs a reason."
    UNMASK_VALUE = "unmask_value", "The unmask parameter names an unknown kind of personal data."
    XLSX_RATIO = "xlsx_ratio", "An Excel file's compression ratio is suspicious (a possible zip bomb)."
    XLSX_ROWS = "xlsx_rows", "An Excel sheet has more rows than the upload limit."
    XLSX_TOO_LARGE = "xlsx_too_large", "An Excel file unpacks to more than the size limit."


class JobError(ErrorCode):
    """Codes of the errors background jobs themselves raise (a service a job calls raises its own)."""

    ALREADY_QUEUED = "job_already_queued", "The same job (kind, place and parameters) is already queued or running."
    NOT_QUEUED = "job_not_queued", "The job queue refused the job."
    UNEXPECTED = "job_unexpected", "The job stopped on an unexpected error (details in the server log)."
    NO_FILE = "job_no_file", "The job has no file to download, or it was pruned after the retention period."
    INTERRUPTED = "job_interrupted", "The worker running the job stopped (killed or restarted) before the job ended."


class ServiceError(Exception):
    status = 400

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None, details=None):
        if not isinstance(code, ErrorCode):
            raise TypeError(f"error code {code!r} is not an ErrorCode member: declare it in the app's errors.py")
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = details or []

    def as_dict(self) -> dict:
        data = {"code": self.code.value, "message": self.message}
        if self.field:
            data["field"] = self.field
        if self.details:
            data["details"] = self.details
        return data


class ValidationFailed(ServiceError):
    """Input broke a rule; nothing was written."""


class PermissionDenied(ServiceError):
    status = 403


class MissingPermission(PermissionDenied):
    def __init__(self, perm: str):
        label = Perm(perm).label if perm in Perm.values else perm
        super().__init__(CoreErrorCode.MISSING_PERMISSION, _("缺少权限：%(perm)s") % {"perm": label}, details=[perm])


class Conflict(ServiceError):
    status = 409
