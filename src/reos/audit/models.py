"""The audit log: append-only (the app role may insert and read, never update or delete)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reos.db.base import Base, IdMixin


class AuditEvent(Base, IdMixin):
    """Who did what, when, from where. `team_id` is NULL for instance-level events (operator
    actions, resets of an account), visible to operators only."""

    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("team_id", "id"),
        Index("ix_audit_events_team_id_created_at_id", "team_id", "created_at", "id"),
    )

    team_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("teams.id", ondelete="CASCADE"))
    actor_account_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_email: Mapped[str | None] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(80))
    target_type: Mapped[str | None] = mapped_column(String(60))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    request_id: Mapped[str | None] = mapped_column(String(64))
