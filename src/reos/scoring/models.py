"""Signals on a property and the team's scoring settings (weights, decay, equity gate)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reos.db.base import Base, TenantChildMixin, TenantMixin, tenant_table_args
from reos.kit import clock

SIGNAL_KINDS = (
    "absentee_owner",
    "out_of_state_owner",
    "tax_delinquent",
    "pre_foreclosure",
    "probate",
    "vacant",
    "high_equity",
    "free_and_clear",
    "long_tenure",
    "code_violation",
    "eviction",
    "divorce",
    "tired_landlord",
)
# A lead's signal kinds (`properties.signal_kinds`, for the list's filters) as its recorded and
# derived signals stand, for a statement over `properties p` that must set them before the next
# rescoring (an import's new signals, an undo's removed ones).
KINDS_OF_LEAD_SQL = (
    "ARRAY(SELECT k FROM (SELECT s.kind::text FROM signals s WHERE s.team_id = p.team_id "
    "AND s.property_id = p.id UNION SELECT jsonb_object_keys(p.derived_signals)) AS x(k) ORDER BY k)"
)
# Where a `signals` row came from; a derived signal has no row (source "derived" in the API).
SIGNAL_SOURCES = ("import", "manual")


class Signal(Base, TenantChildMixin):
    """A motivated-seller signal an import or a person recorded on a property: which, where it
    came from and as of when. Derived ones live on the lead (`Property.derived_signals`)."""

    __tablename__ = "signals"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(
            ["team_id", "property_id"], ["properties.team_id", "properties.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["team_id", "created_by_id"], ["memberships.team_id", "memberships.id"]),
        ForeignKeyConstraint(
            ["team_id", "import_id"], ["imports.team_id", "imports.id"], ondelete="SET NULL (import_id)"
        ),
        UniqueConstraint("team_id", "property_id", "kind"),
        CheckConstraint("kind in (" + ", ".join(f"'{k}'" for k in SIGNAL_KINDS) + ")", name="kind_valid"),
        CheckConstraint(
            "source in (" + ", ".join(f"'{s}'" for s in SIGNAL_SOURCES) + ")", name="source_valid"
        ),
    )

    property_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(10))
    # The date the fact was true as of (e.g. the tax roll's date); scores decay from it.
    observed_on: Mapped[date] = mapped_column(Date)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    import_id: Mapped[uuid.UUID | None] = mapped_column()
    created_by_id: Mapped[uuid.UUID | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class ScoringSettings(Base, TenantMixin):
    """A team's weights: {kind: {"weight": points, "half_life_days": days}}, the equity gate
    and a version bumped on every change (a score says which version made it)."""

    __tablename__ = "scoring_settings"
    __table_args__ = tenant_table_args(
        UniqueConstraint("team_id"),
        ForeignKeyConstraint(["team_id", "updated_by_id"], ["memberships.team_id", "memberships.id"]),
    )

    weights: Mapped[dict[str, Any]] = mapped_column(JSONB)
    equity_gate_percent: Mapped[int] = mapped_column(default=20)
    version: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
