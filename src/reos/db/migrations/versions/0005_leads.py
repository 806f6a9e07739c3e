"""leads: property fields, soft delete, merge, provenance, search; notes, events, tasks, lists,
flags, custom fields, bulk actions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from reos.db import rls

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "custom_fields",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("choices", postgresql.ARRAY(sa.String(length=100)), server_default="{}", nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("key ~ '^[a-z][a-z0-9_]{0,39}$'", name=op.f("ck_custom_fields_key_format")),
        sa.CheckConstraint(
            "type in ('text', 'number', 'date', 'boolean', 'choice')",
            name=op.f("ck_custom_fields_type_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_custom_fields_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_fields")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_custom_fields_team_id_id")),
        sa.UniqueConstraint("team_id", "key", name=op.f("uq_custom_fields_team_id_key")),
    )
    op.create_table(
        "bulk_actions",
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("params", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("selection", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("summary", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action in ('stage', 'assign', 'tag', 'untag', 'add_to_list', 'remove_from_list', 'delete')",
            name=op.f("ck_bulk_actions_action_valid"),
        ),
        sa.CheckConstraint(
            "status in ('queued', 'running', 'completed', 'failed')",
            name=op.f("ck_bulk_actions_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "created_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_bulk_actions_team_id_created_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_bulk_actions_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_actions")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_bulk_actions_team_id_id")),
    )
    op.create_index(
        "ix_bulk_actions_team_id_created_at_id", "bulk_actions", ["team_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "lists",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("filter", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("columns", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind = 'static' OR filter IS NOT NULL", name=op.f("ck_lists_smart_has_filter")),
        sa.CheckConstraint("kind in ('smart', 'static')", name=op.f("ck_lists_kind_valid")),
        sa.ForeignKeyConstraint(
            ["team_id", "created_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_lists_team_id_created_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_lists_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lists")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_lists_team_id_id")),
        sa.UniqueConstraint("team_id", "name", name=op.f("uq_lists_team_id_name")),
    )
    op.create_table(
        "data_flags",
        sa.Column("property_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("raised_by_id", sa.Uuid(), nullable=True),
        sa.Column("resolved_by_id", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status in ('open', 'confirmed', 'fixed', 'rejected')", name=op.f("ck_data_flags_status_valid")
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "property_id"],
            ["properties.team_id", "properties.id"],
            name=op.f("fk_data_flags_team_id_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "raised_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_data_flags_team_id_raised_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "resolved_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_data_flags_team_id_resolved_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_data_flags_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_flags")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_data_flags_team_id_id")),
    )
    op.create_index(
        "ix_data_flags_team_id_property_id", "data_flags", ["team_id", "property_id"], unique=False
    )
    op.create_index(
        "ix_data_flags_team_id_status_created_at",
        "data_flags",
        ["team_id", "status", "created_at"],
        unique=False,
    )
    op.create_table(
        "list_members",
        sa.Column("list_id", sa.Uuid(), nullable=False),
        sa.Column("property_id", sa.Uuid(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id", "list_id"],
            ["lists.team_id", "lists.id"],
            name=op.f("fk_list_members_team_id_list_id_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "property_id"],
            ["properties.team_id", "properties.id"],
            name=op.f("fk_list_members_team_id_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_list_members_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_list_members")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_list_members_team_id_id")),
        sa.UniqueConstraint(
            "team_id", "list_id", "property_id", name=op.f("uq_list_members_team_id_list_id_property_id")
        ),
    )
    op.create_index(
        "ix_list_members_team_id_property_id", "list_members", ["team_id", "property_id"], unique=False
    )
    op.create_table(
        "notes",
        sa.Column("property_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "property_id IS NOT NULL OR contact_id IS NOT NULL", name=op.f("ck_notes_has_subject")
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "author_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_notes_team_id_author_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "contact_id"],
            ["contacts.team_id", "contacts.id"],
            name=op.f("fk_notes_team_id_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "property_id"],
            ["properties.team_id", "properties.id"],
            name=op.f("fk_notes_team_id_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_notes_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_notes_team_id_id")),
    )
    op.create_index(
        "ix_notes_team_id_contact_id_created_at",
        "notes",
        ["team_id", "contact_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_notes_team_id_property_id_created_at",
        "notes",
        ["team_id", "property_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "property_events",
        sa.Column("property_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind in ('created', 'stage_changed', 'edited', 'assigned', 'deleted', 'restored', 'merged', 'merged_away', 'flag_raised', 'flag_resolved', 'contact_linked', 'task_created', 'task_completed')",
            name=op.f("ck_property_events_kind_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "actor_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_property_events_team_id_actor_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "property_id"],
            ["properties.team_id", "properties.id"],
            name=op.f("fk_property_events_team_id_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_property_events_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_property_events")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_property_events_team_id_id")),
    )
    op.create_index(
        "ix_property_events_team_id_property_id_at",
        "property_events",
        ["team_id", "property_id", "at"],
        unique=False,
    )
    op.create_table(
        "tasks",
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("property_id", sa.Uuid(), nullable=True),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sla_breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by_id", sa.Uuid(), nullable=True),
        sa.Column("source_kind", sa.String(length=10), nullable=True),
        sa.Column("source_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "priority in ('low', 'normal', 'high', 'urgent')", name=op.f("ck_tasks_priority_valid")
        ),
        sa.CheckConstraint(
            "source_kind IS NULL OR source_kind in ('note', 'event')", name=op.f("ck_tasks_source_kind_valid")
        ),
        sa.CheckConstraint("status in ('open', 'done', 'cancelled')", name=op.f("ck_tasks_status_valid")),
        sa.ForeignKeyConstraint(
            ["team_id", "assignee_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_tasks_team_id_assignee_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "completed_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_tasks_team_id_completed_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "contact_id"],
            ["contacts.team_id", "contacts.id"],
            name=op.f("fk_tasks_team_id_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "created_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_tasks_team_id_created_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "property_id"],
            ["properties.team_id", "properties.id"],
            name=op.f("fk_tasks_team_id_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_tasks_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_tasks_team_id_id")),
    )
    op.create_index(
        "ix_tasks_open_due",
        "tasks",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("status = 'open' AND (overdue_at IS NULL OR sla_breached_at IS NULL)"),
    )
    op.create_index(
        "ix_tasks_team_id_assignee_id_status_due_at",
        "tasks",
        ["team_id", "assignee_id", "status", "due_at"],
        unique=False,
    )
    op.create_index("ix_tasks_team_id_property_id", "tasks", ["team_id", "property_id"], unique=False)
    op.create_index("ix_tasks_team_id_status_due_at", "tasks", ["team_id", "status", "due_at"], unique=False)
    op.create_index(
        "ix_contact_points_team_id_value_prefix",
        "contact_points",
        ["team_id", "value"],
        unique=False,
        postgresql_ops={"value": "varchar_pattern_ops"},
    )
    op.add_column(
        "contacts",
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed(
                persisted=True,
                sqltext="to_tsvector('simple'::regconfig, coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(entity_name, ''))",
            ),
            nullable=False,
        ),
    )
    op.create_index("ix_contacts_search", "contacts", ["search"], unique=False, postgresql_using="gin")
    op.add_column("properties", sa.Column("latitude", sa.Numeric(precision=9, scale=6), nullable=True))
    op.add_column("properties", sa.Column("longitude", sa.Numeric(precision=9, scale=6), nullable=True))
    op.add_column("properties", sa.Column("property_type", sa.String(length=20), nullable=True))
    op.add_column("properties", sa.Column("lot_size_sqft", sa.Integer(), nullable=True))
    op.add_column("properties", sa.Column("assessed_value", sa.Numeric(precision=14, scale=2), nullable=True))
    op.add_column(
        "properties", sa.Column("mortgage_balance", sa.Numeric(precision=14, scale=2), nullable=True)
    )
    op.add_column(
        "properties",
        sa.Column(
            "equity",
            sa.Numeric(precision=14, scale=2),
            sa.Computed(
                persisted=True,
                sqltext="estimated_value - coalesce(mortgage_balance, 0)",
            ),
            nullable=True,
        ),
    )
    op.add_column(
        "properties",
        sa.Column(
            "equity_percent",
            sa.Numeric(precision=6, scale=1),
            sa.Computed(
                persisted=True,
                sqltext="CASE WHEN estimated_value > 0 THEN round((estimated_value - coalesce(mortgage_balance, 0)) * 100 / estimated_value, 1) END",
            ),
            nullable=True,
        ),
    )
    op.add_column("properties", sa.Column("last_sale_date", sa.Date(), nullable=True))
    op.add_column(
        "properties", sa.Column("last_sale_price", sa.Numeric(precision=14, scale=2), nullable=True)
    )
    op.add_column(
        "properties",
        sa.Column("tags", postgresql.ARRAY(sa.String(length=60)), server_default="{}", nullable=False),
    )
    op.add_column(
        "properties",
        sa.Column("custom", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column("properties", sa.Column("market_id", sa.Uuid(), nullable=True))
    op.add_column("properties", sa.Column("stage_changed_at", sa.DateTime(timezone=True), nullable=True))
    # Existing rows: the stage they are in is the one they were created in, as far as we know.
    op.execute("update properties set stage_changed_at = coalesce(updated_at, created_at)")
    op.alter_column("properties", "stage_changed_at", nullable=False)
    op.execute("update properties set updated_at = created_at where updated_at is null")
    op.add_column("properties", sa.Column("score", sa.SmallInteger(), server_default="0", nullable=False))
    op.add_column(
        "properties",
        sa.Column("provenance", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column("properties", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("properties", sa.Column("merged_into_id", sa.Uuid(), nullable=True))
    op.add_column(
        "properties",
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed(
                persisted=True,
                sqltext="to_tsvector('simple'::regconfig, coalesce(address, '') || ' ' || coalesce(unit, '') || ' ' || coalesce(city, '') || ' ' || coalesce(state, '') || ' ' || coalesce(zip_code, '') || ' ' || coalesce(county, '') || ' ' || coalesce(apn, '') || ' ' || replace(coalesce(apn, ''), '-', ''))",
            ),
            nullable=False,
        ),
    )
    op.alter_column(
        "properties", "updated_at", existing_type=postgresql.TIMESTAMP(timezone=True), nullable=False
    )
    # The default list order now reads live rows only.
    op.drop_index("ix_properties_team_id_created_at_id", table_name="properties")
    op.create_index(
        "ix_properties_team_id_created_at_id",
        "properties",
        ["team_id", "created_at", "id"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index("ix_properties_search", "properties", ["search"], unique=False, postgresql_using="gin")
    op.create_index("ix_properties_tags", "properties", ["tags"], unique=False, postgresql_using="gin")
    op.create_index("ix_properties_team_id_market_id", "properties", ["team_id", "market_id"], unique=False)
    op.create_index(
        "ix_properties_team_id_score_id",
        "properties",
        ["team_id", "score", "id"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "ix_properties_team_id_stage_score", "properties", ["team_id", "stage", "score"], unique=False
    )
    op.create_index(
        "ix_properties_team_id_updated_at_id",
        "properties",
        ["team_id", "updated_at", "id"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_foreign_key(
        op.f("fk_properties_team_id_market_id_markets"),
        "properties",
        "markets",
        ["team_id", "market_id"],
        ["team_id", "id"],
        ondelete="SET NULL (market_id)",
    )
    op.create_foreign_key(
        op.f("fk_properties_team_id_merged_into_id_properties"),
        "properties",
        "properties",
        ["team_id", "merged_into_id"],
        ["team_id", "id"],
    )

    for table in (
        "custom_fields",
        "bulk_actions",
        "lists",
        "data_flags",
        "list_members",
        "notes",
        "property_events",
        "tasks",
    ):
        rls.tenant_table(table)


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_properties_team_id_merged_into_id_properties"), "properties", type_="foreignkey"
    )
    op.drop_constraint(op.f("fk_properties_team_id_market_id_markets"), "properties", type_="foreignkey")
    op.drop_index(
        "ix_properties_team_id_updated_at_id",
        table_name="properties",
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_index("ix_properties_team_id_created_at_id", table_name="properties")
    op.create_index(
        "ix_properties_team_id_created_at_id", "properties", ["team_id", "created_at", "id"], unique=False
    )
    op.drop_index("ix_properties_team_id_stage_score", table_name="properties")
    op.drop_index(
        "ix_properties_team_id_score_id",
        table_name="properties",
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_index("ix_properties_team_id_market_id", table_name="properties")
    op.drop_index("ix_properties_tags", table_name="properties", postgresql_using="gin")
    op.drop_index("ix_properties_search", table_name="properties", postgresql_using="gin")
    op.alter_column(
        "properties", "updated_at", existing_type=postgresql.TIMESTAMP(timezone=True), nullable=True
    )
    op.drop_column("properties", "search")
    op.drop_column("properties", "merged_into_id")
    op.drop_column("properties", "deleted_at")
    op.drop_column("properties", "provenance")
    op.drop_column("properties", "score")
    op.drop_column("properties", "stage_changed_at")
    op.drop_column("properties", "market_id")
    op.drop_column("properties", "custom")
    op.drop_column("properties", "tags")
    op.drop_column("properties", "last_sale_price")
    op.drop_column("properties", "last_sale_date")
    op.drop_column("properties", "equity_percent")
    op.drop_column("properties", "equity")
    op.drop_column("properties", "mortgage_balance")
    op.drop_column("properties", "assessed_value")
    op.drop_column("properties", "lot_size_sqft")
    op.drop_column("properties", "property_type")
    op.drop_column("properties", "longitude")
    op.drop_column("properties", "latitude")
    op.drop_index("ix_contacts_search", table_name="contacts", postgresql_using="gin")
    op.drop_column("contacts", "search")
    op.drop_index(
        "ix_contact_points_team_id_value_prefix",
        table_name="contact_points",
        postgresql_ops={"value": "varchar_pattern_ops"},
    )
    op.drop_index("ix_tasks_team_id_status_due_at", table_name="tasks")
    op.drop_index("ix_tasks_team_id_property_id", table_name="tasks")
    op.drop_index("ix_tasks_team_id_assignee_id_status_due_at", table_name="tasks")
    op.drop_index(
        "ix_tasks_open_due",
        table_name="tasks",
        postgresql_where=sa.text("status = 'open' AND (overdue_at IS NULL OR sla_breached_at IS NULL)"),
    )
    op.drop_table("tasks")
    op.drop_index("ix_property_events_team_id_property_id_at", table_name="property_events")
    op.drop_table("property_events")
    op.drop_index("ix_notes_team_id_property_id_created_at", table_name="notes")
    op.drop_index("ix_notes_team_id_contact_id_created_at", table_name="notes")
    op.drop_table("notes")
    op.drop_index("ix_list_members_team_id_property_id", table_name="list_members")
    op.drop_table("list_members")
    op.drop_index("ix_data_flags_team_id_status_created_at", table_name="data_flags")
    op.drop_index("ix_data_flags_team_id_property_id", table_name="data_flags")
    op.drop_table("data_flags")
    op.drop_table("lists")
    op.drop_index("ix_bulk_actions_team_id_created_at_id", table_name="bulk_actions")
    op.drop_table("bulk_actions")
    op.drop_table("custom_fields")
