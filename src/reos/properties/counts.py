"""The pipeline board's numbers kept in step: per team, stage, assignee and market, how many live
leads and their total estimated value.

Written only by triggers on `properties` (migration 0010), in the same transaction as the change:
statement-level with transition tables for INSERT and DELETE (an import's set-based insert pays
one grouped upsert, not one per row), row-level for UPDATE of the five columns that move a lead
between buckets (stage, assigned_to_id, market_id, estimated_value, deleted_at), so that a
rescoring of a million rows neither fires nor materialises anything. The board reads this table
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
