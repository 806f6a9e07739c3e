"""Assigning leads, and the team setting that limits agents to the leads assigned to them."""

from __future__ import annotations

import httpx

from reos.db.session import Database
from tests.fixtures.api import Member, add_member, register

LEAD = {"address": "10 Assigned Way", "city": "Tulsa", "state": "OK", "zip_code": "74103"}


async def test_agents_see_only_their_leads_when_the_team_says_so(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    viewer = await add_member(client, database, admin, role="viewer")
    mine = await client.post(
        "/api/v1/properties", json={**LEAD, "assigned_to_id": agent.member_id}, headers=admin.headers
    )
    assert mine.status_code == 201 and mine.json()["assigned_to_id"] == agent.member_id
    other = await client.post(
        "/api/v1/properties", json={**LEAD, "address": "11 Other Way"}, headers=admin.headers
    )
    other_id = other.json()["id"]

    async def listed(member: Member) -> set[str]:
        page = await client.get("/api/v1/properties", params={"limit": 200}, headers=member.headers)
        return {p["id"] for p in page.json()["items"]}

    # Off by default: everyone sees every lead.
    assert {mine.json()["id"], other_id} <= await listed(agent)

    assert (
        await client.patch("/api/v1/team", json={"agents_see_assigned_only": True}, headers=admin.headers)
    ).status_code == 200
    assert await listed(agent) == {mine.json()["id"]}
    # Another lead is, for the agent, a lead that does not exist.
    assert (await client.get(f"/api/v1/properties/{other_id}", headers=agent.headers)).status_code == 404
    assert (
        await client.patch(f"/api/v1/properties/{other_id}", json={"bedrooms": 2}, headers=agent.headers)
    ).status_code == 404
    assert (
        await client.get(f"/api/v1/properties/{mine.json()['id']}", headers=agent.headers)
    ).status_code == 200
    # Viewers, managers and admins are not limited by the setting.
    assert {mine.json()["id"], other_id} <= await listed(viewer)
    assert {mine.json()["id"], other_id} <= await listed(admin)

    # Reassigning the other lead to the agent makes it appear.
    moved = await client.patch(
        f"/api/v1/properties/{other_id}", json={"assigned_to_id": agent.member_id}, headers=admin.headers
    )
    assert moved.status_code == 200
    assert await listed(agent) == {mine.json()["id"], other_id}


async def test_only_an_active_member_of_the_team_can_be_assigned(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    stranger_team = await register(client)
    outsider = await add_member(client, database, stranger_team, role="agent")
    refused = await client.post(
        "/api/v1/properties", json={**LEAD, "assigned_to_id": outsider.member_id}, headers=admin.headers
    )
    assert refused.status_code == 422 and refused.json()["error"]["details"] == {"field": "assigned_to_id"}

    agent = await add_member(client, database, admin, role="agent")
    await client.patch(
        f"/api/v1/team/members/{agent.member_id}", json={"is_active": False}, headers=admin.headers
    )
    inactive = await client.post(
        "/api/v1/properties", json={**LEAD, "assigned_to_id": agent.member_id}, headers=admin.headers
    )
    assert inactive.status_code == 422
