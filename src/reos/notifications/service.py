"""Notifications for users: in-app (live unread count) and, for the kinds a member chooses,
by email. Messages to the product's own users are transactional: not governed."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from reos.errors import NotFound, Unprocessable
from reos.events import service as events
from reos.kit import clock
from reos.kit.ids import new_id
from reos.kit.pagination import keyset_page
from reos.notifications.models import Notification, NotificationPreference
from reos.teams.models import Membership, Role

# Every kind the product emits, with the label members see in their preferences.
KINDS: dict[str, str] = {
    "member_joined": "Someone accepted an invitation to the team",
    "job_failed": "A background job failed after its retries",
    "task_due": "A task assigned to me is due",
    "task_assigned": "Someone gave me a task",
    "task_sla_breached": "A task assigned to me missed its SLA",
    "reply_arrived": "A lead replied",
    "import_finished": "An import finished",
}


async def notify(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    membership_id: uuid.UUID,
    kind: str,
    title: str,
    body: str = "",
    link: str | None = None,
    wants_email: bool | None = None,
) -> Notification:
    """Notify one member. `wants_email` may be passed when the caller already read the
    member's preference (notifying several members at once); otherwise it is looked up."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    notification = Notification(
        team_id=team_id, membership_id=membership_id, kind=kind, title=title[:300], body=body, link=link
    )
    session.add(notification)
    await session.flush()
    await events.publish(
        session,
        team_id=team_id,
        type="notification",
        data={"membership_id": str(membership_id), "id": str(notification.id), "title": notification.title},
    )
    if wants_email is None:
        wants_email = bool(
            await session.scalar(
                select(NotificationPreference.email).where(
                    NotificationPreference.team_id == team_id,
                    NotificationPreference.membership_id == membership_id,
                    NotificationPreference.kind == kind,
                )
            )
        )
    if wants_email:
        from reos.jobs.queue import defer
        from reos.notifications.jobs import email_notification

        await defer(session, email_notification, team_id=team_id, notification_id=str(notification.id))
    return notification


async def notify_admins(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    kind: str,
    title: str,
    body: str = "",
    link: str | None = None,
) -> int:
    # The admins and their email choice for this kind in one query, not one per admin.
    admins = await session.execute(
        select(Membership.id, NotificationPreference.email)
        .outerjoin(
            NotificationPreference,
            (NotificationPreference.team_id == Membership.team_id)
            & (NotificationPreference.membership_id == Membership.id)
            & (NotificationPreference.kind == kind),
        )
        .where(Membership.team_id == team_id, Membership.role == Role.admin, Membership.is_active)
    )
    rows = admins.all()
    for membership_id, wants_email in rows:
        await notify(
            session,
            team_id=team_id,
            membership_id=membership_id,
            kind=kind,
            title=title,
            body=body,
            link=link,
            wants_email=bool(wants_email),
        )
    return len(rows)


async def list_notifications(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    membership_id: uuid.UUID,
    unread_only: bool = False,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[Notification], str | None]:
    query = select(Notification).where(
        Notification.team_id == team_id, Notification.membership_id == membership_id
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return await keyset_page(
        session, query, created=Notification.created_at, row_id=Notification.id, limit=limit, cursor=cursor
    )


async def unread_count(session: AsyncSession, *, team_id: uuid.UUID, membership_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.team_id == team_id,
            Notification.membership_id == membership_id,
            Notification.read_at.is_(None),
        )
    )
    return int(count or 0)


async def mark_read(
    session: AsyncSession, *, team_id: uuid.UUID, membership_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification:
    notification = await session.scalar(
        select(Notification).where(
            Notification.team_id == team_id,
            Notification.membership_id == membership_id,
            Notification.id == notification_id,
        )
    )
    if notification is None:
        raise NotFound("notification not found")
    notification.read_at = notification.read_at or clock.now()
    await session.flush()
    return notification


async def mark_all_read(session: AsyncSession, *, team_id: uuid.UUID, membership_id: uuid.UUID) -> int:
    result = await session.execute(
        update(Notification)
        .where(
            Notification.team_id == team_id,
            Notification.membership_id == membership_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=clock.now())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def preferences(
    session: AsyncSession, *, team_id: uuid.UUID, membership_id: uuid.UUID
) -> dict[str, bool]:
    rows = await session.execute(
        select(NotificationPreference.kind, NotificationPreference.email).where(
            NotificationPreference.team_id == team_id, NotificationPreference.membership_id == membership_id
        )
    )
    chosen = {kind: email for kind, email in rows.all()}
    return {kind: bool(chosen.get(kind, False)) for kind in KINDS}


async def set_preferences(
    session: AsyncSession, *, team_id: uuid.UUID, membership_id: uuid.UUID, email: dict[str, bool]
) -> dict[str, bool]:
    unknown = sorted(set(email) - set(KINDS))
    if unknown:
        raise Unprocessable(
            f"email: unknown notification kinds: {', '.join(unknown)}",
            details={"field": "email", "unknown": unknown, "known": sorted(KINDS)},
        )
    for kind, wanted in email.items():
        stmt = insert(NotificationPreference).values(
            id=new_id(),
            created_at=clock.now(),
            team_id=team_id,
            membership_id=membership_id,
            kind=kind,
            email=wanted,
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["team_id", "membership_id", "kind"], set_={"email": wanted}
            )
        )
    return await preferences(session, team_id=team_id, membership_id=membership_id)
