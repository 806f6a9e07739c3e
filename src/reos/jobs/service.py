"""The failed-jobs list (replay, archive) and progress of long jobs."""

from __future__ import annotations

import uuid
from importlib import import_module
from typing import Any

import procrastinate
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from reos.audit import service as audit
from reos.db.session import Database, team_session
from reos.errors import Conflict, NotFound
from reos.jobs.models import JobFailure, JobRun
from reos.kit import clock
from reos.kit.ids import new_id
from reos.kit.pagination import keyset_page
from reos.teams.models import Account


async def record_failure(
    db: Database, *, job: procrastinate.jobs.Job, error: BaseException, trace: str
) -> None:
    raw_team = job.task_kwargs.get("team_id")
    team_id = uuid.UUID(str(raw_team)) if raw_team else None
    async with team_session(db, team_id, operator_view=team_id is None) as session:
        await session.execute(
            insert(JobFailure)
            .values(
                id=new_id(),
                created_at=clock.now(),
                team_id=team_id,
                job_id=job.id,
                task_name=job.task_name,
                queue=job.queue,
                args=dict(job.task_kwargs),
                attempts=job.attempts + 1,
                error=f"{type(error).__name__}: {error}"[:2000],
                traceback=trace[-20000:],
                state="failed",
            )
            .on_conflict_do_nothing(index_elements=["job_id"])
        )
        if team_id is not None:
            from reos.notifications import service as notifications

            await notifications.notify_admins(
                session,
                team_id=team_id,
                kind="job_failed",
                title=f"A background job failed: {job.task_name}",
                body=f"{type(error).__name__}: {error}"[:500],
                link="/admin/jobs",
            )


async def list_failures(
    session: AsyncSession,
    *,
    team_id: uuid.UUID | None,
    state: str | None = "failed",
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[JobFailure], str | None]:
    """A team's failures; with team_id None (operators, in operator view) every team's."""
    query = select(JobFailure)
    if team_id is not None:
        query = query.where(JobFailure.team_id == team_id)
    if state:
        query = query.where(JobFailure.state == state)
    return await keyset_page(
        session, query, created=JobFailure.created_at, row_id=JobFailure.id, limit=limit, cursor=cursor
    )


async def get_failure(
    session: AsyncSession, *, team_id: uuid.UUID | None, failure_id: uuid.UUID
) -> JobFailure:
    query = select(JobFailure).where(JobFailure.id == failure_id)
    if team_id is not None:
        query = query.where(JobFailure.team_id == team_id)
    failure = await session.scalar(query.with_for_update())
    if failure is None:
        raise NotFound("failed job not found")
    return failure


async def replay(
    session: AsyncSession, *, team_id: uuid.UUID | None, failure_id: uuid.UUID, actor: Account
) -> JobFailure:
    """Defer the same task with the same arguments again (a new job, in this transaction).

    `team_id` None is an operator acting in operator view on any team's failure; the audit
    event (written here, so the API and the web page record the same) says so."""
    from reos.jobs.queue import TASK_MODULES, defer, queue_app

    failure = await get_failure(session, team_id=team_id, failure_id=failure_id)
    if failure.state != "failed":
        raise Conflict(f"this job was already {failure.state}")
    # A web process imports task modules only as it first defers their jobs; a replay may come
    # first (e.g. right after a restart), so load them all before looking the task up.
    for module in TASK_MODULES:
        import_module(module)
    job_task = queue_app.tasks.get(failure.task_name)
    if job_task is None:
        raise Conflict(f"task {failure.task_name} no longer exists; archive this job instead")
    failure.replayed_job_id = await defer(session, job_task, **failure.args)
    _resolve(failure, "replayed", actor)
    await session.flush()
    await _audit(
        session,
        "jobs.replayed",
        failure,
        actor,
        by_operator=team_id is None,
        new_job_id=failure.replayed_job_id,
    )
    return failure


async def archive(
    session: AsyncSession, *, team_id: uuid.UUID | None, failure_id: uuid.UUID, actor: Account
) -> JobFailure:
    """Set a failed job aside without running it again (`team_id` None: see `replay`)."""
    failure = await get_failure(session, team_id=team_id, failure_id=failure_id)
    if failure.state != "failed":
        raise Conflict(f"this job was already {failure.state}")
    _resolve(failure, "archived", actor)
    await session.flush()
    await _audit(session, "jobs.archived", failure, actor, by_operator=team_id is None)
    return failure


def _resolve(failure: JobFailure, state: str, actor: Account) -> None:
    failure.state = state
    failure.resolved_at = clock.now()
    failure.resolved_by = actor.id


async def _audit(
    session: AsyncSession,
    action: str,
    failure: JobFailure,
    actor: Account,
    *,
    by_operator: bool,
    **details: Any,
) -> None:
    await audit.record(
        session,
        action=action,
        team_id=failure.team_id,
        actor_account_id=actor.id,
        actor_email=actor.email,
        target_type="job",
        target_id=failure.job_id,
        details={"task": failure.task_name, **details, **({"by_operator": True} if by_operator else {})},
    )


async def report_progress(
    db: Database,
    *,
    team_id: uuid.UUID,
    job_id: int,
    task_name: str,
    label: str,
    done: int,
    total: int | None,
    status: str = "running",
) -> None:
    """Write progress in its own short transaction, so the UI sees it while the job runs."""
    from reos.events import service as events

    now = clock.now()
    async with team_session(db, team_id) as session:
        stmt = insert(JobRun).values(
            id=new_id(),
            created_at=now,
            team_id=team_id,
            job_id=job_id,
            task_name=task_name,
            label=label,
            done=done,
            total=total,
            status=status,
            updated_at=now,
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["job_id"],
                set_={"done": done, "total": total, "status": status, "label": label, "updated_at": now},
            )
        )
        await events.publish(
            session,
            team_id=team_id,
            type="job.progress",
            data={"job_id": job_id, "label": label, "done": done, "total": total, "status": status},
        )


async def job_outcome(
    session: AsyncSession, *, team_id: uuid.UUID, job_id: int
) -> tuple[JobRun | None, JobFailure | None]:
    """One job of the team: its progress row (none before it starts) and its failure after its
    last retry (its progress row stays "running" then)."""
    run = await session.scalar(select(JobRun).where(JobRun.team_id == team_id, JobRun.job_id == job_id))
    failed = await session.scalar(
        select(JobFailure).where(JobFailure.team_id == team_id, JobFailure.job_id == job_id)
    )
    return run, failed


async def list_runs(session: AsyncSession, *, team_id: uuid.UUID, limit: int = 20) -> list[JobRun]:
    rows = await session.scalars(
        select(JobRun).where(JobRun.team_id == team_id).order_by(JobRun.updated_at.desc()).limit(limit)
    )
    return list(rows.all())


async def queue_counts(session: AsyncSession) -> list[dict[str, Any]]:
    """Jobs per queue and status, and the age of the oldest waiting job (for /metrics)."""
    rows = await session.execute(
        text(
            """
            select j.queue_name, j.status::text as status, count(*) as n,
                   extract(epoch from (:now - min(e.at) filter (where j.status = 'todo'))) as lag
            from procrastinate_jobs j
            left join procrastinate_events e on e.job_id = j.id and e.type = 'deferred'
            group by 1, 2
            """
        ),
        {"now": clock.now()},
    )
    return [dict(r._mapping) for r in rows]
