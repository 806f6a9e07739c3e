"""The caller of every request is read from the database with the team setting, in one round
trip: so a role change, a deactivation or a password change made through any API process binds
the caller's very next request in every other process."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import psycopg
import pytest

from reos.app import create_app
from reos.auth import security
from reos.db.session import Database
from reos.settings import get_settings
from tests.fixtures.api import PASSWORD, Member, add_member

PROPERTY = {"address": "12 Oak St", "city": "Tampa", "state": "FL", "zip_code": "33610"}


@pytest.fixture
async def other_process(database: Database, job_queue: None) -> AsyncIterator[httpx.AsyncClient]:
    """A second API instance on the same database, as another worker process would be: nothing
    in memory is shared with the `client` fixture's app."""
    app = create_app(get_settings(), database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


async def set_member(client: httpx.AsyncClient, by: Member, member: Member, **changes: object) -> None:
    response = await client.patch(
        f"/api/v1/team/members/{member.member_id}", json=changes, headers=by.headers
    )
    assert response.status_code == 200, response.text


async def test_member_changes_made_in_one_process_bind_the_next_request_in_another(
    client: httpx.AsyncClient, other_process: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    manager = await add_member(client, database, admin, role="manager")
    assert (
        await client.post("/api/v1/properties", json=PROPERTY, headers=manager.headers)
    ).status_code == 201
    assert (await client.get("/api/v1/properties", headers=manager.headers)).status_code == 200

    await set_member(other_process, admin, manager, role="viewer")
    refused = await client.post("/api/v1/properties", json=PROPERTY, headers=manager.headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["details"] == {"action": "edit", "role": "viewer"}
    assert (await client.get("/api/v1/auth/me", headers=manager.headers)).json()["team"]["role"] == "viewer"

    await set_member(other_process, admin, manager, is_active=False)
    gone = await client.get("/api/v1/properties", headers=manager.headers)
    assert gone.status_code == 401
    assert gone.json()["error"]["message"] == "this account is deactivated in this team"

    await set_member(other_process, admin, manager, is_active=True, role="manager")
    login = await client.post("/api/v1/auth/login", json={"email": manager.email, "password": PASSWORD})
    assert login.status_code == 200
    fresh = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await client.post("/api/v1/properties", json=PROPERTY, headers=fresh)).status_code == 201


async def test_a_password_changed_in_one_process_ends_the_token_in_another(
    client: httpx.AsyncClient, other_process: httpx.AsyncClient, admin: Member
) -> None:
    assert (await client.get("/api/v1/properties", headers=admin.headers)).status_code == 200
    changed = await other_process.post(
        "/api/v1/auth/change-password",
        json={"current_password": PASSWORD, "new_password": "another-long-password"},
        headers=admin.headers,
    )
    assert changed.status_code in (200, 204), changed.text
    revoked = await client.get("/api/v1/properties", headers=admin.headers)
    assert revoked.status_code == 401
    assert revoked.json()["error"]["message"] == "token was revoked; log in again"


async def test_the_caller_rides_the_team_settings_round_trip(
    client: httpx.AsyncClient, admin: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list request sends two queries: BEGIN with the team setting and the caller's account
    and membership, then the page (COMMIT aside)."""
    assert (await client.get("/api/v1/properties", headers=admin.headers)).status_code == 200
    sent: list[str] = []
    execute = psycopg.AsyncCursor.execute

    async def recording(self: psycopg.AsyncCursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(str(query))
        return await execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncCursor, "execute", recording)
    assert (await client.get("/api/v1/properties", headers=admin.headers)).status_code == 200
    monkeypatch.undo()
    assert len(sent) == 2, sent
    assert (
        sent[0].startswith("begin; select set_config('app.team_id'")
        and "from accounts a join memberships m" in sent[0]
    )
    assert "FROM properties" in sent[1]


async def test_a_token_for_a_team_without_the_membership_is_refused(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """The account and membership are read under the token's team: a token naming another team
    (signed, but the account is no member there) finds no row."""
    me = (await client.get("/api/v1/auth/me", headers=admin.headers)).json()
    other = await client.post(
        "/api/v1/auth/register",
        json={"email": "x-" + admin.email, "password": PASSWORD, "full_name": "X", "team_name": "Elsewhere"},
    )
    token, _ = security.issue_token(
        account_id=uuid.UUID(me["user"]["id"]),
        team_id=uuid.UUID(other.json()["team"]["id"]),
        version=1,
        type="access",
        lifetime=timedelta(minutes=5),
    )
    refused = await client.get("/api/v1/properties", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "token is not valid"
