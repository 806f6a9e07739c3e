"""The sliding window behind the login and reset rate limits, on the app clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reos.auth.ratelimit import SlidingWindow
from reos.errors import RateLimited
from reos.kit import clock

START = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def test_the_limit_holds_per_key_and_says_when_to_retry() -> None:
    window = SlidingWindow(limit=3, window_seconds=60)
    with clock.frozen_at(START):
        for _ in range(3):
            window.hit("1.2.3.4|a@example.com")
        with pytest.raises(RateLimited) as caught:
            window.hit("1.2.3.4|a@example.com")
        assert caught.value.status_code == 429
        assert caught.value.headers == {"Retry-After": "60"}
        assert caught.value.details == {"retry_after_seconds": 60}
        # Another key has its own count.
        window.hit("1.2.3.4|b@example.com")
        window.hit("5.6.7.8|a@example.com")


def test_the_window_slides_with_the_clock() -> None:
    window = SlidingWindow(limit=2, window_seconds=60)
    with clock.frozen_at(START):
        window.hit("k")
        with clock.shifted(timedelta(seconds=20)):
            window.hit("k")
        with clock.shifted(timedelta(seconds=45)):
            with pytest.raises(RateLimited) as caught:
                window.hit("k")
            # The oldest attempt leaves the window 15 s later.
            assert caught.value.headers["Retry-After"] == "15"
        with clock.shifted(timedelta(seconds=60)):
            window.hit("k")  # the first attempt has left the window
            with pytest.raises(RateLimited) as caught:
                window.hit("k")
            assert caught.value.headers["Retry-After"] == "20"


def test_refused_attempts_do_not_extend_the_block() -> None:
    window = SlidingWindow(limit=1, window_seconds=60)
    with clock.frozen_at(START):
        window.hit("k")
        for seconds in (10, 30, 59):
            with clock.shifted(timedelta(seconds=seconds)), pytest.raises(RateLimited):
                window.hit("k")
        with clock.shifted(timedelta(seconds=60)):
            window.hit("k")


def test_retry_after_is_at_least_one_second() -> None:
    window = SlidingWindow(limit=1, window_seconds=10)
    with clock.frozen_at(START):
        window.hit("k")
        with clock.shifted(timedelta(seconds=9, microseconds=999_000)), pytest.raises(RateLimited) as caught:
            window.hit("k")
    assert caught.value.headers["Retry-After"] == "1"


def test_reset_forgets_every_attempt() -> None:
    window = SlidingWindow(limit=1, window_seconds=60)
    with clock.frozen_at(START):
        window.hit("k")
        window.reset()
        window.hit("k")
        with pytest.raises(RateLimited):
            window.hit("k")
