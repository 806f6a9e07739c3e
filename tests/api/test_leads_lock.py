"""The team's leads lock (`reos.kit.leads_lock`): a bulk action and a rescoring had deadlocked
over property rows they lock in different orders (the list's order against ranges of ids), and
one of them failed. Now the writers of many leads queue on one lock per team: exclusive for
imports, undo and bulk actions, shared for the parts of a rescoring."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
import pytest
from sqlalchemy import text

from reos.db.session import Database, team_session
from reos.kit.leads_lock import lock_leads
from reos.scoring import service as scoring
from tests.fixtures.api import Member
from tests.fixtures.jobs import run_jobs

pytestmark = pytest.mark.usefixtures("job_queue")
T = TypeVar("T")


async def _leads(client: httpx.AsyncClient, admin: Member, n: int) -> list[str]:
    ids = []
    for i in range(n):
        made = await client.post(
            "/api/v1/properties",
            json={"address": f"{100 + i} Lock St", "city": "Tampa", "state": "FL", "zip_code": "33610"},
            headers=admin.headers,
        )
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    return ids


async def _held_while(
    database: Database, team: uuid.UUID, *, shared: bool, start: Callable[[], Awaitable[T]]
) -> asyncio.Task[T]:
    """Hold the lock as another writer would, start the work once it is held (started before,
    the work could take the lock first and be done), see the work wait on it, then let it go."""
    async with team_session(database, team) as holder:
        assert await lock_leads(holder, team, shared=shared)
        work = asyncio.ensure_future(start())
        for _ in range(100):
            waiting = await holder.scalar(
                text("select count(*) from pg_locks where locktype = 'advisory' and not granted")
            )
            if waiting:
                break
            await asyncio.sleep(0.1)
        assert waiting == 1 and not work.done()
    return work


async def test_a_bulk_action_waits_for_a_rescorings_part_and_the_part_for_a_bulk_action(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    team = uuid.UUID(admin.team_id)
    await _leads(client, admin, 3)
    started = await client.post(
        "/api/v1/properties/bulk",
        json={"action": "tag", "params": {"tags": ["locked"]}, "selection": {"filter": {"all": []}}},
        headers=admin.headers,
    )
    assert started.status_code == 202, started.text
    bulk_url = f"/api/v1/bulk-actions/{started.json()['id']}"

    # A rescoring part holds the lock (shared): the bulk action's job waits for it.
    jobs = await _held_while(database, team, shared=True, start=run_jobs)
    await jobs
    done = (await client.get(bulk_url, headers=admin.headers)).json()
    assert done["status"] == "completed" and done["summary"]["changed"] == 3

    # A bulk action holds it (exclusive): a rescoring part waits; two parts share it.
    async def part() -> scoring.RescoreResult:
        async with team_session(database, team) as session:
            return await scoring.rescore(session, team_id=team, ids=None)

    async with team_session(database, team) as other_part:
        assert await lock_leads(other_part, team, shared=True)
        assert (await asyncio.wait_for(part(), timeout=30)).changed >= 0
    rescoring = await _held_while(database, team, shared=False, start=part)
    await asyncio.wait_for(rescoring, timeout=30)


async def test_undo_waits_out_a_rescoring_part_and_gives_up_on_a_long_holder(
    client: httpx.AsyncClient, admin: Member, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reos.imports import service as imports
    from tests.api.test_imports import csv_bytes, imported, lead

    team = uuid.UUID(admin.team_id)
    body = await imported(client, admin, csv_bytes([lead()]))
    undo = f"/api/v1/imports/{body['id']}/undo"
    monkeypatch.setattr(imports, "UNDO_WAIT_MS", 3_000)

    # A part of the rescoring the import queued holds the lock for a moment: undo waits, then runs.
    async with team_session(database, team) as holder:
        assert await lock_leads(holder, team, shared=True)
        waiting = asyncio.create_task(client.post(undo, headers=admin.headers))
        await asyncio.sleep(0.5)
        assert not waiting.done()
    assert (await waiting).status_code == 200

    # An import or a bulk action holds it past the wait: 409, naming why.
    again = await imported(client, admin, csv_bytes([lead()]))
    async with team_session(database, team) as holder:
        assert await lock_leads(holder, team)
        refused = await client.post(f"/api/v1/imports/{again['id']}/undo", headers=admin.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["details"]["reason"] == "leads_busy"
    assert (
        await client.post(f"/api/v1/imports/{again['id']}/undo", headers=admin.headers)
    ).status_code == 200
