"""Recording and reading the audit log of sensitive actions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reos.audit.models import AuditEvent
from reos.kit import request_context
from reos.kit.pagination import keyset_page

# The actions the product records, so the log's vocabulary stays small and searchable.
ACTIONS = frozenset(
    {
        "auth.login",
        "auth.login_failed",
        "auth.logout",
        "auth.password_changed",
        "auth.password_reset_requested",
        "auth.password_reset",
        "auth.team_switched",
        "team.settings_changed",
        "team.member_invited",
        "team.invitation_revoked",
        "team.invitation_accepted",
        "team.role_changed",
        "team.member_deactivated",
        "team.member_reactivated",
        "team.market_created",
        "team.market_changed",
        "team.market_deleted",
        "property.deleted",
        "property.restored",
        "property.merged",
        "contact.merged",
        "contact.deleted",
        "contact.point_removed",
        "contact.unlinked",
        "jobs.replayed",
        "jobs.archived",
        "data.exported",
        "import.undone",
        "sending.paused",
        "sending.resumed",
        "compliance.settings_changed",
        "compliance.opted_out",
        "compliance.opted_in",
        "compliance.review_decided",
        "compliance.consent_recorded",
        "compliance.dnc_added",
        "compliance.list_uploaded",
        "compliance.do_not_contact_changed",
        "scoring.settings_changed",
    }
)


async def record(
    session: AsyncSession,
    *,
    action: str,
    team_id: uuid.UUID | None,
    actor_account_id: uuid.UUID | None = None,
    actor_email: str | None = None,
    target_type: str | None = None,
    target_id: Any = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (it lands if and only if the action does)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    ctx = request_context.current.get()
    event = AuditEvent(
        team_id=team_id,
        actor_account_id=actor_account_id,
        actor_email=actor_email,
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else None,
        details=details or {},
        ip=ctx.ip,
        user_agent=(ctx.user_agent or "")[:400] or None,
        request_id=ctx.request_id,
    )
    session.add(event)
    await session.flush()
    return event


async def list_events(
    session: AsyncSession,
    *,
    team_id: uuid.UUID | None,
    action: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[AuditEvent], str | None]:
    """Newest first. team_id None means every team (operator view only)."""
    query = select(AuditEvent)
    if team_id is not None:
        query = query.where(AuditEvent.team_id == team_id)
    if action:
        query = query.where(AuditEvent.action == action)
    return await keyset_page(
        session, query, created=AuditEvent.created_at, row_id=AuditEvent.id, limit=limit, cursor=cursor
    )
