"""The caller's notifications and which kinds they also want by email."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from reos.deps import Member, SessionDep
from reos.kit.routing import DocstringRoute
from reos.notifications import service as notifications
from reos.notifications.schemas import NotificationPage, NotificationRead, Preferences, PreferencesUpdate

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"], route_class=DocstringRoute)


@router.get("")
async def list_notifications(
    principal: Member,
    session: SessionDep,
    unread: bool = False,
    limit: int | None = None,
    cursor: str | None = None,
) -> NotificationPage:
    """List my notifications, newest first, with the unread count."""
    rows, next_cursor = await notifications.list_notifications(
        session,
        team_id=principal.team_id,
        membership_id=principal.membership.id,
        unread_only=unread,
        limit=limit,
        cursor=cursor,
    )
    count = await notifications.unread_count(
        session, team_id=principal.team_id, membership_id=principal.membership.id
    )
    return NotificationPage(
        items=[NotificationRead.model_validate(r) for r in rows], next_cursor=next_cursor, unread=count
    )


@router.post("/{notification_id}/read")
async def mark_read(notification_id: uuid.UUID, principal: Member, session: SessionDep) -> NotificationRead:
    """Mark one notification read."""
    notification = await notifications.mark_read(
        session,
        team_id=principal.team_id,
        membership_id=principal.membership.id,
        notification_id=notification_id,
    )
    return NotificationRead.model_validate(notification)


@router.post("/read-all")
async def mark_all_read(principal: Member, session: SessionDep) -> dict[str, int]:
    """Mark all my notifications read."""
    count = await notifications.mark_all_read(
        session, team_id=principal.team_id, membership_id=principal.membership.id
    )
    return {"marked": count}


@router.get("/preferences")
async def get_preferences(principal: Member, session: SessionDep) -> Preferences:
    """Show which notification kinds I also receive by email."""
    prefs = await notifications.preferences(
        session, team_id=principal.team_id, membership_id=principal.membership.id
    )
    return Preferences(email=prefs, kinds=notifications.KINDS)


@router.put("/preferences")
async def set_preferences(body: PreferencesUpdate, principal: Member, session: SessionDep) -> Preferences:
    """Choose which notification kinds I also receive by email."""
    prefs = await notifications.set_preferences(
        session, team_id=principal.team_id, membership_id=principal.membership.id, email=body.email
    )
    return Preferences(email=prefs, kinds=notifications.KINDS)
