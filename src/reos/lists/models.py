"""Saved lists of properties: smart (a filter, re-run each time) or static (members)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reos.db.base import Base, TenantMixin, tenant_table_args
from reos.kit import clock

LIST_KINDS = ("smart", "static")


class SavedList(Base, TenantMixin):
    __tablename__ = "lists"
    __table_args__ = tenant_table_args(
        UniqueConstraint("team_id", "name"),
        ForeignKeyConstraint(["team_id", "created_by_id"], ["memberships.team_id", "memberships.id"]),
        CheckConstraint("kind in ('smart', 'static')", name="kind_valid"),
        CheckConstraint("kind = 'static' OR filter IS NOT NULL", name="smart_has_filter"),
    )

    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))
    # The filter document (kit.filters) of a smart list; its sort is kept with it.
    filter: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    columns: Mapped[list[str] | None] = mapped_column(JSONB)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class ListMember(Base, TenantMixin):
    """A property on a static list."""

    __tablename__ = "list_members"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["team_id", "list_id"], ["lists.team_id", "lists.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(
            ["team_id", "property_id"], ["properties.team_id", "properties.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("team_id", "list_id", "property_id"),
        Index("ix_list_members_team_id_property_id", "team_id", "property_id"),
    )

    list_id: Mapped[uuid.UUID] = mapped_column()
    property_id: Mapped[uuid.UUID] = mapped_column()
