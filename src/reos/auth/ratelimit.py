"""Sliding-window limiter for login and password-reset attempts."""

from __future__ import annotations

import math
import threading
from collections import deque
from datetime import datetime

from reos.errors import RateLimited
from reos.kit import clock


class SlidingWindow:
    """Per-process, in memory: counts attempts per key over the last `window` seconds.

    Several API processes each keep their own window, so the effective limit is `limit` per
    process; docs/architecture.md says so. Good enough to stop online guessing from one client.
    """

    def __init__(self, limit: int, window_seconds: int):
        self.limit = limit
        self.window = window_seconds
        self._hits: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        """Record an attempt; raise RateLimited (429 + Retry-After) once over the limit."""
        now = clock.now()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and (now - hits[0]).total_seconds() >= self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                retry = self.window - (now - hits[0]).total_seconds()
                raise RateLimited(max(1, math.ceil(retry)))
            hits.append(now)
            if len(self._hits) > 100_000:
                self._hits.clear()

    def forget(self, key: str) -> None:
        """Drop a key's attempts: a login that succeeded, so only failed ones count towards
        the limit (ten good logins in five minutes had locked a person out)."""
        with self._lock:
            self._hits.pop(key, None)

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
