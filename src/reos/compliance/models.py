"""The governor's stores: opt-outs, consent, do-not-call and litigator data, the do-not-contact
flag, email suppression, review items, the attempts ledger and the team's governor settings.

Records about a phone or an address keep its value (E.164 or lower-case email) beside the
optional point and contact ids, so a number that is not (yet) a contact point can be listed,
and a check by value finds it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from reos.db.base import Base, TenantMixin, tenant_table_args

CHANNELS = ("call", "sms", "email")
CONSENT_CHANNELS = ("call", "sms", "email", "all")
CONSENT_ACTIONS = ("given", "revoked")
DNC_KINDS = ("internal", "registry", "litigator")
UPLOAD_KINDS = ("registry", "litigator", "internal", "suppression")
UPLOAD_STATUSES = ("queued", "running", "completed", "failed")
SUPPRESSION_REASONS = ("unsubscribed", "hard_bounce", "complaint")
REVIEW_STATUSES = ("pending", "opted_out", "not_opt_out")
OUTCOMES = ("connected", "no_answer", "voicemail", "busy", "wrong_number", "sent", "failed", "other")


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    return CheckConstraint(f"{column} in (" + ", ".join(f"'{v}'" for v in values) + ")", name=name)


def _contact_fk(ondelete: str = "SET NULL (contact_id)") -> ForeignKeyConstraint:
    # History about a phone or an address outlives its contact: a deleted and re-imported
    # owner is still opted out, still consented, still counted against the caps.
    return ForeignKeyConstraint(
        ["team_id", "contact_id"], ["contacts.team_id", "contacts.id"], ondelete=ondelete
    )


def _point_fk() -> ForeignKeyConstraint:
    # A removed point keeps its history by value (opt-outs and consent must survive it).
    return ForeignKeyConstraint(
        ["team_id", "point_id"],
        ["contact_points.team_id", "contact_points.id"],
        ondelete="SET NULL (point_id)",
    )


def _member_fk(column: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["team_id", column], ["memberships.team_id", "memberships.id"])


class ComplianceSettings(Base, TenantMixin):
    """The team's governor switches: strict DNC mode and the optional team cap."""

    __tablename__ = "compliance_settings"
    __table_args__ = tenant_table_args(
        UniqueConstraint("team_id"),
        CheckConstraint("team_cap is null or team_cap between 1 and 100", name="team_cap_range"),
    )

    # Unchecked DNC status (never, or more than 31 days ago) blocks instead of warning.
    strict_dnc: Mapped[bool] = mapped_column(Boolean, default=False)
    # Calls and texts per person per 24 h on any subject; None = off.
    team_cap: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OptOut(Base, TenantMixin):
    """An opt-out received on a phone or address; it applies to the whole person on every
    channel until revoked by an opt-in (kept: the row is revoked, never deleted)."""

    __tablename__ = "opt_outs"
    __table_args__ = tenant_table_args(
        _contact_fk(),
        _point_fk(),
        _member_fk("created_by_id"),
        _member_fk("revoked_by_id"),
        _one_of("channel", CHANNELS, "channel_valid"),
        Index("ix_opt_outs_team_id_contact_id", "team_id", "contact_id"),
        Index("ix_opt_outs_team_id_point_id", "team_id", "point_id"),
        Index("ix_opt_outs_team_id_value", "team_id", "value"),
    )

    contact_id: Mapped[uuid.UUID | None] = mapped_column()
    point_id: Mapped[uuid.UUID | None] = mapped_column()
    value: Mapped[str] = mapped_column(String(320))
    channel: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(20))  # keyword | manual | review | import
    keyword: Mapped[str | None] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text)  # the inbound text, as evidence
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[uuid.UUID | None] = mapped_column()
    revoke_source: Mapped[str | None] = mapped_column(String(20))
    revoke_message: Mapped[str | None] = mapped_column(Text)


class ConsentRecord(Base, TenantMixin):
    """Append-only consent ledger: the latest record per (value, channel) is in force."""

    __tablename__ = "consent_records"
    __table_args__ = tenant_table_args(
        _contact_fk(),
        _point_fk(),
        _member_fk("recorded_by_id"),
        _one_of("channel", CONSENT_CHANNELS, "channel_valid"),
        _one_of("action", CONSENT_ACTIONS, "action_valid"),
        Index("ix_consent_records_team_id_value_recorded_at", "team_id", "value", "recorded_at"),
        Index("ix_consent_records_team_id_contact_id", "team_id", "contact_id"),
        Index("ix_consent_records_team_id_point_id", "team_id", "point_id"),
    )

    contact_id: Mapped[uuid.UUID | None] = mapped_column()
    point_id: Mapped[uuid.UUID | None] = mapped_column()
    value: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(40))  # web form, signed paper, recorded call…
    source: Mapped[str] = mapped_column(String(200))
    text_shown: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # when consent was given
    recorded_by_id: Mapped[uuid.UUID | None] = mapped_column()


