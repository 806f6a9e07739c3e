"""Tasks: something a member must do by a time, with a priority and an SLA deadline."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKeyConstraint, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from reos.db.base import Base, TenantMixin, tenant_table_args

PRIORITIES = ("low", "normal", "high", "urgent")
TASK_STATUSES = ("open", "done", "cancelled")
SOURCE_KINDS = ("note", "event")


class Task(Base, TenantMixin):
    __tablename__ = "tasks"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(
            ["team_id", "property_id"], ["properties.team_id", "properties.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["team_id", "contact_id"], ["contacts.team_id", "contacts.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["team_id", "assignee_id"], ["memberships.team_id", "memberships.id"]),
        ForeignKeyConstraint(["team_id", "created_by_id"], ["memberships.team_id", "memberships.id"]),
        ForeignKeyConstraint(["team_id", "completed_by_id"], ["memberships.team_id", "memberships.id"]),
        CheckConstraint(
            "priority in (" + ", ".join(f"'{p}'" for p in PRIORITIES) + ")", name="priority_valid"
        ),
        CheckConstraint(
            "status in (" + ", ".join(f"'{s}'" for s in TASK_STATUSES) + ")", name="status_valid"
        ),
        CheckConstraint("source_kind IS NULL OR source_kind in ('note', 'event')", name="source_kind_valid"),
        Index("ix_tasks_team_id_assignee_id_status_due_at", "team_id", "assignee_id", "status", "due_at"),
        Index("ix_tasks_team_id_status_due_at", "team_id", "status", "due_at"),
        Index("ix_tasks_team_id_property_id", "team_id", "property_id"),
        Index("ix_tasks_team_id_contact_id", "team_id", "contact_id"),
        # The periodic SLA sweep reads only open tasks not yet flagged.
        Index(
            "ix_tasks_open_due",
            "due_at",
            postgresql_where=text("status = 'open' AND (overdue_at IS NULL OR sla_breached_at IS NULL)"),
        ),
    )

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    property_id: Mapped[uuid.UUID | None] = mapped_column()
    contact_id: Mapped[uuid.UUID | None] = mapped_column()
    assignee_id: Mapped[uuid.UUID | None] = mapped_column()
    created_by_id: Mapped[uuid.UUID | None] = mapped_column()
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    status: Mapped[str] = mapped_column(String(10), default="open")
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The latest acceptable completion: past it the task has breached its SLA.
    sla_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    snoozed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set once by the periodic sweep, so the assignee is told once per task.
    overdue_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sla_breached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by_id: Mapped[uuid.UUID | None] = mapped_column()
    # The timeline item the task was made from (a note or a property event).
    source_kind: Mapped[str | None] = mapped_column(String(10))
    source_id: Mapped[uuid.UUID | None] = mapped_column()
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
