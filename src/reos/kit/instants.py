"""Instants a request may carry: years 1900 to 2999.

PostgreSQL stores far wider, but Python's datetime ends at 9999: a due date of
9999-12-31T23:59:59-12:00 is year 10000 in UTC, was stored, and every later read of its row
failed; a year-1 due date stopped the deadline sweep of every team. Nothing in this product
(tasks, consent, call times, skip-trace checks) is dated outside these years.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime

FIRST_YEAR, LAST_YEAR = 1900, 2999


def _in_years(value: datetime) -> datetime:
    # The year as written: an offset moves it by a day at most, never out of datetime's range.
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_in_years)]
"""An instant with its offset (`2026-03-08T14:00:00Z`)."""

InstantAsWritten = Annotated[datetime, AfterValidator(_in_years)]
"""An instant whose missing offset the service reports itself (compliance names the field)."""


def wall_clock(value: str, timezone: str) -> datetime | None:
    """A form's `datetime-local` value (a wall-clock time with no offset) as an aware instant
    in `timezone`; one that carries its own offset is kept; None when it is no date-time."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(timezone))
