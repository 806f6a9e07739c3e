"""An index under every key that references a lead, an owner or a phone

Deleting a row runs each key that references it as one query per deleted row: a cascade deletes,
a `SET NULL` updates. Without an index on the referencing columns, that query reads the whole
referencing table. Undoing a 100,000-row import into the demo team took 80 s, 75 s of them in
deleting its 130,909 owners: each scanned the team's 5,666 tasks for tasks of that owner.
The consent, attempts, opt-out and review tables were empty in the demo. A team with an outreach
history would have paid the same per phone and per lead.

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
