"""Live events: written with the change that caused them, announced with NOTIFY on commit.

The NOTIFY payload carries only the team and the event's sequence number; each listening
connection then reads the event rows inside its own team's context (row-level security), so a
mis-routed notification can never put one team's data on another team's stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import defaultdict
from typing import Any

import psycopg
import structlog
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from reos.events.models import LiveEvent

log = structlog.get_logger(__name__)
CHANNEL = "reos_events"


async def publish(session: AsyncSession, *, team_id: uuid.UUID, type: str, data: dict[str, Any]) -> None:
    event = LiveEvent(team_id=team_id, type=type, data=data)
    session.add(event)
    await session.flush()
    # pg_notify is transactional: listeners hear it only if this transaction commits.
    await session.execute(
        text("select pg_notify(:channel, :payload)"),
        {"channel": CHANNEL, "payload": json.dumps({"team": str(team_id), "seq": event.seq})},
    )


async def events_after(
    session: AsyncSession, *, team_id: uuid.UUID, after: int, limit: int = 500
) -> list[LiveEvent]:
    rows = await session.scalars(
        select(LiveEvent)
        .where(LiveEvent.team_id == team_id, LiveEvent.seq > after)
        .order_by(LiveEvent.seq)
        .limit(limit)
    )
    return list(rows.all())


async def latest_seq(session: AsyncSession, *, team_id: uuid.UUID) -> int:
    seq = await session.scalar(
        select(LiveEvent.seq).where(LiveEvent.team_id == team_id).order_by(LiveEvent.seq.desc()).limit(1)
    )
    return int(seq or 0)


class EventHub:
    """One LISTEN connection per API process, fanning notifications out to the SSE streams of
    the team they name. Reconnects by itself if the database connection drops."""

    def __init__(self, conninfo: str):
        self.conninfo = conninfo
        self._subscribers: dict[uuid.UUID, set[asyncio.Queue[int]]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self.connections = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name="event-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def subscribe(self, team_id: uuid.UUID) -> asyncio.Queue[int]:
        queue: asyncio.Queue[int] = asyncio.Queue(maxsize=1000)
        self._subscribers[team_id].add(queue)
        self.connections += 1
        return queue

    def unsubscribe(self, team_id: uuid.UUID, queue: asyncio.Queue[int]) -> None:
        self._subscribers[team_id].discard(queue)
        if not self._subscribers[team_id]:
            del self._subscribers[team_id]
        self.connections -= 1

    def _dispatch(self, payload: str) -> None:
        try:
            message = json.loads(payload)
            team_id = uuid.UUID(message["team"])
            seq = int(message["seq"])
        except (ValueError, KeyError, TypeError):
            return
        for queue in list(self._subscribers.get(team_id, ())):
            if queue.full():  # a stalled client: it catches up from the database on the next wake
                continue
            queue.put_nowait(seq)

    async def _listen(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as conn:
                    await conn.execute(f"listen {CHANNEL}")
                    async for notify in conn.notifies():
                        self._dispatch(notify.payload)
            except asyncio.CancelledError:
                raise
            except psycopg.Error as exc:
                log.warning("events.listen_lost", error=str(exc))
                await asyncio.sleep(1.0)
