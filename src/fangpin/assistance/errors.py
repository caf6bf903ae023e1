"""Stable codes of the errors raised by assistance (measures and the registers behind them).

Each member's value is the `code` API clients read; its second part says what the code means and is
listed in the API documentation. Codes several apps raise live in the lowest app that raises them
(generic ones in `fangpin.core.errors.CoreErrorCode`).
"""

from fangpin.core.errors import ErrorCode


class AssistanceErrorCode(ErrorCode):
    CAPACITY_BELOW_TAKEN = "capacity_below_taken", "A project's capacity is below the households already taking part."
    CATALOGUE_COUNTY_ONLY = "catalogue_county_only", "The measure catalogue is kept by the county."
    CATALOGUE_INACTIVE = "catalogue_inactive", "The catalogue measure is no longer in use."
    CATALOGUE_NAME_TAKEN = "catalogue_name_taken", "The county's catalogue already has a measure of this name."
    CATALOGUE_OTHER_COUNTY = "catalogue_other_county", "The catalogue measure belongs to another county."
    CHOICE_UNKNOWN = "choice_unknown", "A value is not one of its choices."
    DATE_FORMAT = "date_format", "A date is not written as YYYY-MM-DD."
    DATE_FUTURE = "date_future", "A date is in the future."
    DATE_ORDER = "date_order", "A date is before the date it must follow."
    EMPLOYEE_DUPLICATE = "employee_duplicate", "The person already works at the workshop in the same period."
    FILE_MISSING = "file_missing", "No file was chosen to upload."
    HOUSEHOLD_NOT_MONITORED = "household_not_monitored", "The household is neither monitored nor on a green-channel case."
    LOAN_AMOUNT_BELOW_REPAID = "loan_amount_below_repaid", "A loan amount is less than what was already repaid."
    LOAN_AMOUNT_LIMIT = "loan_amount_limit", "A micro-credit loan is above the per-household limit."
    LOAN_AMOUNT_ZERO = "loan_amount_zero", "A loan amount must be greater than zero."
    LOAN_TERM_LIMIT = "loan_term_limit", "A loan term is longer than the limit."
    LOAN_TERM_ZERO = "loan_term_zero", "A loan term must be at least one month."
    MEASURE_NOT_ENDED = "measure_not_ended", "A measure ending in the future cannot be marked done."
    MEASURE_NOT_STARTED = "measure_not_started", "A measure starting in the future can only be planned."
    MEASURE_OTHER_HOUSEHOLD = "measure_other_household", "The measure belongs to another household."
    MEASURE_STOPPED = "measure_stopped", "The measure is stopped and cannot be changed."
    MEASURE_STOPPED_NEW = "measure_stopped_new", "A new measure cannot be created as stopped."
    PARTICIPANT_DUPLICATE = "participant_duplicate", "The person is already on the training's participant list."
    PLACE_OTHER_COUNTY = "place_other_county", "The place lies in another county."
    PROJECT_CHOSEN = "project_chosen", "The household has already chosen this project."
    PROJECT_CLOSED = "project_closed", "The project no longer takes households."
    PROJECT_FULL = "project_full", "The project has no places left."
    PROJECT_OTHER_COUNTY = "project_other_county", "The project belongs to another county."
    RATE_RANGE = "rate_range", "An interest rate is not a percentage in the allowed range."
    REPAYMENT_BEFORE_ISSUE = "repayment_before_issue", "A repayment is dated before the loan was issued."
    REPAYMENT_TOO_MUCH = "repayment_too_much", "A repayment is more than the principal still owed."
    REPAYMENT_ZERO = "repayment_zero", "A repayment must be greater than zero."
    TOO_LONG = "too_long", "A text is longer than allowed."
    WELFARE_POST_MONTHS_LIMIT = "welfare_post_months_limit", "A public-welfare post's term is longer than the county's limit."
    WELFARE_POST_OVERLAP = "welfare_post_overlap", "The person already holds a public-welfare post in this period."
    WORKSHOP_CLOSED = "workshop_closed", "The workshop has closed."
