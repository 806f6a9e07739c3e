"""Web pages. Cookie session + CSRF; every page calls the same services as the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from reos.auth import security
from reos.auth.principal import Principal
from reos.auth.routes import client_ip, login_limiter
from reos.deps import PUBLIC, WEB_COOKIE, Reader, SessionDep
from reos.errors import AppError, Unauthorized
from reos.settings import get_settings
from reos.teams import service as teams
from reos.teams.models import Account, Membership

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


async def page(
    request: Request,
    name: str,
    *,
    principal: Principal | None = None,
    session: Any = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render a full page; logged-in pages get the user, team switcher and CSRF token."""
    ctx: dict[str, Any] = {"request": request, "principal": principal, **context}
    if principal is not None:
        assert principal.session_id is not None
        ctx["csrf_token"] = security.csrf_token(principal.session_id)
        if session is not None:
            ctx["teams"] = await teams.account_teams(session, principal.account.id)
            ctx["team"] = await teams.get_team(session, team_id=principal.team_id)
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "error.html", {"request": request, "status": status, "message": message}, status_code=status
    )


def handle_web_error(request: Request, exc: AppError) -> Response | None:
    """Pages answer an expired or missing login with a redirect to the login page."""
    if isinstance(exc, Unauthorized) and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    return None


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
    request: Request, session: SessionDep, account: Account, membership: Membership, target: str
) -> RedirectResponse:
    web = await teams.open_session(
        session,
        membership=membership,
        kind="web",
        user_agent=request.headers.get("user-agent"),
        ip=client_ip(request),
    )
    response = RedirectResponse(_safe_next(target), status_code=303)
    set_session_cookie(response, teams.web_cookie(account, membership, web))
    return response


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login would be a phishing aid.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login", dependencies=[PUBLIC])
async def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return await page(request, "login.html", next=_safe_next(next), error=None, email="")


@router.post("/login", dependencies=[PUBLIC])
async def login_submit(
    request: Request,
    session: SessionDep,
    email: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
) -> Response:
    clean = email.strip().lower()
    try:
        login_limiter.hit(f"{client_ip(request)}|{clean}")
        account = await teams.authenticate(session, email=clean, password=password)
        membership = await teams.enter_team(session, account=account, team_id=None)
    except AppError as exc:
        return await page(
            request, "login.html", next=_safe_next(next), error=exc.message, email=clean,
            status_code=exc.status_code,
        )
    return await start_web_session(request, session, account, membership, next)


@router.get("/", dependencies=[])
async def dashboard(request: Request, principal: Reader, session: SessionDep) -> HTMLResponse:
    counts = await teams.team_counts(session, team_id=principal.team_id)
    return await page(request, "dashboard.html", principal=principal, session=session, counts=counts)
