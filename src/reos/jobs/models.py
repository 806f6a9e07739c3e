"""What the product keeps about background jobs beyond Procrastinate's own queue tables:
failures that exhausted their retries (the dead-letter view) and progress of long jobs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reos.db.base import Base, IdMixin, TenantMixin, tenant_table_args


class JobFailure(Base, IdMixin):
    """A job that failed for good. `team_id` is NULL for instance-level jobs (an email to an
    account); those are visible to operators only."""

    __tablename__ = "job_failures"
    __table_args__ = (
        UniqueConstraint("team_id", "id"),
        UniqueConstraint("job_id"),
        CheckConstraint("state in ('failed', 'replayed', 'archived')", name="state_valid"),
        Index("ix_job_failures_team_id_state_created_at", "team_id", "state", "created_at"),
    )

    team_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("teams.id", ondelete="CASCADE"))
    job_id: Mapped[int] = mapped_column(BigInteger)
    task_name: Mapped[str] = mapped_column(String(200))
    queue: Mapped[str] = mapped_column(String(100))
    args: Mapped[dict[str, Any]] = mapped_column(JSONB)
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text)
    traceback: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="failed")
    replayed_job_id: Mapped[int | None] = mapped_column(BigInteger)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class JobRun(Base, TenantMixin):
    """Progress of a long job (done / total), shown as a progress bar."""

    __tablename__ = "job_runs"
    __table_args__ = tenant_table_args(
        UniqueConstraint("job_id"),
        CheckConstraint("status in ('running', 'completed', 'failed')", name="status_valid"),
    )

    job_id: Mapped[int] = mapped_column(BigInteger)
    task_name: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(200))
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="running")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
