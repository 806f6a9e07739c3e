"""Email to the product's users (transactional): an interface, an SMTP sender and a mock.

Services call `send_later(session, message)`, which defers an `email.send` job in their own
transaction; the job hands the message to the provider and is retried when the server refuses.
"""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid
from typing import Protocol

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reos.providers.models import OutboxMessage
from reos.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Email:
    kind: str
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class EmailSender(Protocol):
    name: str

    async def send(self, message: Email, session: AsyncSession | None = None) -> None: ...


class SmtpSender:
    """Speaks SMTP to the configured server (STARTTLS and login when configured)."""

    name = "smtp"

    def __init__(self, settings: Settings):
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.username = settings.smtp_username
        self.password = settings.smtp_password
        self.starttls = settings.smtp_starttls
        self.sender = settings.email_from

    def _mime(self, message: Email) -> MimeMessage:
        mime = MimeMessage()
        mime["From"] = self.sender
        mime["To"] = message.to
        mime["Subject"] = message.subject
        mime["Message-ID"] = make_msgid(domain="reos.local")
        for name, value in message.headers.items():
            mime[name] = value
        mime.set_content(message.text)
        if message.html:
            mime.add_alternative(message.html, subtype="html")
        return mime

    def _send_blocking(self, message: Email) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username and self.password:
                smtp.login(self.username, self.password)
            smtp.send_message(self._mime(message))

    async def send(self, message: Email, session: AsyncSession | None = None) -> None:
        await asyncio.to_thread(self._send_blocking, message)


class MockSender:
    """Records what would have been sent in the outbox table (shown on the outbox page), in
    the sending job's own transaction."""

    name = "mock"

    async def send(self, message: Email, session: AsyncSession | None = None) -> None:
        if session is None:
            raise RuntimeError("the mock email provider records into the database: pass the job's session")
        session.add(
            OutboxMessage(
                kind=message.kind,
                to_address=message.to,
                subject=message.subject,
                text_body=message.text,
                html_body=message.html,
                headers=message.headers,
            )
        )
        await session.flush()
        log.info("email.recorded", kind=message.kind, to=message.to, subject=message.subject)


async def send_later(session: AsyncSession, message: Email, *, team_id: uuid.UUID | None = None) -> int:
    """Defer the sending job in the caller's transaction: a rolled-back invitation never sends,
    and a refusing mail server means retries, not a failed request."""
    from reos.jobs.queue import defer
    from reos.providers.jobs import send_email

    return await defer(
        session,
        send_email,
        team_id=team_id,
        message={
            "kind": message.kind,
            "to": message.to,
            "subject": message.subject,
            "text": message.text,
            "html": message.html,
            "headers": message.headers,
        },
    )


async def deliver(session: AsyncSession, message: Email) -> None:
    """Hand a message to this process's email provider (inside a job) and record the outcome
    on the provider-status page."""
    from reos.providers import registry, status

    sender = registry.current().email
    try:
        await sender.send(message, session)
    except (OSError, smtplib.SMTPException) as exc:
        await status.record_error("email", sender.name, exc)
        raise
    await status.record_success("email", sender.name)


async def list_outbox(session: AsyncSession, *, limit: int) -> list[OutboxMessage]:
    """What the mock provider recorded, newest first (operators read it; it has no team)."""
    rows = await session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id).limit(limit)
    )
    return list(rows.all())
