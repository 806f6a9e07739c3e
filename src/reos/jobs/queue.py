"""Background jobs on Procrastinate, in the same PostgreSQL.

A task is declared with `@task(...)`: it receives a session already scoped to the job's team
(`team_id` travels in the job's arguments), re-reads what it needs, and its writes commit
together when it returns. A job caused by a write is deferred with `defer(session, ...)`, on
that write's own connection, so it exists if and only if the write commits.
"""

from __future__ import annotations

import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import procrastinate
import structlog
from procrastinate import BaseRetryStrategy, JobContext, RetryDecision
from procrastinate.psycopg_connector import PsycopgConnector
from sqlalchemy.ext.asyncio import AsyncSession

from reos.db.session import Database, team_session

log = structlog.get_logger(__name__)

Queue = Literal["outreach", "documents", "imports", "enrichment", "maintenance", "notifications"]
QUEUES: tuple[Queue, ...] = ("outreach", "documents", "imports", "enrichment", "maintenance", "notifications")

# Modules whose import registers tasks; the worker imports them all.
TASK_MODULES = [
    "reos.jobs.maintenance",
    "reos.providers.jobs",
    "reos.notifications.jobs",
    "reos.compliance.jobs",
    "reos.properties.bulk",
    "reos.imports.jobs",
    "reos.scoring.jobs",
]

queue_app = procrastinate.App(connector=PsycopgConnector(), import_paths=TASK_MODULES)


@dataclass
class Runtime:
    """What a running worker needs; set by `configure` when the worker (or a test) starts."""

    database: Database | None = None
    retry_base_seconds: int = 2
    max_attempts: int = 5
    stalled_after_seconds: float = 30.0


runtime = Runtime()


def configure(
    database: Database,
    *,
    retry_base_seconds: int = 2,
    max_attempts: int = 5,
    stalled_after_seconds: float = 30.0,
) -> None:
    runtime.database = database
    runtime.retry_base_seconds = retry_base_seconds
    runtime.max_attempts = max_attempts
    runtime.stalled_after_seconds = stalled_after_seconds


def _database() -> Database:
    if runtime.database is None:
        raise RuntimeError("the job runtime is not configured; call reos.jobs.queue.configure first")
    return runtime.database


@dataclass(frozen=True)
class JobInfo:
    job_id: int
    team_id: uuid.UUID | None
    attempt: int  # 1 on the first run


# A task body: (session, job info, **arguments) → awaitable result.
TaskBody = Callable[..., Awaitable[Any]]


class _Retry(BaseRetryStrategy):
    """Exponential backoff for an explicit list of exceptions. The base and the number of runs
    are read from the runtime when a job fails, so tests and operators can tune them."""

    def __init__(self, retry_on: tuple[type[Exception], ...]):
        self.retry_on = retry_on

    def get_retry_decision(
        self, *, exception: BaseException, job: procrastinate.jobs.Job
    ) -> RetryDecision | None:
        # job.attempts counts the runs that already failed before this one.
        if job.attempts + 1 >= runtime.max_attempts or not isinstance(exception, self.retry_on):
            return None
        return RetryDecision(
            retry_in={
                "seconds": runtime.retry_base_seconds ** (job.attempts + 1)
                if runtime.retry_base_seconds
                else 0
            }
        )


def task(
    *, name: str, queue: Queue, retry_on: tuple[type[Exception], ...] = ()
) -> Callable[[TaskBody], procrastinate.tasks.Task[Any, Any, Any]]:
    """Declare a task named `domain.verb`. Only exceptions in `retry_on` are retried (with
    exponential backoff); anything else fails the job at once and lands in the failed list."""

    def decorate(body: TaskBody) -> procrastinate.tasks.Task[Any, Any, Any]:
        async def run(context: JobContext, /, **kwargs: Any) -> Any:
            raw_team = kwargs.get("team_id")
            team_id = uuid.UUID(raw_team) if raw_team else None
            assert context.job.id is not None
            info = JobInfo(job_id=context.job.id, team_id=team_id, attempt=context.job.attempts + 1)
            structlog.contextvars.bind_contextvars(job_id=info.job_id, task=name)
            try:
                async with team_session(_database(), team_id, operator_view=team_id is None) as session:
                    return await body(session, info, **kwargs)
            finally:
                structlog.contextvars.unbind_contextvars("job_id", "task")

        retry: _Retry | bool = _Retry(retry_on) if retry_on else False
        return queue_app.task(name=name, queue=queue, pass_context=True, retry=retry)(run)

    return decorate


async def defer(
    session: AsyncSession, job_task: procrastinate.tasks.Task[Any, Any, Any], **kwargs: Any
) -> int:
    """Defer a job on the session's own connection: it commits or rolls back with the write."""
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    args = {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in kwargs.items()}
    return await job_task.configure(connection=raw).defer_async(**args)


async def record_failures(
    call_next: Callable[[], Awaitable[Any]], context: JobContext, worker: procrastinate.worker.Worker
) -> Any:
    """Worker middleware: a job that will not be retried again is written to the failed list
    with its error and traceback (in its own transaction: the job's own has rolled back)."""
    try:
        return await call_next()
    except Exception as exc:
        job = context.job
        job_task = queue_app.tasks.get(job.task_name)
        will_retry = job_task is not None and job_task.get_retry_exception(exception=exc, job=job) is not None
        if not will_retry:
            from reos.jobs import service as jobs_service

            try:
                await jobs_service.record_failure(
                    _database(), job=job, error=exc, trace=traceback.format_exc()
                )
            except Exception:  # recording must never hide the job's own error
                log.exception("job.failure_not_recorded", job_id=job.id)
        log.warning("job.failed", job_id=job.id, task=job.task_name, retry=will_retry, error=repr(exc))
        raise


async def run_worker(
    *, wait: bool = True, concurrency: int = 4, name: str = "worker", **options: Any
) -> None:
    """Run a worker on every queue until stopped (or, with wait=False, until the queues are empty)."""
    from importlib import import_module

    for module in TASK_MODULES:
        import_module(module)
    await queue_app.run_worker_async(
        wait=wait,
        concurrency=concurrency,
        name=name,
        worker_middleware=[record_failures],
        **options,
    )
