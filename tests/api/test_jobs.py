"""Background jobs: deferred with their write, retried with backoff, recorded when they fail
for good, replayed or archived by admins (their team) and operators (everyone)."""

from __future__ import annotations

import email
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import httpx
import psycopg
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from reos.db.session import Database, team_session
from reos.jobs import queue
from reos.jobs.models import JobFailure
from reos.providers import registry
from reos.providers.email import SmtpSender
from reos.settings import Settings, get_settings
from tests.fixtures.api import Member, register, unique_email
from tests.fixtures.jobs import run_jobs


@dataclass
class SwitchableInbox:
    """A real SMTP server on 127.0.0.1 that refuses (451) until told to accept."""

    refusing: bool = True
    received: list[EmailMessage] = field(default_factory=list)
    # Delivery attempts per recipient (other tests' queued emails may reach this server too).
    attempts: dict[str, int] = field(default_factory=dict)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for rcpt in envelope.rcpt_tos:
            self.attempts[rcpt] = self.attempts.get(rcpt, 0) + 1
        if self.refusing:
            return "451 4.3.0 Mailbox temporarily unavailable"
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_inbox() -> Iterator[SwitchableInbox]:
    inbox = SwitchableInbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    previous = registry.current()
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, provider_email="smtp")
    registry.use(registry.Providers(email=SmtpSender(settings), storage=previous.storage, pdf=previous.pdf))
    try:
        yield inbox
    finally:
        registry.use(previous)
        controller.stop()


def _to(failure: dict[str, Any]) -> str | None:
    """The recipient of a failed email job (other failures in the list have other arguments)."""
    message = failure["args"].get("message")
    return message.get("to") if isinstance(message, dict) else None


def _operator(owner_conn: psycopg.Connection, member: Member) -> None:
    owner_conn.execute("update accounts set is_operator = true where email = %s", (member.email,))


async def test_a_refused_invitation_email_lands_in_the_failed_list_and_a_replay_delivers_it(
    client: httpx.AsyncClient, admin: Member, smtp_inbox: SwitchableInbox
) -> None:
    invitee = unique_email("invitee")
    answer = await client.post(
        "/api/v1/team/invitations", json={"email": invitee, "role": "agent"}, headers=admin.headers
    )
    assert answer.status_code == 201  # the request does not wait for, nor fail with, the mail server
    await run_jobs()
    attempts = get_settings().job_max_attempts
    assert smtp_inbox.attempts[invitee] == attempts
    assert not [m for m in smtp_inbox.received if m["To"] == invitee]

    failed = await client.get("/api/v1/jobs/failed", headers=admin.headers)
    assert failed.status_code == 200
    [failure] = [f for f in failed.json()["items"] if _to(f) == invitee]
    assert failure["task_name"].endswith("email.send")
    assert failure["attempts"] == attempts
    assert "451" in failure["error"] and "Traceback" in failure["traceback"]

    smtp_inbox.refusing = False
    replay = await client.post(f"/api/v1/jobs/failed/{failure['id']}/replay", headers=admin.headers)
    assert replay.status_code == 200 and replay.json()["state"] == "replayed"
    await run_jobs()
    [delivered] = [m for m in smtp_inbox.received if m["To"] == invitee]
    assert "invited you" in delivered["Subject"]
    # A second replay of the same failure is refused.
    again = await client.post(f"/api/v1/jobs/failed/{failure['id']}/replay", headers=admin.headers)
    assert again.status_code == 409


async def test_a_reset_email_without_team_is_visible_to_operators_only(
    client: httpx.AsyncClient, admin: Member, smtp_inbox: SwitchableInbox, owner_conn: psycopg.Connection
) -> None:
    assert (await client.post("/api/v1/auth/password-reset", json={"email": admin.email})).status_code == 202
    await run_jobs()
    team_view = await client.get("/api/v1/jobs/failed", headers=admin.headers)
    assert all(_to(f) != admin.email for f in team_view.json()["items"])
    assert (await client.get("/api/v1/ops/jobs/failed", headers=admin.headers)).status_code == 403

    _operator(owner_conn, admin)
    everything = await client.get("/api/v1/ops/jobs/failed", params={"limit": 200}, headers=admin.headers)
    [failure] = [f for f in everything.json()["items"] if _to(f) == admin.email]
    assert failure["team_id"] is None

    archived = await client.post(f"/api/v1/ops/jobs/failed/{failure['id']}/archive", headers=admin.headers)
    assert archived.status_code == 200 and archived.json()["state"] == "archived"
    listed = await client.get(
        "/api/v1/ops/jobs/failed", params={"state": "archived", "limit": 200}, headers=admin.headers
    )
    assert failure["id"] in {f["id"] for f in listed.json()["items"]}


