"""Team pages: members (roles, deactivation), invitations and the team's settings."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from reos.auth.principal import Principal
from reos.deps import Reader, SessionDep, TeamManager, UserManager
from reos.errors import AppError
from reos.kit.zones import time_zones
from reos.teams import service as teams
from reos.teams.models import Role, Team
from reos.teams.schemas import DAYS, InviteCreate, MemberUpdate, TeamSettingsUpdate
from reos.web.account import form_fields
from reos.web.render import (
    app_error_fields,
    can,
    field_errors,
    is_htmx,
    page,
    partial,
    redirect,
    toast_headers,
)

router = APIRouter(include_in_schema=False)

DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
US_ZONES = (
    ("America/New_York", "Eastern"),
    ("America/Chicago", "Central"),
    ("America/Denver", "Mountain"),
    ("America/Phoenix", "Mountain — Arizona"),
    ("America/Los_Angeles", "Pacific"),
    ("America/Anchorage", "Alaska"),
    ("Pacific/Honolulu", "Hawaii"),
    ("America/Puerto_Rico", "Atlantic — Puerto Rico"),
)
ALL_ZONES = tuple(sorted(z for z in time_zones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))))


# --- members and invitations ----------------------------------------------------------------


async def _team_page(
    request: Request,
    principal: Principal,
    session: SessionDep,
    *,
    status_code: int = 200,
    error: str | None = None,
    invite_values: dict[str, str] | None = None,
    invite_errors: dict[str, str] | None = None,
) -> HTMLResponse:
    members = await teams.list_members(session, team_id=principal.team_id)
    invitations = (
        await teams.list_invitations(session, team_id=principal.team_id)
        if can(principal, "manage_users")
        else []
    )
    return await page(
        request,
        "team.html",
        principal=principal,
        session=session,
        nav="team",
        members=members,
        invitations=invitations,
        roles=list(Role),
        error=error,
        invite_values=invite_values or {"role": Role.agent.value},
        invite_errors=invite_errors or {},
        status_code=status_code,
    )


@router.get("/team")
async def team_page(request: Request, principal: Reader, session: SessionDep) -> HTMLResponse:
    return await _team_page(request, principal, session)


@router.post("/team/members/{member_id}")
async def update_member(
    member_id: uuid.UUID, request: Request, principal: UserManager, session: SessionDep
) -> Response:
    data = await form_fields(request)
    changes: dict[str, Any] = {}
    if data.get("role"):
        changes["role"] = data["role"]
    if data.get("is_active") in ("true", "false"):
        changes["is_active"] = data["is_active"] == "true"
    try:
        body = MemberUpdate.model_validate(changes)
        member = await teams.update_member(
            session,
            team_id=principal.team_id,
            member_id=member_id,
            actor=principal.membership,
            role=body.role,
            is_active=body.is_active,
        )
    except (ValidationError, AppError) as exc:
        message = (
            next(iter(field_errors(exc).values()))
            if isinstance(exc, ValidationError)
            else (app_error_fields(exc)[0] or exc.message)
        )
        status = 422 if isinstance(exc, ValidationError) else exc.status_code
        if not is_htmx(request):
            return await _team_page(request, principal, session, status_code=status, error=message)
        current = await teams.get_member(session, team_id=principal.team_id, member_id=member_id)
        return partial(
            request,
            "partials/member_row.html",
            principal=principal,
            member=current,
            roles=list(Role),
            row_error=message,
            status_code=status,
            headers=toast_headers(message, "error"),
        )
    if body.is_active is False:
        message = f"{member.full_name} is deactivated and signed out everywhere."
    elif body.is_active:
        message = f"{member.full_name} is active again."
    else:
        message = f"{member.full_name} is now {member.role.value}."
    if not is_htmx(request):
        return redirect("/team", flash=message)
    return partial(
        request,
        "partials/member_row.html",
        principal=principal,
        member=member,
        roles=list(Role),
        row_error=None,
        headers=toast_headers(message),
    )


async def _invitations_partial(
    request: Request,
    principal: Principal,
    session: SessionDep,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    invitations = await teams.list_invitations(session, team_id=principal.team_id)
    return partial(
        request,
        "partials/invitations.html",
        principal=principal,
        invitations=invitations,
        roles=list(Role),
        invite_values=values or {"role": Role.agent.value},
        invite_errors=errors or {},
        status_code=status_code,
        headers=headers,
    )


@router.post("/team/invitations")
async def invite(request: Request, principal: UserManager, session: SessionDep) -> Response:
    data = await form_fields(request)
    values = {"email": data.get("email", ""), "role": data.get("role", Role.agent.value)}
    try:
        body = InviteCreate.model_validate(values)
        await teams.invite(
            session,
            team_id=principal.team_id,
            inviter=principal.membership,
            inviter_name=principal.account.full_name,
            email=body.email,
            role=Role(body.role),
        )
    except (ValidationError, AppError) as exc:
        if isinstance(exc, ValidationError):
            errors, status = field_errors(exc), 422
        else:
            error, errors = app_error_fields(exc)
            errors = errors or {"email": error or exc.message}
            status = exc.status_code
        if is_htmx(request):
            return await _invitations_partial(
                request, principal, session, values=values, errors=errors, status_code=status
            )
        return await _team_page(
            request, principal, session, invite_values=values, invite_errors=errors, status_code=status
        )
    message = f"Invitation sent to {body.email}."
    if is_htmx(request):
        return await _invitations_partial(request, principal, session, headers=toast_headers(message))
    return redirect("/team", flash=message)


@router.post("/team/invitations/{invitation_id}/withdraw")
async def withdraw_invitation(
    invitation_id: uuid.UUID, request: Request, principal: UserManager, session: SessionDep
) -> Response:
    invitation = await teams.revoke_invitation(
        session, team_id=principal.team_id, invitation_id=invitation_id
    )
    message = f"The invitation to {invitation.email} is withdrawn."
    if is_htmx(request):
        return await _invitations_partial(request, principal, session, headers=toast_headers(message))
    return redirect("/team", flash=message)


# --- settings -------------------------------------------------------------------------------


def _settings_values(team: Team) -> dict[str, Any]:
    hours = team.business_hours or {}
    values: dict[str, Any] = {
        "name": team.name,
        "timezone": team.timezone,
        "postal_address": team.postal_address or "",
        "brand_name": team.brand_name or "",
        "brand_color": team.brand_color,
        "logo_url": team.logo_url or "",
        "agents_see_assigned_only": team.agents_see_assigned_only,
    }
    for day in DAYS:
        span = hours.get(day)
        values[f"{day}_open"] = bool(span)
        values[f"{day}_start"], values[f"{day}_end"] = span if span else ("09:00", "17:00")
    return values


def _settings_from_form(data: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values to show again, the update as the API would receive it)."""
    values: dict[str, Any] = {
        key: data.get(key, "")
        for key in ("name", "timezone", "postal_address", "brand_name", "brand_color", "logo_url")
    }
    values["agents_see_assigned_only"] = data.get("agents_see_assigned_only") == "on"
    hours: dict[str, list[str] | None] = {}
    for day in DAYS:
        is_open = data.get(f"{day}_open") == "on"
        start, end = data.get(f"{day}_start", ""), data.get(f"{day}_end", "")
        values.update({f"{day}_open": is_open, f"{day}_start": start, f"{day}_end": end})
        hours[day] = [start, end] if is_open else None
    update: dict[str, Any] = {
        "name": values["name"],
        "timezone": values["timezone"],
        "business_hours": hours,
        "agents_see_assigned_only": values["agents_see_assigned_only"],
        "brand_color": values["brand_color"] or "#1f6feb",
    }
    for optional in ("postal_address", "brand_name", "logo_url"):
        update[optional] = values[optional] or None
    return values, update


