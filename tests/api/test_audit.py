"""The audit log records sensitive actions with who, when, what and from where; admins read their
team's, operators everything; the app role can never change or delete an entry."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from reos.db.session import Database
from tests.fixtures.api import Member, add_member, register


async def _actions(
    client: httpx.AsyncClient, member: Member, path: str = "/api/v1/audit"
) -> list[dict[str, object]]:
    response = await client.get(path, params={"limit": 200}, headers=member.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_role_changes_settings_and_deletions_are_recorded(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    await client.patch(
        f"/api/v1/team/members/{agent.member_id}", json={"role": "viewer"}, headers=admin.headers
    )
    await client.patch(
        "/api/v1/team",
        json={"timezone": "America/Chicago"},
        headers={**admin.headers, "User-Agent": "audit-test"},
    )
    prop = await client.post(
        "/api/v1/properties",
        json={"address": "9 Gone Rd", "city": "Reno", "state": "NV", "zip_code": "89501"},
        headers=admin.headers,
    )
    await client.delete(f"/api/v1/properties/{prop.json()['id']}", headers=admin.headers)

    events = await _actions(client, admin)
    by_action = {e["action"]: e for e in events}
    assert by_action["team.role_changed"]["details"] == {"from": "agent", "to": "viewer"}
    assert by_action["team.role_changed"]["target_id"] == agent.member_id
    settings = by_action["team.settings_changed"]
    assert settings["details"] == {"fields": ["timezone"]} and settings["user_agent"] == "audit-test"
    assert by_action["property.deleted"]["details"]["address"] == "9 GONE RD"
    assert {"auth.login", "team.member_invited", "team.invitation_accepted"} <= set(by_action)
    assert all(e["request_id"] for e in events)

    # Viewers and agents do not read the audit log; another team sees none of it.
    assert (await client.get("/api/v1/audit", headers=agent.headers)).status_code == 403
    stranger = await register(client)
    assert {e["id"] for e in await _actions(client, stranger)}.isdisjoint({e["id"] for e in events})


async def test_operators_see_instance_events(
    client: httpx.AsyncClient, admin: Member, owner_conn: psycopg.Connection
) -> None:
    await client.post("/api/v1/auth/password-reset", json={"email": admin.email})
    assert "auth.password_reset_requested" not in {e["action"] for e in await _actions(client, admin)}
    assert (await client.get("/api/v1/ops/audit", headers=admin.headers)).status_code == 403
    owner_conn.execute("update accounts set is_operator = true where email = %s", (admin.email,))
    everything = await _actions(client, admin, "/api/v1/ops/audit")
    mine = [
        e
        for e in everything
        if e["action"] == "auth.password_reset_requested" and e["actor_email"] == admin.email
    ]
    assert mine and mine[0]["team_id"] is None


def test_the_app_role_cannot_edit_or_delete_the_log(app_conn: psycopg.Connection) -> None:
    for statement in ("update audit_events set action = 'x'", "delete from audit_events"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app_conn.execute(statement)
        app_conn.rollback()
