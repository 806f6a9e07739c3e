"""compliance: the governor's stores (opt-outs, consent, DNC and litigator data, do-not-contact
flags, email suppression, review items, the attempts ledger, settings), each with forced RLS

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 18:13:29.948540
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from reos.db import rls

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "compliance_settings",
        sa.Column("strict_dnc", sa.Boolean(), nullable=False),
        sa.Column("team_cap", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "team_cap is null or team_cap between 1 and 100",
            name=op.f("ck_compliance_settings_team_cap_range"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_compliance_settings_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_settings")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_compliance_settings_team_id_id")),
        sa.UniqueConstraint("team_id", name=op.f("uq_compliance_settings_team_id")),
    )
    op.create_table(
        "contact_holds",
        sa.Column("contact_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id", "contact_id"],
            ["contacts.team_id", "contacts.id"],
            name=op.f("fk_contact_holds_team_id_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "created_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_contact_holds_team_id_created_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_contact_holds_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_holds")),
        sa.UniqueConstraint("team_id", "contact_id", name=op.f("uq_contact_holds_team_id_contact_id")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_contact_holds_team_id_id")),
    )
    op.create_table(
        "dnc_uploads",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("stored_path", sa.String(length=600), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("downloaded_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("bytes_read", sa.Integer(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_added", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("area_codes", sa.ARRAY(sa.String(length=3)), server_default="{}", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind in ('registry', 'litigator', 'internal', 'suppression')",
            name=op.f("ck_dnc_uploads_kind_valid"),
        ),
        sa.CheckConstraint(
            "status in ('queued', 'running', 'completed', 'failed')", name=op.f("ck_dnc_uploads_status_valid")
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "created_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_dnc_uploads_team_id_created_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_dnc_uploads_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dnc_uploads")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_dnc_uploads_team_id_id")),
    )
    op.create_index(
        "ix_dnc_uploads_team_id_created_at_id", "dnc_uploads", ["team_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "email_suppressions",
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason in ('unsubscribed', 'hard_bounce', 'complaint')",
            name=op.f("ck_email_suppressions_reason_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "created_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_email_suppressions_team_id_created_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_email_suppressions_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_suppressions")),
        sa.UniqueConstraint(
            "team_id", "email", "reason", name=op.f("uq_email_suppressions_team_id_email_reason")
        ),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_email_suppressions_team_id_id")),
    )
    op.create_table(
        "consent_records",
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("point_id", sa.Uuid(), nullable=True),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("text_shown", sa.Text(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("action in ('given', 'revoked')", name=op.f("ck_consent_records_action_valid")),
        sa.CheckConstraint(
            "channel in ('call', 'sms', 'email', 'all')", name=op.f("ck_consent_records_channel_valid")
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "contact_id"],
            ["contacts.team_id", "contacts.id"],
            name=op.f("fk_consent_records_team_id_contact_id_contacts"),
            ondelete="SET NULL (contact_id)",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "point_id"],
            ["contact_points.team_id", "contact_points.id"],
            name=op.f("fk_consent_records_team_id_point_id_contact_points"),
            ondelete="SET NULL (point_id)",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "recorded_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_consent_records_team_id_recorded_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_consent_records_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_consent_records_team_id_id")),
    )
    op.create_index(
        "ix_consent_records_team_id_value_recorded_at",
        "consent_records",
        ["team_id", "value", "recorded_at"],
        unique=False,
    )
    op.create_table(
        "contact_attempts",
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("point_id", sa.Uuid(), nullable=True),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("property_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("automated", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("rule_set", sa.String(length=40), nullable=False),
        sa.Column("warnings", sa.ARRAY(sa.String(length=40)), server_default="{}", nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel in ('call', 'sms', 'email')", name=op.f("ck_contact_attempts_channel_valid")
        ),
        sa.CheckConstraint(
            "outcome in ('connected', 'no_answer', 'voicemail', 'busy', 'wrong_number', 'sent', 'failed', 'other')",
            name=op.f("ck_contact_attempts_outcome_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "contact_id"],
            ["contacts.team_id", "contacts.id"],
            name=op.f("fk_contact_attempts_team_id_contact_id_contacts"),
            ondelete="SET NULL (contact_id)",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "created_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_contact_attempts_team_id_created_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "point_id"],
            ["contact_points.team_id", "contact_points.id"],
            name=op.f("fk_contact_attempts_team_id_point_id_contact_points"),
            ondelete="SET NULL (point_id)",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "property_id"],
            ["properties.team_id", "properties.id"],
            name=op.f("fk_contact_attempts_team_id_property_id_properties"),
            ondelete="SET NULL (property_id)",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_contact_attempts_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_attempts")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_contact_attempts_team_id_id")),
    )
    op.create_index(
        "ix_contact_attempts_team_id_contact_id_at",
        "contact_attempts",
        ["team_id", "contact_id", "at"],
        unique=False,
    )
    op.create_index(
        "ix_contact_attempts_team_id_value_at", "contact_attempts", ["team_id", "value", "at"], unique=False
    )
    op.create_table(
        "dnc_numbers",
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("upload_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind in ('internal', 'registry', 'litigator')", name=op.f("ck_dnc_numbers_kind_valid")
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "created_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_dnc_numbers_team_id_created_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "upload_id"],
            ["dnc_uploads.team_id", "dnc_uploads.id"],
            name=op.f("fk_dnc_numbers_team_id_upload_id_dnc_uploads"),
            ondelete="SET NULL (upload_id)",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_dnc_numbers_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dnc_numbers")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_dnc_numbers_team_id_id")),
        sa.UniqueConstraint("team_id", "phone", "kind", name=op.f("uq_dnc_numbers_team_id_phone_kind")),
    )
    op.create_table(
        "opt_outs",
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("point_id", sa.Uuid(), nullable=True),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("keyword", sa.String(length=20), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Uuid(), nullable=True),
        sa.Column("revoke_source", sa.String(length=20), nullable=True),
        sa.Column("revoke_message", sa.Text(), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("channel in ('call', 'sms', 'email')", name=op.f("ck_opt_outs_channel_valid")),
        sa.ForeignKeyConstraint(
            ["team_id", "contact_id"],
            ["contacts.team_id", "contacts.id"],
            name=op.f("fk_opt_outs_team_id_contact_id_contacts"),
            ondelete="SET NULL (contact_id)",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "created_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_opt_outs_team_id_created_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "point_id"],
            ["contact_points.team_id", "contact_points.id"],
            name=op.f("fk_opt_outs_team_id_point_id_contact_points"),
            ondelete="SET NULL (point_id)",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "revoked_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_opt_outs_team_id_revoked_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_opt_outs_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opt_outs")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_opt_outs_team_id_id")),
    )
    op.create_index("ix_opt_outs_team_id_contact_id", "opt_outs", ["team_id", "contact_id"], unique=False)
    op.create_index("ix_opt_outs_team_id_value", "opt_outs", ["team_id", "value"], unique=False)
    op.create_table(
        "review_items",
        sa.Column("contact_id", sa.Uuid(), nullable=True),
        sa.Column("point_id", sa.Uuid(), nullable=True),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("keyword", sa.String(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("team_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status in ('pending', 'opted_out', 'not_opt_out')", name=op.f("ck_review_items_status_valid")
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "contact_id"],
            ["contacts.team_id", "contacts.id"],
            name=op.f("fk_review_items_team_id_contact_id_contacts"),
            ondelete="SET NULL (contact_id)",
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "decided_by_id"],
            ["memberships.team_id", "memberships.id"],
            name=op.f("fk_review_items_team_id_decided_by_id_memberships"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id", "point_id"],
            ["contact_points.team_id", "contact_points.id"],
            name=op.f("fk_review_items_team_id_point_id_contact_points"),
            ondelete="SET NULL (point_id)",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_review_items_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_items")),
        sa.UniqueConstraint("team_id", "id", name=op.f("uq_review_items_team_id_id")),
    )
    op.create_index(
        "ix_review_items_team_id_status_due_at", "review_items", ["team_id", "status", "due_at"], unique=False
    )
    op.create_index("ix_review_items_team_id_value", "review_items", ["team_id", "value"], unique=False)

    for table in (
        "compliance_settings",
        "contact_holds",
        "dnc_uploads",
        "email_suppressions",
        "contact_attempts",
        "dnc_numbers",
        "opt_outs",
        "review_items",
    ):
        rls.tenant_table(table)
    # The consent ledger is append-only: the app may add records, never change or remove them.
    rls.tenant_table("consent_records", privileges="select, insert")


def downgrade() -> None:
    op.drop_index("ix_review_items_team_id_value", table_name="review_items")
    op.drop_index("ix_review_items_team_id_status_due_at", table_name="review_items")
    op.drop_table("review_items")
    op.drop_index("ix_opt_outs_team_id_value", table_name="opt_outs")
    op.drop_index("ix_opt_outs_team_id_contact_id", table_name="opt_outs")
    op.drop_table("opt_outs")
    op.drop_table("dnc_numbers")
    op.drop_index("ix_contact_attempts_team_id_value_at", table_name="contact_attempts")
    op.drop_index("ix_contact_attempts_team_id_contact_id_at", table_name="contact_attempts")
    op.drop_table("contact_attempts")
    op.drop_index("ix_consent_records_team_id_value_recorded_at", table_name="consent_records")
    op.drop_table("consent_records")
    op.drop_table("email_suppressions")
    op.drop_index("ix_dnc_uploads_team_id_created_at_id", table_name="dnc_uploads")
    op.drop_table("dnc_uploads")
    op.drop_table("contact_holds")
    op.drop_table("compliance_settings")
