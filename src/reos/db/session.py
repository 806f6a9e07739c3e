"""Engines and sessions. The app role's sessions set the team on every transaction."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util import greenlet_spawn

from reos.settings import Settings

TEAM_KEY = "team_id"
# Set only by operator routes and instance-level jobs: opens the rows of every team in the few
# tables whose policy allows it (failed jobs, audit events), nowhere else.
OPERATOR_KEY = "operator_view"


class AppSession(Session):
    """Sessions of the app role. `info["team_id"]` names the team whose rows are visible."""


# A read that authentication needs right after the team is set (the caller's account and
# membership): a statement without parameters, put here before the transaction begins. It is
# sent with the team setting as one query, so it costs no round trip of its own, and runs after
# it, so row-level security already sees the team. Its first row lands in `BEGIN_READ_ROW`.
BEGIN_READ_KEY = "begin_read"
BEGIN_READ_ROW = "begin_read_row"


@event.listens_for(AppSession, "after_begin")
def _set_team_on_begin(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    # set_config(..., true) is transaction-local, so a pooled connection never carries a team
    # into someone else's transaction; an empty value makes every RLS policy fail closed.
    team = session.info.get(TEAM_KEY)
    operator = "on" if session.info.get(OPERATOR_KEY) else ""
    follow = session.info.pop(BEGIN_READ_KEY, None)
    if follow is None:
        connection.exec_driver_sql(
            "select set_config('app.team_id', %s, true), set_config('app.operator', %s, true)",
            (str(team) if team else "", operator),
        )
        return
    query = f"{_team_setting(team, operator)}; {follow}"

    async def read(driver: Any) -> Any:
        async with driver.cursor() as cursor:
            await cursor.execute(query)
            cursor.nextset()
            return await cursor.fetchone()

    # The driver's own cursor: SQLAlchemy's adapted cursor keeps only the first result set.
    adapted: Any = connection.connection.dbapi_connection
    session.info[BEGIN_READ_ROW] = adapted.run_async(read)


def _team_setting(team: object, operator: str) -> str:
    # Sent with another statement in one query, so on the simple protocol, which takes no
    # parameters: the team goes in as text, and the text of a UUID is only hex digits and dashes.
    team_text = str(uuid.UUID(str(team))) if team else ""
    return (
        f"select set_config('app.team_id', '{team_text}', true), "
        f"set_config('app.operator', '{operator}', true)"
    )


async def enter_operator_view(session: AsyncSession) -> None:
    """Let this transaction read instance-wide rows where a policy allows operators."""
    session.info[OPERATOR_KEY] = True
    if session.in_transaction():
        await session.execute(text("select set_config('app.operator', 'on', true)"))


async def set_team(session: AsyncSession, team_id: uuid.UUID) -> None:
    """Scope the session to `team_id`, also for a transaction that has already begun."""
    session.info[TEAM_KEY] = team_id
    if session.in_transaction():
        await session.execute(text("select set_config('app.team_id', :team, true)"), {"team": str(team_id)})


# A pooled connection that has sat unused this long is pinged before it is handed out.
PING_AFTER_IDLE_S = 5.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Pessimistic disconnect handling without a round trip per request: `pool_pre_ping` pings
    on every checkout (one of the ~7 round trips of a list request, measured in
    bench/lead_list.py); a connection back in use within seconds is the common case and was
    alive a moment ago, so only one idle for `PING_AFTER_IDLE_S` is pinged. A dead one raises
    DisconnectionError, and the pool replaces it and retries, as with `pool_pre_ping`."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in = record.info.get("checked_in_at")
        if checked_in is None or time.monotonic() - checked_in < PING_AFTER_IDLE_S:
            return
        try:
            sync_engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("connection died while idle in the pool") from exc


@dataclass
class Database:
    app_url: str
    owner_url: str
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    async def dispose(self) -> None:
        await self.engine.dispose()


def resolve_urls(settings: Settings) -> tuple[str, str]:
    """Return (app_url, owner_url), starting the embedded server when no URL is configured."""
    if settings.database_url:
        owner = settings.database_owner_url or settings.database_url
        return _psycopg(settings.database_url), _psycopg(owner)
    from reos.db import embedded

    owner, app = embedded.start(settings.data_dir)
    return app, owner


def _psycopg(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_database(app_url: str, owner_url: str, **engine_kwargs: Any) -> Database:
    engine_kwargs.setdefault("pool_size", 10)
    engine_kwargs.setdefault("max_overflow", 10)
    engine = create_async_engine(app_url, **engine_kwargs)
    if not engine_kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    maker = async_sessionmaker(engine, expire_on_commit=False, sync_session_class=AppSession)
    return Database(app_url=app_url, owner_url=owner_url, engine=engine, sessionmaker=maker)


@asynccontextmanager
async def team_session(
    db: Database, team_id: uuid.UUID | None, *, operator_view: bool = False
) -> AsyncIterator[AsyncSession]:
    """A session scoped to one team that commits on success; for jobs and the CLI."""
    async with db.sessionmaker() as session:
        session.info[TEAM_KEY] = team_id
        session.info[OPERATOR_KEY] = operator_view
        async with session.begin():
            yield session


class TeamRead:
    """A request's read transaction on the driver connection itself, scoped to one team the same
    way as `AppSession` (transaction-local `set_config`, so the pooled connection carries no team
    out of it). For the hottest reads, which skip the ORM session's per-statement work; `session()`
    hands the rest of the request to an ORM session scoped to the same team."""

    def __init__(self, db: Database, team_id: uuid.UUID, fairy: Any) -> None:
        self.db = db
        self.team_id = team_id
        self.row: Any = None  # the first row of the read that rode the team setting's query
        self.also_rows: list[Any] | None = None  # the rows of `also_read`, when one rode too
        self._fairy: Any = fairy
        self._session: AsyncSession | None = None

    @property
    def connection(self) -> Any:
        """The psycopg connection, inside the transaction; None once handed to `session()`."""
        return None if self._fairy is None else self._fairy.driver_connection

    async def session(self) -> AsyncSession:
        """An ORM session in the same team for what the driver path does not cover. The driver
        transaction ends first (it has only read) and its connection goes back to the pool, so a
        request never holds two; the boundary (`team_read`) commits the session."""
        if self._session is None:
            await self._end(commit=True)
            self._session = self.db.sessionmaker()
            self._session.info[TEAM_KEY] = self.team_id
        return self._session

    async def _begin(self, begin_read: str, also_read: str | None) -> None:
        driver = self._fairy.driver_connection
        # Autocommit only so that psycopg sends no BEGIN of its own (a round trip): the BEGIN
        # below opens the transaction, and every statement until COMMIT runs inside it.
        await driver.set_autocommit(True)
        query = f"begin; {_team_setting(self.team_id, '')}; {begin_read}"
        async with driver.cursor() as cursor:
            await cursor.execute(query if also_read is None else f"{query}; {also_read}")
            results = []
            while True:
                results.append(await cursor.fetchall() if cursor.description is not None else [])
                if not cursor.nextset():
                    break
        if also_read is None:
            self.row = results[-1][0] if results[-1] else None
        else:
            self.row = results[-2][0] if results[-2] else None
            self.also_rows = results[-1]

    async def _end(self, *, commit: bool) -> None:
        fairy, self._fairy = self._fairy, None
        if fairy is None:
            return
        driver = fairy.driver_connection
        try:
            if driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                await (driver.commit() if commit else driver.rollback())
            await driver.set_autocommit(False)
        except BaseException:
            # A connection in an unknown state (a failed COMMIT, a cancelled request) never goes
            # back to the pool, nor does whatever it was in the middle of. (Closing it awaits the
            # driver, hence the greenlet.)
            await greenlet_spawn(fairy.invalidate)
            raise
        finally:
            await greenlet_spawn(fairy.close)


@asynccontextmanager
async def team_read(
    db: Database, team_id: uuid.UUID, *, begin_read: str, also_read: str | None = None
) -> AsyncIterator[TeamRead]:
    """Open a `TeamRead`: BEGIN, the team setting, `begin_read` and `also_read` (statements
    without parameters, as for `BEGIN_READ_KEY`, the second's rows in `also_rows`) go as one
    query, one round trip. Committed on success, rolled back on failure; a failed commit raises
    here, before the response is sent."""
    read = TeamRead(db, team_id, await db.engine.raw_connection())
    try:
        await read._begin(begin_read, also_read)
        yield read
    except BaseException:
        await read._end(commit=False)
        if read._session is not None:
            await read._session.rollback()
        raise
    else:
        await read._end(commit=True)
        if read._session is not None:
            await read._session.commit()
    finally:
        if read._session is not None:
            await read._session.close()
