"""Shapes of the failed-jobs list and job progress."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class JobFailureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    team_id: uuid.UUID | None
    job_id: int
    task_name: str
    queue: str
    args: dict[str, Any]
    attempts: int
    error: str
    traceback: str
    state: str
    replayed_job_id: int | None
    resolved_at: datetime | None
    created_at: datetime


class JobFailurePage(BaseModel):
    items: list[JobFailureRead]
    next_cursor: str | None


class JobRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    job_id: int
    task_name: str
    label: str
    done: int
    total: int | None
    status: str
    updated_at: datetime
