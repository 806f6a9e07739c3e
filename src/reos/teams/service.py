"""Accounts, teams, memberships, invitations, sessions and team settings: the rules.

Functions take a session, flush (never commit) and return domain objects. Work that starts
before a team is known (login, invitation acceptance) goes through the SECURITY DEFINER
look-ups of the migrations, which answer only ids (and the names of the caller's own teams).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from reos.audit import service as audit
from reos.auth import security
from reos.auth.principal import load_principal
from reos.db.session import set_team
from reos.errors import BadRequest, Conflict, NotFound, Unauthorized
from reos.events import service as events
from reos.kit import clock
from reos.kit.ids import new_id
from reos.kit.patch import sent_changes
from reos.providers import email as email_provider
from reos.settings import get_settings
from reos.teams.models import (
    Account,
    AuthSession,
    Invitation,
    Market,
    Membership,
    PasswordReset,
    Role,
    Team,
)
from reos.teams.schemas import (
    MarketCreate,
    MarketUpdate,
    MemberRead,
    TeamChoice,
    TeamSettingsUpdate,
)

INVALID_LOGIN = "email or password is wrong"

DEFAULT_BUSINESS_HOURS: dict[str, Any] = {
    day: ["09:00", "18:00"] for day in ("mon", "tue", "wed", "thu", "fri")
}


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int


# --- accounts and login -------------------------------------------------------------------


async def get_account_by_email(session: AsyncSession, email: str) -> Account | None:
    return await session.scalar(select(Account).where(Account.email == email.strip().lower()))


async def register(
    session: AsyncSession, *, email: str, password: str, full_name: str, team_name: str
) -> tuple[Account, Membership]:
    """Create an account, its first team and an admin membership."""
    account = await create_account(
        session,
        email=email,
        full_name=full_name,
        password=password,
        taken_message="an account with this email already exists; log in, or ask a team admin to invite you",
    )
    membership = await create_team(session, account=account, name=team_name)
    return account, membership


async def create_team(session: AsyncSession, *, account: Account, name: str) -> Membership:
    team_id = new_id()
    await set_team(session, team_id)
    session.add(
        Team(
            id=team_id,
            name=name.strip(),
            timezone="America/New_York",
            business_hours=dict(DEFAULT_BUSINESS_HOURS),
            brand_color="#1f6feb",
            agents_see_assigned_only=False,
        )
    )
    await session.flush()
    membership = Membership(team_id=team_id, account_id=account.id, role=Role.admin, is_active=True)
    session.add(membership)
    await session.flush()
    return membership


async def create_account(
    session: AsyncSession,
    *,
    email: str,
    full_name: str,
    password: str,
    operator: bool = False,
    taken_message: str = "an account with this email already exists",
) -> Account:
    """The one place an account is made (register, invitation, CLI)."""
    if await get_account_by_email(session, email) is not None:
        raise Conflict(taken_message, details={"field": "email"})
    account = Account(
        id=new_id(),
        # The CLI passes the email as typed: store it the way login looks it up.
        email=email.strip().lower(),
        full_name=full_name.strip(),
        password_hash=security.hash_password(password),
        is_operator=operator,
        is_active=True,
        token_version=1,
    )
    session.add(account)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:  # a concurrent registration with the same email
        raise Conflict(taken_message, details={"field": "email"}) from exc
    return account


async def authenticate(session: AsyncSession, *, email: str, password: str) -> Account:
    """Check a password; unknown email, wrong password and deactivated account answer alike."""
    account = await get_account_by_email(session, email)
    if account is None:
        security.burn_password_check(password)
        raise Unauthorized(INVALID_LOGIN)
    if not security.verify_password(account.password_hash, password) or not account.is_active:
        raise Unauthorized(INVALID_LOGIN)
    return account


async def account_teams(session: AsyncSession, account_id: uuid.UUID) -> list[TeamChoice]:
    """The teams an account is an active member of (SECURITY DEFINER look-up: no team yet)."""
    rows = await session.execute(
        text("select team_id, team_name, role from reos_account_teams(:account)"),
        {"account": account_id},
    )
    return [TeamChoice(id=r.team_id, name=r.team_name, role=Role(r.role)) for r in rows]


async def enter_team(session: AsyncSession, *, account: Account, team_id: uuid.UUID | None) -> Membership:
    """Pick the team a new token is scoped to: the one asked for, else the first."""
    teams = await account_teams(session, account.id)
    if not teams:
        raise Unauthorized("this account is not an active member of any team")
    chosen = teams[0].id
    if team_id is not None:
        if team_id not in {t.id for t in teams}:
            raise NotFound("no such team for this account")
        chosen = team_id
    await set_team(session, chosen)
    membership = await session.scalar(
        select(Membership).where(Membership.team_id == chosen, Membership.account_id == account.id)
    )
    assert membership is not None, "reos_account_teams listed a membership RLS cannot see"
    return membership


async def open_session(
    session: AsyncSession,
    *,
    membership: Membership,
    kind: str,
    user_agent: str | None = None,
    ip: str | None = None,
    account: Account | None = None,
    reason: str = "login",
) -> AuthSession:
    settings = get_settings()
    lifetime = (
        timedelta(days=settings.refresh_token_days)
        if kind == "api"
        else timedelta(hours=settings.web_session_hours)
    )
    auth_session = AuthSession(
        team_id=membership.team_id,
        membership_id=membership.id,
        kind=kind,
        expires_at=clock.now() + lifetime,
        user_agent=(user_agent or "")[:400] or None,
        ip=ip,
    )
    session.add(auth_session)
    await session.flush()
    await audit.record(
        session,
        action="auth.team_switched" if reason == "switch" else "auth.login",
        team_id=membership.team_id,
        actor_account_id=membership.account_id,
        actor_email=account.email if account is not None else None,
        target_type="session",
        target_id=auth_session.id,
        details={"kind": kind, "reason": reason},
    )
    return auth_session


def issue_tokens(account: Account, membership: Membership, refresh: AuthSession) -> Tokens:
    settings = get_settings()
    access, _ = security.issue_token(
        account_id=account.id,
        team_id=membership.team_id,
        version=account.token_version,
        type="access",
        lifetime=timedelta(minutes=settings.access_token_minutes),
    )
    refresh_token, _ = security.issue_token(
        account_id=account.id,
        team_id=membership.team_id,
        version=account.token_version,
        type="refresh",
        lifetime=refresh.expires_at - clock.now(),
        session_id=refresh.id,
    )
    return Tokens(access, refresh_token, settings.access_token_minutes * 60)


def web_cookie(account: Account, membership: Membership, web: AuthSession) -> str:
    token, _ = security.issue_token(
        account_id=account.id,
        team_id=membership.team_id,
        version=account.token_version,
        type="web",
        lifetime=web.expires_at - clock.now(),
        session_id=web.id,
    )
    return token


async def refresh(session: AsyncSession, *, refresh_token: str) -> tuple[Account, Membership, Tokens]:
    """Rotate a refresh token: the old one is revoked, a new pair is issued."""
    claims = security.decode_token(refresh_token, "refresh")
    principal = await load_principal(session, claims)
    current = await session.scalar(
        select(AuthSession)
        .where(AuthSession.id == claims.session_id, AuthSession.kind == "api")
        .with_for_update()
    )
    if current is None or current.revoked_at is not None or current.expires_at <= clock.now():
        raise Unauthorized("refresh token is no longer valid; log in again")
    current.revoked_at = clock.now()
    new = await open_session(
        session, membership=principal.membership, kind="api", user_agent=current.user_agent, ip=current.ip
    )
    return principal.account, principal.membership, issue_tokens(principal.account, principal.membership, new)


async def revoke_session(session: AsyncSession, *, session_id: uuid.UUID) -> None:
    revoked = await session.scalar(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .returning(AuthSession.team_id)
    )
    if revoked is not None:
        await audit.record(
            session, action="auth.logout", team_id=revoked, target_type="session", target_id=session_id
        )


async def logout(session: AsyncSession, *, refresh_token: str) -> None:
    claims = security.decode_token(refresh_token, "refresh")
    await set_team(session, claims.team_id)
    assert claims.session_id is not None
    await revoke_session(session, session_id=claims.session_id)


async def change_password(
    session: AsyncSession, *, account: Account, current_password: str, new_password: str
) -> None:
    if not security.verify_password(account.password_hash, current_password):
        raise BadRequest("current password is wrong", details={"field": "current_password"})
    _set_password(account, new_password)
    await session.flush()
    await audit.record(
        session,
        action="auth.password_changed",
        team_id=None,
        actor_account_id=account.id,
        actor_email=account.email,
    )


def _set_password(account: Account, new_password: str) -> None:
    account.password_hash = security.hash_password(new_password)
    # Every token issued before (access, refresh, web, in every team) stops working.
    account.token_version += 1


async def request_password_reset(session: AsyncSession, *, email: str) -> None:
    """Queue a reset email if the account exists; the caller answers the same either way."""
    account = await get_account_by_email(session, email)
    if account is None or not account.is_active:
        return
    token, digest = security.random_token()
    settings = get_settings()
    session.add(
        PasswordReset(
            account_id=account.id,
            token_hash=digest,
            expires_at=clock.now() + timedelta(minutes=settings.reset_token_minutes),
        )
    )
    await session.flush()
    link = f"{settings.public_url.rstrip('/')}/reset-password?token={token}"
    await audit.record(
        session,
        action="auth.password_reset_requested",
        team_id=None,
        actor_account_id=account.id,
        actor_email=account.email,
    )
    await email_provider.send_later(
        session,
        email_provider.Email(
            kind="password_reset",
            to=account.email,
            subject="Reset your Real Estate OS password",
            text=(
                f"Hello {account.full_name},\n\nSomeone asked to reset the password of this "
                f"account. To choose a new password, open:\n\n{link}\n\nThe link works once and "
                f"expires in {settings.reset_token_minutes} minutes. If it was not you, ignore "
                "this email: your password stays as it is.\n"
            ),
        ),
    )


async def confirm_password_reset(session: AsyncSession, *, token: str, new_password: str) -> Account:
    reset = await session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == security.token_hash(token)).with_for_update()
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= clock.now():
        raise BadRequest("this reset link is invalid, used or expired; ask for a new one")
    account = await session.get(Account, reset.account_id)
    assert account is not None
    reset.used_at = clock.now()
    _set_password(account, new_password)
    await session.flush()
    await audit.record(
        session,
        action="auth.password_reset",
        team_id=None,
        actor_account_id=account.id,
        actor_email=account.email,
    )
    return account


# --- invitations ----------------------------------------------------------------------------


async def invite(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    inviter: Membership,
    inviter_name: str,
    email: str,
    role: Role,
) -> Invitation:
    existing_member = await session.scalar(
        select(Membership.id)
        .join(Account, Account.id == Membership.account_id)
        .where(Membership.team_id == team_id, Account.email == email)
    )
    if existing_member is not None:
        raise Conflict("this person is already a member of the team", details={"field": "email"})
    # A new invitation replaces any pending one for the same email.
    await session.execute(
        update(Invitation)
        .where(
            Invitation.team_id == team_id,
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=clock.now())
    )
    token, digest = security.random_token()
    settings = get_settings()
    invitation = Invitation(
        team_id=team_id,
        email=email,
        role=role,
        token_hash=digest,
        invited_by_id=inviter.id,
        expires_at=clock.now() + timedelta(days=settings.invite_token_days),
    )
    session.add(invitation)
    await session.flush()
    team = await get_team(session, team_id=team_id)
    link = f"{settings.public_url.rstrip('/')}/invite/accept?token={token}"
    await audit.record(
        session,
        action="team.member_invited",
        team_id=team_id,
        actor_account_id=inviter.account_id,
        target_type="invitation",
        target_id=invitation.id,
        details={"email": email, "role": role.value},
    )
    await events.publish(session, team_id=team_id, type="counts.changed", data={"what": "invitations"})
    await email_provider.send_later(
        session,
        email_provider.Email(
            kind="invitation",
            to=email,
            subject=f"{inviter_name} invited you to {team.name} on Real Estate OS",
            text=(
                f"{inviter_name} invited you to join {team.name} as {role.value}.\n\n"
                f"Accept the invitation:\n\n{link}\n\n"
                f"The link expires in {settings.invite_token_days} days.\n"
            ),
        ),
        team_id=team_id,
    )
    return invitation


async def _invitation_by_token(session: AsyncSession, token: str) -> Invitation:
    digest = security.token_hash(token)
    team_id = await session.scalar(text("select reos_invitation_team(:digest)"), {"digest": digest})
    if team_id is None:
        raise NotFound("this invitation link is not valid")
    await set_team(session, team_id)
    invitation = await session.scalar(
        select(Invitation).where(Invitation.token_hash == digest).with_for_update()
    )
    if invitation is None:
        raise NotFound("this invitation link is not valid")
    if invitation.accepted_at is not None:
        raise Conflict("this invitation was already accepted; log in instead")
    if invitation.revoked_at is not None or invitation.expires_at <= clock.now():
        raise BadRequest("this invitation has expired or was withdrawn; ask for a new one")
    return invitation


async def preview_invitation(session: AsyncSession, *, token: str) -> tuple[Invitation, Team, bool]:
    invitation = await _invitation_by_token(session, token)
    team = await get_team(session, team_id=invitation.team_id)
    exists = await get_account_by_email(session, invitation.email) is not None
    return invitation, team, exists


async def accept_invitation(
    session: AsyncSession, *, token: str, full_name: str | None, password: str
) -> tuple[Account, Membership]:
    """Join the team. A new email creates an account with `password`; an existing account
    proves itself with its own password and gains a membership."""
    invitation = await _invitation_by_token(session, token)
    account = await get_account_by_email(session, invitation.email)
    if account is None:
        if not full_name or not full_name.strip():
            raise BadRequest("full_name is required to create your account", details={"field": "full_name"})
        if len(password) < 10:
            raise BadRequest("password must have at least 10 characters", details={"field": "password"})
        account = await create_account(
            session, email=invitation.email, full_name=full_name, password=password
        )
    elif not security.verify_password(account.password_hash, password):
        raise Unauthorized("password is wrong for the existing account " + invitation.email)
    membership = await session.scalar(
        select(Membership).where(
            Membership.team_id == invitation.team_id, Membership.account_id == account.id
        )
    )
    if membership is None:
        membership = Membership(
            team_id=invitation.team_id, account_id=account.id, role=invitation.role, is_active=True
        )
        session.add(membership)
    else:
        membership.role = invitation.role
        membership.is_active = True
    invitation.accepted_at = clock.now()
    await session.flush()
    await audit.record(
        session,
        action="team.invitation_accepted",
        team_id=invitation.team_id,
        actor_account_id=account.id,
        actor_email=account.email,
        target_type="membership",
        target_id=membership.id,
        details={"role": membership.role},
    )
    from reos.notifications import service as notifications

    await notifications.notify(
        session,
        team_id=invitation.team_id,
        membership_id=invitation.invited_by_id,
        kind="member_joined",
        title=f"{account.full_name} joined the team as {membership.role}",
        link="/team",
    )
    await events.publish(session, team_id=invitation.team_id, type="counts.changed", data={"what": "members"})
    return account, membership


async def list_invitations(
    session: AsyncSession, *, team_id: uuid.UUID, pending_only: bool = True
) -> list[Invitation]:
    query = select(Invitation).where(Invitation.team_id == team_id)
    if pending_only:
        query = query.where(
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > clock.now(),
        )
    return list((await session.scalars(query.order_by(Invitation.created_at.desc()))).all())


async def revoke_invitation(
    session: AsyncSession, *, team_id: uuid.UUID, invitation_id: uuid.UUID, actor: Membership | None = None
) -> Invitation:
    invitation = await session.scalar(
        select(Invitation).where(Invitation.team_id == team_id, Invitation.id == invitation_id)
    )
    if invitation is None:
        raise NotFound("invitation not found")
    if invitation.accepted_at is not None:
        raise Conflict("this invitation was already accepted")
    invitation.revoked_at = invitation.revoked_at or clock.now()
    await session.flush()
    await audit.record(
        session,
        action="team.invitation_revoked",
        team_id=team_id,
        actor_account_id=actor.account_id if actor else None,
        target_type="invitation",
        target_id=invitation.id,
        details={"email": invitation.email},
    )
    await events.publish(session, team_id=team_id, type="counts.changed", data={"what": "invitations"})
    return invitation


# --- team and members -----------------------------------------------------------------------


async def get_team(session: AsyncSession, *, team_id: uuid.UUID) -> Team:
    team = await session.get(Team, team_id)
    if team is None:
        raise NotFound("team not found")
    return team


async def update_team(
    session: AsyncSession, *, team_id: uuid.UUID, changes: TeamSettingsUpdate, actor: Membership | None = None
) -> Team:
    team = await get_team(session, team_id=team_id)
    data = changes.model_dump(exclude_unset=True)
    if "business_hours" in data and changes.business_hours is not None:
        data["business_hours"] = {
            day: list(span) for day, span in changes.business_hours.model_dump().items() if span
        }
    for field, value in data.items():
        # A null for a setting the team must have: a 400 naming it (the time zone had met the
        # NOT NULL constraint as a 409, business hours the response's schema as a 500).
        if value is None and not Team.__table__.c[field].nullable:
            raise BadRequest(f"{field} cannot be empty", details={"field": field})
        setattr(team, field, value)
    await session.flush()
    if data:
        await audit.record(
            session,
            action="team.settings_changed",
            team_id=team_id,
            actor_account_id=actor.account_id if actor else None,
            target_type="team",
            target_id=team_id,
            details={"fields": sorted(data)},
        )
    return team


def _member_read(membership: Membership, account: Account) -> MemberRead:
    return MemberRead(
        id=membership.id,
        account_id=account.id,
        email=account.email,
        full_name=account.full_name,
        role=Role(membership.role),
        is_active=membership.is_active,
        created_at=membership.created_at,
    )


async def list_members(session: AsyncSession, *, team_id: uuid.UUID) -> list[MemberRead]:
    rows = await session.execute(
        select(Membership, Account)
        .join(Account, Account.id == Membership.account_id)
        .where(Membership.team_id == team_id)
        .order_by(Account.full_name, Membership.id)
    )
    return [_member_read(m, a) for m, a in rows]


async def get_member(session: AsyncSession, *, team_id: uuid.UUID, member_id: uuid.UUID) -> MemberRead:
    row = (
        await session.execute(
            select(Membership, Account)
            .join(Account, Account.id == Membership.account_id)
            .where(Membership.team_id == team_id, Membership.id == member_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("member not found")
    return _member_read(*row)


async def update_member(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    member_id: uuid.UUID,
    actor: Membership,
    role: Role | None,
    is_active: bool | None,
) -> MemberRead:
    membership = await session.scalar(
        select(Membership).where(Membership.team_id == team_id, Membership.id == member_id).with_for_update()
    )
    if membership is None:
        raise NotFound("member not found")
    demotes_admin = membership.role == Role.admin and (
        (role is not None and role != Role.admin) or is_active is False
    )
    if demotes_admin and membership.is_active:
        # Lock the team's admin rows so two concurrent demotions cannot both pass the check.
        admins = await session.scalar(
            select(func.count()).select_from(
                select(Membership.id)
                .where(
                    Membership.team_id == team_id,
                    Membership.role == Role.admin,
                    Membership.is_active,
                )
                .with_for_update()
                .subquery()
            )
        )
        if (admins or 0) <= 1:
            raise Conflict("a team needs at least one active admin; promote someone else first")
    if is_active is False and membership.id == actor.id:
        raise Conflict("you cannot deactivate yourself")
    before_role, before_active = membership.role, membership.is_active
    if role is not None:
        membership.role = role
    if is_active is not None:
        membership.is_active = is_active
        if not is_active:
            await session.execute(
                update(AuthSession)
                .where(AuthSession.membership_id == membership.id, AuthSession.revoked_at.is_(None))
                .values(revoked_at=clock.now())
            )
    await session.flush()
    changes: list[tuple[str, dict[str, object]]] = []
    if role is not None and role != before_role:
        changes.append(("team.role_changed", {"from": before_role, "to": role.value}))
    if is_active is not None and is_active != before_active:
        changes.append(("team.member_reactivated" if is_active else "team.member_deactivated", {}))
    for action, details in changes:
        await audit.record(
            session,
            action=action,
            team_id=team_id,
            actor_account_id=actor.account_id,
            target_type="membership",
            target_id=membership.id,
            details=details,
        )
    if changes:
        await events.publish(session, team_id=team_id, type="counts.changed", data={"what": "members"})
    return await get_member(session, team_id=team_id, member_id=member_id)


async def team_counts(session: AsyncSession, *, team_id: uuid.UUID) -> dict[str, int]:
    from reos.properties.models import Property

    members = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.team_id == team_id, Membership.is_active)
    )
    pending = len(await list_invitations(session, team_id=team_id))
    properties = await session.scalar(
        select(func.count()).select_from(Property).where(Property.team_id == team_id)
    )
    return {"members": members or 0, "pending_invitations": pending, "properties": properties or 0}


# --- markets --------------------------------------------------------------------------------


async def list_markets(session: AsyncSession, *, team_id: uuid.UUID) -> list[Market]:
    return list(
        (await session.scalars(select(Market).where(Market.team_id == team_id).order_by(Market.name))).all()
    )


async def get_market(session: AsyncSession, *, team_id: uuid.UUID, market_id: uuid.UUID) -> Market:
    market = await session.scalar(select(Market).where(Market.team_id == team_id, Market.id == market_id))
    if market is None:
        raise NotFound("market not found")
    return market


async def create_market(
    session: AsyncSession, *, team_id: uuid.UUID, data: MarketCreate, actor: Membership | None = None
) -> Market:
    market = Market(team_id=team_id, **data.model_dump())
    session.add(market)
    await _flush_unique_name(session)
    await _audit_market(session, "team.market_created", market, actor)
    return market


async def _audit_market(session: AsyncSession, action: str, market: Market, actor: Membership | None) -> None:
    await audit.record(
        session,
        action=action,
        team_id=market.team_id,
        actor_account_id=actor.account_id if actor else None,
        target_type="market",
        target_id=market.id,
        details={"name": market.name},
    )


async def update_market(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    market_id: uuid.UUID,
    data: MarketUpdate,
    actor: Membership | None = None,
) -> Market:
    market = await get_market(session, team_id=team_id, market_id=market_id)
    for field, value in sent_changes(data).items():
        setattr(market, field, value)
    await _flush_unique_name(session)
    await _audit_market(session, "team.market_changed", market, actor)
    return market


async def delete_market(
    session: AsyncSession, *, team_id: uuid.UUID, market_id: uuid.UUID, actor: Membership | None = None
) -> None:
    market = await get_market(session, team_id=team_id, market_id=market_id)
    await session.delete(market)
    await session.flush()
    await _audit_market(session, "team.market_deleted", market, actor)


async def _flush_unique_name(session: AsyncSession) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("a market with this name already exists", details={"field": "name"}) from exc


# --- operators and the CLI ------------------------------------------------------------------


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    full_name: str,
    team_name: str | None,
    operator: bool,
) -> tuple[Account, Membership | None]:
    """Create an account from the shell, with a new team unless `team_name` is None."""
    if team_name:
        account, membership = await register(
            session, email=email, password=password, full_name=full_name, team_name=team_name
        )
        account.is_operator = operator
        await session.flush()
        return account, membership
    account = await create_account(
        session, email=email, full_name=full_name, password=password, operator=operator
    )
    return account, None
