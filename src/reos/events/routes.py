"""Server-Sent Events: the team's live stream (cookie session or bearer token)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from reos.db.session import team_session
from reos.deps import Reader, get_database
from reos.events import service as events
from reos.kit.routing import DocstringRoute

router = APIRouter(tags=["events"], route_class=DocstringRoute)
KEEPALIVE_SECONDS = 15.0


@router.get("/api/v1/events")
async def stream(
    request: Request,
    principal: Reader,
    last_event_id: str | None = Header(default=None),
) -> StreamingResponse:
    """Stream the team's live events (Server-Sent Events; resume with Last-Event-ID)."""
    db = get_database(request)
    hub: events.EventHub = request.app.state.event_hub
    hub.start()  # idempotent: the first stream of this process opens the LISTEN connection
    team_id = principal.team_id
    resume: int | None
    try:
        resume = int(last_event_id) if last_event_id else None
    except ValueError:
        resume = None
    if resume is not None and not 0 <= resume < 2**63:
        resume = None  # not an id this stream sent (a bigint): start from now
    if resume is None:
        async with team_session(db, team_id) as session:
            resume = await events.latest_seq(session, team_id=team_id)
    after: int = resume

    async def body() -> AsyncIterator[str]:
        nonlocal after
        queue = hub.subscribe(team_id)
        try:
            yield f"retry: 3000\nid: {after}\n\n"
            while True:
                # Read from the database in this team's context: the notification only says
                # "something new", the rows themselves pass row-level security.
                async with team_session(db, team_id) as session:
                    for event in await events.events_after(session, team_id=team_id, after=after):
                        after = event.seq
                        yield f"id: {event.seq}\nevent: {event.type}\ndata: {json.dumps(event.data)}\n\n"
                if await request.is_disconnected():
                    return
                try:
                    await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
                    while not queue.empty():
                        queue.get_nowait()
                except TimeoutError:
                    yield ": keep-alive\n\n"
        finally:
            hub.unsubscribe(team_id, queue)

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
