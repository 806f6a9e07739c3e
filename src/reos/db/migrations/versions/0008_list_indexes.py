"""lead list indexes at a million rows: the default sort, stage columns, board numbers

Measured with bench/lead_list.py (docs/benchmarks.md, "Lead list at 1,000,000 properties"):
- the default sort (score, created_at, id) read every row of the top score out of
  (team_id, score, id) and sorted them (4,796 rows for a page of 50); it now reads the page;
- a stage's rows by score (stage filter, board columns) get (team_id, stage, score, id) over live
  rows, replacing (team_id, stage, score), which held deleted rows and had no tie-break; it
  carries estimated_value so that the board's count and value per stage is an index-only scan
  instead of a parallel scan of the whole table;
- the board filtered by assignee gets the same per (assignee, stage).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_properties_team_id_score_created_at_id",
        "properties",
        ["team_id", "score", "created_at", "id"],
        unique=False,
        postgresql_where=LIVE,
    )
    op.create_index(
        "ix_properties_team_id_stage_score_id",
        "properties",
        ["team_id", "stage", "score", "id"],
        unique=False,
        postgresql_where=LIVE,
        postgresql_include=["estimated_value"],
    )
    op.create_index(
        "ix_properties_team_id_assigned_to_id_stage",
        "properties",
        ["team_id", "assigned_to_id", "stage"],
        unique=False,
        postgresql_where=LIVE,
        postgresql_include=["estimated_value"],
    )
    op.drop_index("ix_properties_team_id_stage_score", table_name="properties")


def downgrade() -> None:
    op.create_index(
        "ix_properties_team_id_stage_score", "properties", ["team_id", "stage", "score"], unique=False
    )
    op.drop_index("ix_properties_team_id_assigned_to_id_stage", table_name="properties")
    op.drop_index("ix_properties_team_id_stage_score_id", table_name="properties")
    op.drop_index("ix_properties_team_id_score_created_at_id", table_name="properties")
