"""Sending email to users in the background, with retries when the server refuses."""

from __future__ import annotations

import smtplib
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from reos.jobs.queue import JobInfo, task
from reos.providers import email


@task(name="email.send", queue="notifications", retry_on=(OSError, smtplib.SMTPException))
async def send_email(
    session: AsyncSession, job: JobInfo, *, team_id: str | None, message: dict[str, Any]
) -> None:
    await email.deliver(
        session,
        email.Email(
            kind=message["kind"],
            to=message["to"],
            subject=message["subject"],
            text=message["text"],
            html=message.get("html"),
            headers=dict(message.get("headers") or {}),
        ),
    )
