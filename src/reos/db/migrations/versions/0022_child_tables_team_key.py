"""Drop the direct `team_id → teams` key from the lead tables that hang off a same-team parent

A contact's phones and emails, a lead's roles, its signals and its lookup row each carry a
composite key `(team_id, parent) → parent (team_id, id)` that cascades. That key already says the
team exists (the parent's own key to `teams` does) and takes the rows with the team. The direct
key was checked again for every row written: a tenth of inserting a phone (300,000 phones in a
rolled-back transaction, four rounds alternating: 6.84–7.56 s with it, 5.97–6.89 s without, in two
runs; `bench/import_write_cost.py points`, docs/benchmarks.md, "Imports", eleventh pass). A
million-row import writes 2.75 M phones and emails, 1.3 M roles and 940,600 lookup rows.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("contact_points", "property_contacts", "signals", "property_lookup")


def upgrade() -> None:
    for table in TABLES:
        op.drop_constraint(f"fk_{table}_team_id_teams", table, type_="foreignkey")


def downgrade() -> None:
    for table in TABLES:
        op.create_foreign_key(
            f"fk_{table}_team_id_teams", table, "teams", ["team_id"], ["id"], ondelete="CASCADE"
        )
