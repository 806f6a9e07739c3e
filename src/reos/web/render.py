"""Rendering for the web pages: templates, the page context, flash messages, redirects, errors.

Pages are full HTML documents; htmx requests get partials. A form that fails is re-rendered
with its errors and a 4xx status; a form that succeeds redirects (303) with a flash message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from reos.auth import security
from reos.auth.permissions import Action, allowed
from reos.auth.principal import Principal
from reos.deps import SessionDep
from reos.errors import AppError, Unauthorized
from reos.kit import clock, jsontext
from reos.notifications import service as notifications
from reos.teams import service as teams
from reos.web import charts

TEMPLATES = Path(__file__).parent / "templates"
FLASH_COOKIE = "reos_flash"
STAGE_LABELS = {
    "new": "New",
    "outreach": "Outreach",
    "qualified": "Qualified",
    "negotiation": "Negotiation",
    "under_contract": "Under contract",
    "closed_won": "Closed — won",
    "closed_lost": "Closed — lost",
    "archived": "Archived",
}
ROLE_LABELS = {"admin": "Admin", "manager": "Manager", "agent": "Agent", "viewer": "Viewer"}

templates = Jinja2Templates(directory=TEMPLATES)


def money(value: Decimal | int | float | None, compact: bool = False) -> str:
    if value is None:
        return "—"
    amount = Decimal(value)
    sign, amount = ("-" if amount < 0 else ""), abs(amount)
    if compact and amount >= 1_000_000_000:
        return f"{sign}${amount / 1_000_000_000:,.1f}B"
    if compact and amount >= 1_000_000:
        return f"{sign}${amount / 1_000_000:,.1f}M"
    if compact and amount >= 10_000:
        return f"{sign}${amount / 1000:,.0f}k"
    whole = f"{amount:,.0f}"
    return f"{sign if whole != '0' else ''}${whole}"


def _number(value: int | Decimal | None) -> str:
    return "—" if value is None else f"{value:,}"


def _when(value: datetime | str | None, tz: str | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        # An instant as an error's details carry it (ISO 8601 with its offset).
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        instant = value
    local = instant.astimezone(ZoneInfo(tz)) if tz else instant
    return local.strftime("%b %-d, %Y %-I:%M %p").replace("AM", "am").replace("PM", "pm")


def _day(value: datetime | None, tz: str | None = None) -> str:
    if value is None:
        return "—"
    local = value.astimezone(ZoneInfo(tz)) if tz else value
    return local.strftime("%b %-d, %Y")


def _time_of_day(value: datetime | None, tz: str | None = None) -> str:
    if value is None:
        return "—"
    local = value.astimezone(ZoneInfo(tz)) if tz else value
    return local.strftime("%-I:%M:%S %p").replace("AM", "am").replace("PM", "pm")


def _ago(value: datetime | None) -> str:
    """How long ago, in a few words ("just now", "4 min ago", "3 h ago"), else the date."""
    if value is None:
        return "—"
    seconds = (clock.now() - value).total_seconds()
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min ago"
    if seconds < 86400:
        return f"{round(seconds / 3600)} h ago"
    return _day(value)


def _initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


def task_label(name: str) -> str:
    """ "email.send" → "Email send": what a background job does, in words."""
    words = name.rsplit(":", 1)[-1].replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _action_label(action: str) -> str:
    """ "team.role_changed" → "Team · role changed" (audit actions)."""
    area, _, verb = action.partition(".")
    return f"{area.capitalize()} · {verb.replace('_', ' ')}" if verb else action


def _detail_value(value: Any) -> str:
    """One value of an audit event's details, short and readable."""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, list | tuple):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = json.dumps(value, separators=(", ", ": "), default=str)
    else:
        text = str(value)
    return text if len(text) <= 120 else text[:119] + "…"


# A North American number as stored (E.164): country code 1, then ten digits.
_NORTH_AMERICAN = re.compile(r"\+1(\d{3})(\d{3})(\d{4})")


def contact_value(value: str | None) -> str:
    """A phone or email as people read it: a North American number as "(813) 555-0142", the
    way lists and owners write it; an email or a number abroad as stored."""
    if value and (found := _NORTH_AMERICAN.fullmatch(value)):
        return f"({found[1]}) {found[2]}-{found[3]}"
    return value or ""


templates.env.filters["money"] = money
templates.env.filters["contact_value"] = contact_value
templates.env.filters["number"] = _number
templates.env.filters["when"] = _when
templates.env.filters["day"] = _day
templates.env.filters["ago"] = _ago
templates.env.filters["time_of_day"] = _time_of_day
templates.env.filters["initials"] = _initials
templates.env.filters["task_label"] = task_label
templates.env.filters["action_label"] = _action_label
templates.env.filters["detail_value"] = _detail_value
templates.env.filters["plural"] = lambda count, one, many=None: (
    f"{_number(count)} {one if count == 1 else (many or one + 's')}"
)
templates.env.filters["short_id"] = lambda value: str(value)[:8]
templates.env.filters["stage_label"] = lambda s: STAGE_LABELS.get(s, s)
templates.env.filters["role_label"] = lambda r: ROLE_LABELS.get(str(r), str(r))
templates.env.globals["STAGE_LABELS"] = STAGE_LABELS
templates.env.globals["ROLE_LABELS"] = ROLE_LABELS
templates.env.globals["STAGE_COLORS"] = charts.STAGE_COLORS


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def wants_html(request: Request) -> bool:
    """A browser navigation or an htmx call (as opposed to an API client or a webhook)."""
    return is_htmx(request) or "text/html" in request.headers.get("accept", "")


