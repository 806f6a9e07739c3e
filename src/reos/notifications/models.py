"""In-app notifications for users, and which kinds each member also wants by email."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKeyConstraint, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from reos.db.base import Base, TenantMixin, tenant_table_args


class Notification(Base, TenantMixin):
    __tablename__ = "notifications"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(
            ["team_id", "membership_id"], ["memberships.team_id", "memberships.id"], ondelete="CASCADE"
        ),
        Index("ix_notifications_team_id_membership_id_created_at", "team_id", "membership_id", "created_at"),
    )

    membership_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationPreference(Base, TenantMixin):
    __tablename__ = "notification_preferences"
    __table_args__ = tenant_table_args(
        UniqueConstraint("team_id", "membership_id", "kind"),
        ForeignKeyConstraint(
            ["team_id", "membership_id"], ["memberships.team_id", "memberships.id"], ondelete="CASCADE"
        ),
    )

    membership_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(60))
    email: Mapped[bool] = mapped_column(Boolean, default=False)
