"""board numbers kept in step: property_stage_counts and the triggers that maintain it

The unfiltered board aggregated every live lead of the team per request (420 ms at 1,000,000
properties, a million index entries however the index is shaped). The counts and value sums per
(team, stage, assignee, market) are now kept by triggers on `properties`, in the same transaction
as the change:
- INSERT, UPDATE and DELETE: statement-level with transition tables, one grouped upsert per
  statement (an import's set-based insert of a million rows pays one aggregate, not a million
  upserts). A row-level UPDATE trigger was tried first (it can be limited to the bucket columns)
  and dropped: a set-based stage move of 200,000 rows upserted the same counts row 200,000 times
  in one transaction, each walking the row's growing chain of versions (over 16 minutes).
  The price of statement level: an UPDATE that changes no bucket column (a rescoring) still
  materialises its old and new rows and aggregates deltas that cancel out.
The functions run as the invoker: the app role may only change its own team's properties (RLS),
so the counts rows it writes are its own team's, which the counts table's policy checks again.
Upserts go in key order to keep concurrent statements from deadlocking each other.

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reos.db import rls

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "property_stage_counts"

UPSERT = f"""
    insert into {TABLE} as c (id, created_at, team_id, stage, assigned_to_id, market_id, leads, total_value)
    select gen_random_uuid(), now(), d.team_id, d.stage, d.assigned_to_id, d.market_id, sum(d.n), sum(d.v)
    from ({{rows}}) d
    group by d.team_id, d.stage, d.assigned_to_id, d.market_id
    having sum(d.n) <> 0 or sum(d.v) <> 0
    order by d.team_id, d.stage, d.assigned_to_id, d.market_id
    on conflict (team_id, stage, assigned_to_id, market_id)
    do update set leads = c.leads + excluded.leads, total_value = c.total_value + excluded.total_value
"""


def _rows(table: str, sign: str) -> str:
    return (
        f"select team_id, stage, assigned_to_id, market_id, {sign}1 as n, "
        f"{sign}coalesce(estimated_value, 0) as v from {table} where deleted_at is null"
    )


FUNCTIONS = f"""
create function property_stage_counts_inserted() returns trigger language plpgsql as $$
begin
    {UPSERT.format(rows=_rows("new_rows", ""))};
    return null;
end $$;

create function property_stage_counts_deleted() returns trigger language plpgsql as $$
begin
    {UPSERT.format(rows=_rows("old_rows", "-"))};
    return null;
end $$;

create function property_stage_counts_updated() returns trigger language plpgsql as $$
begin
    {UPSERT.format(rows=_rows("old_rows", "-") + " union all " + _rows("new_rows", ""))};
    return null;
end $$;
"""


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("assigned_to_id", sa.Uuid(), nullable=True),
        sa.Column("market_id", sa.Uuid(), nullable=True),
        sa.Column("leads", sa.BigInteger(), nullable=False),
        sa.Column("total_value", sa.Numeric(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_property_stage_counts_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_property_stage_counts")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_property_stage_counts_team_id_id")),
        sa.UniqueConstraint(
            "team_id",
            "stage",
            "assigned_to_id",
            "market_id",
            name=op.f("uq_property_stage_counts_team_id_stage_assigned_to_id_market_id"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    # What is already there, before the table's row security is on. A table's owner reads past
    # its policies unless they are forced, so the migration lifts FORCE on properties for the
    # one statement (all in the migration's transaction).
    op.execute("alter table properties no force row level security")
    op.execute(
        f"insert into {TABLE} (id, created_at, team_id, stage, assigned_to_id, market_id, leads, total_value) "
        "select gen_random_uuid(), now(), team_id, stage, assigned_to_id, market_id, count(*), "
        "coalesce(sum(estimated_value), 0) from properties where deleted_at is null "
        "group by team_id, stage, assigned_to_id, market_id"
    )

    op.execute("alter table properties force row level security")
    rls.tenant_table(TABLE)
    rls.raw_sql(FUNCTIONS)
    op.execute(
        "create trigger property_stage_counts_inserted after insert on properties "
        "referencing new table as new_rows for each statement "
        "execute function property_stage_counts_inserted()"
    )
    op.execute(
        "create trigger property_stage_counts_deleted after delete on properties "
        "referencing old table as old_rows for each statement "
        "execute function property_stage_counts_deleted()"
    )
    op.execute(
        "create trigger property_stage_counts_updated after update on properties "
        "referencing old table as old_rows new table as new_rows for each statement "
        "execute function property_stage_counts_updated()"
    )


def downgrade() -> None:
    for name in ("inserted", "deleted", "updated"):
        op.execute(f"drop trigger property_stage_counts_{name} on properties")
        op.execute(f"drop function property_stage_counts_{name}()")
    op.drop_table(TABLE)
