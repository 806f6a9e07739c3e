"""property assignment: the member working a lead (agents may be limited to theirs)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("properties", sa.Column("assigned_to_id", sa.Uuid(), nullable=True))
    op.create_index(
        "ix_properties_team_id_assigned_to_id", "properties", ["team_id", "assigned_to_id"], unique=False
    )
    op.create_foreign_key(
        op.f("fk_properties_team_id_assigned_to_id_memberships"),
        "properties",
        "memberships",
        ["team_id", "assigned_to_id"],
        ["team_id", "id"],
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_properties_team_id_assigned_to_id_memberships"), "properties", type_="foreignkey"
    )
    op.drop_index("ix_properties_team_id_assigned_to_id", table_name="properties")
    op.drop_column("properties", "assigned_to_id")