class DncUpload(Base, TenantMixin):
    """A DNC registry, litigator, internal or suppression file, read by a job, with progress."""

    __tablename__ = "dnc_uploads"
    __table_args__ = tenant_table_args(
        _member_fk("created_by_id"),
        _one_of("kind", UPLOAD_KINDS, "kind_valid"),
        _one_of("status", UPLOAD_STATUSES, "status_valid"),
        Index("ix_dnc_uploads_team_id_created_at_id", "team_id", "created_at", "id"),
    )

    kind: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(300))
    stored_path: Mapped[str] = mapped_column(String(600))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    downloaded_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    bytes_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_added: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    # The area codes a registry file covers: numbers there were checked on `downloaded_on`.
    area_codes: Mapped[list[str]] = mapped_column(ARRAY(String(3)), default=list, server_default="{}")
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DncNumber(Base, TenantMixin):
    """One number on the team's internal list, its registry data or a litigator list."""

    __tablename__ = "dnc_numbers"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(
            ["team_id", "upload_id"],
            ["dnc_uploads.team_id", "dnc_uploads.id"],
            ondelete="SET NULL (upload_id)",
        ),
        _member_fk("created_by_id"),
        UniqueConstraint("team_id", "phone", "kind"),
        _one_of("kind", DNC_KINDS, "kind_valid"),
    )

    phone: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(20))
    upload_id: Mapped[uuid.UUID | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column()


class EmailSuppression(Base, TenantMixin):
    """An address mail must not go to: unsubscribed, hard-bounced or complained."""

    __tablename__ = "email_suppressions"
    __table_args__ = tenant_table_args(
        _member_fk("created_by_id"),
        UniqueConstraint("team_id", "email", "reason"),
        _one_of("reason", SUPPRESSION_REASONS, "reason_valid"),
    )

    email: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20))  # manual | upload | provider
    note: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column()


class ContactHold(Base, TenantMixin):
    """The do-not-contact flag of a contact (one row per flagged contact)."""

    __tablename__ = "contact_holds"
    __table_args__ = tenant_table_args(
        _contact_fk("CASCADE"), _member_fk("created_by_id"), UniqueConstraint("team_id", "contact_id")
    )

    contact_id: Mapped[uuid.UUID] = mapped_column()
    reason: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column()


class ReviewItem(Base, TenantMixin):
    """An inbound text that may be an opt-out; the person is paused until a human decides."""

    __tablename__ = "review_items"
    __table_args__ = tenant_table_args(
        _contact_fk(),
        _point_fk(),
        _member_fk("decided_by_id"),
        _one_of("status", REVIEW_STATUSES, "status_valid"),
        Index("ix_review_items_team_id_status_due_at", "team_id", "status", "due_at"),
        Index("ix_review_items_team_id_value", "team_id", "value"),
        Index("ix_review_items_team_id_contact_id", "team_id", "contact_id"),
        Index("ix_review_items_team_id_point_id", "team_id", "point_id"),
    )

    contact_id: Mapped[uuid.UUID | None] = mapped_column()
    point_id: Mapped[uuid.UUID | None] = mapped_column()
    value: Mapped[str] = mapped_column(String(320))
    message: Mapped[str] = mapped_column(Text)
    keyword: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(String(500))


class ContactAttempt(Base, TenantMixin):
    """The attempts ledger: every call, text and email to a contact; caps count its rows."""

    __tablename__ = "contact_attempts"
    __table_args__ = tenant_table_args(
        _contact_fk(),
        _point_fk(),
        _member_fk("created_by_id"),
        ForeignKeyConstraint(
            ["team_id", "property_id"],
            ["properties.team_id", "properties.id"],
            ondelete="SET NULL (property_id)",
        ),
        _one_of("channel", CHANNELS, "channel_valid"),
        _one_of("outcome", OUTCOMES, "outcome_valid"),
        Index("ix_contact_attempts_team_id_contact_id_at", "team_id", "contact_id", "at"),
        Index("ix_contact_attempts_team_id_value_at", "team_id", "value", "at"),
        Index("ix_contact_attempts_team_id_point_id", "team_id", "point_id"),
        Index("ix_contact_attempts_team_id_property_id", "team_id", "property_id"),
    )

    channel: Mapped[str] = mapped_column(String(10))
    point_id: Mapped[uuid.UUID | None] = mapped_column()
    value: Mapped[str] = mapped_column(String(320))
    contact_id: Mapped[uuid.UUID | None] = mapped_column()
    property_id: Mapped[uuid.UUID | None] = mapped_column()
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    automated: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(500))
    rule_set: Mapped[str] = mapped_column(String(40))  # the rule set of the decision that allowed it
    warnings: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list, server_default="{}")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column()
