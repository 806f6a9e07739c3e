"""Email over real SMTP: a local aiosmtpd server receives what the SMTP provider sends, both
directly and from an app configured with PROVIDER_EMAIL=smtp (through the `email.send` job);
a refusing server never turns the request that caused the email into an error."""

from __future__ import annotations

import email
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from reos.app import create_app
from reos.db.session import Database, team_session
from reos.jobs import queue as jobs_queue
from reos.jobs.models import JobFailure
from reos.providers import email as email_provider
from reos.providers import registry
from reos.providers.models import OutboxMessage, ProviderStatus
from reos.settings import Settings, get_settings
from reos.teams.models import Account, PasswordReset
from tests.fixtures.api import PASSWORD, Member, register, token_in, unique_email
from tests.fixtures.jobs import run_jobs

SENDER = "Real Estate OS <no-reply@reos.test>"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Inbox:
    """What the local SMTP server accepted, in order."""

    port: int
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def smtp_server() -> Iterator[Inbox]:
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def smtp_settings(port: int) -> Settings:
    return Settings(provider_email="smtp", smtp_host="127.0.0.1", smtp_port=port, email_from=SENDER)


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content: str = part.get_content()
    return content


# --- the sender on its own -----------------------------------------------------------------


async def test_the_smtp_sender_delivers_to_the_server(smtp_server: Inbox) -> None:
    sender = email_provider.SmtpSender(smtp_settings(smtp_server.port))
    await sender.send(
        email_provider.Email(
            kind="invitation",
            to="invitee@example.com",
            subject="Ana invited you to Acme on Real Estate OS",
            text="Accept the invitation:\n\nhttp://testserver/invite/accept?token=abc123\n",
            headers={"X-Reos-Kind": "invitation"},
        )
    )
    [received] = smtp_server.received
    assert received.mail_from == "no-reply@reos.test"
    assert received.rcpt_tos == ["invitee@example.com"]
    message = received.message
    assert message["To"] == "invitee@example.com"
    assert message["From"] == SENDER
    assert message["Subject"] == "Ana invited you to Acme on Real Estate OS"
    assert message["X-Reos-Kind"] == "invitation"
    assert message["Message-ID"].endswith("@reos.local>")
    assert "http://testserver/invite/accept?token=abc123" in body_of(message)


async def test_an_html_part_travels_as_an_alternative(smtp_server: Inbox) -> None:
    sender = email_provider.SmtpSender(smtp_settings(smtp_server.port))
    await sender.send(
        email_provider.Email(
            kind="password_reset",
            to="a@example.com",
            subject="Reset",
            text="plain words",
            html="<p>html words</p>",
        )
    )
    message = smtp_server.received[0].message
    assert message.get_content_type() == "multipart/alternative"
    assert body_of(message).strip() == "plain words"
    html = message.get_body(preferencelist=("html",))
    assert html is not None and "<p>html words</p>" in html.get_content()


async def test_a_refusing_server_raises_from_the_sender() -> None:
    sender = email_provider.SmtpSender(smtp_settings(free_port()))
    with pytest.raises(OSError):
        await sender.send(email_provider.Email(kind="x", to="a@example.com", subject="s", text="t"))


# --- an app configured for SMTP ------------------------------------------------------------


@pytest.fixture
async def process_state(job_queue: None) -> AsyncIterator[None]:
    """`create_app` installs its providers and job runtime for the whole process: put the
    ones of the test run back afterwards. Jobs left queued by earlier tests run first, so
    that only this test's email goes to its SMTP server."""
    await run_jobs()
    providers, database = registry.current(), jobs_queue.runtime.database
    yield
    registry.use(providers)
    jobs_queue.runtime.database = database


async def smtp_app_client(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, database)
    assert isinstance(registry.current().email, email_provider.SmtpSender)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def smtp_client(
    database: Database, smtp_server: Inbox, process_state: None
) -> AsyncIterator[httpx.AsyncClient]:
    async for c in smtp_app_client(smtp_settings(smtp_server.port), database):
        yield c


@pytest.fixture
async def refused_client(database: Database, process_state: None) -> AsyncIterator[httpx.AsyncClient]:
    async for c in smtp_app_client(smtp_settings(free_port()), database):  # nothing listens there
        yield c


