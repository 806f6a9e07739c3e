"""One index for a contact point's value, not two

A contact point had two indexes on its value: the unique (team, kind, value) and the prefix
search's (team, value pattern_ops). One unique index on (team, value pattern_ops, kind) answers
both, and the import's `ON CONFLICT (team_id, kind, value)` infers it (the pattern operator
class has the same equality). Writing 300,000 points without the second index took 13.7–17.5 s
against 18.9–21.1 s with it (docs/benchmarks.md, "Imports").

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "uq_contact_points_team_id_value_kind",
        "contact_points",
        ["team_id", "value", "kind"],
        unique=True,
        postgresql_ops={"value": "varchar_pattern_ops"},
    )
    op.drop_constraint("uq_contact_points_team_id_kind_value", "contact_points", type_="unique")
    op.drop_index("ix_contact_points_team_id_value_prefix", table_name="contact_points")


def downgrade() -> None:
    op.create_index(
        "ix_contact_points_team_id_value_prefix",
        "contact_points",
        ["team_id", "value"],
        postgresql_ops={"value": "varchar_pattern_ops"},
    )
    op.create_unique_constraint(
        "uq_contact_points_team_id_kind_value", "contact_points", ["team_id", "kind", "value"]
    )
    op.drop_index("uq_contact_points_team_id_value_kind", table_name="contact_points")
