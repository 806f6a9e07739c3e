"""Drop `ix_signals_team_id_kind`: nothing reads signals by kind across a team

A lead's signal kinds are filtered through `properties.signal_kinds`, and signals are read by
property (the unique `(team_id, property_id, kind)`). The index only cost every signal written an
entry: an import of a million leads writes about two million signals, its derived ones included.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_signals_team_id_kind", table_name="signals")


def downgrade() -> None:
    op.create_index("ix_signals_team_id_kind", "signals", ["team_id", "kind"], unique=False)
