"""`reos_analyze_leads()`: fresh planner statistics for the lead tables after a bulk write

The app role may not ANALYZE tables it does not own, and autovacuum analyses a table only about
a minute after 10 % of it changed. Until then the planner takes a team that just imported
50,000 leads for a handful of rows: a re-import or an undo right after looped over them once per
row and ran for minutes. An import that wrote many rows now calls this function at the end of
its transaction (ANALYZE counts the transaction's own new rows), so its merge and undo no longer
force hash joins, which made a 10-row import into a million-lead team read the whole team.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

from reos.db import rls

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    rls.owner_function(
        "reos_analyze_leads()",
        """
        create function reos_analyze_leads() returns void
        language plpgsql security definer set search_path = public, pg_temp as $$
        begin
            analyze properties, contacts, contact_points, property_contacts, signals;
        end
        $$
        """,
    )


def downgrade() -> None:
    op.execute("drop function reos_analyze_leads()")
