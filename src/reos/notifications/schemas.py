from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str | None
    read_at: datetime | None
    created_at: datetime


class NotificationPage(BaseModel):
    items: list[NotificationRead]
    next_cursor: str | None
    unread: int


class PreferencesUpdate(BaseModel):
    email: dict[str, bool]


class Preferences(BaseModel):
    email: dict[str, bool]
    kinds: dict[str, str]