async def test_another_team_never_sees_or_replays_a_teams_failures(
    client: httpx.AsyncClient, admin: Member, smtp_inbox: SwitchableInbox
) -> None:
    invitee = unique_email("invitee")
    await client.post(
        "/api/v1/team/invitations", json={"email": invitee, "role": "agent"}, headers=admin.headers
    )
    await run_jobs()
    mine = (await client.get("/api/v1/jobs/failed", headers=admin.headers)).json()["items"]
    [failure] = [f for f in mine if _to(f) == invitee]
    stranger = await register(client)
    theirs = (await client.get("/api/v1/jobs/failed", headers=stranger.headers)).json()["items"]
    assert failure["id"] not in {f["id"] for f in theirs}
    assert (
        await client.post(f"/api/v1/jobs/failed/{failure['id']}/replay", headers=stranger.headers)
    ).status_code == 404


async def test_a_rolled_back_write_defers_no_job(database: Database, job_queue: None) -> None:
    from reos.providers.email import Email, send_later

    marker = f"rollback-{uuid.uuid4().hex}@example.com"
    async with database.sessionmaker() as session:
        await send_later(session, Email(kind="test", to=marker, subject="s", text="t"))
        await session.rollback()
    async with database.sessionmaker() as session:
        await send_later(
            session, Email(kind="test", to=marker.replace("rollback", "commit"), subject="s", text="t")
        )
        await session.commit()
    with psycopg.connect(database.owner_url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        found = conn.execute(
            "select args->'message'->>'to' from procrastinate_jobs where args->'message'->>'to' like %s",
            ("%" + marker.split("-", 1)[1],),
        ).fetchall()
    assert [r[0] for r in found] == [marker.replace("rollback", "commit")]


async def test_non_retryable_errors_fail_at_once(database: Database, job_queue: None) -> None:
    """An error outside a task's retry list is not retried: one attempt, then the failed list."""
    from reos.jobs.queue import defer
    from reos.providers.jobs import send_email

    bad = {"kind": "test", "to": "x@example.com"}  # missing subject and text: a KeyError in the task
    async with database.sessionmaker() as session:
        job_id = await defer(session, send_email, team_id=None, message=bad)
        await session.commit()
    await run_jobs()
    async with team_session(database, None, operator_view=True) as session:
        failure = await session.scalar(select(JobFailure).where(JobFailure.job_id == job_id))
    assert failure is not None and failure.attempts == 1 and failure.error.startswith("KeyError")


def test_retry_backoff_is_exponential_and_bounded() -> None:
    from procrastinate.jobs import Job

    strategy = queue._Retry((OSError,))
    saved = (queue.runtime.retry_base_seconds, queue.runtime.max_attempts)
    queue.runtime.retry_base_seconds, queue.runtime.max_attempts = 2, 4
    try:
        waits = []
        for attempts in range(4):
            job = Job(id=1, queue="q", lock=None, queueing_lock=None, task_name="t", attempts=attempts)
            decision = strategy.get_retry_decision(exception=OSError("x"), job=job)
            waits.append(None if decision is None else decision.retry_at)
        assert waits[3] is None and all(w is not None for w in waits[:3])
        assert waits[0] < waits[1] < waits[2]  # 2 s, 4 s, 8 s from now
        job = Job(id=1, queue="q", lock=None, queueing_lock=None, task_name="t", attempts=0)
        assert strategy.get_retry_decision(exception=ValueError("x"), job=job) is None
    finally:
        queue.runtime.retry_base_seconds, queue.runtime.max_attempts = saved
