"""Derived signals live on the lead: `properties.derived_signals`, {kind: the day first found}

The five kinds a lead's own record shows (high equity, free and clear, long tenure, absentee and
out-of-state owner) were a `signals` row each, with three index entries and three foreign-key
checks. The first rescoring after a million-lead import inserted 1.8 M of them beside the 973,000
score writes it makes anyway: 71.5 s, where a change of the weights rescored in 22.4 s
(docs/benchmarks.md, "Rescoring", eighth pass). Kept as a map on the row the score write
rewrites, they cost that write nothing more. Their evidence (the equity, the mailing address) is
read from the record when a lead's signals are shown, so it is always the record's own.

`signals` keeps what an import or a person recorded (`source` in import, manual).

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _unforced(lift: bool) -> None:
    for table in ("properties", "signals"):
        op.execute(f"alter table {table} {'no ' if lift else ''}force row level security")


def upgrade() -> None:
    op.add_column(
        "properties",
        sa.Column(
            "derived_signals", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
    )
    # A table's owner reads past its policies unless they are forced (as in 0010 and 0019): the
    # data moves between every team's rows with FORCE lifted, inside the migration's transaction.
    _unforced(True)
    op.execute(
        """
        update properties p set derived_signals = d.found
        from (
            select team_id, property_id, jsonb_object_agg(kind, to_char(observed_on, 'YYYY-MM-DD')) as found
            from signals where source = 'derived' group by team_id, property_id
        ) d
        where p.team_id = d.team_id and p.id = d.property_id
        """
    )
    op.execute("delete from signals where source = 'derived'")
    _unforced(False)
    op.drop_constraint(op.f("ck_signals_source_valid"), "signals", type_="check")
    op.create_check_constraint(op.f("ck_signals_source_valid"), "signals", "source in ('import', 'manual')")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_signals_source_valid"), "signals", type_="check")
    op.create_check_constraint(
        op.f("ck_signals_source_valid"), "signals", "source in ('import', 'manual', 'derived')"
    )
    _unforced(True)
    # The evidence was read from the record; the next rescoring writes it into `detail` again.
    # A kind an import or a person recorded stays theirs (the map keeps its date beside it).
    op.execute(
        """
        insert into signals (id, team_id, created_at, updated_at, property_id, kind, source, observed_on, detail)
        select uuid_v7(), p.team_id, now(), now(), p.id, e.key, 'derived', e.value::date, '{}'
        from properties p cross join lateral jsonb_each_text(p.derived_signals) e
        where not exists (
            select 1 from signals s where s.team_id = p.team_id and s.property_id = p.id and s.kind = e.key
        )
        """
    )
    _unforced(False)
    op.drop_column("properties", "derived_signals")
