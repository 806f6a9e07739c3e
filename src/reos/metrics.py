"""Prometheus metrics. Request metrics are recorded in memory by middleware; queue figures are
refreshed by a background task every few seconds, so serving /metrics never waits on the
database (the system this replaces froze its server gathering them)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from reos.db.session import Database, team_session

log = structlog.get_logger(__name__)
REFRESH_SECONDS = 10.0


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "reos_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "reos_http_request_duration_seconds",
            "HTTP request latency by route template",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.jobs = Gauge(
            "reos_jobs", "Jobs by queue and status", ["queue", "status"], registry=self.registry
        )
        self.queue_lag = Gauge(
            "reos_queue_lag_seconds",
            "Age of the oldest waiting job per queue",
            ["queue"],
            registry=self.registry,
        )
        self.sse_connections = Gauge(
            "reos_sse_connections", "Open live-event streams", registry=self.registry
        )
        self._task: asyncio.Task[None] | None = None
        self._refreshed_at = -REFRESH_SECONDS

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def render(self, sse_connections: int) -> bytes:
        self.sse_connections.set(sse_connections)
        return generate_latest(self.registry)

    async def refresh_queue_figures(self, db: Database) -> None:
        from reos.jobs import service as jobs

        async with team_session(db, None) as session:
            rows = await jobs.queue_counts(session)
        from reos.jobs.queue import QUEUES

        self.jobs.clear()
        self.queue_lag.clear()
        # Every queue appears, at zero when idle, so dashboards and alerts see it exists.
        for name in QUEUES:
            for status in ("todo", "doing", "failed"):
                self.jobs.labels(name, status).set(0)
            self.queue_lag.labels(name).set(0)
        lags: dict[str, float] = {}
        for row in rows:
            self.jobs.labels(row["queue_name"], row["status"]).set(row["n"])
            if row["lag"] is not None:
                lags[row["queue_name"]] = max(lags.get(row["queue_name"], 0.0), float(row["lag"]))
        for queue, lag in lags.items():
            self.queue_lag.labels(queue).set(lag)

    def refresh_soon(self, db_getter: Callable[[], Database]) -> None:
        """Start a background refresh of the queue figures if they are stale; never wait for it.
        A scrape therefore shows figures at most one refresh interval old."""
        now = time.monotonic()
        if (self._task is not None and not self._task.done()) or now - self._refreshed_at < REFRESH_SECONDS:
            return
        self._refreshed_at = now

        async def refresh() -> None:
            try:
                await self.refresh_queue_figures(db_getter())
            except (SQLAlchemyError, OSError) as exc:
                log.warning("metrics.refresh_failed", error=str(exc))

        self._task = asyncio.create_task(refresh(), name="metrics-refresh")
