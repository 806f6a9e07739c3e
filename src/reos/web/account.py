"""Pages for getting in and out: log in, register, log out, passwords, invitations, team switch."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from reos.auth.routes import client_ip, login_limiter, reset_limiter
from reos.deps import PUBLIC, WEB_COOKIE, Member, SessionDep
from reos.errors import AppError, BadRequest
from reos.settings import get_settings
from reos.teams import service as teams
from reos.teams.models import Account, Membership
from reos.teams.schemas import InviteAccept, RegisterRequest, ResetConfirm, ResetRequest
from reos.web.render import app_error_fields, field_errors, page, redirect, set_flash

router = APIRouter(include_in_schema=False)


async def form_fields(request: Request) -> dict[str, str]:
    """The submitted form as plain strings (files are not expected on these pages)."""
    form = await request.form()
    return {
        key: value.strip() if key not in _RAW else value
        for key, value in form.items()
        if isinstance(value, str)
    }


_RAW = {"password", "password_confirm", "current_password", "new_password"}


def set_session_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(
        WEB_COOKIE,
        token,
        max_age=settings.web_session_hours * 3600,
        httponly=True,
        secure=settings.public_url.startswith("https://"),
        samesite="lax",
        path="/",
    )


async def start_web_session(
    request: Request,
    session: SessionDep,
    account: Account,
    membership: Membership,
    target: str,
    *,
    flash: str | None = None,
) -> RedirectResponse:
    web = await teams.open_session(
        session,
        membership=membership,
        kind="web",
        user_agent=request.headers.get("user-agent"),
        ip=client_ip(request),
    )
    response = RedirectResponse(safe_next(target), status_code=303)
    set_session_cookie(response, teams.web_cookie(account, membership, web))
    if flash:
        set_flash(response, flash)
    return response


def safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login would be a phishing aid. A path as long
    # as a page's own links at most: a form's 100,000-character `next` went into the Location.
    if target and target.startswith("/") and not target.startswith(("//", "/\\")) and len(target) <= 2000:
        return target
    return "/"


def back(request: Request, default: str = "/") -> str:
    """Where a form came from, for the redirect after it: the Referer's own path and query, so a
    forged Referer cannot send the browser to another site."""
    parts = urlsplit(request.headers.get("referer") or "")
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else "")) if parts.path else default


def _first_name(account: Account) -> str:
    return account.full_name.split()[0] if account.full_name.split() else account.full_name


# --- log in / log out -----------------------------------------------------------------------


@router.get("/login", dependencies=[PUBLIC])
async def login_page(request: Request, next: str = "/", email: str = "") -> HTMLResponse:
    return await page(request, "login.html", next=safe_next(next), error=None, email=email[:320])


@router.post("/login", dependencies=[PUBLIC])
async def login_submit(request: Request, session: SessionDep) -> Response:
    data = await form_fields(request)
    email, target = data.get("email", "").lower(), safe_next(data.get("next"))
    try:
        key = f"{client_ip(request)}|{email}"
        login_limiter.hit(key)
        account = await teams.authenticate(session, email=email, password=data.get("password", ""))
        login_limiter.forget(key)
        membership = await teams.enter_team(session, account=account, team_id=None)
    except AppError as exc:
        return await page(
            request,
            "login.html",
            next=target,
            error=app_error_fields(exc)[0] or exc.message,
            email=email,
            status_code=exc.status_code,
            headers=exc.headers,
        )
    return await start_web_session(request, session, account, membership, target)


@router.post("/logout")
async def logout(principal: Member, session: SessionDep) -> Response:
    assert principal.session_id is not None
    await teams.revoke_session(session, session_id=principal.session_id)
    response = redirect("/login", flash="You are logged out. See you soon.")
    response.delete_cookie(WEB_COOKIE, path="/")
    return response


@router.post("/switch-team")
async def switch_team(request: Request, principal: Member, session: SessionDep) -> Response:
    data = await form_fields(request)
    try:
        team_id = uuid.UUID(data.get("team_id", ""))
    except ValueError as exc:
        raise BadRequest("choose a team to switch to") from exc
    assert principal.session_id is not None
    # Revoke while the session is still scoped to the old team (RLS hides it afterwards).
    await teams.revoke_session(session, session_id=principal.session_id)
    membership = await teams.enter_team(session, account=principal.account, team_id=team_id)
    team = await teams.get_team(session, team_id=membership.team_id)
    return await start_web_session(
        request, session, principal.account, membership, "/", flash=f"You are now working in {team.name}."
    )


# --- register -------------------------------------------------------------------------------

_REGISTER_FIELDS = ("full_name", "email", "password", "team_name")


@router.get("/register", dependencies=[PUBLIC])
async def register_page(request: Request) -> HTMLResponse:
    return await page(request, "register.html", values={}, errors={}, error=None)


@router.post("/register", dependencies=[PUBLIC])
async def register_submit(request: Request, session: SessionDep) -> Response:
    data = await form_fields(request)
    values = {k: data.get(k, "") for k in _REGISTER_FIELDS}
    shown = {k: v for k, v in values.items() if k != "password"}
    try:
        body = RegisterRequest.model_validate(values)
        account, membership = await teams.register(
            session,
            email=body.email,
            password=body.password,
            full_name=body.full_name,
            team_name=body.team_name,
        )
    except ValidationError as exc:
        return await page(
            request, "register.html", values=shown, errors=field_errors(exc), error=None, status_code=422
        )
    except AppError as exc:
        await session.rollback()
        error, errors = app_error_fields(exc)
        return await page(
            request, "register.html", values=shown, errors=errors, error=error, status_code=exc.status_code
        )
    return await start_web_session(
        request,
        session,
        account,
        membership,
        "/",
        flash=f"Welcome aboard, {_first_name(account)}! Your team is ready.",
    )


# --- passwords ------------------------------------------------------------------------------


@router.get("/forgot-password", dependencies=[PUBLIC])
async def forgot_page(request: Request, email: str = "") -> HTMLResponse:
    return await page(request, "forgot_password.html", email=email[:320], sent=False, error=None)


@router.post("/forgot-password", dependencies=[PUBLIC])
async def forgot_submit(request: Request, session: SessionDep) -> Response:
    data = await form_fields(request)
    email = data.get("email", "")
    try:
        body = ResetRequest.model_validate({"email": email})
        reset_limiter.hit(f"{client_ip(request)}|{body.email}")
    except ValidationError as exc:
        errors = field_errors(exc)
        return await page(
            request,
            "forgot_password.html",
            email=email,
            sent=False,
            error=errors.get("email"),
            status_code=422,
        )
    except AppError as exc:
        return await page(
            request,
            "forgot_password.html",
            email=email,
            sent=False,
            error=exc.message,
            status_code=exc.status_code,
            headers=exc.headers,
        )
    # The same answer whether or not the account exists: the page must not reveal who has one.
    await teams.request_password_reset(session, email=body.email)
    return await page(request, "forgot_password.html", email=body.email, sent=True, error=None)


@router.get("/reset-password", dependencies=[PUBLIC])
async def reset_page(request: Request, token: str = "") -> HTMLResponse:
    return await page(request, "reset_password.html", token=token[:200], errors={}, error=None)


@router.post("/reset-password", dependencies=[PUBLIC])
async def reset_submit(request: Request, session: SessionDep) -> Response:
    data = await form_fields(request)
    token = data.get("token", "")
    password = data.get("password", "")
    if password != data.get("password_confirm", ""):
        return await page(
            request,
            "reset_password.html",
            token=token,
            error=None,
            errors={"password_confirm": "The two passwords differ"},
            status_code=422,
        )
    try:
        body = ResetConfirm.model_validate({"token": token, "new_password": password})
        account = await teams.confirm_password_reset(
            session, token=body.token, new_password=body.new_password
        )
    except ValidationError as exc:
        errors = field_errors(exc)
        if "new_password" in errors:
            errors["password"] = errors.pop("new_password")
        error = "This reset link is not valid; ask for a new one." if "token" in errors else None
        return await page(
            request, "reset_password.html", token=token, errors=errors, error=error, status_code=422
        )
    except AppError as exc:
        error, errors = app_error_fields(exc)
        return await page(
            request,
            "reset_password.html",
            token=token,
            errors=errors,
            error=error,
            status_code=exc.status_code,
        )
    return redirect(
        f"/login?{urlencode({'email': account.email})}",
        flash="Your password is changed. Log in with the new one.",
    )


# --- invitations ----------------------------------------------------------------------------


async def _invite_page(
    request: Request,
    session: SessionDep,
    token: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        invitation, team, exists = await teams.preview_invitation(session, token=token)
    except AppError as exc:
        return await page(
            request, "invite_accept.html", invalid=exc.message, token=token, status_code=exc.status_code
        )
    return await page(
        request,
        "invite_accept.html",
        invalid=None,
        token=token,
        invitation=invitation,
        invited_team=team,
        account_exists=exists,
        values=values or {},
        errors=errors or {},
        error=error,
        status_code=status_code,
    )


@router.get("/invite/accept", dependencies=[PUBLIC])
async def invite_page(request: Request, session: SessionDep, token: str = "") -> HTMLResponse:
    return await _invite_page(request, session, token[:200])


@router.post("/invite/accept", dependencies=[PUBLIC])
async def invite_submit(request: Request, session: SessionDep) -> Response:
    data = await form_fields(request)
    token = data.get("token", "")
    values = {"full_name": data.get("full_name", "")}
    try:
        body = InviteAccept.model_validate(
            {"token": token, "full_name": data.get("full_name") or None, "password": data.get("password", "")}
        )
        account, membership = await teams.accept_invitation(
            session, token=body.token, full_name=body.full_name, password=body.password
        )
    except ValidationError as exc:
        return await _invite_page(
            request, session, token, values=values, errors=field_errors(exc), status_code=422
        )
    except AppError as exc:
        error, errors = app_error_fields(exc)
        return await _invite_page(
            request, session, token, values=values, errors=errors, error=error, status_code=exc.status_code
        )
    team = await teams.get_team(session, team_id=membership.team_id)
    return await start_web_session(
        request, session, account, membership, "/", flash=f"Welcome to {team.name}, {_first_name(account)}!"
    )
