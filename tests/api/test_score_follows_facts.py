"""A lead's stored score follows its facts at once: creating it, editing value, mortgage or sale
date, linking or unlinking an owner and moving that owner's mailing address each rescore the
property in the same request; the nightly job queues every team's rescoring (signals age)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from reos.db.session import Database, team_session
from reos.jobs import maintenance
from tests.fixtures.api import Member, register

HOUSE = {
    "address": "4410 Saddlebrook Ln",
    "city": "Tampa",
    "state": "FL",
    "zip_code": "33610",
    "estimated_value": "300000",
    "mortgage_balance": "0",
    "last_sale_date": "2021-03-01",
}


async def row(client: httpx.AsyncClient, member: Member, pid: str) -> dict[str, Any]:
    """The stored score (what the list sorts by) and the kinds of the signals behind it."""
    found = await client.get(f"/api/v1/properties/{pid}", headers=member.headers)
    assert found.status_code == 200, found.text
    explained = (await client.get(f"/api/v1/properties/{pid}/score", headers=member.headers)).json()
    assert explained["stored_score"] == found.json()["score"] == explained["score"]
    return {
        "score": found.json()["score"],
        "signal_kinds": sorted(f["kind"] for f in explained["factors"]),
    }


async def test_score_and_kinds_follow_each_change_of_the_facts(
    client: httpx.AsyncClient, admin: Member
) -> None:
    made = await client.post("/api/v1/properties", json=HOUSE, headers=admin.headers)
    assert made.status_code == 201, made.text
    pid = made.json()["id"]
    # Created owned outright: free and clear and high equity, scored in the same request.
    fresh = await row(client, admin, pid)
    assert set(fresh["signal_kinds"]) == {"free_and_clear", "high_equity"}
    assert fresh["score"] > 0

    # A mortgage of 95 % takes both away.
    edited = await client.patch(
        f"/api/v1/properties/{pid}", json={"mortgage_balance": "285000"}, headers=admin.headers
    )
    assert edited.status_code == 200
    assert (await row(client, admin, pid))["signal_kinds"] == []
    assert (await row(client, admin, pid))["score"] == 0

    # Bought in 1990: long tenure.
    await client.patch(
        f"/api/v1/properties/{pid}", json={"last_sale_date": "1990-05-01"}, headers=admin.headers
    )
    tenure = await row(client, admin, pid)
    assert tenure["signal_kinds"] == ["long_tenure"]

    # An owner who gets mail in Ohio: absentee and out of state, from the link on.
    owner = await client.post(
        "/api/v1/contacts",
        json={"first_name": "Leon", "last_name": "Marsh", "street": "80 Elm St", "city": "Dayton",
              "state": "OH", "zip_code": "45402"},
        headers=admin.headers,
    )  # fmt: skip
    assert owner.status_code == 201, owner.text
    link = await client.post(
        f"/api/v1/properties/{pid}/contacts",
        json={"contact_id": owner.json()["id"], "role": "owner"},
        headers=admin.headers,
    )
    assert link.status_code == 201, link.text
    linked = await row(client, admin, pid)
    assert set(linked["signal_kinds"]) == {"long_tenure", "absentee_owner", "out_of_state_owner"}
    assert linked["score"] > tenure["score"]

    # The owner moves into the house: neither absentee nor out of state any more.
    moved = await client.patch(
        f"/api/v1/contacts/{owner.json()['id']}",
        json={"street": "4410 Saddlebrook Ln", "city": "Tampa", "state": "FL", "zip_code": "33610"},
        headers=admin.headers,
    )
    assert moved.status_code == 200, moved.text
    assert (await row(client, admin, pid))["signal_kinds"] == ["long_tenure"]

    # Back to Ohio, then unlinked: the owner's facts go with the link.
    await client.patch(
        f"/api/v1/contacts/{owner.json()['id']}",
        json={"street": "80 Elm St", "city": "Dayton", "state": "OH", "zip_code": "45402"},
        headers=admin.headers,
    )
    assert "absentee_owner" in (await row(client, admin, pid))["signal_kinds"]
    unlinked = await client.delete(
        f"/api/v1/properties/{pid}/contacts/{link.json()['id']}", headers=admin.headers
    )
    assert unlinked.status_code == 204, unlinked.text
    assert (await row(client, admin, pid))["signal_kinds"] == ["long_tenure"]

    # Editing what no signal reads (bedrooms) leaves the score alone.
    before = await row(client, admin, pid)
    await client.patch(f"/api/v1/properties/{pid}", json={"bedrooms": 4}, headers=admin.headers)
    after = await row(client, admin, pid)
    assert (after["score"], after["signal_kinds"]) == (before["score"], before["signal_kinds"])


async def test_the_nightly_job_queues_one_rescoring_per_team(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    other = await register(client)

    async def waiting() -> set[str]:
        async with team_session(database, None) as session:
            rows = await session.execute(
                text(
                    "select args->>'team_id' from procrastinate_jobs "
                    "where task_name = 'scoring.rescore_team' and status = 'todo'"
                )
            )
            return {r[0] for r in rows}

    async with team_session(database, None) as session:
        await maintenance.queue_nightly_rescores(session)
    queued = await waiting()
    assert {admin.team_id, other.team_id} <= queued
    # A second night before the first ran adds nothing: one waiting rescoring per team.
    async with team_session(database, None) as session:
        assert await maintenance.queue_nightly_rescores(session) == 0
    assert await waiting() == queued
