"""Tasks: the views (mine, team, overdue, SLA breached), a new-task form, and the row actions
(complete, reopen, snooze, reassign) answered with the row alone for htmx. The property page
includes `tasks_for_property.html` with `property_tasks_context(...)`."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from reos.auth.principal import Principal
from reos.deps import Editor, Reader, SessionDep
from reos.errors import AppError
from reos.kit import clock
from reos.kit.instants import wall_clock
from reos.tasks import service as tasks
from reos.tasks.models import PRIORITIES
from reos.tasks.schemas import TaskCreate
from reos.teams import service as teams
from reos.web.account import form_fields, safe_next
from reos.web.render import (
    app_error_fields,
    field_errors,
    is_htmx,
    page,
    partial,
    redirect,
    templates,
    toast_headers,
)

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 30
# How far back a due time may be before the form asks: "now", typed a minute ago, is not a slip.
PAST_DUE_GRACE = timedelta(minutes=5)
VIEWS = {"mine": "My tasks", "team": "Team", "overdue": "Overdue", "sla_breached": "SLA breached"}
FORM_FIELDS = ("title", "due_at", "priority", "assignee_id", "description", "property_id")


def _span(seconds: float) -> str:
    minutes = round(abs(seconds) / 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours = round(minutes / 60)
    if hours < 48:
        return f"{hours} h"
    return f"{round(hours / 24)} days"


def due_words(moment: datetime | None) -> str:
    """ "in 3 h", "2 days late", "due now" — a deadline relative to the clock."""
    if moment is None:
        return "—"
    seconds = (moment - clock.now()).total_seconds()
    if abs(seconds) < 60:
        return "due now"
    return f"in {_span(seconds)}" if seconds > 0 else f"{_span(seconds)} late"


def sla_words(moment: datetime | None) -> str:
    if moment is None:
        return ""
    seconds = (moment - clock.now()).total_seconds()
    return f"SLA {_span(seconds)} left" if seconds > 0 else "SLA breached"


templates.env.filters["due_words"] = due_words
templates.env.filters["sla_words"] = sla_words
templates.env.globals["past"] = lambda moment: moment is not None and moment <= clock.now()
templates.env.globals["SNOOZE_CHOICES"] = tasks.SNOOZE_CHOICES


async def _members(principal: Principal, session: SessionDep) -> list[Any]:
    return [m for m in await teams.list_members(session, team_id=principal.team_id) if m.is_active]


async def row_context(principal: Principal, session: SessionDep) -> dict[str, Any]:
    """What a task row needs besides the row: the members to reassign to and the time zone."""
    team = await teams.get_team(session, team_id=principal.team_id)
    return {"members": await _members(principal, session), "tz": team.timezone}


async def property_tasks_context(
    principal: Principal, session: SessionDep, *, property_id: uuid.UUID
) -> dict[str, Any]:
    """The context `tasks_for_property.html` needs; the property page passes it along."""
    rows = await tasks.tasks_for_property(session, team_id=principal.team_id, property_id=property_id)
    return {"property_tasks": rows, "task_property_id": property_id, **await row_context(principal, session)}


async def _tasks_page(
    request: Request,
    principal: Principal,
    session: SessionDep,
    *,
    view: str,
    cursor: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    past_due: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = view if view in VIEWS else "mine"
    found, next_cursor = await tasks.list_tasks(
        session,
        team_id=principal.team_id,
        viewer=principal.membership,
        view=view,
        limit=PAGE_SIZE,
        cursor=cursor,
    )
    rows = await tasks.describe(session, team_id=principal.team_id, tasks=found)
    context = await row_context(principal, session)
    values = values or {"priority": "normal", "assignee_id": str(principal.membership.id)}
    property_label = None
    if values.get("property_id"):
        try:
            property_label = await tasks.property_label(
                session,
                team_id=principal.team_id,
                property_id=uuid.UUID(values["property_id"]),
                viewer=principal.membership,
            )
        except ValueError:
            property_label = None
    return await page(
        request,
        "tasks.html",
        principal=principal,
        session=session,
        nav="tasks",
        view=view,
        views=VIEWS,
        rows=rows,
        paged=cursor is not None,
        next_url=f"/tasks?{urlencode({'view': view, 'cursor': next_cursor})}" if next_cursor else None,
        values=values,
        errors=errors or {},
        error=error,
        form_open=bool(errors or error or past_due or values.get("property_id")),
        past_due=past_due,
        priorities=PRIORITIES,
        property_label=property_label,
        status_code=status_code,
        **context,
    )


@router.get("/tasks")
async def tasks_page(
    request: Request,
    principal: Reader,
    session: SessionDep,
    view: str = "mine",
    cursor: str | None = None,
    property_id: uuid.UUID | None = None,
) -> HTMLResponse:
    values = None
    if property_id is not None:
        # "New task" from a property page: the form opens with the property chosen.
        values = {
            "priority": "normal",
            "assignee_id": str(principal.membership.id),
            "property_id": str(property_id),
        }
    return await _tasks_page(request, principal, session, view=view, cursor=cursor, values=values)


def _local_to_utc(value: str, timezone: str) -> str:
    """A `datetime-local` input (the team's wall-clock time) as an aware ISO time; anything
    else passes through for the schema to judge."""
    moment = wall_clock(value, timezone)
    return value if moment is None else moment.isoformat()


@router.post("/tasks")
async def create_task(request: Request, principal: Editor, session: SessionDep) -> Response:
    data = await form_fields(request)
    values = {k: data.get(k, "").strip() for k in FORM_FIELDS}
    view = data.get("view", "mine") if data.get("view") in VIEWS else "mine"
    team = await teams.get_team(session, team_id=principal.team_id)
    payload: dict[str, Any] = {k: v for k, v in values.items() if v}
    if "due_at" in payload:
        payload["due_at"] = _local_to_utc(payload["due_at"], team.timezone)
    try:
        body = TaskCreate.model_validate(payload)
        # A due time already gone is most often a slip of the date picker; the task is added
        # as overdue only once the person says so for that very time.
        if body.due_at < clock.now() - PAST_DUE_GRACE and data.get("past_ok") != values["due_at"]:
            return await _tasks_page(
                request,
                principal,
                session,
                view=view,
                values=values,
                past_due=f"{_span((clock.now() - body.due_at).total_seconds())} ago",
                status_code=409,
            )
        task = await tasks.create_task(
            session, team_id=principal.team_id, actor=principal.membership, data=body
        )
    except ValidationError as exc:
        return await _tasks_page(
            request, principal, session, view=view, values=values, errors=field_errors(exc), status_code=422
        )
    except AppError as exc:
        error, errors = app_error_fields(exc)
        if isinstance(exc.details, list) and exc.details:
            errors = {d["field"]: d["message"][:1].upper() + d["message"][1:] for d in exc.details}
            error = None
        return await _tasks_page(
            request,
            principal,
            session,
            view=view,
            values=values,
            errors=errors,
            error=error,
            status_code=exc.status_code,
        )
    return redirect(f"/tasks?view={view}", flash=f"Task added: {task.title}")


async def _row(
    request: Request, principal: Principal, session: SessionDep, task: Any, message: str
) -> Response:
    if not is_htmx(request):
        return redirect(safe_next((await form_fields(request)).get("next") or "/tasks"), flash=message)
    [row] = await tasks.describe(session, team_id=principal.team_id, tasks=[task])
    return partial(
        request,
        "tasks_row.html",
        principal=principal,
        t=row,
        compact=(await form_fields(request)).get("compact") == "1",
        headers=toast_headers(message),
        **await row_context(principal, session),
    )


@router.post("/tasks/{task_id}/complete")
async def complete_task(
    task_id: uuid.UUID, request: Request, principal: Editor, session: SessionDep
) -> Response:
    task = await tasks.complete_task(
        session, team_id=principal.team_id, task_id=task_id, viewer=principal.membership
    )
    return await _row(request, principal, session, task, f"Done: {task.title}")


@router.post("/tasks/{task_id}/reopen")
async def reopen_task(
    task_id: uuid.UUID, request: Request, principal: Editor, session: SessionDep
) -> Response:
    task = await tasks.reopen_task(
        session, team_id=principal.team_id, task_id=task_id, viewer=principal.membership
    )
    return await _row(request, principal, session, task, f"Reopened: {task.title}")


@router.post("/tasks/{task_id}/snooze")
async def snooze_task(
    task_id: uuid.UUID, request: Request, principal: Editor, session: SessionDep
) -> Response:
    # The task first: another team's task is a 404 whatever the choice.
    await tasks.get_task_or_raise(
        session, team_id=principal.team_id, task_id=task_id, viewer=principal.membership
    )
    choice = (await form_fields(request)).get("choice", "")
    team = await teams.get_team(session, team_id=principal.team_id)
    until = tasks.snooze_until(choice, now=clock.now(), timezone=team.timezone)
    task = await tasks.snooze_task(
        session, team_id=principal.team_id, task_id=task_id, viewer=principal.membership, until=until
    )
    local = until.astimezone(ZoneInfo(team.timezone))
    when = local.strftime("%a %b %-d, %-I:%M %p").replace("AM", "am").replace("PM", "pm")
    return await _row(request, principal, session, task, f"Snoozed until {when}")


@router.post("/tasks/{task_id}/reassign")
async def reassign_task(
    task_id: uuid.UUID, request: Request, principal: Editor, session: SessionDep
) -> Response:
    raw = (await form_fields(request)).get("assignee_id", "")
    try:
        assignee_id = uuid.UUID(raw)
    except ValueError:
        assignee_id = uuid.UUID(int=0)  # no such member: the service answers 422 naming the field
    task = await tasks.reassign_task(
        session,
        team_id=principal.team_id,
        task_id=task_id,
        viewer=principal.membership,
        assignee_id=assignee_id,
    )
    [row] = await tasks.describe(session, team_id=principal.team_id, tasks=[task])
    return await _row(request, principal, session, task, f"Given to {row.assignee_name or 'nobody'}")
