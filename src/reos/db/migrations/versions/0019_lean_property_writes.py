"""fewer index entries per written property: what finds a property in its own table, sparse indexes partial

A rescoring rewrites up to a million rows of `properties`, and an import inserts as many. `score`
is indexed, so no score update is HOT: each new row version went into all 16 indexes, and the
generated search vector and keys were computed again. A bare score update of 62,500 leads (of
1,000,000 in the team, rolled back; docs/benchmarks.md, "Rescoring", sixth pass) took 7.2 s with
every index and 3.9 s without the ones moved or narrowed here:
- the search vector and the two de-duplication keys, with their GIN and text-keyed btrees, move to
  `property_lookup` (one row per property, under its id), written by triggers on `properties`
  when a property is inserted or its address, county or APN changes. Each value has one SQL
  function, which the import's matching calls as well;
- the indexes over columns most leads leave empty hold only the rows that fill them: tags,
  market, assignee (three). Every query that reads them names a value, which implies the
  condition (`x = $1` proves `x IS NOT NULL`); a tag filter adds `cardinality(tags) > 0`;
- `(team_id, score, id)` goes: the list breaks a score's ties by age (score, created_at, id),
  which `(team_id, score, created_at, id)` serves, and the stage index carries `created_at` too.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from reos.db import rls

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "property_lookup"
COLUMNS = ("address", "unit", "city", "state", "zip_code", "county", "apn")
# The three values as 0005 and 0007 generated them on `properties`.
SEARCH = (
    "to_tsvector('simple'::regconfig, coalesce(address, '') || ' ' || coalesce(unit, '') || ' ' || "
    "coalesce(city, '') || ' ' || coalesce(state, '') || ' ' || coalesce(zip_code, '') || ' ' || "
    "coalesce(county, '') || ' ' || coalesce(apn, '') || ' ' || replace(coalesce(apn, ''), '-', ''))"
)
ADDRESS_KEY = "upper(address) || '|' || upper(coalesce(unit, '')) || '|' || left(zip_code, 5)"
APN_KEY = (
    "CASE WHEN apn IS NOT NULL AND county IS NOT NULL THEN "
    "upper(regexp_replace(apn, '[^A-Za-z0-9]', '', 'g')) || '|' || "
    r"regexp_replace(upper(county), '\s+COUNTY$', '') END"
)
SIGNATURES = {
    "property_search_vector": COLUMNS,
    "property_address_key": ("address", "unit", "zip_code"),
    "property_apn_key": ("apn", "county"),
}
BODIES = {"property_search_vector": SEARCH, "property_address_key": ADDRESS_KEY, "property_apn_key": APN_KEY}
RETURNS = {"property_search_vector": "tsvector", "property_address_key": "text", "property_apn_key": "text"}


def _signature(name: str) -> str:
    return f"{name}({', '.join(f'{c} text' for c in SIGNATURES[name])})"


def _values(prefix: str) -> str:
    """search, address_key, apn_key of the row whose columns are `prefix` + name."""
    return ", ".join(f"{name}({', '.join(prefix + c for c in args)})" for name, args in SIGNATURES.items())


VALUE_FUNCTIONS = "\n".join(
    f"create function {_signature(name)} returns {RETURNS[name]} "
    f"language sql immutable parallel safe as $$ select {BODIES[name]} $$;"
    for name in SIGNATURES
)
TRIGGER_FUNCTIONS = f"""
create function property_lookup_inserted() returns trigger language plpgsql as $$
begin
    insert into {TABLE} (id, created_at, team_id, search, address_key, apn_key)
    select id, created_at, team_id, {_values("")} from new_rows;
    return null;
end $$;

create function property_lookup_updated() returns trigger language plpgsql as $$
begin
    update {TABLE} set (search, address_key, apn_key) = (select {_values("new.")})
    where team_id = new.team_id and id = new.id;
    return null;
