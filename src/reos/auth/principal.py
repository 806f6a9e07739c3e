"""The authenticated caller. Only `load_principal` (called by authentication) makes one."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from reos.auth import security
from reos.db.session import BEGIN_READ_KEY, BEGIN_READ_ROW, TEAM_KEY, set_team
from reos.errors import Unauthorized
from reos.teams.models import Account, Membership, Role


@dataclass(frozen=True)
class Principal:
    """Who is calling, in which team, with which role. Only authentication creates one."""

    account: Account
    membership: Membership
    session_id: uuid.UUID | None  # the web session (cookie logins only)

    @property
    def team_id(self) -> uuid.UUID:
        return self.membership.team_id

    @property
    def role(self) -> Role:
        return Role(self.membership.role)


# The caller's account and membership as plain columns, in mapper order, read with the team
# setting in one round trip (reos.db.session.BEGIN_READ_KEY) instead of an ORM query of its own.
_ACCOUNT_COLUMNS = tuple(c.key for c in Account.__table__.columns)
_MEMBERSHIP_COLUMNS = tuple(c.key for c in Membership.__table__.columns)


def principal_query(claims: security.TokenClaims, session_id: uuid.UUID | None) -> str:
    """The read of the caller's account and membership, to ride the team setting's query."""
    # Literals, not parameters (the statement rides a simple-protocol query): every value is a
    # uuid.UUID, whose text is only hex digits and dashes.
    account, team = uuid.UUID(str(claims.account_id)), uuid.UUID(str(claims.team_id))
    live = (
        "null"
        if session_id is None
        else "exists(select 1 from auth_sessions s where s.id = "
        f"'{uuid.UUID(str(session_id))}' and s.revoked_at is null)"
    )
    columns = ", ".join([*(f"a.{c}" for c in _ACCOUNT_COLUMNS), *(f"m.{c}" for c in _MEMBERSHIP_COLUMNS)])
    return (
        f"select {columns}, {live} from accounts a join memberships m on m.account_id = a.id "
        f"where a.id = '{account}' and m.team_id = '{team}'"
    )


def _attach(session: AsyncSession, entity: type[Any], names: tuple[str, ...], values: Sequence[Any]) -> Any:
    """A row read as plain columns, made the session's persistent instance (no SQL)."""
    obj = entity(**dict(zip(names, values, strict=True)))
    make_transient_to_detached(obj)
    if identity_key(entity, obj.id) in session.identity_map:
        # Already loaded in this transaction: the session keeps one instance per row.
        return session.sync_session.merge(obj, load=False)
    session.add(obj)
    return obj


async def load_principal(
    session: AsyncSession, claims: security.TokenClaims, *, session_id: uuid.UUID | None = None
) -> Principal:
    """Scope the session to the token's team and check the account and membership now, so a
    deactivation, role change or password change takes effect on the very next request."""
    read = principal_query(claims, session_id)
    if session.in_transaction():
        await set_team(session, claims.team_id)
        row = (await session.execute(text(read))).first()
    else:
        session.info[TEAM_KEY] = claims.team_id
        session.info[BEGIN_READ_KEY] = read
        await session.connection()  # begins: sets the team and runs `read` (reos.db.session)
        row = session.info.pop(BEGIN_READ_ROW, None)
    return principal_from_row(
        row, claims, session_id, make=lambda entity, names, values: _attach(session, entity, names, values)
    )


def _detached(entity: type[Any], names: tuple[str, ...], values: Sequence[Any]) -> Any:
    return entity(**dict(zip(names, values, strict=True)))


def principal_from_row(
    row: Sequence[Any] | None,
    claims: security.TokenClaims,
    session_id: uuid.UUID | None,
    *,
    make: Callable[[type[Any], tuple[str, ...], Sequence[Any]], Any] = _detached,
) -> Principal:
    """The caller from the row of `principal_query`, or Unauthorized: the checks every request
    makes, whichever connection read the row."""
    if row is None:
        raise Unauthorized("token is not valid")
    split = len(_ACCOUNT_COLUMNS)
    account: Account = make(Account, _ACCOUNT_COLUMNS, row[:split])
    membership: Membership = make(Membership, _MEMBERSHIP_COLUMNS, row[split:-1])
    if not account.is_active or not membership.is_active:
        raise Unauthorized("this account is deactivated in this team")
    if account.token_version != claims.version:
        raise Unauthorized("token was revoked; log in again")
    if session_id is not None and not row[-1]:
        raise Unauthorized("session ended; log in again")
    return Principal(account=account, membership=membership, session_id=session_id)
