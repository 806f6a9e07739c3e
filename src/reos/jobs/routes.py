"""Failed jobs (the dead-letter view): team admins see their team's, operators everyone's."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter

from reos.db.session import enter_operator_view
from reos.deps import Operator, Reader, SessionDep, TeamManager
from reos.jobs import service as jobs
from reos.jobs.schemas import JobFailurePage, JobFailureRead, JobRunRead
from reos.kit.routing import DocstringRoute

router = APIRouter(tags=["jobs"], route_class=DocstringRoute)
State = Literal["failed", "replayed", "archived"]


@router.get("/api/v1/jobs/failed")
async def list_failed(
    principal: TeamManager,
    session: SessionDep,
    state: State = "failed",
    limit: int | None = None,
    cursor: str | None = None,
) -> JobFailurePage:
    """List the team's jobs that failed after their retries, with error and traceback."""
    rows, next_cursor = await jobs.list_failures(
        session, team_id=principal.team_id, state=state, limit=limit, cursor=cursor
    )
    return JobFailurePage(items=[JobFailureRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/api/v1/jobs/failed/{failure_id}/replay")
async def replay_failed(failure_id: uuid.UUID, principal: TeamManager, session: SessionDep) -> JobFailureRead:
    """Run a failed job again with the same arguments."""
    failure = await jobs.replay(
        session, team_id=principal.team_id, failure_id=failure_id, actor=principal.account
    )
    return JobFailureRead.model_validate(failure)


@router.post("/api/v1/jobs/failed/{failure_id}/archive")
async def archive_failed(
    failure_id: uuid.UUID, principal: TeamManager, session: SessionDep
) -> JobFailureRead:
    """Set a failed job aside without running it again."""
    failure = await jobs.archive(
        session, team_id=principal.team_id, failure_id=failure_id, actor=principal.account
    )
    return JobFailureRead.model_validate(failure)


@router.get("/api/v1/ops/jobs/failed")
async def list_failed_everywhere(
    principal: Operator,
    session: SessionDep,
    state: State = "failed",
    limit: int | None = None,
    cursor: str | None = None,
) -> JobFailurePage:
    """List failed jobs of every team and of the instance (operators)."""
    await enter_operator_view(session)
    rows, next_cursor = await jobs.list_failures(
        session, team_id=None, state=state, limit=limit, cursor=cursor
    )
    return JobFailurePage(items=[JobFailureRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/api/v1/ops/jobs/failed/{failure_id}/replay")
async def replay_any(failure_id: uuid.UUID, principal: Operator, session: SessionDep) -> JobFailureRead:
    """Run any failed job again (operators)."""
    await enter_operator_view(session)
    failure = await jobs.replay(session, team_id=None, failure_id=failure_id, actor=principal.account)
    return JobFailureRead.model_validate(failure)


@router.post("/api/v1/ops/jobs/failed/{failure_id}/archive")
async def archive_any(failure_id: uuid.UUID, principal: Operator, session: SessionDep) -> JobFailureRead:
    """Set any failed job aside (operators)."""
    await enter_operator_view(session)
    failure = await jobs.archive(session, team_id=None, failure_id=failure_id, actor=principal.account)
    return JobFailureRead.model_validate(failure)


@router.get("/api/v1/jobs/runs")
async def list_runs(principal: Reader, session: SessionDep) -> list[JobRunRead]:
    """Show the progress of the team's recent long jobs."""
    return [JobRunRead.model_validate(r) for r in await jobs.list_runs(session, team_id=principal.team_id)]
