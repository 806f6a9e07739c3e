"""Request and response shapes for smart and static lists."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reos.kit.filters import FilterDocument

ListKind = Literal["smart", "static"]
Columns = Annotated[list[Annotated[str, Field(max_length=80)]], Field(max_length=40)]


class ListCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=120)
    kind: ListKind = "smart"
    filter: FilterDocument | None = Field(default=None, description="the filter of a smart list (required)")
    columns: Columns | None = Field(default=None, description="the table columns shown with the list")


class ListUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=120)
    filter: FilterDocument | None = None
    columns: Columns | None = None


class ListRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: ListKind
    filter: dict[str, Any] | None
    columns: list[str] | None
    created_by_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class ListPage(BaseModel):
    items: list[ListRead]
    next_cursor: str | None


class MemberIds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[uuid.UUID] = Field(min_length=1, max_length=1000, description="property ids")


class MembersChanged(BaseModel):
    changed: int = Field(description="properties added to (or removed from) the list")
    unchanged: int = Field(description="properties already on (or not on) the list")
