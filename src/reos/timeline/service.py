"""The timeline: notes and property events, read together newest first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import literal, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from reos.errors import NotFound
from reos.kit import clock
from reos.timeline.models import EVENT_KINDS, Note, PropertyEvent


async def record_event(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    property_id: uuid.UUID,
    kind: str,
    actor_id: uuid.UUID | None,
    data: dict[str, Any] | None = None,
) -> PropertyEvent:
    """Add an event to a property's timeline, in the caller's transaction."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown timeline event {kind!r}")
    event = PropertyEvent(
        team_id=team_id,
        property_id=property_id,
        kind=kind,
        actor_id=actor_id,
        at=clock.now(),
        data=data or {},
    )
    session.add(event)
    await session.flush()
    return event


async def add_note(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    author_id: uuid.UUID | None,
    body: str,
    property_id: uuid.UUID | None = None,
    contact_id: uuid.UUID | None = None,
) -> Note:
    note = Note(
        team_id=team_id, author_id=author_id, body=body, property_id=property_id, contact_id=contact_id
    )
    session.add(note)
    await session.flush()
    return note


async def get_note_or_raise(session: AsyncSession, *, team_id: uuid.UUID, note_id: uuid.UUID) -> Note:
    note = await session.scalar(select(Note).where(Note.team_id == team_id, Note.id == note_id))
    if note is None:
        raise NotFound("note not found", details={"id": str(note_id)})
    return note


async def get_event_or_raise(
    session: AsyncSession, *, team_id: uuid.UUID, event_id: uuid.UUID
) -> PropertyEvent:
    event = await session.scalar(
        select(PropertyEvent).where(PropertyEvent.team_id == team_id, PropertyEvent.id == event_id)
    )
    if event is None:
        raise NotFound("timeline event not found", details={"id": str(event_id)})
    return event


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # "note" or an event kind
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    body: str | None
    data: dict[str, Any]


async def property_timeline(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    property_id: uuid.UUID,
    limit: int = 100,
    before: tuple[datetime, uuid.UUID] | None = None,
) -> list[TimelineItem]:
    """Notes and events of one property, newest first; `before` (the last item's time and id)
    pages back in time without skipping items that share a timestamp."""
    notes = select(
        literal("note").label("kind"),
        Note.id,
        Note.created_at.label("at"),
        Note.author_id.label("actor_id"),
        Note.body,
        literal(None).label("data"),
    ).where(Note.team_id == team_id, Note.property_id == property_id)
    events = select(
        PropertyEvent.kind,
        PropertyEvent.id,
        PropertyEvent.at,
        PropertyEvent.actor_id,
        literal(None).label("body"),
        PropertyEvent.data,
    ).where(PropertyEvent.team_id == team_id, PropertyEvent.property_id == property_id)
    if before is not None:
        notes = notes.where(Note.created_at <= before[0])
        events = events.where(PropertyEvent.at <= before[0])
    both = union_all(notes, events).subquery()
    query = select(both)
    if before is not None:
        query = query.where(tuple_(both.c.at, both.c.id) < tuple_(before[0], before[1]))
    rows = await session.execute(query.order_by(both.c.at.desc(), both.c.id.desc()).limit(limit))
    return [
        TimelineItem(kind=r.kind, id=r.id, at=r.at, actor_id=r.actor_id, body=r.body, data=r.data or {})
        for r in rows
    ]
