"""The one clock: frozen and shifted time, and how the two combine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from reos.kit import clock

MOMENT = datetime(2026, 3, 8, 6, 59, 59, 123456, tzinfo=UTC)


def test_now_is_timezone_aware_utc() -> None:
    assert clock.now().tzinfo is UTC


def test_frozen_at_holds_time_still_and_restores_it() -> None:
    with clock.frozen_at(MOMENT):
        assert clock.now() == MOMENT
        assert clock.now() == MOMENT
    assert clock.now() != MOMENT
    assert clock.now().year >= 2024


def test_frozen_at_converts_to_utc_and_refuses_naive_times() -> None:
    eastern = MOMENT.astimezone(timezone(timedelta(hours=-5)))
    with clock.frozen_at(eastern):
        assert clock.now() == MOMENT and clock.now().tzinfo is UTC
    with pytest.raises(ValueError, match="timezone-aware"), clock.frozen_at(MOMENT.replace(tzinfo=None)):
        pass


def test_frozen_blocks_nest() -> None:
    later = MOMENT + timedelta(days=1)
    with clock.frozen_at(MOMENT):
        with clock.frozen_at(later):
            assert clock.now() == later
        assert clock.now() == MOMENT


def test_shifted_moves_the_clock_and_shifts_add_up() -> None:
    with clock.frozen_at(MOMENT):
        with clock.shifted(timedelta(minutes=16)):
            assert clock.now() == MOMENT + timedelta(minutes=16)
            with clock.shifted(timedelta(hours=-1)):
                assert clock.now() == MOMENT - timedelta(minutes=44)
            assert clock.now() == MOMENT + timedelta(minutes=16)
        assert clock.now() == MOMENT


def test_a_freeze_inside_a_shift_is_exactly_the_moment_asked_for() -> None:
    with clock.shifted(timedelta(days=3)), clock.frozen_at(MOMENT):
        assert clock.now() == MOMENT
        with clock.shifted(timedelta(seconds=1)):
            assert clock.now() == MOMENT + timedelta(seconds=1)


def test_a_shift_of_the_running_clock_moves_it_by_that_much() -> None:
    # Compared in whole days so the test does not depend on how fast it runs.
    before = clock.now()
    with clock.shifted(timedelta(days=30)):
        assert (clock.now() - before).days == 30
    assert (clock.now() - before).days == 0


def test_blocks_restore_the_clock_when_they_raise() -> None:
    with pytest.raises(RuntimeError), clock.frozen_at(MOMENT), clock.shifted(timedelta(hours=2)):
        raise RuntimeError("boom")
    assert clock.now() != MOMENT + timedelta(hours=2)
    with clock.frozen_at(MOMENT):
        assert clock.now() == MOMENT
