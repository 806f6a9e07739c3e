"""The mock email provider's outbox: what would have been sent, for the operator to read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reos.db.base import Base, IdMixin


class OutboxMessage(Base, IdMixin):
    """Instance-level (no team): messages to users are transactional and may concern an
    account rather than one team (a password reset). Only operators read it."""

    __tablename__ = "outbox_messages"

    kind: Mapped[str] = mapped_column(String(40))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(400))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class ProviderStatus(Base):
    """Which implementation each provider uses in this instance, and its last error."""

    __tablename__ = "provider_status"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    implementation: Mapped[str] = mapped_column(String(40))
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
