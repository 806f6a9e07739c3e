"""Rescoring a team in the background: after weight changes and after imports.

`defer_rescore(session, team_id=...)` is what other domains call (imports, settings): the job is
deferred on the caller's connection, so it exists if and only if their write commits. A queueing
lock keeps at most one waiting rescore per team and kind: a burst of changes costs one run, and a
change made while a run is under way queues the next one, which sees it. The two kinds are the
full rescoring (derives signals from the facts: after imports, every night) and the scores alone
(`derive=False`: after a change of weights or the gate, which moves no fact); each has its own
lock, so a waiting score-only run never swallows an import's full one, and one execution lock, so
the two never run at once.

A team is rescored in parts (ranges of property ids, about `scoring.LEADS_PER_PART` leads each) on
`scoring.PART_CONNECTIONS` connections at once, each part in its own transaction: rescoring is idempotent, so
a part committed before a failure is simply rescored again (to the same result) by the retry.
Progress is reported per part.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import psycopg
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from reos.db.session import Database, team_session
from reos.events import service as events
from reos.jobs import service as jobs
from reos.jobs.models import JobRun
from reos.jobs.queue import JobInfo, runtime, task
from reos.kit import clock
from reos.scoring import service as scoring

LABEL = "Rescoring leads"


@dataclass(frozen=True)
class TeamRescore:
    result: scoring.RescoreResult
    parts: int
    version: int


async def rescore_in_parts(
    database: Database,
    *,
    team_id: uuid.UUID,
    at: datetime | None = None,
    parts: int | None = None,
    connections: int = scoring.PART_CONNECTIONS,
    progress: Callable[[int, int], Awaitable[None]] | None = None,
    derive: bool = True,
) -> TeamRescore:
    """Rescore the whole team, part by part, `connections` parts at a time, every part with the
    same settings and time; `progress(done, total)` after each part has committed."""
    at = at or clock.now()
    async with team_session(database, team_id) as session:
        settings = await scoring.get_settings(session, team_id=team_id)
        bounds = await scoring.part_ranges(session, team_id=team_id, parts=parts)
    done = 0

    async def part(session: AsyncSession, ids: scoring.IdRange) -> scoring.RescoreResult:
        return await scoring.rescore(
            session,
            team_id=team_id,
            at=at,
            ids=ids,
            weights=settings.weights,
            gate=settings.equity_gate_percent,
            derive=derive,
        )

    async def committed(_: scoring.RescoreResult) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            await progress(done, len(bounds))

    results = await scoring.each_part(
        database, team_id=team_id, ranges=bounds, work=part, connections=connections, done=committed
    )
    return TeamRescore(sum(results, scoring.RescoreResult(0, 0, 0)), len(bounds), settings.version)


# A lost connection or a deadlock with a writer outside the leads lock (a merge of two leads)
# fails a part; rescoring is idempotent, so the job runs again rather than leave scores half done.
RETRY_ON = (OperationalError, psycopg.OperationalError)


@task(name=scoring.RESCORE_TASK, queue="maintenance", retry_on=RETRY_ON)
async def rescore_team(session: AsyncSession, info: JobInfo, *, team_id: str) -> dict[str, int]:
    return await _run(session, info, team=uuid.UUID(team_id), task_name=scoring.RESCORE_TASK, derive=True)


@task(name=scoring.RESCORE_SCORES_TASK, queue="maintenance", retry_on=RETRY_ON)
async def rescore_scores(session: AsyncSession, info: JobInfo, *, team_id: str) -> dict[str, int]:
    team = uuid.UUID(team_id)
    return await _run(session, info, team=team, task_name=scoring.RESCORE_SCORES_TASK, derive=False)


async def _run(
    session: AsyncSession, info: JobInfo, *, team: uuid.UUID, task_name: str, derive: bool
) -> dict[str, int]:
    database = runtime.database
    assert database is not None

    async def progress(done: int, total: int) -> None:
        await jobs.report_progress(
            database,
            team_id=team,
            job_id=info.job_id,
            task_name=task_name,
            label=LABEL,
            done=done,
            total=total,
        )

    await progress(0, 1)
    run = await rescore_in_parts(database, team_id=team, progress=progress, derive=derive)
    if run.result.changed:
        await events.publish(
            session,
            team_id=team,
            type="scores.updated",
            data={"changed": run.result.changed, "version": run.version},
        )
    # Every part has committed its scores before the job is marked done.
    await session.execute(
        update(JobRun)
        .where(JobRun.team_id == team, JobRun.job_id == info.job_id)
        .values(done=run.parts, total=run.parts, status="completed", updated_at=clock.now())
    )
    await events.publish(
        session,
        team_id=team,
        type="job.progress",
        data={
            "job_id": info.job_id,
            "label": LABEL,
            "done": run.parts,
            "total": run.parts,
            "status": "completed",
        },
    )
    return {"changed": run.result.changed}


def _queueing_lock(task_name: str, team_id: uuid.UUID) -> str:
    """At most one job of this kind waits per team."""
    return f"{task_name}:{team_id}"


async def rescore_for(session: AsyncSession, *, team_id: uuid.UUID) -> int:
    """The full rescoring that will see the caller's write: queued now with it, or the one of
    the team already waiting (a queued job runs after the commit that made it visible)."""
    job_id = await defer_rescore(session, team_id=team_id)
    if job_id is not None:
        return job_id
    waiting = await session.scalar(
        text(
            "select id from procrastinate_jobs where queueing_lock = :lock and status = 'todo' "
            "order by id desc limit 1"
        ),
        {"lock": _queueing_lock(rescore_team.name, team_id)},
    )
    assert waiting is not None, "a queueing lock refused the job, so one is waiting"
    return int(waiting)


async def defer_rescore(session: AsyncSession, *, team_id: uuid.UUID, derive: bool = True) -> int | None:
    """Queue the team's rescoring (without `derive`, of the scores alone) with the caller's
    transaction; None when one of that kind is already waiting."""
    job = rescore_team if derive else rescore_scores
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    assert raw is not None
    try:
        # In a savepoint: a refused duplicate must not abort the caller's transaction.
        async with raw.transaction():
            # One run of either kind at a time per team: a score-only run reading the signals
            # while a full one rewrites them would write scores from the old ones.
            job_id: int = await job.configure(
                connection=raw,
                queueing_lock=_queueing_lock(job.name, team_id),
                lock=f"scoring.rescore:{team_id}",
            ).defer_async(team_id=str(team_id))
    except AlreadyEnqueued:
        return None
    return job_id
