"""Request and response shapes for notes and the timeline."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    body: str = Field(min_length=1, max_length=20_000)


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    property_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    author_id: uuid.UUID | None
    body: str
    created_at: datetime
    updated_at: datetime | None


class TimelineItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str = Field(description="note, or an event: created, stage_changed, edited, assigned, merged, …")
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    body: str | None = Field(description="the note's text (notes only)")
    data: dict[str, Any] = Field(description="the event's facts, e.g. from, to and reason of a stage change")


class TimelinePage(BaseModel):
    items: list[TimelineItemRead]
    next_before: datetime | None = Field(description="pass as `before` (with `before_id`) for older items")
    next_before_id: uuid.UUID | None = Field(description="pass as `before_id`")
