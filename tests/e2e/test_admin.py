"""Live updates and the admin pages in headless Chromium, against a real server and worker.

Two browsers of team A (an admin on a desktop, another admin on a phone) and one of team B are
open on their dashboards. A teammate joins team A: both A browsers see the member count and the
notification bell change without a reload; B's page does not move, until B's own change arrives.
Then the admin pages: failed jobs (with live progress bars of long jobs), replay and archive,
notifications, the audit log, provider status and every team's failures for an operator. No
console errors; screenshots at 1280 and 390 px into docs/screenshots/.
"""

from __future__ import annotations

import asyncio
import smtplib
import traceback
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import procrastinate
import psycopg
import pytest

from reos.db.session import Database, make_database
from reos.jobs import service as jobs
from tests.e2e.live import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PASSWORD,
    PHONE,
    SCREENSHOTS,
    LiveServer,
    invitation_link,
)

pytestmark = pytest.mark.e2e


def in_database(server: LiveServer, work: Callable[[Database], Awaitable[None]]) -> None:
    """Run `work` against the live server's database on an event loop of its own (Playwright's
    synchronous API owns this thread's loop)."""

    async def main() -> None:
        db = make_database(server.urls.app, server.urls.owner, pool_size=1, max_overflow=1)
        try:
            await work(db)
        finally:
            await db.dispose()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, main()).result()


def refused_email(db: Database, team_id: str | None, to: str, subject: str, job_id: int) -> Awaitable[None]:
    """Record a refused `email.send` job as the worker does after its last retry (this also
    notifies the team's admins)."""
    try:
        raise smtplib.SMTPDataError(451, b"4.3.0 Mailbox temporarily unavailable")
    except smtplib.SMTPDataError as exc:
        error, trace = exc, traceback.format_exc()
    job = procrastinate.jobs.Job(
        id=job_id,
        queue="notifications",
        lock=None,
        queueing_lock=None,
        task_name="email.send",
        task_kwargs={
            "team_id": team_id,
            "message": {"kind": "invitation", "to": to, "subject": subject, "text": f"Hello {to}"},
        },
        attempts=4,
    )
    return jobs.record_failure(db, job=job, error=error, trace=trace)


def api_register(api: httpx.Client, email: str, full_name: str, team_name: str) -> dict[str, Any]:
    answer = api.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "full_name": full_name, "team_name": team_name},
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    body["headers"] = {"Authorization": f"Bearer {body['access_token']}"}
    return body


def api_join(
    api: httpx.Client, server: LiveServer, inviter: dict[str, Any], email: str, name: str, role: str
) -> None:
    invited = api.post(
        "/api/v1/team/invitations", json={"email": email, "role": role}, headers=inviter["headers"]
    )
    assert invited.status_code == 201, invited.text
    token = invitation_link(server, email).split("token=", 1)[1]
    accepted = api.post(
        "/api/v1/auth/invitations/accept", json={"token": token, "full_name": name, "password": PASSWORD}
    )
    assert accepted.status_code == 200, accepted.text


