"""Properties (the minimal slice of the leads domain)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, DateTime, ForeignKeyConstraint, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from reos.db.base import Base, TenantMixin, tenant_table_args

STAGES = (
    "new",
    "outreach",
    "qualified",
    "negotiation",
    "under_contract",
    "closed_won",
    "closed_lost",
    "archived",
)


class Property(Base, TenantMixin):
    __tablename__ = "properties"
    __table_args__ = tenant_table_args(
        CheckConstraint("stage in (" + ", ".join(f"'{s}'" for s in STAGES) + ")", name="stage_valid"),
        ForeignKeyConstraint(["team_id", "created_by_id"], ["memberships.team_id", "memberships.id"]),
        ForeignKeyConstraint(["team_id", "assigned_to_id"], ["memberships.team_id", "memberships.id"]),
        # Keyset pagination of the default list order.
        Index("ix_properties_team_id_created_at_id", "team_id", "created_at", "id"),
        Index("ix_properties_team_id_assigned_to_id", "team_id", "assigned_to_id"),
    )

    address: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(40))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2))
    zip_code: Mapped[str] = mapped_column(String(10))
    county: Mapped[str | None] = mapped_column(String(100))
    apn: Mapped[str | None] = mapped_column(String(64))
    bedrooms: Mapped[int | None] = mapped_column(Integer)
    bathrooms: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    square_feet: Mapped[int | None] = mapped_column(Integer)
    year_built: Mapped[int | None] = mapped_column(Integer)
    estimated_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    stage: Mapped[str] = mapped_column(String(20), default="new")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column()
    # The member working this lead; with the team setting `agents_see_assigned_only`, agents
    # see only the leads assigned to them.
    assigned_to_id: Mapped[uuid.UUID | None] = mapped_column()
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