end $$;
"""
# Row level with a column list: a statement that sets none of these columns (a rescoring, a stage
# move) fires nothing. Transition tables cannot be combined with a column list.
UPDATE_TRIGGER = (
    f"create trigger property_lookup_updated after update of {', '.join(COLUMNS)} on properties "
    "for each row when ("
    + " or ".join(f"old.{c} is distinct from new.{c}" for c in COLUMNS)
    + ") execute function property_lookup_updated()"
)

# (name, columns, where, method) of each index made partial, then as it was.
PARTIAL = (
    ("ix_properties_tags", ["tags"], "cardinality(tags) > 0", "gin"),
    ("ix_properties_team_id_market_id", ["team_id", "market_id"], "market_id IS NOT NULL", "btree"),
    (
        "ix_properties_team_id_assigned_to_id",
        ["team_id", "assigned_to_id"],
        "assigned_to_id IS NOT NULL",
        "btree",
    ),
    (
        "ix_properties_team_id_assigned_to_id_updated_at",
        ["team_id", "assigned_to_id", "updated_at"],
        "deleted_at IS NULL AND assigned_to_id IS NOT NULL",
        "btree",
    ),
)
WHOLE = (
    ("ix_properties_tags", ["tags"], None, "gin"),
    ("ix_properties_team_id_market_id", ["team_id", "market_id"], None, "btree"),
    ("ix_properties_team_id_assigned_to_id", ["team_id", "assigned_to_id"], None, "btree"),
    (
        "ix_properties_team_id_assigned_to_id_updated_at",
        ["team_id", "assigned_to_id", "updated_at"],
        "deleted_at IS NULL",
        "btree",
    ),
)


def _analyze_leads(tables: str) -> None:
    """`reos_analyze_leads()` (0014) over these tables: after a big import the matching reads
    `property_lookup` too."""
    op.execute(f"""
        create or replace function reos_analyze_leads() returns void
        language plpgsql security definer set search_path = public, pg_temp as $$
        begin
            analyze {tables};
        end
        $$
    """)


LEAD_TABLES = "properties, contacts, contact_points, property_contacts, signals"


def _rebuild(shapes: tuple[tuple[str, list[str], str | None, str], ...]) -> None:
    for name, columns, where, using in shapes:
        op.drop_index(name, table_name="properties")
        op.create_index(
            name,
            "properties",
            columns,
            unique=False,
            postgresql_where=sa.text(where) if where else None,
            postgresql_using=using,
        )


def _assignee_stage(where: str) -> None:
    op.drop_index("ix_properties_team_id_assigned_to_id_stage", table_name="properties")
    op.create_index(
        "ix_properties_team_id_assigned_to_id_stage",
        "properties",
        ["team_id", "assigned_to_id", "stage"],
        unique=False,
        postgresql_where=sa.text(where),
        postgresql_include=["estimated_value"],
    )


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("search", postgresql.TSVECTOR(), nullable=False),
        sa.Column("address_key", sa.String(length=260), nullable=False),
        sa.Column("apn_key", sa.String(length=200), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id", "id"],
            ["properties.team_id", "properties.id"],
            name=op.f("fk_property_lookup_team_id_id_properties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_property_lookup_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_property_lookup")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_property_lookup_team_id_id")),
    )
    rls.raw_sql(VALUE_FUNCTIONS + TRIGGER_FUNCTIONS)
    # What is already there, before either table's row security is on: a table's owner reads
    # past its policies unless they are forced (as in 0010).
    op.execute("alter table properties no force row level security")
    op.execute(
        f"insert into {TABLE} (id, created_at, team_id, search, address_key, apn_key) "
        f"select id, created_at, team_id, {_values('')} from properties"
    )
    op.execute("alter table properties force row level security")
    op.create_index("ix_property_lookup_search", TABLE, ["search"], unique=False, postgresql_using="gin")
    op.create_index("ix_property_lookup_team_id_address_key", TABLE, ["team_id", "address_key"], unique=False)
    op.create_index(
        "ix_property_lookup_team_id_apn_key",
        TABLE,
        ["team_id", "apn_key"],
        unique=False,
        postgresql_where=sa.text("apn_key IS NOT NULL"),
    )
    rls.tenant_table(TABLE)
    op.execute(
        "create trigger property_lookup_inserted after insert on properties "
        "referencing new table as new_rows for each statement "
        "execute function property_lookup_inserted()"
    )
    op.execute(UPDATE_TRIGGER)
    _analyze_leads(f"{LEAD_TABLES}, {TABLE}")
    # Dropping a column drops the indexes over it.
    for column in ("search", "address_key", "apn_key"):
        op.drop_column("properties", column)

    _rebuild(PARTIAL)
    _assignee_stage("deleted_at IS NULL AND assigned_to_id IS NOT NULL")
    op.drop_index("ix_properties_team_id_score_id", table_name="properties")
    op.drop_index("ix_properties_team_id_stage_score_id", table_name="properties")
    op.create_index(
        "ix_properties_team_id_stage_score_created_at_id",
        "properties",
        ["team_id", "stage", "score", "created_at", "id"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
        postgresql_include=["estimated_value"],
    )


def downgrade() -> None:
    op.drop_index("ix_properties_team_id_stage_score_created_at_id", table_name="properties")
    op.create_index(
        "ix_properties_team_id_stage_score_id",
        "properties",
        ["team_id", "stage", "score", "id"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
        postgresql_include=["estimated_value"],
    )
    op.create_index(
        "ix_properties_team_id_score_id",
        "properties",
        ["team_id", "score", "id"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    _assignee_stage("deleted_at IS NULL")
    _rebuild(WHOLE)
    for column, type_, expression, nullable in (
        ("apn_key", sa.String(length=200), APN_KEY, True),
        ("address_key", sa.String(length=260), ADDRESS_KEY, False),
        ("search", postgresql.TSVECTOR(), SEARCH, False),
    ):
        op.add_column(
            "properties",
            sa.Column(column, type_, sa.Computed(persisted=True, sqltext=expression), nullable=nullable),
        )
    op.create_index(
        "ix_properties_team_id_address_key", "properties", ["team_id", "address_key"], unique=False
    )
    op.create_index("ix_properties_team_id_apn_key", "properties", ["team_id", "apn_key"], unique=False)
    op.create_index("ix_properties_search", "properties", ["search"], unique=False, postgresql_using="gin")
    _analyze_leads(LEAD_TABLES)
    op.execute("drop trigger property_lookup_updated on properties")
    op.execute("drop trigger property_lookup_inserted on properties")
    op.drop_table(TABLE)
    op.execute("drop function property_lookup_updated()")
    op.execute("drop function property_lookup_inserted()")
    for name in SIGNATURES:
        op.execute(f"drop function {_signature(name)}")
