"""The one clock the code reads for "now"; tests can freeze or move it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

_frozen: datetime | None = None
_offset = timedelta(0)


def now() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    if _frozen is not None:
        return _frozen + _offset
    return datetime.now(UTC) + _offset


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Freeze `now()` at `moment` for the duration of the block (`shifted` inside moves it)."""
    global _frozen, _offset
    if moment.tzinfo is None:
        raise ValueError("frozen_at needs a timezone-aware datetime")
    previous, previous_offset = _frozen, _offset
    _frozen, _offset = moment.astimezone(UTC), timedelta(0)
    try:
        yield
    finally:
        _frozen, _offset = previous, previous_offset


@contextmanager
def shifted(by: timedelta) -> Iterator[None]:
    """Move `now()` forward (or back) by `by` while the block runs."""
    global _offset
    previous = _offset
    _offset = previous + by
    try:
        yield
    finally:
        _offset = previous
