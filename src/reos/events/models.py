"""Live events per team: kept briefly so a reconnecting browser can catch up (Last-Event-ID)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Identity, Index, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reos.db.base import Base, TenantMixin, tenant_table_args


class LiveEvent(Base, TenantMixin):
    __tablename__ = "live_events"
    __table_args__ = tenant_table_args(Index("ix_live_events_team_id_seq", "team_id", "seq"))

    # Monotonic across the instance, so "everything after N" is one index range per team.
    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    type: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
