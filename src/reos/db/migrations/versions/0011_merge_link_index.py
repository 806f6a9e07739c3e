"""index the merge link: deleting or undoing properties no longer scans the team per row

`properties.merged_into_id` references `properties (team_id, id)`; without an index on the
referencing side every deleted property made PostgreSQL scan the whole team for rows merged
into it. Undoing an import of 3,000 properties in a 94,000-property team took 196 s, with this
index 0.6 s (docs/benchmarks.md, "Imports").

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_properties_team_id_merged_into_id",
        "properties",
        ["team_id", "merged_into_id"],
        unique=False,
        postgresql_where=sa.text("merged_into_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_properties_team_id_merged_into_id", table_name="properties")
