"""imports, signals and scoring: imports, bad rows, changes for undo, mapping presets, signals,
scoring settings; de-duplication keys and import links

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from reos.db import rls

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mapping_presets",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("mapping", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_mapping_presets_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mapping_presets")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_mapping_presets_team_id_id")),
        sa.UniqueConstraint("team_id", "name", name=op.f("uq_mapping_presets_team_id_name")),
    )
    op.create_table(
        "imports",
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("file_key", sa.String(length=500), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("mapping", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("on_duplicate", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("counts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("undo_report", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("format in ('csv', 'xlsx')", name=op.f("ck_imports_format_valid")),
        sa.CheckConstraint("on_duplicate in ('update', 'skip')", name=op.f("ck_imports_on_duplicate_valid")),
        sa.CheckConstraint(
            "status in ('queued', 'running', 'completed', 'failed', 'undone')",
            name=op.f("ck_imports_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "created_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_imports_team_id_created_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_imports_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_imports_team_id_id")),
    )
    op.create_index(
        "ix_imports_team_id_created_at_id", "imports", ["team_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "scoring_settings",
        sa.Column("weights", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("equity_gate_percent", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id", "updated_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_scoring_settings_team_id_updated_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_scoring_settings_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_settings")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_scoring_settings_team_id_id")),
        sa.UniqueConstraint("team_id", name=op.f("uq_scoring_settings_team_id")),
    )
    op.create_table(
        "import_errors",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id", "import_id"],
            ["imports.team_id", "imports.id"],
            name=op.f("fk_import_errors_team_id_import_id_imports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_import_errors_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_errors")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_import_errors_team_id_id")),
    )
    op.create_index(
        "ix_import_errors_team_id_import_id_row_number",
        "import_errors",
        ["team_id", "import_id", "row_number"],
        unique=False,
    )
    op.create_table(
        "import_changes",
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("property_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("fields", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("action in ('created', 'updated')", name=op.f("ck_import_changes_action_valid")),
        sa.ForeignKeyConstraint(
            ["team_id", "import_id"],
            ["imports.team_id", "imports.id"],
            name=op.f("fk_import_changes_team_id_import_id_imports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "property_id"],
            ["properties.team_id", "properties.id"],
            name=op.f("fk_import_changes_team_id_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_import_changes_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_changes")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_import_changes_team_id_id")),
        sa.UniqueConstraint(
            "team_id",
            "import_id",
            "property_id",
            name=op.f("uq_import_changes_team_id_import_id_property_id"),
        ),
    )
    op.create_index(
        "ix_import_changes_team_id_property_id", "import_changes", ["team_id", "property_id"], unique=False
    )
    op.create_table(
        "signals",
        sa.Column("property_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind in ('absentee_owner', 'out_of_state_owner', 'tax_delinquent', 'pre_foreclosure', 'probate', 'vacant', 'high_equity', 'free_and_clear', 'long_tenure', 'code_violation', 'eviction', 'divorce', 'tired_landlord')",
            name=op.f("ck_signals_kind_valid"),
        ),
        sa.CheckConstraint("source in ('import', 'manual', 'derived')", name=op.f("ck_signals_source_valid")),
        sa.ForeignKeyConstraint(
            ["team_id", "created_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_signals_team_id_created_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "import_id"],
            ["imports.team_id", "imports.id"],
            name=op.f("fk_signals_team_id_import_id_imports"),
            ondelete="SET NULL (import_id)",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "property_id"],
            ["properties.team_id", "properties.id"],
            name=op.f("fk_signals_team_id_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_signals_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_signals_team_id_id")),
        sa.UniqueConstraint(
            "team_id", "property_id", "kind", name=op.f("uq_signals_team_id_property_id_kind")
        ),
    )
    op.create_index("ix_signals_team_id_kind", "signals", ["team_id", "kind"], unique=False)
    op.add_column("contact_points", sa.Column("import_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_contact_points_team_id_import_id_imports"),
        "contact_points",
        "imports",
        ["team_id", "import_id"],
        ["team_id", "id"],
        ondelete="SET NULL (import_id)",
    )
    op.add_column("contacts", sa.Column("import_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_contacts_team_id_import_id_imports"),
        "contacts",
        "imports",
        ["team_id", "import_id"],
        ["team_id", "id"],
        ondelete="SET NULL (import_id)",
    )
    op.add_column("properties", sa.Column("import_id", sa.Uuid(), nullable=True))
    op.add_column(
        "properties",
        sa.Column(
            "signal_kinds", postgresql.ARRAY(sa.String(length=30)), server_default="{}", nullable=False
        ),
    )
    op.add_column("properties", sa.Column("score_updated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "properties",
        sa.Column(
            "apn_key",
            sa.String(length=200),
            sa.Computed(
                "CASE WHEN apn IS NOT NULL AND county IS NOT NULL THEN upper(regexp_replace(apn, '[^A-Za-z0-9]', '', 'g')) || '|' || regexp_replace(upper(county), '\\s+COUNTY$', '') END",
                persisted=True,
            ),
            nullable=True,
        ),
    )
    op.add_column(
        "properties",
        sa.Column(
            "address_key",
            sa.String(length=260),
            sa.Computed(
                "upper(address) || '|' || upper(coalesce(unit, '')) || '|' || left(zip_code, 5)",
                persisted=True,
            ),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_properties_team_id_address_key", "properties", ["team_id", "address_key"], unique=False
    )
    op.create_index("ix_properties_team_id_apn_key", "properties", ["team_id", "apn_key"], unique=False)
    op.create_index(
        "ix_properties_team_id_assigned_to_id_updated_at",
        "properties",
        ["team_id", "assigned_to_id", "updated_at"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_foreign_key(
        op.f("fk_properties_team_id_import_id_imports"),
        "properties",
        "imports",
        ["team_id", "import_id"],
        ["team_id", "id"],
        ondelete="SET NULL (import_id)",
    )
    op.add_column("property_contacts", sa.Column("import_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_property_contacts_team_id_import_id_imports"),
        "property_contacts",
        "imports",
        ["team_id", "import_id"],
        ["team_id", "id"],
        ondelete="SET NULL (import_id)",
    )

    for table in (
        "mapping_presets",
        "imports",
        "scoring_settings",
        "import_errors",
        "import_changes",
        "signals",
    ):
        rls.tenant_table(table)


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_property_contacts_team_id_import_id_imports"), "property_contacts", type_="foreignkey"
    )
    op.drop_column("property_contacts", "import_id")
    op.drop_constraint(op.f("fk_properties_team_id_import_id_imports"), "properties", type_="foreignkey")
    op.drop_index(
        "ix_properties_team_id_assigned_to_id_updated_at",
        table_name="properties",
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_index("ix_properties_team_id_apn_key", table_name="properties")
    op.drop_index("ix_properties_team_id_address_key", table_name="properties")
    op.drop_column("properties", "address_key")
    op.drop_column("properties", "apn_key")
    op.drop_column("properties", "score_updated_at")
    op.drop_column("properties", "signal_kinds")
    op.drop_column("properties", "import_id")
    op.drop_constraint(op.f("fk_contacts_team_id_import_id_imports"), "contacts", type_="foreignkey")
    op.drop_column("contacts", "import_id")
    op.drop_constraint(
        op.f("fk_contact_points_team_id_import_id_imports"), "contact_points", type_="foreignkey"
    )
    op.drop_column("contact_points", "import_id")
    op.drop_index("ix_signals_team_id_kind", table_name="signals")
    op.drop_table("signals")
    op.drop_index("ix_import_changes_team_id_property_id", table_name="import_changes")
    op.drop_table("import_changes")
    op.drop_index("ix_import_errors_team_id_import_id_row_number", table_name="import_errors")
    op.drop_table("import_errors")
    op.drop_table("scoring_settings")
    op.drop_index("ix_imports_team_id_created_at_id", table_name="imports")
    op.drop_table("imports")
    op.drop_table("mapping_presets")
