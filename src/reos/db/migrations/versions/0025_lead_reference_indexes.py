"""An index under every key that references a lead, an owner or a phone

Deleting a row runs each key that references it as one query per deleted row: a cascade deletes,
a `SET NULL` updates. Without an index on the referencing columns, that query reads the whole
referencing table. An undo of a 100,000-row import deletes its 130,909 owners, and each owner's
cascade read every task of the team: 10.9 ms per owner with 107,654 tasks, against 0.1 ms with the
index (`EXPLAIN ANALYZE` of the cascade's delete): about 24 minutes, where the whole undo takes 12 s. On the demo
data directory, after `reos serve` had run, the undo took 80 s, 75 of them in that delete. The
consent, attempts, opt-out and review tables were empty in the demo; a team with an outreach
history would pay the same per phone and per lead.

The keys from the bulk lead tables to `imports` stay unindexed on purpose: only a draft import is
ever deleted, and it has no rows. Members are deactivated, never deleted.
`tests/db/test_rls.py` checks that every key referencing `properties`, `contacts` or
`contact_points` has its index.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("tasks", "contact_id"),
    ("consent_records", "contact_id"),
    ("consent_records", "point_id"),
    ("review_items", "contact_id"),
    ("review_items", "point_id"),
    ("contact_attempts", "point_id"),
    ("contact_attempts", "property_id"),
    ("opt_outs", "point_id"),
)


def upgrade() -> None:
    for table, column in INDEXES:
        op.create_index(f"ix_{table}_team_id_{column}", table, ["team_id", column])


def downgrade() -> None:
    for table, column in INDEXES:
        op.drop_index(f"ix_{table}_team_id_{column}", table_name=table)
