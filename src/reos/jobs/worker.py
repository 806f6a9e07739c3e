"""A worker process: the job runtime, providers and Procrastinate's pool, then the worker loop."""

from __future__ import annotations

import asyncio
import os
import signal

import psycopg_pool
import structlog

from reos import logs
from reos.db.session import make_database
from reos.jobs import queue
from reos.providers import registry as providers
from reos.settings import Settings
from reos.supervisor import SUPERVISOR_PID

log = structlog.get_logger(__name__)


async def watch_parent(expected: int, every: float = 1.0) -> None:
    """Stop this worker, as SIGTERM does (running jobs finish), once the process that started it
    is gone: `reos serve` killed outright (SIGKILL, a crash) cannot stop its worker, which would
    otherwise run on with old code and keep the embedded database from shutting down."""
    while True:
        await asyncio.sleep(every)
        if os.getppid() != expected:  # polled: no event says a parent has gone
            break
    log.warning("worker.orphaned", parent=expected)
    os.kill(os.getpid(), signal.SIGTERM)


async def run(settings: Settings, app_url: str, owner_url: str, *, concurrency: int) -> None:
    logs.configure(settings.log_level, settings.log_json)
    db = make_database(app_url, owner_url, pool_size=concurrency + 1, max_overflow=concurrency)
    providers.use(providers.build(settings))
    queue.configure(
        db,
        retry_base_seconds=settings.job_retry_base_seconds,
        max_attempts=settings.job_max_attempts,
        stalled_after_seconds=settings.job_stalled_after_seconds,
    )
    conninfo = app_url.replace("postgresql+psycopg://", "postgresql://", 1)
    pool = psycopg_pool.AsyncConnectionPool(conninfo, min_size=1, max_size=concurrency + 2, open=False)
    await pool.open(wait=True)
    log.info("worker.started", concurrency=concurrency, queues="all")
    supervisor = os.environ.get(SUPERVISOR_PID)
    watch = asyncio.create_task(watch_parent(int(supervisor))) if supervisor else None
    try:
        async with queue.queue_app.open_async(pool):
            # Heartbeats every few seconds; a worker silent for JOB_STALLED_AFTER_SECONDS is
            # considered dead and its running jobs are retried by `jobs.retry_stalled`.
            await queue.run_worker(
                concurrency=concurrency,
                update_heartbeat_interval=max(1.0, settings.job_stalled_after_seconds / 6),
                stalled_worker_timeout=settings.job_stalled_after_seconds,
            )
    finally:
        if watch is not None:
            watch.cancel()
        await pool.close()
        await db.dispose()
        log.info("worker.stopped")
