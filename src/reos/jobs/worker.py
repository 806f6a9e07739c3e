"""A worker process: the job runtime, providers and Procrastinate's pool, then the worker loop."""

from __future__ import annotations

import psycopg_pool
import structlog

from reos import logs
from reos.db.session import make_database
from reos.jobs import queue
from reos.providers import registry as providers
from reos.settings import Settings

log = structlog.get_logger(__name__)


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
        await pool.close()
        await db.dispose()
        log.info("worker.stopped")
