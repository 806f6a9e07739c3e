"""Request dependencies: the session (the boundary owns the transaction) and the principal.

Handlers read like prose: `session: SessionDep`, `principal: Annotated[Principal, Permit(Action.edit)]`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from reos.auth import security
from reos.auth.permissions import Action, allowed
from reos.auth.principal import Principal, load_principal, principal_from_row, principal_query
from reos.db.session import Database, TeamRead, team_read
from reos.errors import Forbidden, Unauthorized

WEB_COOKIE = "reos_session"


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed here and only here (services flush, never commit).

    Declared with `scope="function"` so the commit happens before the response is sent: a
    failed commit becomes a 5xx instead of a 200 for work that never landed.
    """
    db = get_database(request)
    async with db.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


_bearer = HTTPBearer(auto_error=False)


def _claims(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> tuple[security.TokenClaims, uuid.UUID | None]:
    """The caller's token claims and, for a cookie login, its web session."""
    if credentials is not None:
        return security.decode_token(credentials.credentials, "access"), None
    cookie = request.cookies.get(WEB_COOKIE)
    if not cookie:
        raise Unauthorized()
    claims = security.decode_token(cookie, "web")
    return claims, claims.session_id


async def current_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    claims, session_id = _claims(request, credentials)
    principal = await load_principal(session, claims, session_id=session_id)
    if credentials is None and request.method not in ("GET", "HEAD", "OPTIONS"):
        # Cookie-authenticated writes must carry the session's CSRF token.
        assert principal.session_id is not None
        token = request.headers.get("X-CSRF-Token")
        if token is None:
            form = await request.form()
            # A multipart form's files are spooled to disk; close them once the response is
            # sent, whether or not the route reads them (a refused upload never does).
            stack = request.scope.get("fastapi_middleware_astack")
            if isinstance(stack, AsyncExitStack):
                stack.push_async_callback(form.close)
            value = form.get("csrf_token")
            token = value if isinstance(value, str) else None
        if not security.csrf_matches(principal.session_id, token):
            raise Forbidden("CSRF token missing or wrong; reload the page and try again")
    request.state.principal = principal
    return principal


class Permit:
    """Dependency naming the action a route performs; checked against the role matrix."""

    def __init__(self, action: Action):
        self.action = action

    async def __call__(self, principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        self.check(principal)
        return principal

    def check(self, principal: Principal) -> None:
        if not allowed(principal.role, self.action, is_operator=principal.account.is_operator):
            if self.action is Action.operator:
                message = "only instance operators may use this"
            else:
                message = f"your role ({principal.role}) may not {self.action.value.replace('_', ' ')}"
            raise Forbidden(message, details={"action": self.action.value, "role": principal.role.value})


class Reading:
    """A checked caller's read transaction on the driver connection (`reos.db.session.TeamRead`),
    opened by the route: `async with reading.open() as (principal, read): ...`. Opening it sends
    BEGIN, the team setting and the caller's account and membership in one round trip, then
    checks the caller and the role as `current_principal` and `Permit` do; leaving it commits (a
    failed COMMIT raises before the response) or rolls back. A plain object rather than a
    dependency with `yield`: FastAPI wraps those in an exit stack and a shielded cancel scope per
    request, which cost the hottest list a measurable share of its CPU (docs/benchmarks.md)."""

    def __init__(
        self, request: Request, permit: Permit, claims: security.TokenClaims, session_id: uuid.UUID | None
    ) -> None:
        self._request = request
        self._permit = permit
        self._claims = claims
        self._session_id = session_id

    @asynccontextmanager
    async def open(
        self, *, also: Callable[[uuid.UUID], str | None] | None = None
    ) -> AsyncIterator[tuple[Principal, TeamRead]]:
        """`also(team_id)`: a statement without parameters (or None) sent in the same round trip
        as BEGIN and the caller; its rows are the `TeamRead`'s `also_rows`."""
        team_id = self._claims.team_id
        async with team_read(
            get_database(self._request),
            team_id,
            begin_read=principal_query(self._claims, self._session_id),
            also_read=also(team_id) if also is not None else None,
        ) as read:
            principal = principal_from_row(read.row, self._claims, self._session_id)
            self._permit.check(principal)
            self._request.state.principal = principal
            yield principal, read


class PermitRead(Permit):
    """`Permit` for reads served on the driver connection (the hottest lists): the same token,
    caller checks and team setting as `current_principal` + `SessionDep`, in one round trip, with
    no ORM session unless the service asks for one. The token is decoded here; the caller and the
    role are checked when the route opens the `Reading`. Only safe methods: no CSRF check needed."""

    async def __call__(  # type: ignore[override]
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Reading:
        claims, session_id = _claims(request, credentials)
        return Reading(request, self, claims, session_id)


class Public:
    """Marks a route as answering without login (the route still declares its action)."""

    action = Action.public

    async def __call__(self) -> None:
        return None


Reader = Annotated[Principal, Depends(Permit(Action.read))]
Editor = Annotated[Principal, Depends(Permit(Action.edit))]
Deleter = Annotated[Principal, Depends(Permit(Action.delete))]
Exporter = Annotated[Principal, Depends(Permit(Action.export))]
BulkActor = Annotated[Principal, Depends(Permit(Action.bulk_action))]
Importer = Annotated[Principal, Depends(Permit(Action.import_data))]
Member = Annotated[Principal, Depends(Permit(Action.self))]
UserManager = Annotated[Principal, Depends(Permit(Action.manage_users))]
TeamManager = Annotated[Principal, Depends(Permit(Action.manage_team))]
Operator = Annotated[Principal, Depends(Permit(Action.operator))]
ScoreWeightsEditor = Annotated[Principal, Depends(Permit(Action.edit_score_weights))]
ReadingReader = Annotated[Reading, Depends(PermitRead(Action.read))]
PUBLIC = Depends(Public())
