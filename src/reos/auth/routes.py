"""Authentication API: register, login, refresh, logout, me, passwords, invitations, teams."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from reos.auth.ratelimit import SlidingWindow
from reos.deps import PUBLIC, Member, SessionDep
from reos.kit.routing import DocstringRoute
from reos.settings import get_settings
from reos.teams import service as teams
from reos.teams.models import Account, Membership, Role
from reos.teams.schemas import (
    AuthResponse,
    ChangePasswordRequest,
    InvitationPreview,
    InviteAccept,
    InviteToken,
    LoginRequest,
    MeResponse,
    RefreshRequest,
    RegisterRequest,
    ResetConfirm,
    ResetRequest,
    SwitchTeamRequest,
    TeamChoice,
    UserRead,
)

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], route_class=DocstringRoute)
_settings = get_settings()
login_limiter = SlidingWindow(_settings.login_rate_limit, _settings.login_rate_window_seconds)
reset_limiter = SlidingWindow(_settings.login_rate_limit, _settings.login_rate_window_seconds)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _auth_response(
    session: SessionDep, request: Request, account: Account, membership: Membership, reason: str = "login"
) -> AuthResponse:
    refresh = await teams.open_session(
        session,
        membership=membership,
        kind="api",
        user_agent=request.headers.get("user-agent"),
        ip=client_ip(request),
        account=account,
        reason=reason,
    )
    tokens = teams.issue_tokens(account, membership, refresh)
    choices = await teams.account_teams(session, account.id)
    return _response(account, membership, tokens, choices)


def _response(
    account: Account, membership: Membership, tokens: teams.Tokens, choices: list[TeamChoice]
) -> AuthResponse:
    current = next(c for c in choices if c.id == membership.team_id)
    return AuthResponse(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
        user=UserRead.model_validate(account),
        team=current,
        teams=choices,
    )


@router.post("/register", status_code=status.HTTP_201_CREATED, dependencies=[PUBLIC])
async def register(body: RegisterRequest, request: Request, session: SessionDep) -> AuthResponse:
    """Create an account, its team and an admin membership; answer with tokens."""
    account, membership = await teams.register(
        session,
        email=body.email,
        password=body.password,
        full_name=body.full_name,
        team_name=body.team_name,
    )
    return await _auth_response(session, request, account, membership)


@router.post("/login", dependencies=[PUBLIC])
async def login(body: LoginRequest, request: Request, session: SessionDep) -> AuthResponse:
    """Exchange email and password for an access and a refresh token."""
    key = f"{client_ip(request)}|{body.email}"
    login_limiter.hit(key)
    account = await teams.authenticate(session, email=body.email, password=body.password)
    login_limiter.forget(key)
    membership = await teams.enter_team(session, account=account, team_id=body.team_id)
    return await _auth_response(session, request, account, membership)


@router.post("/refresh", dependencies=[PUBLIC])
async def refresh(body: RefreshRequest, session: SessionDep) -> AuthResponse:
    """Rotate a refresh token into a new token pair."""
    account, membership, tokens = await teams.refresh(session, refresh_token=body.refresh_token)
    return _response(account, membership, tokens, await teams.account_teams(session, account.id))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, dependencies=[PUBLIC])
async def logout(body: RefreshRequest, session: SessionDep) -> Response:
    """Revoke a refresh token."""
    await teams.logout(session, refresh_token=body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me")
async def me(principal: Member, session: SessionDep) -> MeResponse:
    """Show the caller, the current team and every team they can switch to."""
    choices = await teams.account_teams(session, principal.account.id)
    return MeResponse(
        user=UserRead.model_validate(principal.account),
        team=TeamChoice(
            id=principal.team_id,
            name=(await teams.get_team(session, team_id=principal.team_id)).name,
            role=principal.role,
        ),
        teams=choices,
    )


@router.post("/change-password")
async def change_password(
    body: ChangePasswordRequest, request: Request, principal: Member, session: SessionDep
) -> AuthResponse:
    """Change the caller's password; every earlier token stops working, new ones are returned."""
    await teams.change_password(
        session,
        account=principal.account,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    return await _auth_response(session, request, principal.account, principal.membership)


@router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED, dependencies=[PUBLIC])
async def request_reset(body: ResetRequest, request: Request, session: SessionDep) -> dict[str, str]:
    """Email a single-use reset link if the account exists (the answer is the same either way)."""
    reset_limiter.hit(f"{client_ip(request)}|{body.email}")
    await teams.request_password_reset(session, email=body.email)
    return {"status": "if an account exists for this email, a reset link is on its way"}


@router.post("/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT, dependencies=[PUBLIC])
async def confirm_reset(body: ResetConfirm, session: SessionDep) -> Response:
    """Set a new password with a reset token."""
    await teams.confirm_password_reset(session, token=body.token, new_password=body.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/switch-team")
async def switch_team(
    body: SwitchTeamRequest, request: Request, principal: Member, session: SessionDep
) -> AuthResponse:
    """Issue tokens scoped to another team the caller belongs to."""
    membership = await teams.enter_team(session, account=principal.account, team_id=body.team_id)
    return await _auth_response(session, request, principal.account, membership, reason="switch")


@router.post("/invitations/preview", dependencies=[PUBLIC])
async def preview_invitation(body: InviteToken, session: SessionDep) -> InvitationPreview:
    """Show which team and role an invitation token is for."""
    invitation, team, exists = await teams.preview_invitation(session, token=body.token)
    return InvitationPreview(
        team_name=team.name, email=invitation.email, role=Role(invitation.role), account_exists=exists
    )


@router.post("/invitations/accept", dependencies=[PUBLIC])
async def accept_invitation(body: InviteAccept, request: Request, session: SessionDep) -> AuthResponse:
    """Accept an invitation (creating the account if needed) and answer with tokens for that team."""
    account, membership = await teams.accept_invitation(
        session, token=body.token, full_name=body.full_name, password=body.password
    )
    return await _auth_response(session, request, account, membership)
