"""The member's notifications (mark read, mark all read) and which kinds also come by email."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from reos.auth.principal import Principal
from reos.deps import Member, SessionDep
from reos.notifications import service as notifications
from reos.teams import service as teams
from reos.web.account import form_fields, safe_next
from reos.web.render import is_htmx, page, partial, redirect

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 30


def _unread_header(count: int) -> dict[str, str]:
    """Tell app.js the new unread count, for the bell."""
    return {"HX-Trigger": json.dumps({"unread": {"count": count}})}


async def _list(principal: Principal, session: SessionDep, cursor: str | None) -> dict[str, Any]:
    rows, next_cursor = await notifications.list_notifications(
        session,
        team_id=principal.team_id,
        membership_id=principal.membership.id,
        limit=PAGE_SIZE,
        cursor=cursor,
    )
    team = await teams.get_team(session, team_id=principal.team_id)
    return {
        "rows": rows,
        "tz": team.timezone,
        "paged": cursor is not None,
        "next_url": f"/notifications?{urlencode({'cursor': next_cursor})}" if next_cursor else None,
    }


@router.get("/notifications")
async def notifications_page(
    request: Request, principal: Member, session: SessionDep, cursor: str | None = None
) -> HTMLResponse:
    prefs = await notifications.preferences(
        session, team_id=principal.team_id, membership_id=principal.membership.id
    )
    return await page(
        request,
        "notifications.html",
        principal=principal,
        session=session,
        nav="notifications",
        prefs=prefs,
        kinds=notifications.KINDS,
        **await _list(principal, session, cursor),
    )


@router.get("/notifications/live")
async def notifications_live(request: Request, principal: Member, session: SessionDep) -> HTMLResponse:
    """The newest notifications alone: the page swaps them in when one arrives for this member."""
    return partial(
        request,
        "partials/notification_list.html",
        principal=principal,
        **await _list(principal, session, None),
    )


@router.post("/notifications/{notification_id}/read")
async def mark_read(
    notification_id: uuid.UUID, request: Request, principal: Member, session: SessionDep
) -> Response:
    """Mark one read; with `next` (the notification's link) go there, as opening it does."""
    note = await notifications.mark_read(
        session,
        team_id=principal.team_id,
        membership_id=principal.membership.id,
        notification_id=notification_id,
    )
    target = (await form_fields(request)).get("next")
    if target:
        return redirect(safe_next(target))
    if not is_htmx(request):
        return redirect("/notifications")
    count = await notifications.unread_count(
        session, team_id=principal.team_id, membership_id=principal.membership.id
    )
    team = await teams.get_team(session, team_id=principal.team_id)
    return partial(
        request,
        "partials/notification.html",
        principal=principal,
        n=note,
        tz=team.timezone,
        headers=_unread_header(count),
    )


@router.post("/notifications/read-all")
async def mark_all_read(principal: Member, session: SessionDep) -> Response:
    marked = await notifications.mark_all_read(
        session, team_id=principal.team_id, membership_id=principal.membership.id
    )
    message = "You are all caught up." if marked else "Nothing was unread."
    return redirect("/notifications", flash=message)


@router.post("/notifications/preferences")
async def save_preferences(request: Request, principal: Member, session: SessionDep) -> Response:
    data = await form_fields(request)
    # A checkbox left unticked is not sent at all: every kind gets an explicit answer.
    chosen = {kind: data.get(f"email_{kind}") == "on" for kind in notifications.KINDS}
    await notifications.set_preferences(
        session, team_id=principal.team_id, membership_id=principal.membership.id, email=chosen
    )
    count = sum(chosen.values())
    message = (
        f"Saved: email for {count} kind{'' if count == 1 else 's'} of notification."
        if count
        else "Saved: notifications stay in the app, no email."
    )
    return redirect("/notifications#email", flash=message)
