"""contacts: people and entities, their phones and emails, their roles on properties

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reos.db import rls

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("entity_name", sa.String(length=200), nullable=True),
        sa.Column("street", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("zip_code", sa.String(length=10), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind in ('person', 'entity')", name=op.f("ck_contacts_kind_valid")),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_contacts_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_contacts_team_id_id")),
    )
    op.create_index(
        "ix_contacts_team_id_created_at_id", "contacts", ["team_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "contact_points",
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("line_type", sa.String(length=10), nullable=False),
        sa.Column("dnc", sa.Boolean(), nullable=False),
        sa.Column("dnc_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind in ('phone', 'email')", name=op.f("ck_contact_points_kind_valid")),
        sa.CheckConstraint(
            "line_type in ('unknown', 'mobile', 'landline', 'voip')",
            name=op.f("ck_contact_points_line_type_valid"),
        ),
        sa.CheckConstraint(
            "status in ('unknown', 'valid', 'wrong')", name=op.f("ck_contact_points_status_valid")
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "contact_id"],
            ["contacts.team_id", "contacts.id"],
            name=op.f("fk_contact_points_team_id_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_contact_points_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_points")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_contact_points_team_id_id")),
        sa.UniqueConstraint("team_id", "kind", "value", name=op.f("uq_contact_points_team_id_kind_value")),
    )
    op.create_index(
        "ix_contact_points_team_id_contact_id", "contact_points", ["team_id", "contact_id"], unique=False
    )
    op.create_table(
        "property_contacts",
        sa.Column("property_id", sa.Uuid(), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role in ('owner', 'co_owner', 'heir', 'tenant', 'buyer', 'other')",
            name=op.f("ck_property_contacts_role_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "contact_id"],
            ["contacts.team_id", "contacts.id"],
            name=op.f("fk_property_contacts_team_id_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "property_id"],
            ["properties.team_id", "properties.id"],
            name=op.f("fk_property_contacts_team_id_property_id_properties"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_property_contacts_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_property_contacts")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_property_contacts_team_id_id")),
        sa.UniqueConstraint(
            "team_id",
            "property_id",
            "contact_id",
            "role",
            name=op.f("uq_property_contacts_team_id_property_id_contact_id_role"),
        ),
    )
    op.create_index(
        "ix_property_contacts_team_id_contact_id",
        "property_contacts",
        ["team_id", "contact_id"],
        unique=False,
    )

    for table in ("contacts", "contact_points", "property_contacts"):
        rls.tenant_table(table)


def downgrade() -> None:
    op.drop_index("ix_property_contacts_team_id_contact_id", table_name="property_contacts")
    op.drop_table("property_contacts")
    op.drop_index("ix_contact_points_team_id_contact_id", table_name="contact_points")
    op.drop_table("contact_points")
    op.drop_index("ix_contacts_team_id_created_at_id", table_name="contacts")
    op.drop_table("contacts")
