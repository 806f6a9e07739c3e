"""Accounts, teams, memberships, invitations, auth sessions, password resets, markets."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reos.db.base import Base, IdMixin, TenantMixin, tenant_table_args


class Role(enum.StrEnum):
    admin = "admin"
    manager = "manager"
    agent = "agent"
    viewer = "viewer"


ROLE_VALUES = tuple(r.value for r in Role)


def _role_check(column: str) -> CheckConstraint:
    values = ", ".join(f"'{v}'" for v in ROLE_VALUES)
    return CheckConstraint(f"{column} in ({values})", name=f"{column}_valid")


class Team(Base, IdMixin):
    """The tenant. Its row is visible only inside its own team context (RLS on `id`)."""

    __tablename__ = "teams"

    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    # {"mon": ["09:00", "18:00"], ..., "sun": null}
    business_hours: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    postal_address: Mapped[str | None] = mapped_column(Text)
    brand_name: Mapped[str | None] = mapped_column(String(200))
    brand_color: Mapped[str] = mapped_column(String(7), default="#1f6feb")
    logo_url: Mapped[str | None] = mapped_column(String(500))
    agents_see_assigned_only: Mapped[bool] = mapped_column(Boolean, default=False)


class Account(Base, IdMixin):
    """A person's login, shared by all the teams they belong to (one account per email)."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("email"),)

    email: Mapped[str] = mapped_column(String(320))
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on password change or reset: every token issued before carries the old value.
    token_version: Mapped[int] = mapped_column(Integer, default=1)


class Membership(Base, TenantMixin):
    __tablename__ = "memberships"
    __table_args__ = tenant_table_args(
        UniqueConstraint("team_id", "account_id"),
        _role_check("role"),
        Index("ix_memberships_account_id", "account_id"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("accounts.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Invitation(Base, TenantMixin):
    __tablename__ = "invitations"
    __table_args__ = tenant_table_args(
        UniqueConstraint("token_hash"),
        _role_check("role"),
        ForeignKeyConstraint(["team_id", "invited_by_id"], ["memberships.team_id", "memberships.id"]),
    )

    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64))
    invited_by_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuthSession(Base, TenantMixin):
    """A refresh token (API) or a browser session (web); revoking it ends that login."""

    __tablename__ = "auth_sessions"
    __table_args__ = tenant_table_args(
        CheckConstraint("kind in ('api', 'web')", name="kind_valid"),
        ForeignKeyConstraint(
            ["team_id", "membership_id"],
            ["memberships.team_id", "memberships.id"],
            ondelete="CASCADE",
        ),
    )

    membership_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user_agent: Mapped[str | None] = mapped_column(String(400))
    ip: Mapped[str | None] = mapped_column(String(64))


class PasswordReset(Base, IdMixin):
    __tablename__ = "password_resets"
    __table_args__ = (UniqueConstraint("token_hash"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Market(Base, TenantMixin):
    """A named area (states / counties / ZIPs) that groups leads, numbers and rules."""

    __tablename__ = "markets"
    __table_args__ = tenant_table_args(UniqueConstraint("team_id", "name"))

    name: Mapped[str] = mapped_column(String(120))
    states: Mapped[list[str]] = mapped_column(ARRAY(String(2)), default=list)
    counties: Mapped[list[str]] = mapped_column(ARRAY(String(120)), default=list)
    zip_codes: Mapped[list[str]] = mapped_column(ARRAY(String(5)), default=list)
