"""Request dependencies: the session (the boundary owns the transaction) and the principal.

Handlers read like prose: `session: SessionDep`, `principal: Annotated[Principal, Permit(Action.edit)]`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from reos.auth import security
from reos.auth.permissions import Action, allowed
from reos.auth.principal import Principal, load_principal
from reos.db.session import Database
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


async def current_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is not None:
        claims = security.decode_token(credentials.credentials, "access")
        principal = await load_principal(session, claims)
    else:
        cookie = request.cookies.get(WEB_COOKIE)
        if not cookie:
            raise Unauthorized()
        claims = security.decode_token(cookie, "web")
        principal = await load_principal(session, claims, session_id=claims.session_id)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
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
        if not allowed(principal.role, self.action, is_operator=principal.account.is_operator):
            if self.action is Action.operator:
                message = "only instance operators may use this"
            else:
                message = f"your role ({principal.role}) may not {self.action.value.replace('_', ' ')}"
            raise Forbidden(message, details={"action": self.action.value, "role": principal.role.value})
        return principal


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
PUBLIC = Depends(Public())
