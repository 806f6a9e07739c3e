"""Background jobs: the team's failed jobs (replay, archive) with the progress of long jobs, and
the same list across every team for instance operators."""

from __future__ import annotations

import uuid
from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from reos.auth.principal import Principal
from reos.db.session import enter_operator_view
from reos.deps import Operator, SessionDep, TeamManager
from reos.jobs import service as jobs
from reos.jobs.models import JobFailure
from reos.teams import service as teams
from reos.web.render import is_htmx, page, partial, redirect, task_label, toast_headers

router = APIRouter(include_in_schema=False)

State = Literal["failed", "replayed", "archived"]
STATES: tuple[State, ...] = ("failed", "replayed", "archived")
PAGE_SIZE = 25


async def _failures_page(
    request: Request,
    principal: Principal,
    session: SessionDep,
    *,
    everywhere: bool,
    state: State,
    cursor: str | None,
) -> HTMLResponse:
    base = "/ops/jobs" if everywhere else "/admin/jobs"
    if everywhere:
        await enter_operator_view(session)
    rows, next_cursor = await jobs.list_failures(
        session,
        team_id=None if everywhere else principal.team_id,
        state=state,
        limit=PAGE_SIZE,
        cursor=cursor,
    )
    runs = [] if everywhere else await jobs.list_runs(session, team_id=principal.team_id)
    team = await teams.get_team(session, team_id=principal.team_id)
    return await page(
        request,
        "jobs.html",
        principal=principal,
        session=session,
        nav="ops-jobs" if everywhere else "jobs",
        team=team,
        tz=team.timezone,
        everywhere=everywhere,
        base=base,
        rows=rows,
        runs=runs,
        state=state,
        states=STATES,
        paged=cursor is not None,
        next_url=f"{base}?{urlencode({'state': state, 'cursor': next_cursor})}" if next_cursor else None,
    )


@router.get("/admin/jobs")
async def failed_jobs_page(
    request: Request,
    principal: TeamManager,
    session: SessionDep,
    state: State = "failed",
    cursor: str | None = None,
) -> HTMLResponse:
    return await _failures_page(request, principal, session, everywhere=False, state=state, cursor=cursor)


@router.get("/admin/jobs/runs")
async def job_runs(request: Request, principal: TeamManager, session: SessionDep) -> HTMLResponse:
    """The progress bars alone: the jobs page swaps them in on the team's `job.progress` events."""
    runs = await jobs.list_runs(session, team_id=principal.team_id)
    return partial(request, "partials/job_runs.html", principal=principal, runs=runs)


@router.post("/admin/jobs/{failure_id}/replay")
async def replay(
    failure_id: uuid.UUID, request: Request, principal: TeamManager, session: SessionDep
) -> Response:
    failure = await jobs.replay(
        session, team_id=principal.team_id, failure_id=failure_id, actor=principal.account
    )
    return await _resolved(request, principal, session, failure, everywhere=False)


@router.post("/admin/jobs/{failure_id}/archive")
async def archive(
    failure_id: uuid.UUID, request: Request, principal: TeamManager, session: SessionDep
) -> Response:
    failure = await jobs.archive(
        session, team_id=principal.team_id, failure_id=failure_id, actor=principal.account
    )
    return await _resolved(request, principal, session, failure, everywhere=False)


@router.get("/ops/jobs")
async def failed_jobs_everywhere(
    request: Request,
    principal: Operator,
    session: SessionDep,
    state: State = "failed",
    cursor: str | None = None,
) -> HTMLResponse:
    return await _failures_page(request, principal, session, everywhere=True, state=state, cursor=cursor)


@router.post("/ops/jobs/{failure_id}/replay")
async def replay_any(
    failure_id: uuid.UUID, request: Request, principal: Operator, session: SessionDep
) -> Response:
    await enter_operator_view(session)
    failure = await jobs.replay(session, team_id=None, failure_id=failure_id, actor=principal.account)
    return await _resolved(request, principal, session, failure, everywhere=True)


@router.post("/ops/jobs/{failure_id}/archive")
async def archive_any(
    failure_id: uuid.UUID, request: Request, principal: Operator, session: SessionDep
) -> Response:
    await enter_operator_view(session)
    failure = await jobs.archive(session, team_id=None, failure_id=failure_id, actor=principal.account)
    return await _resolved(request, principal, session, failure, everywhere=True)


async def _resolved(
    request: Request, principal: Principal, session: SessionDep, failure: JobFailure, *, everywhere: bool
) -> Response:
    """After a replay or an archive: the row again (htmx) or the list (a plain form post)."""
    task = task_label(failure.task_name)
    if failure.state == "replayed":
        message = f"{task} is queued again as job #{failure.replayed_job_id}."
    else:
        message = f"{task} (job #{failure.job_id}) is archived."
    if not is_htmx(request):
        return redirect("/ops/jobs" if everywhere else "/admin/jobs", flash=message)
    team = await teams.get_team(session, team_id=principal.team_id)
    return partial(
        request,
        "partials/job_failure.html",
        principal=principal,
        f=failure,
        tz=team.timezone,
        everywhere=everywhere,
        base="/ops/jobs" if everywhere else "/admin/jobs",
        headers=toast_headers(message),
    )
