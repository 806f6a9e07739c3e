"""The web pages over HTTP: cookie sessions, CSRF, form errors re-rendered, redirects."""

from __future__ import annotations

import re

import httpx
import psycopg

from reos.db.session import Database
from tests.fixtures.api import (
    PASSWORD,
    Member,
    add_member,
    create_property,
    last_email_to,
    register,
    token_in,
    unique_email,
)

HTML = {"Accept": "text/html"}
HTMX = {"HX-Request": "true", "Accept": "text/html"}


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "page carries no CSRF token"
    return match.group(1)


async def web_login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the form; answer the CSRF token of the new session."""
    client.cookies.clear()
    response = await client.post("/login", data={"email": email, "password": password, "next": "/team"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/team"
    page = await client.get("/team")
    assert page.status_code == 200
    return csrf_of(page.text)


async def test_pages_without_a_session_redirect_to_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/"
    deep = await client.get("/properties?stage=new", headers=HTML)
    assert deep.headers["location"] == "/login?next=/properties%3Fstage%3Dnew"
    login = await client.get("/login?next=/properties")
    assert login.status_code == 200 and 'name="next" value="/properties"' in login.text


async def test_login_with_a_wrong_password_re_renders_the_form(
    client: httpx.AsyncClient, admin: Member
) -> None:
    response = await client.post("/login", data={"email": admin.email, "password": "not-the-password"})
    assert response.status_code == 401
    assert "text/html" in response.headers["content-type"]
    assert "Email or password is wrong" in response.text
    assert f'value="{admin.email}"' in response.text
    assert "reos_session" not in response.cookies


async def test_login_never_redirects_off_site(client: httpx.AsyncClient, admin: Member) -> None:
    response = await client.post(
        "/login", data={"email": admin.email, "password": PASSWORD, "next": "//evil.example/x"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/"


async def test_writes_without_the_csrf_token_are_refused(client: httpx.AsyncClient, admin: Member) -> None:
    csrf = await web_login(client, admin.email)
    missing = await client.post("/logout")
    assert missing.status_code == 403
    wrong = await client.post("/logout", data={"csrf_token": "0" * 64}, headers=HTML)
    assert wrong.status_code == 403 and "CSRF token" in wrong.text
    # The same session still works, and logging out with the token ends it.
    assert (await client.get("/")).status_code == 200
    out = await client.post("/logout", data={"csrf_token": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert (await client.get("/")).status_code == 303


async def test_logged_out_cookie_stays_dead(client: httpx.AsyncClient, admin: Member) -> None:
    csrf = await web_login(client, admin.email)
    cookie = client.cookies["reos_session"]
    await client.post("/logout", data={"csrf_token": csrf})
    client.cookies.set("reos_session", cookie)
    assert (await client.get("/", headers=HTML)).status_code == 303


async def test_register_creates_team_and_logs_in(client: httpx.AsyncClient) -> None:
    email = unique_email("web")
    response = await client.post(
        "/register",
        data={"full_name": "Rita Web", "email": email, "password": PASSWORD, "team_name": "Web Buyers"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    dashboard = await client.get("/")
    assert dashboard.status_code == 200
    assert "Web Buyers" in dashboard.text and "Welcome aboard, Rita" in dashboard.text
    # The flash message is shown once.
    assert "Welcome aboard" not in (await client.get("/")).text
    # A new team gets its leads from a list first: the empty pages say where to bring one.
    assert '<a href="/imports">Import a lead list</a>' in dashboard.text
    assert "Import a lead list, or add a property" in dashboard.text
    empty = await client.get("/properties")
    assert '<a href="/imports">Import a lead list</a> from a list tool' in empty.text


async def test_register_shows_field_errors(client: httpx.AsyncClient, admin: Member) -> None:
    short = await client.post(
        "/register", data={"full_name": "A", "email": "not-an-email", "password": "short", "team_name": ""}
    )
    assert short.status_code == 422
    assert short.text.count('class="field-error"') == 3
    taken = await client.post(
        "/register", data={"full_name": "A", "email": admin.email, "password": PASSWORD, "team_name": "T"}
    )
    assert taken.status_code == 409 and "already exists" in taken.text


async def test_switching_team_issues_a_new_session(client: httpx.AsyncClient, database: Database) -> None:
    first = await register(client, team_name="First Team")
    second = await register(client, team_name="Second Team")
    await add_member(client, database, second, role="viewer", email=first.email)
    csrf = await web_login(client, first.email)
    old_cookie = client.cookies["reos_session"]
    page = await client.get("/")
    assert "First Team" in page.text and "Second Team" in page.text
    switched = await client.post("/switch-team", data={"csrf_token": csrf, "team_id": second.team_id})
    assert switched.status_code == 303
    dashboard = await client.get("/")
    assert "You are now working in Second Team" in dashboard.text
    assert re.search(r"<strong>Second Team</strong><small>Viewer</small>", dashboard.text)
    # A viewer sees settings read-only and cannot save them.
    settings = await client.get("/settings")
    assert "Only admins change team settings" in settings.text
    denied = await client.post(
        "/settings", data={"csrf_token": csrf_of(settings.text), "name": "X"}, headers=HTML
    )
    assert denied.status_code == 403
    client.cookies.set("reos_session", old_cookie)
    assert (await client.get("/", headers=HTML)).status_code == 303


async def test_settings_form_saves_and_reports_errors(client: httpx.AsyncClient, admin: Member) -> None:
    csrf = await web_login(client, admin.email)
    form = {
        "csrf_token": csrf,
        "name": "Gulf Coast Buyers",
        "timezone": "America/Chicago",
        "mon_open": "on",
        "mon_start": "08:00",
        "mon_end": "17:30",
        "sat_open": "on",
        "sat_start": "10:00",
        "sat_end": "14:00",
        "postal_address": "1 Main St, Mobile, AL 36602",
        "brand_name": "Gulf Coast",
        "brand_color": "#0f766e",
        "logo_url": "",
    }
    saved = await client.post("/settings", data=form)
    assert saved.status_code == 303
    team = (await client.get("/api/v1/team", headers=admin.headers)).json()
    assert team["name"] == "Gulf Coast Buyers" and team["timezone"] == "America/Chicago"
    assert team["business_hours"] == {"mon": ["08:00", "17:30"], "sat": ["10:00", "14:00"]}
    assert team["logo_url"] is None and team["brand_color"] == "#0f766e"
    bad = await client.post("/settings", data={**form, "sat_end": "09:00", "logo_url": "ftp://x"})
    assert bad.status_code == 422
    assert "opening time must be before closing time" in bad.text.lower()
    assert 'value="ftp://x"' in bad.text


async def test_team_page_invites_changes_roles_and_withdraws(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    csrf = await web_login(client, admin.email)
    email = unique_email("invitee")
    invited = await client.post(
        "/team/invitations", data={"email": email, "role": "manager"}, headers={**HTMX, "X-CSRF-Token": csrf}
    )
    assert invited.status_code == 200
    assert email in invited.text and "toast" in invited.headers["HX-Trigger"]
    assert "/invite/accept?token=" in (await last_email_to(database, email)).text_body
    again = await client.post(
        "/team/invitations", data={"email": "nope", "role": "manager"}, headers={**HTMX, "X-CSRF-Token": csrf}
    )
    assert again.status_code == 422 and 'class="field-error"' in again.text

    agent = await add_member(client, database, admin, role="agent")
    promoted = await client.post(
        f"/team/members/{agent.member_id}", data={"role": "manager"}, headers={**HTMX, "X-CSRF-Token": csrf}
    )
    assert promoted.status_code == 200 and '<option value="manager" selected>' in promoted.text
    me = next(
        m
        for m in (await client.get("/api/v1/team/members", headers=admin.headers)).json()
        if m["email"] == admin.email
    )
    last_admin = await client.post(
        f"/team/members/{me['id']}", data={"role": "viewer"}, headers={**HTMX, "X-CSRF-Token": csrf}
    )
    assert last_admin.status_code == 409 and "at least one active admin" in last_admin.text
    deactivated = await client.post(
        f"/team/members/{agent.member_id}", data={"csrf_token": csrf, "is_active": "false"}
    )
    assert deactivated.status_code == 303
    assert "Deactivated" in (await client.get("/team")).text

    pending = (await client.get("/api/v1/team/invitations", headers=admin.headers)).json()
    withdrawn = await client.post(
        f"/team/invitations/{pending[0]['id']}/withdraw", headers={**HTMX, "X-CSRF-Token": csrf}
    )
    assert withdrawn.status_code == 200 and "No pending invitations" in withdrawn.text


async def test_invite_accept_page(client: httpx.AsyncClient, admin: Member, database: Database) -> None:
    email = unique_email("joiner")
    await client.post(
        "/api/v1/team/invitations", json={"email": email, "role": "agent"}, headers=admin.headers
    )
    token = token_in((await last_email_to(database, email)).text_body)
    preview = await client.get(f"/invite/accept?token={token}")
    assert preview.status_code == 200 and email in preview.text and "Agent" in preview.text
    short = await client.post("/invite/accept", data={"token": token, "full_name": "Jo", "password": "short"})
    assert short.status_code == 400 and "at least 10 characters" in short.text
    joined = await client.post(
        "/invite/accept", data={"token": token, "full_name": "Jo Joiner", "password": PASSWORD}
    )
    assert joined.status_code == 303
    assert "Welcome to" in (await client.get("/")).text
    used = await client.get(f"/invite/accept?token={token}")
    assert used.status_code == 409 and "already accepted" in used.text
    assert (await client.get("/invite/accept?token=nonsense-token-123")).status_code == 404


async def test_password_reset_pages(client: httpx.AsyncClient, admin: Member, database: Database) -> None:
    known = await client.post("/forgot-password", data={"email": admin.email})
    unknown = await client.post("/forgot-password", data={"email": unique_email()})
    assert known.status_code == unknown.status_code == 200
    assert "Check your inbox" in known.text and "Check your inbox" in unknown.text
    token = token_in((await last_email_to(database, admin.email)).text_body)
    differ = await client.post(
        "/reset-password",
        data={"token": token, "password": "new-password-1", "password_confirm": "other-one-22"},
    )
    assert differ.status_code == 422 and "The two passwords differ" in differ.text
    done = await client.post(
        "/reset-password",
        data={"token": token, "password": "new-password-1", "password_confirm": "new-password-1"},
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/login?email=")
    reused = await client.post(
        "/reset-password",
        data={"token": token, "password": "new-password-2", "password_confirm": "new-password-2"},
    )
    assert reused.status_code == 400 and "invalid, used or expired" in reused.text
    await web_login(client, admin.email, "new-password-1")


async def test_properties_page_creates_and_lists(client: httpx.AsyncClient, admin: Member) -> None:
    csrf = await web_login(client, admin.email)
    bad = await client.post(
        "/properties",
        data={
            "csrf_token": csrf,
            "address": "1 Oak St",
            "city": "Tampa",
            "state": "Florida",
            "zip_code": "3",
        },
    )
    assert bad.status_code == 422 and bad.text.count('class="field-error"') >= 2
    created = await client.post(
        "/properties",
        data={
            "csrf_token": csrf,
            "address": "1 Oak St",
            "city": "Tampa",
            "state": "fl",
            "zip_code": "33610",
            "bedrooms": "3",
            "bathrooms": "2",
            "estimated_value": "$245,000",
            "stage": "outreach",
        },
    )
    assert created.status_code == 303
    listing = await client.get("/properties?stage=outreach")
    assert "1 OAK ST" in listing.text and "$245,000" in listing.text
    assert "1 OAK ST" not in (await client.get("/properties?stage=closed_won")).text
    dashboard = await client.get("/")
    assert 'data-kpi="properties">1<' in dashboard.text and "<svg" in dashboard.text


async def test_outbox_page_is_for_operators(
    client: httpx.AsyncClient, admin: Member, owner_conn: psycopg.Connection
) -> None:
    await web_login(client, admin.email)
    assert (await client.get("/outbox", headers=HTML)).status_code == 403
    owner_conn.execute("update accounts set is_operator = true where email = %s", (admin.email,))
    page = await client.get("/outbox")
    assert page.status_code == 200 and "mock email provider" in page.text
    assert 'href="/outbox"' in (await client.get("/")).text


async def test_dashboard_live_region_reloads_alone(client: httpx.AsyncClient, admin: Member) -> None:
    await web_login(client, admin.email)
    page = await client.get("/")
    assert 'data-live-url="/dashboard/live"' in page.text and 'data-live-on="counts.changed"' in page.text
    await client.post(
        "/api/v1/properties",
        json={
            "address": "9 Elm St",
            "city": "Tampa",
            "state": "FL",
            "zip_code": "33610",
            "stage": "qualified",
        },
        headers=admin.headers,
    )
    live = await client.get("/dashboard/live", headers=HTMX)
    assert live.status_code == 200
    assert "<html" not in live.text and 'class="kpis"' in live.text
    assert 'data-kpi="properties">1<' in live.text and "9 ELM ST" in live.text


async def test_the_dashboard_lists_the_newest_properties_not_the_best_scored(
    client: httpx.AsyncClient, admin: Member, owner_conn: psycopg.Connection
) -> None:
    await web_login(client, admin.email)
    for n in range(7):
        made = await client.post(
            "/api/v1/properties",
            json={"address": f"{n + 1} Recent Row", "city": "Tampa", "state": "FL", "zip_code": "33610"},
            headers=admin.headers,
        )
        assert made.status_code == 201
        # The oldest score highest, so a score order would show them first.
        owner_conn.execute("update properties set score = %s where id = %s", (90 - n * 10, made.json()["id"]))
    text = (await client.get("/")).text
    section = text[text.index("Recently added") :]
    shown = [n for n in range(1, 8) if f"{n} RECENT ROW" in section]
    assert shown == [3, 4, 5, 6, 7]


async def test_the_scoring_page_asks_for_its_ranking_once_shown(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    """Ranking a large team takes seconds, so the page arrives without it and asks: an editor's
    page for the form's weights, a reader's for the saved ones. Each sees its own team only."""
    fields = {"city": "Tampa", "state": "FL", "zip_code": "33610"}
    await create_property(client, admin, {"address": "12 Heron Way", **fields})
    other = await register(client)
    await create_property(client, other, {"address": "99 Kestrel Ct", **fields})
    agent = await add_member(client, database, admin, role="agent")

    csrf = await web_login(client, admin.email)
    page = await client.get("/scoring")
    assert page.status_code == 200 and "Ranking the leads" in page.text
    assert 'hx-post="/scoring/preview"' in page.text and "12 HERON WAY" not in page.text
    weights = dict(re.findall(r'name="((?:weight|half_life)__\w+)" value="(\d+)"', page.text))
    assert len(weights) > 20
    ranked = await client.post(
        "/scoring/preview", data={"csrf_token": csrf, **weights, "equity_gate_percent": "20"}, headers=HTMX
    )
    assert ranked.status_code == 200 and "12 HERON WAY" in ranked.text and "99 KESTREL CT" not in ranked.text

    csrf = await web_login(client, agent.email)
    page = await client.get("/scoring")
    assert 'hx-get="/scoring/preview"' in page.text and 'hx-post="/scoring/preview"' not in page.text
    saved = await client.get("/scoring/preview", headers=HTMX)
    assert saved.status_code == 200 and "12 HERON WAY" in saved.text and "99 KESTREL CT" not in saved.text
    said = saved.text.replace("</strong><span>", " ").replace("<strong>", "")
    assert re.search(r"\d+ of 1 lead changes? score", said) and "1 leads" not in said
    refused = await client.post("/scoring/preview", data={"csrf_token": csrf, **weights}, headers=HTMX)
    assert refused.status_code == 403 and "CSRF" not in refused.text


async def test_the_weight_editor_says_what_a_bad_number_should_be(
    client: httpx.AsyncClient, admin: Member
) -> None:
    csrf = await web_login(client, admin.email)
    page = await client.get("/scoring")
    weights = dict(re.findall(r'name="((?:weight|half_life)__\w+)" value="(\d+)"', page.text))
    kinds = sorted({name.split("__", 1)[1] for name in weights})
    bad = {
        f"weight__{kinds[0]}": "lots",
        f"weight__{kinds[1]}": "500",
        f"half_life__{kinds[2]}": "0",
        f"weight__{kinds[3]}": "2.5",
    }
    refused = await client.post(
        "/scoring", data={"csrf_token": csrf, **weights, **bad, "equity_gate_percent": "20"}
    )
    assert refused.status_code == 422
    text = refused.text
    for words in ("Enter a whole number", "At most 100", "At least 1"):
        assert words in text, words
    assert "Input should" not in text and "valid integer" not in text
    # Nothing was saved: the page shows the defaults again.
    again = await client.get("/scoring")
    assert dict(re.findall(r'name="((?:weight|half_life)__\w+)" value="(\d+)"', again.text)) == weights
