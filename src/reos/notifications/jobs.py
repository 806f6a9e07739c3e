"""Emailing a notification to the member who asked for that kind by email."""

from __future__ import annotations

import smtplib
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reos.jobs.queue import JobInfo, task
from reos.kit import clock
from reos.notifications.models import Notification
from reos.providers import email as email_provider
from reos.settings import get_settings
from reos.teams.models import Account, Membership


@task(name="notifications.email", queue="notifications", retry_on=(OSError, smtplib.SMTPException))
async def email_notification(
    session: AsyncSession, job: JobInfo, *, team_id: str, notification_id: str
) -> None:
    row = (
        await session.execute(
            select(Notification, Account.email)
            .join(
                Membership,
                (Membership.team_id == Notification.team_id) & (Membership.id == Notification.membership_id),
            )
            .join(Account, Account.id == Membership.account_id)
            .where(Notification.id == uuid.UUID(notification_id))
        )
    ).one_or_none()
    if row is None:
        return  # deleted since: nothing to send
    notification, address = row
    if notification.emailed_at is not None:
        return  # a retry after the send succeeded but before the commit
    link = f"{get_settings().public_url.rstrip('/')}{notification.link}" if notification.link else ""
    await email_provider.deliver(
        session,
        email_provider.Email(
            kind=f"notification.{notification.kind}",
            to=address,
            subject=notification.title,
            text=f"{notification.title}\n\n{notification.body}\n\n{link}\n",
        ),
    )
    notification.emailed_at = clock.now()
