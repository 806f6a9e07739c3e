"""The board's numbers kept by triggers (`property_stage_counts`, migration 0010) equal a fresh
GROUP BY over the live leads after every kind of change: creates, stage moves, value edits,
reassignments, market changes, soft deletes, restores, merges, bulk actions and an import's
set-based insert and update — and the board reads them."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text

from reos.db.session import Database, team_session
from tests.fixtures.api import Member, add_member
from tests.fixtures.jobs import run_jobs

BASE = {"city": "Tampa", "state": "FL", "zip_code": "33610"}

KEPT = """
    select stage, assigned_to_id, market_id, leads, total_value from property_stage_counts
    where team_id = :team and leads <> 0"""
FRESH = """
    select stage, assigned_to_id, market_id, count(*), coalesce(sum(estimated_value), 0) from properties
    where team_id = :team and deleted_at is null group by stage, assigned_to_id, market_id"""


async def create(client: httpx.AsyncClient, member: Member, address: str, **fields: Any) -> str:
    response = await client.post(
        "/api/v1/properties", json=BASE | {"address": address} | fields, headers=member.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def assert_in_step(database: Database, member: Member) -> dict[Any, tuple[int, Decimal]]:
    team = uuid.UUID(member.team_id)
    async with team_session(database, team) as session:
        kept = {
            (s, a, m): (int(n), Decimal(v))
            for s, a, m, n, v in await session.execute(text(KEPT), {"team": team})
        }
        fresh = {
            (s, a, m): (int(n), Decimal(v))
            for s, a, m, n, v in await session.execute(text(FRESH), {"team": team})
        }
    assert kept == fresh
    return fresh


async def test_counts_follow_every_change(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    headers = admin.headers
    agent = await add_member(client, database, admin, role="agent")
    market = await client.post("/api/v1/team/markets", json={"name": "Tampa Bay"}, headers=headers)
    assert market.status_code == 201, market.text
    market_id = market.json()["id"]

    ids = [
        await create(client, admin, f"{n} Count St", estimated_value=str(100_000 + n), stage="new")
        for n in range(6)
    ]
    ids.append(
        await create(client, admin, "99 Count St", assigned_to_id=agent.member_id, market_id=market_id)
    )
    fresh = await assert_in_step(database, admin)
    assert fresh[("new", None, None)] == (6, Decimal(600_015))

    moved = await client.post(
        f"/api/v1/properties/{ids[0]}/stage", json={"stage": "outreach", "reason": "called"}, headers=headers
    )
    assert moved.status_code == 200, moved.text
    await assert_in_step(database, admin)

    for changes in (
        {"estimated_value": "250000.50"},
        {"assigned_to_id": agent.member_id},
        {"market_id": market_id},
    ):
        edited = await client.patch(f"/api/v1/properties/{ids[1]}", json=changes, headers=headers)
        assert edited.status_code == 200, edited.text
        await assert_in_step(database, admin)
    cleared = await client.patch(
        f"/api/v1/properties/{ids[1]}", json={"estimated_value": None}, headers=headers
    )
    assert cleared.status_code == 200, cleared.text
    await assert_in_step(database, admin)

    assert (await client.delete(f"/api/v1/properties/{ids[2]}", headers=headers)).status_code == 204
    await assert_in_step(database, admin)
    assert (await client.post(f"/api/v1/properties/{ids[2]}/restore", headers=headers)).status_code == 200
    await assert_in_step(database, admin)

    merged = await client.post(
        f"/api/v1/properties/{ids[3]}/merge", json={"duplicate_id": ids[4]}, headers=headers
    )
    assert merged.status_code == 200, merged.text
    await assert_in_step(database, admin)

    for body in (
        {
            "action": "stage",
            "params": {"stage": "outreach", "reason": "mail drop"},
            "selection": {"ids": ids},
        },
        {"action": "assign", "params": {"assigned_to_id": agent.member_id}, "selection": {"ids": ids[:3]}},
        {"action": "delete", "params": {}, "selection": {"ids": ids[5:6]}},
    ):
        started = await client.post("/api/v1/properties/bulk", json=body, headers=headers)
        assert started.status_code == 202, started.text
        await run_jobs()
        done = await client.get(f"/api/v1/bulk-actions/{started.json()['id']}", headers=headers)
        assert done.json()["status"] == "completed", done.text
        await assert_in_step(database, admin)

    # An import's merge is set-based SQL on the app role: one INSERT … SELECT, one UPDATE … FROM.
    team = uuid.UUID(admin.team_id)
    async with team_session(database, team) as session:
        await session.execute(
            text(
                "insert into properties (id, team_id, created_at, updated_at, stage_changed_at,"
                " address, city, state, zip_code, estimated_value, stage, score, custom, signal_kinds)"
                " select gen_random_uuid(), :team, now(), now(), now(),"
                " n || ' Import Rd', 'Tampa', 'FL', '33610',"
                " n * 1000, case when n % 3 = 0 then 'qualified' else 'new' end, 0, '{}', '{}'"
                " from generate_series(1, 500) n"
            ),
            {"team": team},
        )
        await session.execute(
            text(
                "update properties set estimated_value = estimated_value + 1, stage = 'outreach'"
                " where team_id = :team and address like '%0 Import Rd'"
            ),
            {"team": team},
        )
        await session.execute(text("update properties set score = 50 where team_id = :team"), {"team": team})
        await session.commit()
    fresh = await assert_in_step(database, admin)
    assert (
        sum(n for n, _ in fresh.values()) == 7 - 1 - 1 + 500
    )  # seven created, one merged away, one bulk-deleted

    board = await client.get("/api/v1/pipeline", headers=headers)
    assert board.status_code == 200, board.text
    columns = {c["stage"]: c for c in board.json()}
    for stage in ("new", "outreach", "qualified"):
        assert columns[stage]["count"] == sum(n for (s, _, _), (n, _) in fresh.items() if s == stage)
    by_agent = await client.get("/api/v1/pipeline", params={"assignee_id": agent.member_id}, headers=headers)
    assert by_agent.status_code == 200, by_agent.text
    agents = sum(c["count"] for c in by_agent.json())
    assert agents == sum(
        n for (_, a, _), (n, _) in fresh.items() if a is not None and str(a) == agent.member_id
    )
