"""Tasks: something a member must do by a time, with a priority and an SLA deadline — create
(also from a timeline item in one call), list by view, complete, reopen, snooze, reassign,
cancel. Always inside one team; a task on a property the viewer may not see does not exist."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from reos.auth.permissions import Action, allowed
from reos.contacts import service as contacts
from reos.errors import Conflict, Forbidden, NotFound, Unprocessable
from reos.events import service as events
from reos.kit import clock
from reos.kit.pagination import clamp_limit, decode_cursor, page
from reos.kit.patch import sent_changes
from reos.notifications import service as notifications
from reos.properties import service as properties
from reos.properties.models import Property
from reos.tasks.models import Task
from reos.tasks.schemas import TaskCreate, TaskSource, TaskUpdate
from reos.teams.models import Account, Membership
from reos.timeline import service as timeline

# The SLA of a task, from its creation, by priority — the one table (docs/operations.md).
# A task created with an explicit `sla_due_at` keeps it; changing the priority of a task
# recomputes its SLA from this table unless a new `sla_due_at` is sent with it.
SLA_BY_PRIORITY: dict[str, timedelta] = {
    "urgent": timedelta(hours=4),
    "high": timedelta(hours=24),
    "normal": timedelta(hours=72),
    "low": timedelta(days=7),
}
# Words of a note kept in the title of a task made from it.
NOTE_TITLE_WORDS = 8
SnoozeChoice = Literal["1h", "tomorrow", "next_week"]
SNOOZE_CHOICES: dict[str, str] = {"1h": "1 hour", "tomorrow": "Tomorrow 9:00", "next_week": "Next week"}
# Snoozing "until tomorrow" or "next week" wakes the task at this hour of the team's day.
MORNING = time(9, 0)


def _invalid(field: str, message: str) -> Unprocessable:
    # Same shape as request validation errors, so clients read one list of fields.
    return Unprocessable(f"{field}: {message}", details=[{"field": field, "message": message}])


def sla_deadline(priority: str, created_at: datetime) -> datetime:
    return created_at + SLA_BY_PRIORITY[priority]


# --- reading -------------------------------------------------------------------------------------


async def _visible_properties(
    session: AsyncSession, *, team_id: uuid.UUID, viewer: Membership | None
) -> Select[Any]:
    """Ids of the properties whose tasks the viewer may see: not deleted, and for agents
    limited to their leads, theirs."""
    query = select(Property.id).where(Property.team_id == team_id, Property.deleted_at.is_(None))
    return await properties.visible(session, query, team_id=team_id, viewer=viewer)


async def _visible(
    session: AsyncSession, query: Select[Any], *, team_id: uuid.UUID, viewer: Membership | None
) -> Select[Any]:
    seen = await _visible_properties(session, team_id=team_id, viewer=viewer)
    return query.where(or_(Task.property_id.is_(None), Task.property_id.in_(seen)))


async def get_task(
    session: AsyncSession, *, team_id: uuid.UUID, task_id: uuid.UUID, viewer: Membership | None = None
) -> Task | None:
    query = select(Task).where(Task.team_id == team_id, Task.id == task_id)
    task: Task | None = await session.scalar(await _visible(session, query, team_id=team_id, viewer=viewer))
    return task


async def get_task_or_raise(
    session: AsyncSession, *, team_id: uuid.UUID, task_id: uuid.UUID, viewer: Membership | None = None
) -> Task:
    task = await get_task(session, team_id=team_id, task_id=task_id, viewer=viewer)
    if task is None:
        raise NotFound("task not found", details={"id": str(task_id)})
    return task


def _view_filter(view: str, *, viewer: Membership | None, now: datetime) -> list[Any]:
    if view == "mine":
        return [Task.assignee_id == (viewer.id if viewer is not None else None)]
    if view == "overdue":
        # A snoozed task leaves the overdue view until its snooze ends.
        return [
            Task.status == "open",
            Task.due_at <= now,
            or_(Task.snoozed_until.is_(None), Task.snoozed_until <= now),
        ]
    if view == "sla_breached":
        return [Task.status == "open", Task.sla_due_at <= now]
    return []


async def list_tasks(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    viewer: Membership | None,
    view: str = "mine",
    status: str | None = None,
    assignee_id: uuid.UUID | None = None,
    property_id: uuid.UUID | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[Task], str | None]:
    """Tasks of a view, soonest due first, one keyset page (by due time, id) at a time. Status
    defaults to open; `all` lists every status (the overdue and SLA views are open by nature)."""
    size = clamp_limit(limit)
    now = clock.now()
    query = select(Task).where(Task.team_id == team_id, *_view_filter(view, viewer=viewer, now=now))
    if status is None:
        status = "open"
    if status != "all":
        query = query.where(Task.status == status)
    if assignee_id is not None:
        query = query.where(Task.assignee_id == assignee_id)
    if property_id is not None:
        # A property the viewer may not see answers like one that does not exist.
        await properties.get_property_or_raise(
            session, team_id=team_id, property_id=property_id, viewer=viewer
        )
        query = query.where(Task.property_id == property_id)
    query = await _visible(session, query, team_id=team_id, viewer=viewer)
    if cursor:
        due_at, last_id = decode_cursor(cursor)
        query = query.where(tuple_(Task.due_at, Task.id) > tuple_(due_at, last_id))
    rows = (await session.scalars(query.order_by(Task.due_at, Task.id).limit(size + 1))).all()
    return page(list(rows), size, key=lambda t: (t.due_at, t.id))


@dataclass(frozen=True)
class TaskRow:
    """A task as the pages show it: with its property's address and its assignee's name."""

    task: Task
    property_label: str | None
    assignee_name: str | None


async def describe(session: AsyncSession, *, team_id: uuid.UUID, tasks: list[Task]) -> list[TaskRow]:
    """Addresses and names for a page of tasks: two queries, whatever the page size."""
    property_ids = {t.property_id for t in tasks if t.property_id is not None}
    member_ids = {t.assignee_id for t in tasks if t.assignee_id is not None}
    labels: dict[uuid.UUID, str] = {}
    names: dict[uuid.UUID, str] = {}
    if property_ids:
        rows = await session.execute(
            select(Property.id, Property.address, Property.city).where(
                Property.team_id == team_id, Property.id.in_(property_ids)
            )
        )
        labels = {r.id: f"{r.address}, {r.city}" for r in rows}
    if member_ids:
        rows = await session.execute(
            select(Membership.id, Account.full_name)
            .join(Account, Account.id == Membership.account_id)
            .where(Membership.team_id == team_id, Membership.id.in_(member_ids))
        )
        names = {r.id: r.full_name for r in rows}
    return [
        TaskRow(
            task=t,
            property_label=labels.get(t.property_id) if t.property_id else None,
            assignee_name=names.get(t.assignee_id) if t.assignee_id else None,
        )
        for t in tasks
    ]


async def tasks_for_property(
    session: AsyncSession, *, team_id: uuid.UUID, property_id: uuid.UUID
) -> list[TaskRow]:
    """The open tasks of one property, soonest due first (the property page's task panel).
    The caller has already shown the property, so the viewer's scope is checked."""
    rows = await session.scalars(
        select(Task)
        .where(Task.team_id == team_id, Task.property_id == property_id, Task.status == "open")
        .order_by(Task.due_at, Task.id)
        .limit(100)
    )
    return await describe(session, team_id=team_id, tasks=list(rows.all()))


async def property_label(
    session: AsyncSession, *, team_id: uuid.UUID, property_id: uuid.UUID, viewer: Membership | None
) -> str | None:
    """ "4417 Quillfeather Ln, Tampa" for the new-task form, or None if the viewer cannot see it."""
    prop = await properties.get_property(session, team_id=team_id, property_id=property_id, viewer=viewer)
    return f"{prop.address}, {prop.city}" if prop is not None else None


# --- writing -------------------------------------------------------------------------------------


async def _check_assignee(session: AsyncSession, *, team_id: uuid.UUID, assignee_id: uuid.UUID) -> None:
    active = await session.scalar(
        select(Membership.id).where(
            Membership.team_id == team_id, Membership.id == assignee_id, Membership.is_active
        )
    )
    if active is None:
        raise _invalid("assignee_id", "not an active member of this team")


def _first_words(text: str, count: int) -> str:
    words = text.split()
    head = " ".join(words[:count])
    return head + ("…" if len(words) > count else "")


def _event_title(kind: str, data: dict[str, Any]) -> str:
    if kind == "stage_changed":
        return f"Follow up: stage changed to {str(data.get('to', '')).replace('_', ' ')}"
    if kind == "flag_raised":
        return f"Follow up: {data.get('field', 'a field')} flagged"
    if kind == "assigned":
        return "Follow up: lead assigned"
    if kind == "created":
        return "Follow up: new lead"
    if kind == "contact_linked":
        return "Follow up: new contact"
    return f"Follow up: {kind.replace('_', ' ')}"


async def _from_source(
    session: AsyncSession, *, team_id: uuid.UUID, source: TaskSource
) -> tuple[uuid.UUID | None, uuid.UUID | None, str]:
    """(property_id, contact_id, default title) of a timeline item."""
    if source.kind == "note":
        note = await timeline.get_note_or_raise(session, team_id=team_id, note_id=source.id)
        return note.property_id, note.contact_id, f"Follow up: {_first_words(note.body, NOTE_TITLE_WORDS)}"
    event = await timeline.get_event_or_raise(session, team_id=team_id, event_id=source.id)
    return event.property_id, None, _event_title(event.kind, event.data or {})


async def _publish(session: AsyncSession, task: Task, action: str) -> None:
    await events.publish(
        session,
        team_id=task.team_id,
        type="task.changed",
        data={
            "id": str(task.id),
            "action": action,
            "status": task.status,
            "assignee_id": str(task.assignee_id) if task.assignee_id else None,
            "property_id": str(task.property_id) if task.property_id else None,
        },
    )


def _link(task: Task) -> str:
    return f"/properties/{task.property_id}" if task.property_id else "/tasks"


async def _tell_assignee(session: AsyncSession, task: Task, *, actor_id: uuid.UUID | None) -> None:
    """A member is told when someone else gives them a task (never about their own doing)."""
    if task.assignee_id is None or task.assignee_id == actor_id:
        return
    await notifications.notify(
        session,
        team_id=task.team_id,
        membership_id=task.assignee_id,
        kind="task_assigned",
        title=f"New task for you: {task.title}",
        body=f"Due {task.due_at:%Y-%m-%d %H:%M} UTC · {task.priority} priority",
        link=_link(task),
    )


async def create_task(
    session: AsyncSession, *, team_id: uuid.UUID, actor: Membership, data: TaskCreate
) -> Task:
    property_id, contact_id, title = data.property_id, data.contact_id, data.title
    if data.source is not None:
        source_property, source_contact, source_title = await _from_source(
            session, team_id=team_id, source=data.source
        )
        if property_id is not None and source_property is not None and property_id != source_property:
            raise _invalid("property_id", "differs from the property of the source; leave it out")
        property_id = property_id or source_property
        contact_id = contact_id or source_contact
        title = title or source_title[:200]
    if not title:
        raise _invalid("title", "a task needs a title (or a source to take it from)")
    if property_id is not None:
        # The source's property too: a note on a lead the agent may not see is not theirs to follow.
        await properties.get_property_or_raise(
            session, team_id=team_id, property_id=property_id, viewer=actor
        )
    if contact_id is not None:
        found = await contacts.get_contact(session, team_id=team_id, contact_id=contact_id)
        if found is None:
            raise _invalid("contact_id", "not a contact of this team")
    assignee_id = data.assignee_id or actor.id
    await _check_assignee(session, team_id=team_id, assignee_id=assignee_id)
    now = clock.now()
    sla_due_at = data.sla_due_at or sla_deadline(data.priority, now)
    if sla_due_at < now:
        raise _invalid("sla_due_at", "must not be in the past")
    task = Task(
        team_id=team_id,
        created_at=now,
        title=title,
        description=data.description,
        property_id=property_id,
        contact_id=contact_id,
        assignee_id=assignee_id,
        created_by_id=actor.id,
        priority=data.priority,
        status="open",
        due_at=data.due_at,
        sla_due_at=sla_due_at,
        source_kind=data.source.kind if data.source else None,
        source_id=data.source.id if data.source else None,
    )
    session.add(task)
    await session.flush()
    if property_id is not None:
        await timeline.record_event(
            session,
            team_id=team_id,
            property_id=property_id,
            kind="task_created",
            actor_id=actor.id,
            data={
                "task_id": str(task.id),
                "title": task.title,
                "assignee_id": str(assignee_id),
                "due_at": task.due_at.isoformat(),
                "priority": task.priority,
            },
        )
    await _tell_assignee(session, task, actor_id=actor.id)
    await _publish(session, task, "created")
    return task


async def update_task(
    session: AsyncSession, *, team_id: uuid.UUID, task_id: uuid.UUID, viewer: Membership, data: TaskUpdate
) -> Task:
    task = await get_task_or_raise(session, team_id=team_id, task_id=task_id, viewer=viewer)
    changes = sent_changes(data, not_null={"title", "due_at", "priority"})
    now = clock.now()
    if "priority" in changes and "sla_due_at" not in changes and changes["priority"] != task.priority:
        changes["sla_due_at"] = sla_deadline(changes["priority"], task.created_at)
    for field, value in changes.items():
        setattr(task, field, value)
    # A deadline moved into the future is a new deadline: the sweep may flag (and tell) again.
    if "due_at" in changes and task.due_at > now:
        task.overdue_at = None
    if "sla_due_at" in changes and (task.sla_due_at is None or task.sla_due_at > now):
        task.sla_breached_at = None
    if changes:
        task.updated_at = now
        await session.flush()
        await _publish(session, task, "updated")
    return task


async def complete_task(
    session: AsyncSession, *, team_id: uuid.UUID, task_id: uuid.UUID, viewer: Membership
) -> Task:
    """Mark done; completing a done task changes nothing (a double click is not two events)."""
    task = await get_task_or_raise(session, team_id=team_id, task_id=task_id, viewer=viewer)
    if task.status == "done":
        return task
    if task.status == "cancelled":
        raise Conflict(
            "a cancelled task cannot be completed; reopen it first", details={"status": "cancelled"}
        )
    now = clock.now()
    task.status = "done"
    task.completed_at = now
    task.completed_by_id = viewer.id
    task.snoozed_until = None
    task.updated_at = now
    await session.flush()
    if task.property_id is not None:
        await timeline.record_event(
            session,
            team_id=team_id,
            property_id=task.property_id,
            kind="task_completed",
            actor_id=viewer.id,
            data={
                "task_id": str(task.id),
                "title": task.title,
                "late": task.due_at < now,
                "sla_breached": task.sla_due_at is not None and task.sla_due_at < now,
            },
        )
    await _publish(session, task, "completed")
    return task


async def reopen_task(
    session: AsyncSession, *, team_id: uuid.UUID, task_id: uuid.UUID, viewer: Membership
) -> Task:
    """Open a done or cancelled task again. The overdue and SLA marks stay: the assignee was
    already told, and a reopened late task is still late."""
    task = await get_task_or_raise(session, team_id=team_id, task_id=task_id, viewer=viewer)
    if task.status == "open":
        return task
    task.status = "open"
    task.completed_at = None
    task.completed_by_id = None
    task.updated_at = clock.now()
    await session.flush()
    await _publish(session, task, "reopened")
    return task


def snooze_until(choice: str, *, now: datetime, timezone: str) -> datetime:
    """The end of a snooze offered by the pages: in an hour, tomorrow 9:00 or next Monday 9:00,
    in the team's time zone."""
    if choice == "1h":
        return now + timedelta(hours=1)
    local = now.astimezone(ZoneInfo(timezone))
    if choice == "tomorrow":
        day = local.date() + timedelta(days=1)
    elif choice == "next_week":
        day = local.date() + timedelta(days=7 - local.weekday())
    else:
        raise _invalid("until", f"unknown snooze choice {choice!r}")
    return datetime.combine(day, MORNING, tzinfo=ZoneInfo(timezone))


async def snooze_task(
    session: AsyncSession, *, team_id: uuid.UUID, task_id: uuid.UUID, viewer: Membership, until: datetime
) -> Task:
    """Hide an open task from the overdue view until `until`; when the snooze ends and the task
    is still late, the sweep marks it overdue again and tells the assignee once more."""
    task = await get_task_or_raise(session, team_id=team_id, task_id=task_id, viewer=viewer)
    now = clock.now()
    if until <= now:
        raise _invalid("until", "must be in the future")
    if task.status != "open":
        raise Conflict(
            f"only open tasks can be snoozed; this one is {task.status}", details={"status": task.status}
        )
    task.snoozed_until = until
    task.overdue_at = None
    task.updated_at = now
    await session.flush()
    await _publish(session, task, "snoozed")
    return task


async def reassign_task(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    task_id: uuid.UUID,
    viewer: Membership,
    assignee_id: uuid.UUID,
) -> Task:
    task = await get_task_or_raise(session, team_id=team_id, task_id=task_id, viewer=viewer)
    if task.assignee_id == assignee_id:
        return task
    await _check_assignee(session, team_id=team_id, assignee_id=assignee_id)
    task.assignee_id = assignee_id
    task.updated_at = clock.now()
    await session.flush()
    await _tell_assignee(session, task, actor_id=viewer.id)
    await _publish(session, task, "reassigned")
    return task


async def cancel_task(
    session: AsyncSession, *, team_id: uuid.UUID, task_id: uuid.UUID, viewer: Membership
) -> Task:
    """Cancel (the row stays and can be reopened). Anyone who may edit cancels the tasks they
    made or hold; someone else's task takes the delete permission (managers, admins), so an
    agent cannot make a colleague's work disappear."""
    task = await get_task_or_raise(session, team_id=team_id, task_id=task_id, viewer=viewer)
    own = viewer.id in (task.assignee_id, task.created_by_id)
    if not own and not allowed(viewer.role, Action.delete):
        raise Forbidden(
            "only managers and admins cancel someone else's task; reassign it or ask them",
            details={"action": Action.delete.value, "role": viewer.role},
        )
    if task.status == "cancelled":
        return task
    task.status = "cancelled"
    task.snoozed_until = None
    task.updated_at = clock.now()
    await session.flush()
    await _publish(session, task, "cancelled")
    return task