def can(principal: Principal | None, action: str) -> bool:
    if principal is None:
        return False
    return allowed(principal.role, Action(action), is_operator=principal.account.is_operator)


def read_flash(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        data = jsontext.loads(unquote(raw))
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        return None
    return {"message": data["message"][:300], "kind": str(data.get("kind", "success"))}


def set_flash(response: Response, message: str, kind: str = "success") -> None:
    value = quote(json.dumps({"message": message, "kind": kind}, separators=(",", ":")))
    response.set_cookie(FLASH_COOKIE, value, max_age=60, httponly=True, samesite="lax", path="/")


def redirect(url: str, *, flash: str | None = None, kind: str = "success") -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if flash:
        set_flash(response, flash, kind)
    return response


def toast_headers(message: str, kind: str = "success") -> dict[str, str]:
    """An htmx response header that makes app.js show a toast."""
    return {"HX-Trigger": json.dumps({"toast": {"message": message, "kind": kind}})}


async def page(
    request: Request,
    name: str,
    *,
    principal: Principal | None = None,
    session: SessionDep | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a full page; logged-in pages get the user, the team switcher and the CSRF token."""
    ctx: dict[str, Any] = {
        "request": request,
        "principal": principal,
        "can": lambda action: can(principal, action),
        "flash": read_flash(request),
        **context,
    }
    if principal is not None:
        assert principal.session_id is not None, "pages are reached with a cookie session"
        ctx["csrf_token"] = security.csrf_token(principal.session_id)
        if session is not None:
            ctx["teams"] = await teams.account_teams(session, principal.account.id)
            ctx.setdefault("team", await teams.get_team(session, team_id=principal.team_id))
            ctx.setdefault(
                "unread",
                await notifications.unread_count(
                    session, team_id=principal.team_id, membership_id=principal.membership.id
                ),
            )
    response = templates.TemplateResponse(
        request, name, ctx, status_code=status_code, headers=dict(headers or {})
    )
    if ctx["flash"] is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def partial(
    request: Request,
    name: str,
    *,
    principal: Principal,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a fragment for htmx (no layout)."""
    assert principal.session_id is not None
    ctx = {
        "request": request,
        "principal": principal,
        "can": lambda action: can(principal, action),
        "csrf_token": security.csrf_token(principal.session_id),
        **context,
    }
    return templates.TemplateResponse(
        request, name, ctx, status_code=status_code, headers=dict(headers or {})
    )


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Map pydantic errors to {field: message}, the first message per field, in words a form
    user reads ("Use at least 10 characters", not "String should have at least 10 characters")."""
    out: dict[str, str] = {}
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"] if not isinstance(p, int)) or "form"
        out.setdefault(key, _plain(err))
    return out


# pydantic's bound errors, in a form's words, with the context key holding the bound.
_BOUNDS = {
    "greater_than_equal": ("At least", "ge"),
    "greater_than": ("More than", "gt"),
    "less_than_equal": ("At most", "le"),
    "less_than": ("Less than", "lt"),
}


def _plain(err: Any) -> str:
    ctx = err.get("ctx") or {}
    kind = err["type"]
    if kind == "string_too_short":
        return (
            "Required" if ctx.get("min_length") == 1 else f"Use at least {ctx.get('min_length')} characters"
        )
    if kind == "string_too_long":
        return f"Use at most {ctx.get('max_length')} characters"
    if kind == "missing":
        return "Required"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "Enter a whole number"
    if kind in ("float_parsing", "decimal_parsing", "float_type", "decimal_type"):
        return "Enter a number"
    if kind in _BOUNDS and _BOUNDS[kind][1] in ctx:
        words, key = _BOUNDS[kind]
        return f"{words} {ctx[key]}"
    message = (
        str(err["msg"]).removeprefix("Value error, ").removeprefix("value is not a valid email address: ")
    )
    return message[:1].upper() + message[1:]


def app_error_fields(exc: AppError) -> tuple[str | None, dict[str, str]]:
    """Split a service error into a form-level message or a message on the field it names."""
    message = exc.message[:1].upper() + exc.message[1:]
    details = exc.details if isinstance(exc.details, dict) else {}
    field = details.get("field")
    if isinstance(field, str):
        return None, {field: message}
    return message, {}


def render_error(request: Request, status: int, message: str) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "error.html",
        {"request": request, "status": status, "message": message[:1].upper() + message[1:]},
        status_code=status,
    )


def handle_web_error(request: Request, exc: AppError) -> Response | None:
    """How pages answer errors that their view did not turn into a form message.

    An expired or missing login sends the browser to the login page (htmx: a full redirect);
    other errors become an error page, or a toast for htmx. API clients and webhooks (no
    `Accept: text/html`) keep the JSON error body.
    """
    if isinstance(exc, Unauthorized):
        if is_htmx(request):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        if wants_html(request):
            return redirect("/login", flash="Your session ended; log in again.", kind="error")
        return None
    if is_htmx(request):
        headers = {**toast_headers(exc.message[:1].upper() + exc.message[1:], "error"), "HX-Reswap": "none"}
        return Response(status_code=exc.status_code, headers={**exc.headers, **headers})
    if request.method != "GET" and wants_html(request):
        response = render_error(request, exc.status_code, exc.message)
        response.headers.update(exc.headers)
        return response
    return None
