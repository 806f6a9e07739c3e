"""Request and response shapes for tasks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from reos.kit.instants import Instant

Priority = Literal["low", "normal", "high", "urgent"]
TaskStatus = Literal["open", "done", "cancelled"]
StatusFilter = Literal["open", "done", "cancelled", "all"]
View = Literal["mine", "team", "overdue", "sla_breached"]
SourceKind = Literal["note", "event"]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=10_000)]


class TaskSource(BaseModel):
    """The timeline item a task follows up: a note or a property event."""

    model_config = ConfigDict(extra="forbid")

    kind: SourceKind
    id: uuid.UUID


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Title | None = Field(
        default=None, description="required unless `source` is given (then it follows from the source)"
    )
    description: Description | None = None
    property_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = Field(default=None, description="an active member; default: you")
    due_at: Instant
    priority: Priority = "normal"
    sla_due_at: Instant | None = Field(
        default=None, description="default: creation time plus the priority's SLA (urgent 4 h … low 7 days)"
    )
    source: TaskSource | None = Field(
        default=None, description="make the task from a timeline item: its property and a title come with it"
    )


class TaskUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Title | None = None
    description: Description | None = None
    due_at: Instant | None = None
    priority: Priority | None = None
    sla_due_at: Instant | None = None


class TaskSnooze(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: Instant


class TaskReassign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee_id: uuid.UUID


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    description: str | None
    property_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    created_by_id: uuid.UUID | None
    priority: Priority
    status: TaskStatus
    due_at: datetime
    sla_due_at: datetime | None
    snoozed_until: datetime | None
    overdue_at: datetime | None
    sla_breached_at: datetime | None
    completed_at: datetime | None
    completed_by_id: uuid.UUID | None
    source_kind: SourceKind | None
    source_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime | None


class TaskPage(BaseModel):
    items: list[TaskRead]
    next_cursor: str | None
