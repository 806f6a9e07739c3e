"""Team API: settings, members, invitations, markets, dashboard counts."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from reos.deps import Reader, SessionDep, TeamManager, UserManager
from reos.kit.routing import DocstringRoute
from reos.teams import service as teams
from reos.teams.models import Role
from reos.teams.schemas import (
    InvitationRead,
    InviteCreate,
    MarketCreate,
    MarketRead,
    MarketUpdate,
    MemberRead,
    MemberUpdate,
    TeamRead,
    TeamSettingsUpdate,
)

router = APIRouter(prefix="/api/v1/team", tags=["team"], route_class=DocstringRoute)


@router.get("")
async def get_team(principal: Reader, session: SessionDep) -> TeamRead:
    """Show the current team and its settings."""
    return TeamRead.model_validate(await teams.get_team(session, team_id=principal.team_id))


@router.patch("")
async def update_team(body: TeamSettingsUpdate, principal: TeamManager, session: SessionDep) -> TeamRead:
    """Change the team's name and settings (time zone, business hours, address, branding)."""
    team = await teams.update_team(
        session, team_id=principal.team_id, changes=body, actor=principal.membership
    )
    return TeamRead.model_validate(team)


@router.get("/counts")
async def counts(principal: Reader, session: SessionDep) -> dict[str, int]:
    """Count the team's members, pending invitations and properties (the dashboard's numbers)."""
    return await teams.team_counts(session, team_id=principal.team_id)


@router.get("/members")
async def list_members(principal: Reader, session: SessionDep) -> list[MemberRead]:
    """List the team's members with their roles."""
    return await teams.list_members(session, team_id=principal.team_id)


@router.get("/members/{member_id}")
async def get_member(member_id: uuid.UUID, principal: Reader, session: SessionDep) -> MemberRead:
    """Show one member."""
    return await teams.get_member(session, team_id=principal.team_id, member_id=member_id)


@router.patch("/members/{member_id}")
async def update_member(
    member_id: uuid.UUID, body: MemberUpdate, principal: UserManager, session: SessionDep
) -> MemberRead:
    """Change a member's role or (de)activate them; takes effect on their next request."""
    return await teams.update_member(
        session,
        team_id=principal.team_id,
        member_id=member_id,
        actor=principal.membership,
        role=body.role,
        is_active=body.is_active,
    )


@router.get("/invitations")
async def list_invitations(principal: UserManager, session: SessionDep) -> list[InvitationRead]:
    """List pending invitations."""
    rows = await teams.list_invitations(session, team_id=principal.team_id)
    return [InvitationRead.model_validate(r) for r in rows]


@router.post("/invitations", status_code=status.HTTP_201_CREATED)
async def invite(body: InviteCreate, principal: UserManager, session: SessionDep) -> InvitationRead:
    """Invite someone by email with a role; an existing account gains a membership on accepting."""
    invitation = await teams.invite(
        session,
        team_id=principal.team_id,
        inviter=principal.membership,
        inviter_name=principal.account.full_name,
        email=body.email,
        role=Role(body.role),
    )
    return InvitationRead.model_validate(invitation)


@router.delete("/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_invitation(
    invitation_id: uuid.UUID, principal: UserManager, session: SessionDep
) -> Response:
    """Withdraw a pending invitation."""
    await teams.revoke_invitation(
        session, team_id=principal.team_id, invitation_id=invitation_id, actor=principal.membership
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/markets")
async def list_markets(principal: Reader, session: SessionDep) -> list[MarketRead]:
    """List the team's markets."""
    return [
        MarketRead.model_validate(m) for m in await teams.list_markets(session, team_id=principal.team_id)
    ]


@router.post("/markets", status_code=status.HTTP_201_CREATED)
async def create_market(body: MarketCreate, principal: TeamManager, session: SessionDep) -> MarketRead:
    """Define a market: a named area of states, counties and ZIP codes."""
    return MarketRead.model_validate(
        await teams.create_market(session, team_id=principal.team_id, data=body, actor=principal.membership)
    )


@router.get("/markets/{market_id}")
async def get_market(market_id: uuid.UUID, principal: Reader, session: SessionDep) -> MarketRead:
    """Show one market."""
    return MarketRead.model_validate(
        await teams.get_market(session, team_id=principal.team_id, market_id=market_id)
    )


@router.patch("/markets/{market_id}")
async def update_market(
    market_id: uuid.UUID, body: MarketUpdate, principal: TeamManager, session: SessionDep
) -> MarketRead:
    """Change a market."""
    market = await teams.update_market(
        session, team_id=principal.team_id, market_id=market_id, data=body, actor=principal.membership
    )
    return MarketRead.model_validate(market)


@router.delete("/markets/{market_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_market(market_id: uuid.UUID, principal: TeamManager, session: SessionDep) -> Response:
    """Delete a market."""
    await teams.delete_market(
        session, team_id=principal.team_id, market_id=market_id, actor=principal.membership
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
