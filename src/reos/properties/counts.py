"""The pipeline board's numbers kept in step: per team, stage, assignee and market, how many live
leads and their total estimated value.

Written only by statement-level triggers with transition tables on `properties` (migration
0010), in the same transaction as the change: one grouped upsert per INSERT, UPDATE or DELETE
statement, however many rows it touches (an import's set-based insert or a bulk move of 200,000
rows pays one aggregate, never one upsert per row on the same counts row). The board reads this table
when it is unfiltered or filtered by assignee or market (a few hundred rows instead of a million
index entries); a list filter or an agent who sees only their own leads falls back to the scan.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import BigInteger, Numeric, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from reos.db.base import Base, TenantMixin, tenant_table_args


class StageCount(Base, TenantMixin):
    __tablename__ = "property_stage_counts"
    __table_args__ = tenant_table_args(
        UniqueConstraint(
            "team_id", "stage", "assigned_to_id", "market_id", postgresql_nulls_not_distinct=True
        ),
    )

    stage: Mapped[str] = mapped_column(String(20))
    assigned_to_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    market_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    leads: Mapped[int] = mapped_column(BigInteger, default=0)
    total_value: Mapped[Decimal] = mapped_column(Numeric, default=0)
