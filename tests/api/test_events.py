"""Live events: LISTEN/NOTIFY → Server-Sent Events, per team, resumable with Last-Event-ID,
and never crossing teams — also across two separate app instances (two API processes)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from reos.app import create_app
from reos.db.session import Database
from reos.settings import get_settings
from tests.fixtures.api import Member, register

PROPERTY = {"address": "1 Live St", "city": "Tampa", "state": "FL", "zip_code": "33602"}


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """Serve `app` over real HTTP on 127.0.0.1 (httpx's ASGI transport buffers whole responses,
    so a stream needs a real server); same event loop, so it shares the test database."""
    import socket

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        await app.state.event_hub.stop()


@asynccontextmanager
async def stream(
    base_url: str, member: Member, last_event_id: str | None = None
) -> AsyncIterator[asyncio.Queue[dict[str, object]]]:
    """Open the team's event stream at `base_url` and collect its events into a queue."""
    events: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    opened = asyncio.Event()
    headers = dict(member.headers)
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id

    async def read() -> None:
        async with (
            httpx.AsyncClient(base_url=base_url, timeout=None) as client,
            client.stream("GET", "/api/v1/events", headers=headers) as response,
        ):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            current: dict[str, object] = {}
            async for line in response.aiter_lines():
                if line.startswith("retry:"):
                    opened.set()
                elif line.startswith("id:"):
                    current["id"] = line[3:].strip()
                elif line.startswith("event:"):
                    current["event"] = line[6:].strip()
                elif line.startswith("data:"):
                    current["data"] = json.loads(line[5:])
                elif line == "" and "event" in current:
                    await events.put(current)
                    current = {}
                elif line == "":
                    current = {}

    reader = asyncio.create_task(read())
    await asyncio.wait_for(opened.wait(), timeout=10)
    try:
        yield events
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await reader


async def next_event(events: asyncio.Queue[dict[str, object]], kind: str) -> dict[str, object]:
    while True:
        event = await asyncio.wait_for(events.get(), timeout=10)
        if event["event"] == kind:
            return event


async def test_a_change_reaches_the_team_in_two_processes_and_not_another_team(
    client: httpx.AsyncClient, admin: Member, database: Database, job_queue: None
) -> None:
    stranger = await register(client)
    # Two app instances stand for two API processes: each has its own LISTEN connection.
    first, second = create_app(get_settings(), database), create_app(get_settings(), database)
    async with (
        served(first) as one,
        served(second) as two,
        stream(one, admin) as mine,
        stream(two, admin) as mine_elsewhere,
        stream(one, stranger) as theirs,
    ):
        created = await client.post("/api/v1/properties", json=PROPERTY, headers=admin.headers)
        assert created.status_code == 201
        delivered = [await next_event(events, "counts.changed") for events in (mine, mine_elsewhere)]
        assert all(event["data"] == {"what": "properties"} for event in delivered)
        assert delivered[0]["id"] == delivered[1]["id"]
        # Team B's own change arrives on its stream, proving the stream works, and nothing of A's
        # arrived before it.
        await client.post("/api/v1/properties", json=PROPERTY, headers=stranger.headers)
        first_of_theirs = await asyncio.wait_for(theirs.get(), timeout=10)
        # Had A's event leaked, it would have come first (streams deliver in sequence order).
        assert int(str(first_of_theirs["id"])) > int(str(delivered[0]["id"]))
        assert first_of_theirs["event"] == "counts.changed"


async def test_reconnecting_with_last_event_id_replays_what_was_missed(
    client: httpx.AsyncClient, admin: Member, database: Database, job_queue: None
) -> None:
    app = create_app(get_settings(), database)
    async with served(app) as base:
        async with stream(base, admin) as events:
            await client.post("/api/v1/properties", json=PROPERTY, headers=admin.headers)
            seen = await next_event(events, "counts.changed")
        # While disconnected, two more changes happen.
        await client.post(
            "/api/v1/properties", json={**PROPERTY, "address": "2 Live St"}, headers=admin.headers
        )
        await client.post(
            "/api/v1/properties", json={**PROPERTY, "address": "3 Live St"}, headers=admin.headers
        )
        async with stream(base, admin, last_event_id=str(seen["id"])) as events:
            missed = [await next_event(events, "counts.changed") for _ in range(2)]
    ids = [int(str(e["id"])) for e in missed]
    assert ids == sorted(ids) and len(set(ids)) == 2
    assert all(i > int(str(seen["id"])) for i in ids)


async def test_the_stream_needs_a_login(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/events")).status_code == 401


async def test_a_last_event_id_no_stream_could_have_sent_starts_from_now(
    client: httpx.AsyncClient, admin: Member, database: Database, job_queue: None
) -> None:
    """An id past bigint had reached the catch-up query, which failed after the 200: the stream
    dropped mid-body."""
    app = create_app(get_settings(), database)
    async with served(app) as base, stream(base, admin, last_event_id=str(2**63)) as events:
        await client.post("/api/v1/properties", json=PROPERTY, headers=admin.headers)
        assert (await next_event(events, "counts.changed"))["data"] == {"what": "properties"}
