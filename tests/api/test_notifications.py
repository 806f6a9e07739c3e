"""Notifications: emitted by real events, listed per member with an unread count, marked read,
and emailed for the kinds a member chose."""

from __future__ import annotations

import httpx

from reos.db.session import Database
from tests.fixtures.api import Member, add_member, last_email_to


async def test_an_accepted_invitation_notifies_the_inviter(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    newcomer = await add_member(client, database, admin, role="agent")
    page = await client.get("/api/v1/notifications", headers=admin.headers)
    assert page.status_code == 200
    body = page.json()
    assert body["unread"] == 1
    [note] = body["items"]
    assert note["kind"] == "member_joined" and "joined the team as agent" in note["title"]
    # The newcomer's own list is empty: notifications are per member.
    theirs = await client.get("/api/v1/notifications", headers=newcomer.headers)
    assert theirs.json() == {"items": [], "next_cursor": None, "unread": 0}

    read = await client.post(f"/api/v1/notifications/{note['id']}/read", headers=admin.headers)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert (await client.get("/api/v1/notifications", headers=admin.headers)).json()["unread"] == 0
    unread_only = await client.get("/api/v1/notifications", params={"unread": "true"}, headers=admin.headers)
    assert unread_only.json()["items"] == []
    # Another member cannot mark it.
    assert (
        await client.post(f"/api/v1/notifications/{note['id']}/read", headers=newcomer.headers)
    ).status_code == 404


async def test_a_member_can_choose_email_for_a_kind(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    prefs = await client.get("/api/v1/notifications/preferences", headers=admin.headers)
    assert prefs.json()["email"]["member_joined"] is False
    chosen = await client.put(
        "/api/v1/notifications/preferences", json={"email": {"member_joined": True}}, headers=admin.headers
    )
    assert chosen.status_code == 200 and chosen.json()["email"]["member_joined"] is True
    bad = await client.put(
        "/api/v1/notifications/preferences", json={"email": {"nope": True}}, headers=admin.headers
    )
    assert bad.status_code == 422 and "nope" in bad.json()["error"]["message"]
    assert bad.json()["error"]["details"]["field"] == "email"

    await add_member(client, database, admin, role="viewer")
    emailed = await last_email_to(database, admin.email)
    assert "joined the team as viewer" in emailed.subject
    assert emailed.kind == "notification.member_joined"


async def test_mark_all_read(client: httpx.AsyncClient, admin: Member, database: Database) -> None:
    for role in ("agent", "viewer"):
        await add_member(client, database, admin, role=role)
    marked = await client.post("/api/v1/notifications/read-all", headers=admin.headers)
    assert marked.json() == {"marked": 2}
    assert (await client.get("/api/v1/notifications", headers=admin.headers)).json()["unread"] == 0
