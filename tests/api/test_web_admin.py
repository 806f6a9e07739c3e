"""The admin web pages over HTTP: failed jobs (replay, archive), progress of long jobs, the audit
log, notifications with the unread bell and email choices, provider status. Each page answers
the roles it is for, and a team admin never sees another team's rows."""

from __future__ import annotations

import json
import random
import re
import uuid

import httpx
import psycopg

from reos.audit import service as audit
from reos.db.session import Database, team_session
from reos.jobs import service as jobs
from reos.jobs.models import JobFailure
from reos.notifications.service import KINDS
from tests.api.test_web_pages import HTML, HTMX, csrf_of, web_login
from tests.fixtures.api import Member, add_member, last_email_to, register, unique_email
from tests.fixtures.jobs import run_jobs

REFUSED = "SMTPDataError: (451, b'4.3.0 Mailbox temporarily unavailable')"


async def failed_email(database: Database, team_id: str | None, to: str) -> JobFailure:
    """A failed `email.send` job, as the worker records one after its last retry."""
    team = uuid.UUID(team_id) if team_id else None
    async with team_session(database, team, operator_view=team is None) as session:
        failure = JobFailure(
            team_id=team,
            job_id=random.randint(10**12, 10**15),
            task_name="email.send",
            queue="notifications",
            args={
                "team_id": team_id,
                "message": {"kind": "invitation", "to": to, "subject": "Join us", "text": "Hello <there>"},
            },
            attempts=3,
            error=REFUSED,
            traceback=f'Traceback (most recent call last):\n  File "smtplib.py", line 1, in send\n{REFUSED}',
            state="failed",
        )
        session.add(failure)
    return failure


def make_operator(owner_conn: psycopg.Connection, member: Member) -> None:
    owner_conn.execute("update accounts set is_operator = true where email = %s", (member.email,))


def unread_badge(html: str) -> int:
    match = re.search(r'class="nav-count" data-unread-count="(\d+)"', html)
    assert match, "the page shows no unread bell"
    return int(match.group(1))


# --- failed jobs ------------------------------------------------------------------------------


