"""The ranges every typed number and date must fall in, for forms and API parsers alike.

Integers are stored in 32-bit columns: PostgreSQL refuses a larger one with an error rather
than a "no", so a number out of range is refused as input, next to its field. Dates far from
now (year 9999) overflow when turned into instants, printed in calendars or compared with
a day's end; the forums run this century, so a date outside ``MIN_YEAR``–``MAX_YEAR`` is a
typo and refused the same way.
"""

from __future__ import annotations

from datetime import date, datetime

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
MIN_YEAR = 2000
MAX_YEAR = 2100

DATE_OUT_OF_RANGE = f"Enter a date between the years {MIN_YEAR} and {MAX_YEAR}."
NUMBER_OUT_OF_RANGE = "That number is too large."


def date_problem(value: date | datetime | None) -> str | None:
    """Why ``value`` cannot be taken as a date (a sentence), or None when it can (or is None)."""
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        return DATE_OUT_OF_RANGE
    return None


def integer_problem(value: int | None) -> str | None:
    """Why ``value`` cannot be stored as a number (a sentence), or None when it can."""
    if value is not None and not INT32_MIN <= value <= INT32_MAX:
        return NUMBER_OUT_OF_RANGE
    return None
