"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29

Tenant tables get forced row-level security and their grants here, beside their DDL; the
look-ups that run before a team is known are SECURITY DEFINER functions returning ids.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from reos.db import rls

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(f"grant usage on schema public to {rls.APP_GROUP}")
    op.create_table(
        "accounts",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("is_operator", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_accounts_email")),
    )
    op.create_table(
        "outbox_messages",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=400), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=True),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    op.create_table(
        "teams",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("business_hours", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("postal_address", sa.Text(), nullable=True),
        sa.Column("brand_name", sa.String(length=200), nullable=True),
        sa.Column("brand_color", sa.String(length=7), nullable=False),
        sa.Column("logo_url", sa.String(length=500), nullable=True),
        sa.Column("agents_see_assigned_only", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
    )
    op.create_table(
        "markets",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("states", postgresql.ARRAY(sa.String(length=2)), nullable=False),
        sa.Column("counties", postgresql.ARRAY(sa.String(length=120)), nullable=False),
        sa.Column("zip_codes", postgresql.ARRAY(sa.String(length=5)), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_markets_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markets")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_markets_team_id_id")),
        sa.UniqueConstraint("team_id", "name", name=op.f("uq_markets_team_id_name")),
    )
    op.create_table(
        "memberships",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role in ('admin', 'manager', 'agent', 'viewer')", name=op.f("ck_memberships_role_valid")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_memberships_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_memberships_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("team_id", "account_id", name=op.f("uq_memberships_team_id_account_id")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_memberships_team_id_id")),
    )
    op.create_index("ix_memberships_account_id", "memberships", ["account_id"], unique=False)
    op.create_table(
        "password_resets",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_password_resets_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
    )
    op.create_index(op.f("ix_password_resets_account_id"), "password_resets", ["account_id"], unique=False)
    op.create_table(
        "auth_sessions",
        sa.Column("membership_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_agent", sa.String(length=400), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind in ('api', 'web')", name=op.f("ck_auth_sessions_kind_valid")),
        sa.ForeignKeyConstraint(
            ["team_id", "membership_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_auth_sessions_team_id_membership_id_memberships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_auth_sessions_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_auth_sessions_team_id_id")),
    )
    op.create_table(
        "invitations",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "role in ('admin', 'manager', 'agent', 'viewer')", name=op.f("ck_invitations_role_valid")
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "invited_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_invitations_team_id_invited_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_invitations_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_invitations_team_id_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )
    op.create_table(
        "properties",
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("zip_code", sa.String(length=10), nullable=False),
        sa.Column("county", sa.String(length=100), nullable=True),
        sa.Column("apn", sa.String(length=64), nullable=True),
        sa.Column("bedrooms", sa.Integer(), nullable=True),
        sa.Column("bathrooms", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("square_feet", sa.Integer(), nullable=True),
        sa.Column("year_built", sa.Integer(), nullable=True),
        sa.Column("estimated_value", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "stage in ('new', 'outreach', 'qualified', 'negotiation', 'under_contract', 'closed_won', 'closed_lost', 'archived')",
            name=op.f("ck_properties_stage_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "created_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_properties_team_id_created_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_properties_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_properties")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_properties_team_id_id")),
    )
    op.create_index(
        "ix_properties_team_id_created_at_id", "properties", ["team_id", "created_at", "id"], unique=False
    )

    rls.global_table("alembic_version", "select")
    rls.global_table("accounts", "select, insert, update")
    rls.global_table("password_resets", "select, insert, update")
    rls.global_table("outbox_messages", "select, insert")
    # A team's own row is visible only inside that team's context.
    rls.tenant_table("teams", column="id", privileges="select, insert, update")
    for table in ("memberships", "invitations", "auth_sessions", "markets", "properties"):
        rls.tenant_table(table)

    for table in ("teams", "memberships", "invitations"):
        rls.definer_can_read(table)
    rls.definer_function(
        "reos_account_teams(uuid)",
        """
        create function reos_account_teams(p_account uuid)
        returns table (team_id uuid, team_name text, role text)
        language sql stable security definer set search_path = public, pg_temp as $$
            select t.id, t.name::text, m.role::text
            from memberships m join teams t on t.id = m.team_id
            where m.account_id = p_account and m.is_active
            order by t.name, t.id
        $$
        """,
    )
    rls.definer_function(
        "reos_invitation_team(text)",
        """
        create function reos_invitation_team(p_token_hash text)
        returns uuid
        language sql stable security definer set search_path = public, pg_temp as $$
            select team_id from invitations where token_hash = p_token_hash
        $$
        """,
    )


def downgrade() -> None:
    op.execute("drop function reos_invitation_team(text)")
    op.execute("drop function reos_account_teams(uuid)")
    op.drop_index("ix_properties_team_id_created_at_id", table_name="properties")
    op.drop_table("properties")
    op.drop_table("invitations")
    op.drop_table("auth_sessions")
    op.drop_index(op.f("ix_password_resets_account_id"), table_name="password_resets")
    op.drop_table("password_resets")
    op.drop_index("ix_memberships_account_id", table_name="memberships")
    op.drop_table("memberships")
    op.drop_table("markets")
    op.drop_table("teams")
    op.drop_table("outbox_messages")
    op.drop_table("accounts")
