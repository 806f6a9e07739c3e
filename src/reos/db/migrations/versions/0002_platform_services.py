"""platform services: jobs (Procrastinate's queue and our failure/progress records),
idempotency keys, audit log, notifications, live events, provider status

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 16:12:56.976903
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from reos.db import rls
from reos.jobs.schema import procrastinate_downgrade_sql, procrastinate_grants_sql, procrastinate_schema_sql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provider_status",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("implementation", sa.String(length=40), nullable=False),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_provider_status")),
    )
    op.create_table(
        "audit_events",
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("actor_account_id", sa.Uuid(), nullable=True),
        sa.Column("actor_email", sa.String(length=320), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target_type", sa.String(length=60), nullable=True),
        sa.Column("target_id", sa.String(length=64), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=400), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_audit_events_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_audit_events_team_id_id")),
    )
    op.create_index(
        "ix_audit_events_team_id_created_at_id", "audit_events", ["team_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_headers", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state in ('running', 'done')", name=op.f("ck_idempotency_keys_state_valid")),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_idempotency_keys_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint(
            "team_id",
            "account_id",
            "method",
            "path",
            "key",
            name=op.f("uq_idempotency_keys_team_id_account_id_method_path_key"),
        ),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_idempotency_keys_team_id_id")),
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"], unique=False)
    op.create_table(
        "job_failures",
        sa.Column("team_id", sa.Uuid(), nullable=True),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("task_name", sa.String(length=200), nullable=False),
        sa.Column("queue", sa.String(length=100), nullable=False),
        sa.Column("args", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("traceback", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("replayed_job_id", sa.BigInteger(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state in ('failed', 'replayed', 'archived')", name=op.f("ck_job_failures_state_valid")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_job_failures_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_failures")),
        sa.UniqueConstraint("job_id", name=op.f("uq_job_failures_job_id")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_job_failures_team_id_id")),
    )
    op.create_index(
        "ix_job_failures_team_id_state_created_at",
        "job_failures",
        ["team_id", "state", "created_at"],
        unique=False,
    )
    op.create_table(
        "job_runs",
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("task_name", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status in ('running', 'completed', 'failed')", name=op.f("ck_job_runs_status_valid")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_job_runs_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job_id", name=op.f("uq_job_runs_job_id")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_job_runs_team_id_id")),
    )
    op.create_table(
        "live_events",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_live_events_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_events")),
        sa.UniqueConstraint("seq", name=op.f("uq_live_events_seq")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_live_events_team_id_id")),
    )
    op.create_index("ix_live_events_team_id_seq", "live_events", ["team_id", "seq"], unique=False)
    op.create_table(
        "notification_preferences",
        sa.Column("membership_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id", "membership_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_notification_preferences_team_id_membership_id_memberships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_notification_preferences_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_notification_preferences_team_id_id")),
        sa.UniqueConstraint(
            "team_id",
            "membership_id",
            "kind",
            name=op.f("uq_notification_preferences_team_id_membership_id_kind"),
        ),
    )
    op.create_table(
        "notifications",
        sa.Column("membership_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id", "membership_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_notifications_team_id_membership_id_memberships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_notifications_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_notifications_team_id_id")),
    )
    op.create_index(
        "ix_notifications_team_id_membership_id_created_at",
        "notifications",
        ["team_id", "membership_id", "created_at"],
        unique=False,
    )

    # Procrastinate's queue lives in the same database; its schema is its own SQL, applied by
    # the owner. The app role may use it (DML, sequences, functions) but owns none of it.
    rls.raw_sql(procrastinate_schema_sql())
    rls.raw_sql(procrastinate_grants_sql(rls.APP_GROUP))

    rls.global_table("provider_status", "select, insert, update")
    rls.team_or_operator_table("job_failures", privileges="select, insert, update")
    # Append-only: nobody edits the audit log, so the app role gets no update or delete.
    rls.team_or_operator_table("audit_events", privileges="select, insert")
    rls.tenant_table("job_runs", privileges="select, insert, update")
    rls.tenant_table("idempotency_keys")
    rls.tenant_table("notifications")
    rls.tenant_table("notification_preferences")
    rls.tenant_table("live_events", privileges="select, insert, delete")
    rls.definer_function(
        "reos_team_ids()",
        """
        create function reos_team_ids()
        returns setof uuid
        language sql stable security definer set search_path = public, pg_temp as $$
            select id from teams order by id
        $$
        """,
    )


def downgrade() -> None:
    op.execute("drop function reos_team_ids()")
    rls.raw_sql(procrastinate_downgrade_sql())
    op.drop_index("ix_notifications_team_id_membership_id_created_at", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("notification_preferences")
    op.drop_index("ix_live_events_team_id_seq", table_name="live_events")
    op.drop_table("live_events")
    op.drop_table("job_runs")
    op.drop_index("ix_job_failures_team_id_state_created_at", table_name="job_failures")
    op.drop_table("job_failures")
    op.drop_index("ix_idempotency_keys_expires_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_audit_events_team_id_created_at_id", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("provider_status")
