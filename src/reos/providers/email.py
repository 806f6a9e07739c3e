"""Email to the product's users (transactional): an interface, an SMTP sender and a mock.

Services call `queue(session, message)`; the request boundary hands queued messages to the
provider only after the transaction that produced them has committed, so a rolled-back
invitation never sends an email.
"""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid
from typing import Protocol

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reos.providers.models import OutboxMessage
from reos.settings import Settings

log = structlog.get_logger(__name__)
PENDING_KEY = "outgoing_email"


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

    async def send(self, message: Email) -> None: ...


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

    async def send(self, message: Email) -> None:
        await asyncio.to_thread(self._send_blocking, message)


class MockSender:
    """Records what would have been sent in the outbox table (shown on the outbox page)."""

    name = "mock"

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]):
        self.sessionmaker = sessionmaker

    async def send(self, message: Email) -> None:
        async with self.sessionmaker() as session, session.begin():
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
        log.info("email.recorded", kind=message.kind, to=message.to, subject=message.subject)


def make_sender(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> EmailSender:
    if settings.email_provider == "smtp":
        return SmtpSender(settings)
    return MockSender(sessionmaker)


def queue(session: AsyncSession, message: Email) -> None:
    session.info.setdefault(PENDING_KEY, []).append(message)


async def dispatch_committed(session: AsyncSession, sender: EmailSender) -> None:
    """Send what the committed transaction queued. A failure is logged, never raised: the
    write has landed and the caller must not see an error for it."""
    pending: list[Email] = session.info.pop(PENDING_KEY, [])
    for message in pending:
        try:
            await sender.send(message)
        except (OSError, smtplib.SMTPException) as exc:
            log.error("email.failed", kind=message.kind, to=message.to, error=str(exc))


async def list_outbox(session: AsyncSession, *, limit: int) -> list[OutboxMessage]:
    """What the mock provider recorded, newest first (operators read it; it has no team)."""
    rows = await session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id).limit(limit)
    )
    return list(rows.all())
