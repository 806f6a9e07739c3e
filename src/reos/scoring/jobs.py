"""Rescoring a team in the background: after weight changes and after imports.

`defer_rescore(session, team_id=...)` is what other domains call (imports, settings): the job is
deferred on the caller's connection, so it exists if and only if their write commits. A queueing
lock keeps at most one waiting rescore per team: a burst of changes costs one run, and a change
made while a run is under way queues the next one, which sees it.
"""

from __future__ import annotations

import uuid

from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from reos.events import service as events
from reos.jobs import service as jobs
from reos.jobs.models import JobRun
from reos.jobs.queue import JobInfo, runtime, task
from reos.kit import clock
from reos.scoring import service as scoring

LABEL = "Rescoring leads"


@task(name=scoring.RESCORE_TASK, queue="maintenance")
async def rescore_team(session: AsyncSession, info: JobInfo, *, team_id: str) -> dict[str, int]:
    team = uuid.UUID(team_id)
    assert runtime.database is not None
    await jobs.report_progress(
        runtime.database,
        team_id=team,
        job_id=info.job_id,
        task_name=scoring.RESCORE_TASK,
        label=LABEL,
        done=0,
        total=1,
    )
    result = await scoring.rescore_team(session, team_id=team)
    # Completion is written with the scores themselves, so a page that sees "done" sees them too.
    await session.execute(
        update(JobRun)
        .where(JobRun.team_id == team, JobRun.job_id == info.job_id)
        .values(done=1, total=1, status="completed", updated_at=clock.now())
    )
    await events.publish(
        session,
        team_id=team,
        type="job.progress",
        data={"job_id": info.job_id, "label": LABEL, "done": 1, "total": 1, "status": "completed"},
    )
    return {"changed": result.changed}


async def defer_rescore(session: AsyncSession, *, team_id: uuid.UUID) -> int | None:
    """Queue the team's rescoring with the caller's transaction; None when one is already waiting."""
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    try:
        # In a savepoint: a refused duplicate must not abort the caller's transaction.
        async with raw.transaction():
            job_id: int = await rescore_team.configure(
                connection=raw, queueing_lock=f"{scoring.RESCORE_TASK}:{team_id}"
            ).defer_async(team_id=str(team_id))
    except AlreadyEnqueued:
        return None
    return job_id
