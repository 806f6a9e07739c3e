"""Background work of tasks: the deadline sweep (declared as a periodic task in
`reos.jobs.maintenance`, which runs it team by team every minute)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reos.notifications import service as notifications
from reos.notifications.models import NotificationPreference
from reos.properties.models import Property
from reos.tasks.models import Task
from reos.teams.models import Team


def _on_live_property(team_id: uuid.UUID) -> Any:
    """No property, or one that is not deleted: nobody is told about a task on a deleted lead."""
    live = select(Property.id).where(Property.team_id == team_id, Property.deleted_at.is_(None))
    return or_(Task.property_id.is_(None), Task.property_id.in_(live))


async def _mark(
    session: AsyncSession, *, team_id: uuid.UUID, mark: Any, conditions: list[Any], now: datetime
) -> list[Any]:
    """Set `mark` to `now` on the team's open tasks meeting `conditions` whose mark is still
    empty — one statement, so each task is marked (and its assignee told) once."""
    result = await session.execute(
        update(Task)
        .where(
            Task.team_id == team_id,
            Task.status == "open",
            mark.is_(None),
            _on_live_property(team_id),
            *conditions,
        )
        .values({mark.key: now})
        .returning(Task.id, Task.title, Task.assignee_id, Task.property_id, Task.due_at, Task.sla_due_at)
        .execution_options(synchronize_session=False)
    )
    marked = result.all()
    return list(marked)


async def _email_choices(
    session: AsyncSession, *, team_id: uuid.UUID, kind: str, member_ids: set[uuid.UUID]
) -> dict[uuid.UUID, bool]:
    if not member_ids:
        return {}
    rows = await session.execute(
        select(NotificationPreference.membership_id, NotificationPreference.email).where(
            NotificationPreference.team_id == team_id,
            NotificationPreference.kind == kind,
            NotificationPreference.membership_id.in_(member_ids),
        )
    )
    return {member: bool(email) for member, email in rows.all()}


async def _tell(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    kind: str,
    rows: list[Any],
    title: str,
    deadline: str,
    timezone: str,
) -> None:
    choices = await _email_choices(
        session, team_id=team_id, kind=kind, member_ids={r.assignee_id for r in rows if r.assignee_id}
    )
    zone = ZoneInfo(timezone)
    for row in rows:
        if row.assignee_id is None:
            continue
        when = getattr(row, deadline).astimezone(zone)
        await notifications.notify(
            session,
            team_id=team_id,
            membership_id=row.assignee_id,
            kind=kind,
            title=f"{title}: {row.title}",
            body=f"{'Due' if deadline == 'due_at' else 'SLA deadline'} {when:%b %d, %Y %H:%M} ({timezone})",
            link=f"/properties/{row.property_id}" if row.property_id else "/tasks",
            wants_email=choices.get(row.assignee_id, False),
        )


async def mark_deadlines(session: AsyncSession, *, team_id: uuid.UUID, now: datetime) -> dict[str, int]:
    """Mark the team's open tasks overdue (due time passed, not snoozed) and SLA-breached (SLA
    deadline passed), each once, and notify their assignees once per mark. `now` is passed in:
    business SQL never reads the database's clock."""
    overdue = await _mark(
        session,
        team_id=team_id,
        mark=Task.overdue_at,
        conditions=[Task.due_at <= now, or_(Task.snoozed_until.is_(None), Task.snoozed_until <= now)],
        now=now,
    )
    breached = await _mark(
        session,
        team_id=team_id,
        mark=Task.sla_breached_at,
        conditions=[Task.sla_due_at.is_not(None), Task.sla_due_at <= now],
        now=now,
    )
    if overdue or breached:
        timezone = await session.scalar(select(Team.timezone).where(Team.id == team_id)) or "UTC"
        await _tell(
            session,
            team_id=team_id,
            kind="task_due",
            rows=overdue,
            title="Overdue",
            deadline="due_at",
            timezone=timezone,
        )
        await _tell(
            session,
            team_id=team_id,
            kind="task_sla_breached",
            rows=breached,
            title="SLA breached",
            deadline="sla_due_at",
            timezone=timezone,
        )
    return {"overdue": len(overdue), "sla_breached": len(breached)}