async def outbox_count(database: Database, address: str) -> int:
    async with database.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.to_address == address)
        )
    return count or 0


async def test_a_password_reset_goes_out_over_smtp(
    smtp_client: httpx.AsyncClient, smtp_server: Inbox, database: Database
) -> None:
    member = await register(smtp_client)
    response = await smtp_client.post("/api/v1/auth/password-reset", json={"email": member.email})
    assert response.status_code == 202
    # The request only queued the email; the job speaks SMTP.
    assert smtp_server.to(member.email) == []
    await run_jobs()

    [received] = smtp_server.to(member.email)
    assert received.message["To"] == member.email
    assert received.message["Subject"] == "Reset your Real Estate OS password"
    text = body_of(received.message)
    assert "http://testserver/reset-password?token=" in text
    # Never a silent fallback to the mock outbox.
    assert await outbox_count(database, member.email) == 0

    # The link that arrived by SMTP works.
    confirmed = await smtp_client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token_in(text), "new_password": "from-the-smtp-link"},
    )
    assert confirmed.status_code == 204
    login = await smtp_client.post(
        "/api/v1/auth/login", json={"email": member.email, "password": "from-the-smtp-link"}
    )
    assert login.status_code == 200


async def test_an_unknown_email_sends_nothing_over_smtp(
    smtp_client: httpx.AsyncClient, smtp_server: Inbox
) -> None:
    nobody = unique_email("nobody")
    response = await smtp_client.post("/api/v1/auth/password-reset", json={"email": nobody})
    assert response.status_code == 202
    await run_jobs()
    assert smtp_server.received == []


async def test_an_invitation_goes_out_over_smtp_and_its_link_works(
    smtp_client: httpx.AsyncClient, smtp_server: Inbox
) -> None:
    admin = await register(smtp_client, team_name="Sunbelt Buyers")
    invitee = unique_email("agent")
    invited = await smtp_client.post(
        "/api/v1/team/invitations", json={"email": invitee, "role": "agent"}, headers=admin.headers
    )
    assert invited.status_code == 201
    await run_jobs()
    [received] = smtp_server.to(invitee)
    assert received.message["To"] == invitee
    assert received.message["Subject"].endswith("invited you to Sunbelt Buyers on Real Estate OS")
    text = body_of(received.message)
    assert "join Sunbelt Buyers as agent" in text
    accepted = await smtp_client.post(
        "/api/v1/auth/invitations/accept",
        json={"token": token_in(text), "full_name": "Devon Hart", "password": PASSWORD},
    )
    assert accepted.status_code == 200 and accepted.json()["team"]["id"] == admin.team_id


# --- a refusing server ---------------------------------------------------------------------


async def test_a_refusing_smtp_server_is_recorded_and_the_request_still_succeeds(
    refused_client: httpx.AsyncClient, database: Database
) -> None:
    member: Member = await register(refused_client)
    response = await refused_client.post("/api/v1/auth/password-reset", json={"email": member.email})
    assert response.status_code == 202
    assert response.json() == {"status": "if an account exists for this email, a reset link is on its way"}

    await run_jobs()  # every attempt is refused: the job fails for good, nothing raises here
    async with team_session(database, None, operator_view=True) as session:
        resets = await session.scalar(
            select(func.count())
            .select_from(PasswordReset)
            .join(Account, Account.id == PasswordReset.account_id)
            .where(Account.email == member.email)
        )
        failures = (
            await session.scalars(select(JobFailure).where(JobFailure.task_name.endswith("email.send")))
        ).all()
        email_status = await session.scalar(select(ProviderStatus).where(ProviderStatus.name == "email"))
    # The reset itself was committed; only the delivery failed, and it is on record.
    assert resets == 1
    [failure] = [f for f in failures if f.args["message"]["to"] == member.email]
    assert failure.team_id is None and failure.attempts == get_settings().job_max_attempts
    assert "ConnectionRefusedError" in failure.error
    assert email_status is not None and email_status.implementation == "smtp"
    assert email_status.last_error is not None and "ConnectionRefusedError" in email_status.last_error
