"""The authenticated caller. Only `load_principal` (called by authentication) makes one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reos.auth import security
from reos.db.session import TEAM_KEY
from reos.errors import Unauthorized
from reos.teams.models import Account, AuthSession, Membership, Role


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


async def load_principal(
    session: AsyncSession, claims: security.TokenClaims, *, session_id: uuid.UUID | None = None
) -> Principal:
    """Scope the session to the token's team and check the account and membership now, so a
    deactivation or password change takes effect on the very next request."""
    session.info[TEAM_KEY] = claims.team_id
    row = (
        await session.execute(
            select(Account, Membership)
            .join(Membership, Membership.account_id == Account.id)
            .where(Account.id == claims.account_id, Membership.team_id == claims.team_id)
        )
    ).one_or_none()
    if row is None:
        raise Unauthorized("token is not valid")
    account, membership = row
    if not account.is_active or not membership.is_active:
        raise Unauthorized("this account is deactivated in this team")
    if account.token_version != claims.version:
        raise Unauthorized("token was revoked; log in again")
    if session_id is not None:
        live = await session.scalar(
            select(AuthSession.id).where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        )
        if live is None:
            raise Unauthorized("session ended; log in again")
    return Principal(account=account, membership=membership, session_id=session_id)