async def test_admin_replays_and_archives_failed_jobs_from_the_page(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    first, second = unique_email("first"), unique_email("second")
    replayable = await failed_email(database, admin.team_id, first)
    archivable = await failed_email(database, admin.team_id, second)
    stranger = await register(client)
    theirs = await failed_email(database, stranger.team_id, unique_email("theirs"))

    csrf = await web_login(client, admin.email)
    listing = await client.get("/admin/jobs")
    assert listing.status_code == 200
    assert f"failure-{replayable.id}" in listing.text and f"failure-{archivable.id}" in listing.text
    assert "4.3.0 Mailbox temporarily unavailable" in listing.text and "Traceback" in listing.text
    assert "Hello &lt;there&gt;" in listing.text or "Hello \\u003cthere\\u003e" in listing.text
    assert str(theirs.id) not in listing.text and str(theirs.job_id) not in listing.text

    # Writes need the session's CSRF token.
    refused = await client.post(f"/admin/jobs/{replayable.id}/replay", headers=HTMX)
    assert refused.status_code == 403

    replayed = await client.post(
        f"/admin/jobs/{replayable.id}/replay", headers={**HTMX, "X-CSRF-Token": csrf}
    )
    assert replayed.status_code == 200 and "<html" not in replayed.text
    assert 'data-state="replayed"' in replayed.text and "Replayed as #" in replayed.text
    assert "is queued again as job #" in json.loads(replayed.headers["HX-Trigger"])["toast"]["message"]
    await run_jobs()
    delivered = await last_email_to(database, first)
    assert delivered.subject == "Join us"

    again = await client.post(f"/admin/jobs/{replayable.id}/replay", headers={**HTMX, "X-CSRF-Token": csrf})
    assert again.status_code == 409 and "already replayed" in again.headers["HX-Trigger"]

    archived = await client.post(f"/admin/jobs/{archivable.id}/archive", data={"csrf_token": csrf})
    assert archived.status_code == 303 and archived.headers["location"] == "/admin/jobs"
    after = await client.get("/admin/jobs")
    assert "is archived" in after.text  # the flash message
    assert f"failure-{archivable.id}" not in after.text and "Nothing failed." in after.text
    assert f"failure-{archivable.id}" in (await client.get("/admin/jobs?state=archived")).text
    assert f"failure-{replayable.id}" in (await client.get("/admin/jobs?state=replayed")).text

    # Another team's failure is not found, from either door.
    foreign = await client.post(f"/admin/jobs/{theirs.id}/replay", headers={**HTMX, "X-CSRF-Token": csrf})
    assert foreign.status_code == 404

    # Both actions are in the audit log, recorded by the jobs service for page and API alike.
    log = await client.get("/admin/audit")
    assert log.status_code == 200
    assert 'data-action="jobs.replayed"' in log.text and 'data-action="jobs.archived"' in log.text
    events = (
        await client.get("/api/v1/audit", params={"action": "jobs.replayed"}, headers=admin.headers)
    ).json()
    [event] = events["items"]
    assert event["actor_email"] == admin.email and event["target_id"] == str(replayable.job_id)
    assert event["details"]["task"] == "email.send" and event["details"]["new_job_id"]
    assert "by_operator" not in event["details"]


async def test_job_progress_shows_as_bars_and_reloads_alone(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    await web_login(client, admin.email)
    empty = await client.get("/admin/jobs")
    assert 'data-live-url="/admin/jobs/runs" data-live-on="job.progress"' in empty.text
    assert "No long jobs lately" in empty.text
    job_id = random.randint(10**12, 10**15)
    await jobs.report_progress(
        database,
        team_id=uuid.UUID(admin.team_id),
        job_id=job_id,
        task_name="imports.run",
        label="leads-march.csv",
        done=40,
        total=160,
    )
    runs = await client.get("/admin/jobs/runs", headers=HTMX)
    assert runs.status_code == 200 and "<html" not in runs.text
    assert "leads-march.csv" in runs.text and "40 of 160" in runs.text
    assert 'aria-valuenow="40"' in runs.text and "width: 25%" in runs.text
    stranger = await register(client)
    await web_login(client, stranger.email)
    assert "leads-march.csv" not in (await client.get("/admin/jobs/runs", headers=HTMX)).text


async def test_operators_see_and_resolve_every_teams_failures(
    client: httpx.AsyncClient, admin: Member, database: Database, owner_conn: psycopg.Connection
) -> None:
    mine = await failed_email(database, admin.team_id, unique_email("mine"))
    stranger = await register(client)
    theirs = await failed_email(database, stranger.team_id, unique_email("theirs"))
    instance = await failed_email(database, None, unique_email("reset"))

    csrf = await web_login(client, admin.email)
    team_view = await client.get("/admin/jobs")
    assert str(mine.id) in team_view.text
    assert str(theirs.id) not in team_view.text and str(instance.id) not in team_view.text
    assert (await client.get("/ops/jobs", headers=HTML)).status_code == 403
    refused = await client.post(f"/ops/jobs/{theirs.id}/archive", headers={**HTMX, "X-CSRF-Token": csrf})
    assert refused.status_code == 403

    make_operator(owner_conn, admin)
    everything = await client.get("/ops/jobs", params={"state": "failed"})
    assert everything.status_code == 200
    for failure in (mine, theirs, instance):
        assert f"failure-{failure.id}" in everything.text
    assert "Instance</span>" in everything.text and "Your team</span>" in everything.text
    replayed = await client.post(f"/ops/jobs/{instance.id}/replay", headers={**HTMX, "X-CSRF-Token": csrf})
    assert replayed.status_code == 200 and 'data-state="replayed"' in replayed.text
    archived = await client.post(f"/ops/jobs/{theirs.id}/archive", data={"csrf_token": csrf})
    assert archived.status_code == 303 and archived.headers["location"] == "/ops/jobs"

    instance_log = await client.get("/ops/audit", params={"action": "jobs.replayed"})
    assert instance_log.status_code == 200 and "by operator</span> yes" in instance_log.text
    # The stranger's admin sees the archive of their job in their own log, and nothing of ours.
    await web_login(client, stranger.email)
    their_log = await client.get("/admin/audit")
    assert 'data-action="jobs.archived"' in their_log.text
    assert admin.email in their_log.text  # the operator who archived it
    assert 'data-action="jobs.replayed"' not in their_log.text


# --- who may open which page ------------------------------------------------------------------


async def test_admin_pages_answer_the_roles_they_are_for(
    client: httpx.AsyncClient, admin: Member, database: Database, owner_conn: psycopg.Connection
) -> None:
    anonymous = await client.get("/admin/jobs", headers=HTML)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=/admin/jobs"

    manager = await add_member(client, database, admin, role="manager")
    await web_login(client, manager.email)
    home = await client.get("/")
    assert 'href="/notifications"' in home.text
    assert "Admin</p>" not in home.text and 'href="/admin/jobs"' not in home.text
    for path in (
        "/admin/jobs",
        "/admin/jobs/runs",
        "/admin/audit",
        "/ops/jobs",
        "/ops/audit",
        "/ops/providers",
    ):
        denied = await client.get(path, headers=HTML)
        assert denied.status_code == 403, path
        assert "text/html" in denied.headers["content-type"]
    assert (await client.get("/notifications")).status_code == 200

    await web_login(client, admin.email)
    home = await client.get("/")
    assert 'href="/admin/jobs"' in home.text and 'href="/admin/audit"' in home.text
    assert 'href="/ops/jobs"' not in home.text and 'href="/ops/providers"' not in home.text
    for path in ("/admin/jobs", "/admin/audit", "/notifications"):
        assert (await client.get(path)).status_code == 200, path

    make_operator(owner_conn, admin)
    home = await client.get("/")
    for path in ("/ops/jobs", "/ops/audit", "/outbox", "/ops/providers"):
        assert f'href="{path}"' in home.text
        assert (await client.get(path)).status_code == 200, path


# --- audit log --------------------------------------------------------------------------------


async def test_audit_page_filters_by_action_and_pages_by_keyset(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    team_id = uuid.UUID(admin.team_id)
    async with team_session(database, team_id) as session:
        for n in range(55):
            await audit.record(
                session,
                action="data.exported",
                team_id=team_id,
                actor_email=admin.email,
                target_type="smart_list",
                target_id=f"list-{n:03d}",
                details={"rows": n, "fields": ["address", "owner"]},
            )
    stranger = await register(client)
    await web_login(client, admin.email)

    first = await client.get("/admin/audit", params={"action": "data.exported"})
    assert first.status_code == 200
    assert first.text.count('data-action="data.exported"') == 50
    assert 'data-action="auth.login"' not in first.text
    assert "Data · exported" in first.text and "address, owner" in first.text
    match = re.search(r'href="(/admin/audit\?action=data.exported&amp;cursor=[^"]+)"', first.text)
    assert match, "no next-page link"
    second = await client.get(match.group(1).replace("&amp;", "&"))
    assert second.text.count('data-action="data.exported"') == 5
    shown = set(re.findall(r'title="(list-\d{3})"', first.text + second.text))
    assert len(shown) == 55

    everything = await client.get("/admin/audit")
    assert 'data-action="auth.login"' in everything.text and "127.0.0.1" in everything.text
    assert stranger.email not in everything.text
    # An unknown action filter shows everything rather than failing.
    assert (await client.get("/admin/audit", params={"action": "nope"})).status_code == 200


# --- notifications ----------------------------------------------------------------------------


async def test_notifications_page_marks_read_and_shows_the_bell(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    csrf = await web_login(client, admin.email)
    home = await client.get("/")
    assert unread_badge(home.text) == 1
    page = await client.get("/notifications")
    assert page.status_code == 200
    assert "joined the team as agent" in page.text and "1 unread" in page.text
    [note_id] = re.findall(r'id="notification-([0-9a-f-]{36})"', page.text)

    read = await client.post(f"/notifications/{note_id}/read", headers={**HTMX, "X-CSRF-Token": csrf})
    assert read.status_code == 200 and "is-unread" not in read.text and "<html" not in read.text
    assert json.loads(read.headers["HX-Trigger"]) == {"unread": {"count": 0}}
    assert unread_badge((await client.get("/")).text) == 0

    # Opening a notification marks it read and follows its link, on this site only.
    await add_member(client, database, admin, role="viewer")
    live = await client.get("/notifications/live", headers=HTMX)
    assert "<html" not in live.text and "joined the team as viewer" in live.text
    [newest, _] = re.findall(r'id="notification-([0-9a-f-]{36})"', live.text)
    opened = await client.post(f"/notifications/{newest}/read", data={"csrf_token": csrf, "next": "/team"})
    assert opened.status_code == 303 and opened.headers["location"] == "/team"
    evil = await client.post(
        f"/notifications/{newest}/read", data={"csrf_token": csrf, "next": "//evil.example/x"}
    )
    assert evil.headers["location"] == "/"

    await add_member(client, database, admin, role="manager")
    await add_member(client, database, admin, role="agent")
    assert unread_badge((await client.get("/")).text) == 2
    all_read = await client.post("/notifications/read-all", data={"csrf_token": csrf})
    assert all_read.status_code == 303
    after = await client.get("/notifications")
    assert "You are all caught up" in after.text and unread_badge(after.text) == 0

    # Another member cannot touch them.
    agent_csrf = await web_login(client, agent.email)
    foreign = await client.post(
        f"/notifications/{note_id}/read", headers={**HTMX, "X-CSRF-Token": agent_csrf}
    )
    assert foreign.status_code == 404
    assert "joined the team" not in (await client.get("/notifications")).text


async def test_notification_email_choices(client: httpx.AsyncClient, admin: Member) -> None:
    csrf = await web_login(client, admin.email)
    page = await client.get("/notifications")
    # One email choice per kind of notification, none chosen yet.
    assert page.text.count('type="checkbox" name="email_') == len(KINDS) and " checked" not in page.text
    saved = await client.post(
        "/notifications/preferences", data={"csrf_token": csrf, "email_member_joined": "on"}
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/notifications#email"
    prefs = (await client.get("/api/v1/notifications/preferences", headers=admin.headers)).json()["email"]
    assert prefs["member_joined"] is True and not any(v for k, v in prefs.items() if k != "member_joined")
    shown = await client.get("/notifications")
    assert 'name="email_member_joined" checked' in shown.text
    assert "email for 1 kind of notification" in shown.text
    cleared = await client.post("/notifications/preferences", data={"csrf_token": csrf_of(shown.text)})
    assert cleared.status_code == 303
    prefs = (await client.get("/api/v1/notifications/preferences", headers=admin.headers)).json()["email"]
    assert not any(prefs.values())


# --- provider status --------------------------------------------------------------------------


async def test_provider_status_page_is_for_operators(
    client: httpx.AsyncClient, admin: Member, database: Database, owner_conn: psycopg.Connection
) -> None:
    await web_login(client, admin.email)
    assert (await client.get("/ops/providers", headers=HTML)).status_code == 403
    make_operator(owner_conn, admin)
    # An email sent through the mock provider records its success.
    await client.post("/api/v1/auth/password-reset", json={"email": admin.email})
    await last_email_to(database, admin.email)
    page = await client.get("/ops/providers")
    assert page.status_code == 200 and "<strong>mock</strong> mode" in page.text
    for name in ("email", "storage", "pdf"):
        assert f'data-provider="{name}"' in page.text
    email_card = page.text.split('data-provider="email"')[1].split("</section>")[0]
    assert "badge-mock" in email_card and "Working" in email_card