async def _settings_page(
    request: Request,
    principal: Principal,
    session: SessionDep,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    team = await teams.get_team(session, team_id=principal.team_id)
    return await page(
        request,
        "settings.html",
        principal=principal,
        session=session,
        nav="settings",
        team=team,
        values=values or _settings_values(team),
        errors=errors or {},
        days=DAY_NAMES,
        us_zones=US_ZONES,
        all_zones=ALL_ZONES,
        status_code=status_code,
    )


@router.get("/settings")
async def settings_page(request: Request, principal: Reader, session: SessionDep) -> HTMLResponse:
    return await _settings_page(request, principal, session)


@router.post("/settings")
async def settings_submit(request: Request, principal: TeamManager, session: SessionDep) -> Response:
    values, update = _settings_from_form(await form_fields(request))
    try:
        changes = TeamSettingsUpdate.model_validate(update)
        await teams.update_team(session, team_id=principal.team_id, changes=changes)
    except ValidationError as exc:
        return await _settings_page(
            request, principal, session, values=values, errors=field_errors(exc), status_code=422
        )
    except AppError as exc:
        error, errors = app_error_fields(exc)
        return await _settings_page(
            request,
            principal,
            session,
            values=values,
            errors=errors or {"form": error or exc.message},
            status_code=exc.status_code,
        )
    return redirect("/settings", flash="Team settings saved.")
