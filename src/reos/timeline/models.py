"""Notes (one model, on a property or a contact) and the events of a property's timeline."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKeyConstraint, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reos.db.base import Base, TenantMixin, tenant_table_args
from reos.kit import clock

EVENT_KINDS = (
    "created",
    "stage_changed",
    "edited",
    "assigned",
    "deleted",
    "restored",
    "merged",
    "merged_away",
    "flag_raised",
    "flag_resolved",
    "contact_linked",
    "task_created",
    "task_completed",
)


class Note(Base, TenantMixin):
    __tablename__ = "notes"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(
            ["team_id", "property_id"], ["properties.team_id", "properties.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["team_id", "contact_id"], ["contacts.team_id", "contacts.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["team_id", "author_id"], ["memberships.team_id", "memberships.id"]),
        CheckConstraint("property_id IS NOT NULL OR contact_id IS NOT NULL", name="has_subject"),
        Index("ix_notes_team_id_property_id_created_at", "team_id", "property_id", "created_at"),
        Index("ix_notes_team_id_contact_id_created_at", "team_id", "contact_id", "created_at"),
    )

    property_id: Mapped[uuid.UUID | None] = mapped_column()
    contact_id: Mapped[uuid.UUID | None] = mapped_column()
    author_id: Mapped[uuid.UUID | None] = mapped_column()
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PropertyEvent(Base, TenantMixin):
    """Something that happened to a property: who, when, and the facts of it in `data`
    (a stage change: from, to, reason; an edit: the fields with old and new values)."""

    __tablename__ = "property_events"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(
            ["team_id", "property_id"], ["properties.team_id", "properties.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["team_id", "actor_id"], ["memberships.team_id", "memberships.id"]),
        CheckConstraint("kind in (" + ", ".join(f"'{k}'" for k in EVENT_KINDS) + ")", name="kind_valid"),
        Index("ix_property_events_team_id_property_id_at", "team_id", "property_id", "at"),
    )

    property_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
