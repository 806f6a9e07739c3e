"""Periodic tasks, registered in this one place."""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog
from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncSession

from reos.db.session import set_team
from reos.events.models import LiveEvent
from reos.idempotency.models import IdempotencyKey
from reos.imports import service as imports
from reos.jobs.queue import JobInfo, queue_app, runtime, task
from reos.kit import clock
from reos.scoring import jobs as scoring_jobs
from reos.tasks import jobs as task_jobs

log = structlog.get_logger(__name__)
LIVE_EVENT_RETENTION_HOURS = 24


@queue_app.periodic(cron="* * * * *")
@task(name="jobs.retry_stalled", queue="maintenance")
async def retry_stalled(session: AsyncSession, job: JobInfo, *, timestamp: int) -> int:
    """Jobs of a worker that stopped sending heartbeats (killed, lost) run again."""
    return await retry_stalled_jobs()


async def retry_stalled_jobs() -> int:
    manager = queue_app.job_manager
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=runtime.stalled_after_seconds))
    for stalled_job in stalled:
        await manager.retry_job(stalled_job)
        log.warning("job.stalled_retried", job_id=stalled_job.id, task=stalled_job.task_name)
    await manager.prune_stalled_workers(seconds_since_heartbeat=runtime.stalled_after_seconds)
    return len(stalled)


async def team_ids(session: AsyncSession) -> list[uuid.UUID]:
    rows = await session.execute(text("select reos_team_ids()"))
    return [r[0] for r in rows]


@queue_app.periodic(cron="17 * * * *")
@task(name="jobs.expire_records", queue="maintenance")
async def expire_records(session: AsyncSession, job: JobInfo, *, timestamp: int) -> dict[str, int]:
    """Drop expired idempotency keys, old live events and abandoned import drafts, team by team."""
    return await expire_old_records(session)


async def expire_old_records(session: AsyncSession) -> dict[str, int]:
    now = clock.now()
    cutoff = now - timedelta(hours=LIVE_EVENT_RETENTION_HOURS)
    removed = {"idempotency_keys": 0, "live_events": 0, "import_drafts": 0}
    for team_id in await team_ids(session):
        await set_team(session, team_id)
        keys = await session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.team_id == team_id, IdempotencyKey.expires_at <= now)
        )
        events = await session.execute(
            delete(LiveEvent).where(LiveEvent.team_id == team_id, LiveEvent.created_at < cutoff)
        )
        removed["idempotency_keys"] += keys.rowcount or 0  # type: ignore[attr-defined]
        removed["live_events"] += events.rowcount or 0  # type: ignore[attr-defined]
        removed["import_drafts"] += await imports.remove_stale_drafts(session, team_id=team_id)
    return removed


@queue_app.periodic(cron="* * * * *")
@task(name="tasks.sweep_deadlines", queue="maintenance")
async def sweep_task_deadlines(session: AsyncSession, job: JobInfo, *, timestamp: int) -> dict[str, int]:
    """Mark tasks overdue and SLA-breached, once each, and tell their assignees."""
    return await sweep_tasks(session)


async def sweep_tasks(session: AsyncSession) -> dict[str, int]:
    now = clock.now()
    marked = {"overdue": 0, "sla_breached": 0}
    for team_id in await team_ids(session):
        await set_team(session, team_id)
        for key, count in (await task_jobs.mark_deadlines(session, team_id=team_id, now=now)).items():
            marked[key] += count
    return marked


@queue_app.periodic(cron="30 3 * * *")
@task(name="scoring.nightly_rescore", queue="maintenance")
async def nightly_rescore(session: AsyncSession, job: JobInfo, *, timestamp: int) -> int:
    """Queue every team's rescoring once a night: a signal loses weight with its age, so stored
    scores drift from the formula by the day even when nothing else changes."""
    return await queue_nightly_rescores(session)


async def queue_nightly_rescores(session: AsyncSession) -> int:
    queued = 0
    for team_id in await team_ids(session):
        await set_team(session, team_id)
        if await scoring_jobs.defer_rescore(session, team_id=team_id) is not None:
            queued += 1
    return queued
