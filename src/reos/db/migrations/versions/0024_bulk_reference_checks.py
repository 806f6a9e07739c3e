"""`reos_set_reference_checks(on)`: a big import checks its rows' references once, not row by row

PostgreSQL 16 checks a foreign key with one query per inserted row. When the import bench ran
300,000 phones into the million-lead team, 62 % of the insert was those queries (5.47 s as it
is, 2.09 s with `session_replication_role = replica`, which skips them). A million-row import
writes 5.4 M rows into the contacts, roles and phones tables, and each has two or three keys.

The import now turns the per-row checks off for one insert statement, through this function.
Before that insert, it locks the rows the new rows will reference and that it did not write
itself. After it, it checks every new row's references in one join and fails the import if any
is missing (`imports.engine`). Only the owner, or a superuser, may set the replication role.
On a server where the owner is neither, the function answers false and the import keeps the
per-row checks.

The replication role also skips ordinary triggers. The five on `properties` keep the board's
counts and each lead's lookup row; they now fire whatever the role (`ENABLE ALWAYS`), so an
unchecked insert of leads still writes both.

Row security is not a trigger, so it stays on: each written row is still checked against the
team. The function refuses a transaction with no team set. A local setting ends with its
transaction, and a failed statement rolls it back.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

from reos.db import rls

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Migrations 0010 (the board's counts) and 0019 (the lookup rows).
PROPERTY_TRIGGERS = (
    "property_stage_counts_inserted",
    "property_stage_counts_deleted",
    "property_stage_counts_updated",
    "property_lookup_inserted",
    "property_lookup_updated",
)


def upgrade() -> None:
    rls.owner_function(
        "reos_set_reference_checks(boolean)",
        """
        create function reos_set_reference_checks(checked boolean) returns boolean
        language plpgsql security definer set search_path = public, pg_temp as $$
        begin
            if nullif(current_setting('app.team_id', true), '') is null then
                raise exception 'reference checks may only be set for a team (app.team_id)';
            end if;
            perform set_config('session_replication_role',
                               case when checked then 'origin' else 'replica' end, true);
            return true;
        exception when insufficient_privilege then
            return false;
        end
        $$
        """,
    )
    for trigger in PROPERTY_TRIGGERS:
        op.execute(f"alter table properties enable always trigger {trigger}")


def downgrade() -> None:
    for trigger in PROPERTY_TRIGGERS:
        op.execute(f"alter table properties enable trigger {trigger}")
    op.execute("drop function reos_set_reference_checks(boolean)")