def test_live_changes_stay_in_their_team_and_admin_pages_work(live_server: LiveServer) -> None:
    from playwright.sync_api import ConsoleMessage, Page, expect, sync_playwright

    base = live_server.url
    problems: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:6]
    a1_email, a2_email = f"dana.whitfield.{tag}@example.com", f"marco.ruiz.{tag}@example.com"
    a3_email, b_email = f"priya.shah.{tag}@example.com", f"owen.burke.{tag}@example.com"

    with httpx.Client(base_url=base, timeout=30) as api:
        a1 = api_register(api, a1_email, "Dana Whitfield", "Bayou Acquisitions")
        b = api_register(api, b_email, "Owen Burke", "Red River Homes")
        for address, city, value, stage in (
            ("5120 Esplanade Ave", "New Orleans", 318000, "outreach"),
            ("88 Bayou Vista Dr", "Baton Rouge", 204500, "qualified"),
            ("1419 Magazine St", "New Orleans", 452000, "negotiation"),
        ):
            created = api.post(
                "/api/v1/properties",
                json={
                    "address": address,
                    "city": city,
                    "state": "LA",
                    "zip_code": "70115",
                    "estimated_value": value,
                    "stage": stage,
                },
                headers=a1["headers"],
            )
            assert created.status_code == 201, created.text
        api_join(api, live_server, a1, a2_email, "Marco Ruiz", "admin")
        # Start from a quiet bell: Marco's arrival is not what this test watches.
        api.post("/api/v1/notifications/read-all", headers=a1["headers"])

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:

                def open_as(email: str, viewport: dict[str, int], who: str) -> Page:
                    page = browser.new_context(viewport=viewport).new_page()

                    def on_console(message: ConsoleMessage) -> None:
                        if message.type == "error":
                            problems.append(f"{who} console: {message.text} @ {page.url}")

                    page.on("console", on_console)
                    page.on("pageerror", lambda error: problems.append(f"{who} page error: {error}"))
                    page.on("dialog", lambda dialog: dialog.accept())
                    page.goto(f"{base}/login")
                    page.get_by_label("Email").fill(email)
                    page.get_by_label("Password").fill(PASSWORD)
                    # The dashboard opens the team's event stream as soon as it loads.
                    with page.expect_response(lambda r: r.url.endswith("/api/v1/events")):
                        page.get_by_role("button", name="Log in").click()
                    expect(page).to_have_url(f"{base}/")
                    return page

                def shoot(
                    page: Page, name: str, path: str, prepare: str | None = None, full_page: bool = True
                ) -> None:
                    before = page.viewport_size or DESKTOP
                    for label, size in (("1280", DESKTOP), ("390", PHONE)):
                        page.set_viewport_size(size)
                        page.goto(f"{base}{path}")
                        page.evaluate("document.getElementById('toasts').replaceChildren()")
                        if prepare:
                            page.evaluate(prepare)
                            page.wait_for_timeout(300)  # transitions it starts
                        page.screenshot(path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=full_page)
                    page.set_viewport_size(before)

                dana = open_as(a1_email, DESKTOP, "dana (team A, desktop)")
                marco = open_as(a2_email, PHONE, "marco (team A, phone)")
                owen = open_as(b_email, DESKTOP, "owen (team B)")
                for page in (dana, marco, owen):
                    expect(page.locator("[data-unread-count]").first).to_be_hidden()
                expect(dana.locator("[data-kpi=members]")).to_have_text("2")
                expect(owen.locator("[data-kpi=members]")).to_have_text("1")

                # Priya joins team A on Dana's invitation: both A browsers see the member count
                # change live, B's does not. Dana, who invited her, is notified; Marco receives
                # the same event and leaves his bell alone (it is addressed to Dana).
                api_join(api, live_server, a1, a3_email, "Priya Shah", "agent")
                for page in (dana, marco):
                    expect(page.locator("[data-kpi=members]")).to_have_text("3", timeout=20_000)
                expect(dana.locator(".toast-info")).to_contain_text("Priya Shah joined the team as agent")
                expect(dana.locator(".nav .nav-count")).to_have_text("1")
                expect(marco.locator(".topbar .bell-count")).to_be_hidden()
                expect(marco.locator(".toast-info")).to_have_count(0)
                owen.wait_for_timeout(1500)
                expect(owen.locator("[data-kpi=members]")).to_have_text("1")
                expect(owen.locator(".nav .nav-count")).to_be_hidden()
                expect(owen.locator(".toast-info")).to_have_count(0)
                # B's stream works: B's own change arrives, and A's pages do not move.
                api.post(
                    "/api/v1/properties",
                    json={
                        "address": "30 Cane River Rd",
                        "city": "Natchitoches",
                        "state": "LA",
                        "zip_code": "71457",
                    },
                    headers=b["headers"],
                )
                expect(owen.locator("[data-kpi=properties]")).to_have_text("1", timeout=20_000)
                expect(dana.locator("[data-kpi=properties]")).to_have_text("3")

                # Failed jobs: two of team A's emails, one of B's, one outside any team. The
                # admins of each team are notified, live.
                with psycopg.connect(live_server.urls.owner_libpq, autocommit=True) as conn:
                    conn.execute("update accounts set is_operator = true where email = %s", (a1_email,))
                    # A storage error as the provider wrapper records it (no upload exists yet).
                    conn.execute(
                        """
                        insert into provider_status
                            (name, implementation, last_success_at, last_error, last_error_at, updated_at)
                        values ('storage', 'local', now() - interval '2 hours', %s, now(), now())
                        on conflict (name) do update set last_error = excluded.last_error,
                            last_error_at = excluded.last_error_at, last_success_at = excluded.last_success_at
                        """,
                        ("PermissionError: [Errno 13] Permission denied: '/srv/reos/files/deal-rooms'",),
                    )
                jordan, casey = f"jordan.lee.{tag}@example.com", f"casey.nguyen.{tag}@example.com"
                job_base = 9_000_000 + int(tag, 16) % 1_000_000 * 10
                run_id = job_base + 9

                async def failures_and_progress(db: Database) -> None:
                    await refused_email(db, a1["team"]["id"], jordan, "Dana invited you to Bayou", job_base)
                    await refused_email(
                        db, a1["team"]["id"], casey, "Dana invited you to Bayou", job_base + 1
                    )
                    await refused_email(
                        db, b["team"]["id"], f"x.{tag}@example.com", "Join Red River", job_base + 2
                    )
                    await refused_email(db, None, a1_email, "Reset your password", job_base + 3)
                    team = uuid.UUID(a1["team"]["id"])
                    await jobs.report_progress(
                        db,
                        team_id=team,
                        job_id=job_base + 8,
                        task_name="imports.run",
                        label="Probate list — Orleans Parish.xlsx",
                        done=812,
                        total=812,
                        status="completed",
                    )
                    await jobs.report_progress(
                        db,
                        team_id=team,
                        job_id=run_id,
                        task_name="imports.run",
                        label="absentee-owners-march.csv",
                        done=1240,
                        total=3000,
                    )

                in_database(live_server, failures_and_progress)
                expect(dana.locator(".nav .nav-count")).to_have_text("3", timeout=20_000)
                expect(marco.locator(".topbar .bell-count")).to_have_text("2", timeout=20_000)
                expect(marco.locator(".topbar .bell-count")).to_be_visible()
                expect(marco.locator(".toast-info").first).to_contain_text("A background job failed")
                expect(owen.locator(".nav .nav-count")).to_have_text("1", timeout=20_000)

                # The jobs page: progress bars follow the job live.
                dana.goto(f"{base}/admin/jobs")
                run = dana.locator(f".run[data-job-id='{run_id}']")
                expect(run.locator(".run-count")).to_have_text("1,240 of 3,000")
                expect(dana.locator("#failures > li")).to_have_count(2)
                dana.wait_for_timeout(500)  # the page's event stream is open

                async def more_progress(db: Database) -> None:
                    await jobs.report_progress(
                        db,
                        team_id=uuid.UUID(a1["team"]["id"]),
                        job_id=run_id,
                        task_name="imports.run",
                        label="absentee-owners-march.csv",
                        done=2210,
                        total=3000,
                    )

                in_database(live_server, more_progress)
                expect(run.locator(".run-count")).to_have_text("2,210 of 3,000", timeout=20_000)
                expect(run.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "2210")

                # Screenshots before anything is resolved or read.
                shoot(dana, "jobs", "/admin/jobs", "document.querySelector('.failure-details').open = true")
                shoot(dana, "notifications", "/notifications")
                shoot(dana, "audit", "/admin/audit")
                shoot(dana, "providers", "/ops/providers")
                expect(dana.locator("[data-provider=storage]")).to_contain_text("Failing")
                expect(dana.locator("[data-provider=email]")).to_contain_text("Working")
                # The first screen only: in a full test run, other tests' failures follow ours.
                shoot(dana, "jobs-all-teams", "/ops/jobs", full_page=False)
                dana.set_viewport_size(PHONE)
                dana.goto(f"{base}/admin/jobs")
                dana.get_by_role("button", name="Open menu").click()
                expect(dana.get_by_role("link", name="Providers")).to_be_in_viewport()
                dana.wait_for_timeout(300)  # the drawer's slide-in transition
                dana.evaluate("document.getElementById('toasts').replaceChildren()")
                dana.screenshot(path=str(SCREENSHOTS / "navigation-admin-390.png"))
                dana.set_viewport_size(DESKTOP)

                # Replay Jordan's invitation (the worker sends it), archive Casey's.
                dana.goto(f"{base}/admin/jobs")
                jordan_row = dana.locator("#failures > li", has_text=jordan)
                jordan_row.get_by_role("button", name="Replay").click()
                expect(dana.locator(".toast")).to_contain_text("is queued again as job #")
                expect(jordan_row).to_have_attribute("data-state", "replayed")
                casey_row = dana.locator("#failures > li", has_text=casey)
                casey_row.get_by_role("button", name="Archive").click()
                expect(casey_row).to_have_attribute("data-state", "archived")
                with psycopg.connect(live_server.urls.app_libpq, autocommit=True) as conn:
                    for _ in range(300):
                        sent = conn.execute(
                            "select count(*) from outbox_messages where to_address = %s", (jordan,)
                        ).fetchone()
                        if sent and sent[0]:
                            break
                        dana.wait_for_timeout(100)
                    else:
                        raise AssertionError(
                            f"the replayed email was not sent:\n{live_server.worker_output()}"
                        )
                dana.goto(f"{base}/admin/jobs")
                expect(dana.locator(".empty")).to_contain_text("Nothing failed.")
                dana.get_by_role("link", name="Archived").click()
                expect(dana.locator("#failures > li", has_text=casey)).to_be_visible()

                # The audit log, filtered to replays.
                dana.goto(f"{base}/admin/audit")
                dana.get_by_label("Action").select_option("jobs.replayed")
                expect(dana).to_have_url(f"{base}/admin/audit?action=jobs.replayed")
                expect(dana.locator("#audit-table tbody tr")).to_have_count(1)
                expect(dana.locator("#audit-table tbody tr")).to_contain_text(a1_email)

                # Notifications: one read from the list, the rest at once; the bell follows.
                dana.goto(f"{base}/notifications")
                unread = dana.locator(".notif.is-unread")
                expect(unread).to_have_count(3)
                unread.first.get_by_role("button", name="Mark read").click()
                expect(dana.locator(".nav .nav-count")).to_have_text("2")
                expect(unread).to_have_count(2)
                dana.get_by_role("button", name="Mark all read").click()
                expect(dana.locator(".toast")).to_contain_text("You are all caught up")
                expect(dana.locator(".nav .nav-count")).to_be_hidden()
                dana.get_by_text("A background job failed after its retries").click()
                dana.get_by_role("button", name="Save email choices").click()
                expect(dana.locator(".toast")).to_contain_text("email for 1 kind of notification")
                expect(dana.locator("input[name=email_job_failed]")).to_be_checked()

                # Operators: every team's failures; the instance's own one replays from here.
                # (Other tests of the run may have left failures of their own: look for ours.)
                dana.goto(f"{base}/ops/jobs")
                theirs_row = dana.locator("#failures > li", has_text=f"Job #{job_base + 2} ")
                expect(theirs_row.locator(".badge-team")).to_have_text(f"Team {b['team']['id'][:8]}")
                instance_row = dana.locator("#failures > li", has_text=f"Job #{job_base + 3} ")
                expect(instance_row.locator(".badge-team")).to_have_text("Instance")
                expect(dana.locator("#failures > li", has_text=f"Job #{job_base} ")).to_have_count(0)
                instance_row.get_by_role("button", name="Replay").click()
                expect(instance_row).to_have_attribute("data-state", "replayed")
            finally:
                browser.close()

    assert problems == [], "\n".join(problems)
