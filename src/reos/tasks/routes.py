"""Tasks API: create (also from a timeline item), list by view, change, complete, reopen,
snooze, reassign, cancel."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from reos.deps import Editor, Reader, SessionDep
from reos.kit.routing import DocstringRoute
from reos.tasks import service as tasks
from reos.tasks.schemas import (
    StatusFilter,
    TaskCreate,
    TaskPage,
    TaskRead,
    TaskReassign,
    TaskSnooze,
    TaskUpdate,
    View,
)

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"], route_class=DocstringRoute)


@router.get("")
async def list_tasks(
    principal: Reader,
    session: SessionDep,
    view: View = "mine",
    status: StatusFilter | None = None,
    assignee_id: uuid.UUID | None = None,
    property_id: uuid.UUID | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> TaskPage:
    """List tasks of a view (mine, team, overdue, SLA breached), soonest due first."""
    rows, next_cursor = await tasks.list_tasks(
        session,
        team_id=principal.team_id,
        viewer=principal.membership,
        view=view,
        status=status,
        assignee_id=assignee_id,
        property_id=property_id,
        limit=limit,
        cursor=cursor,
    )
    return TaskPage(items=[TaskRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_task(body: TaskCreate, principal: Editor, session: SessionDep) -> TaskRead:
    """Create a task, or follow up a note or a timeline event in one call."""
    task = await tasks.create_task(session, team_id=principal.team_id, actor=principal.membership, data=body)
    return TaskRead.model_validate(task)


@router.get("/{task_id}")
async def get_task(task_id: uuid.UUID, principal: Reader, session: SessionDep) -> TaskRead:
    """Show one task."""
    task = await tasks.get_task_or_raise(
        session, team_id=principal.team_id, task_id=task_id, viewer=principal.membership
    )
    return TaskRead.model_validate(task)


@router.patch("/{task_id}")
async def update_task(
    task_id: uuid.UUID, body: TaskUpdate, principal: Editor, session: SessionDep
) -> TaskRead:
    """Change the title, description, due time, priority or SLA deadline of a task."""
    task = await tasks.update_task(
        session, team_id=principal.team_id, task_id=task_id, viewer=principal.membership, data=body
    )
    return TaskRead.model_validate(task)


@router.post("/{task_id}/complete")
async def complete_task(task_id: uuid.UUID, principal: Editor, session: SessionDep) -> TaskRead:
    """Mark a task done."""
    task = await tasks.complete_task(
        session, team_id=principal.team_id, task_id=task_id, viewer=principal.membership
    )
    return TaskRead.model_validate(task)


@router.post("/{task_id}/reopen")
async def reopen_task(task_id: uuid.UUID, principal: Editor, session: SessionDep) -> TaskRead:
    """Open a done or cancelled task again."""
    task = await tasks.reopen_task(
        session, team_id=principal.team_id, task_id=task_id, viewer=principal.membership
    )
    return TaskRead.model_validate(task)


@router.post("/{task_id}/snooze")
async def snooze_task(
    task_id: uuid.UUID, body: TaskSnooze, principal: Editor, session: SessionDep
) -> TaskRead:
    """Hide an open task from the overdue view until a time in the future."""
    task = await tasks.snooze_task(
        session, team_id=principal.team_id, task_id=task_id, viewer=principal.membership, until=body.until
    )
    return TaskRead.model_validate(task)


@router.post("/{task_id}/reassign")
async def reassign_task(
    task_id: uuid.UUID, body: TaskReassign, principal: Editor, session: SessionDep
) -> TaskRead:
    """Give a task to another active member, who is notified."""
    task = await tasks.reassign_task(
        session,
        team_id=principal.team_id,
        task_id=task_id,
        viewer=principal.membership,
        assignee_id=body.assignee_id,
    )
    return TaskRead.model_validate(task)


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
async def cancel_task(task_id: uuid.UUID, principal: Editor, session: SessionDep) -> Response:
    """Cancel a task (yours or one you made; anyone's for managers and admins)."""
    await tasks.cancel_task(session, team_id=principal.team_id, task_id=task_id, viewer=principal.membership)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
