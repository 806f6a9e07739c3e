"""The audit log: team admins read their team's, operators the whole instance's. Nobody edits it."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from reos.audit import service as audit
from reos.auth.principal import Principal
from reos.db.session import enter_operator_view
from reos.deps import Operator, SessionDep, UserManager
from reos.teams import service as teams
from reos.web.render import page

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
ACTIONS = tuple(sorted(audit.ACTIONS))


async def _audit_page(
    request: Request,
    principal: Principal,
    session: SessionDep,
    *,
    everywhere: bool,
    action: str,
    cursor: str | None,
) -> HTMLResponse:
    base = "/ops/audit" if everywhere else "/admin/audit"
    action = action if action in audit.ACTIONS else ""
    if everywhere:
        await enter_operator_view(session)
    rows, next_cursor = await audit.list_events(
        session,
        team_id=None if everywhere else principal.team_id,
        action=action or None,
        limit=PAGE_SIZE,
        cursor=cursor,
    )
    filters = {"action": action} if action else {}
    team = await teams.get_team(session, team_id=principal.team_id)
    # Names for the actors of this team (many events name the account, not its email).
    people = {m.account_id: m for m in await teams.list_members(session, team_id=principal.team_id)}
    return await page(
        request,
        "audit.html",
        principal=principal,
        session=session,
        nav="ops-audit" if everywhere else "audit",
        team=team,
        tz=team.timezone,
        everywhere=everywhere,
        base=base,
        rows=rows,
        people=people,
        action=action,
        actions=ACTIONS,
        paged=cursor is not None,
        first_url=f"{base}?{urlencode(filters)}" if filters else base,
        next_url=f"{base}?{urlencode({**filters, 'cursor': next_cursor})}" if next_cursor else None,
    )


@router.get("/admin/audit")
async def audit_page(
    request: Request,
    principal: UserManager,
    session: SessionDep,
    action: str = Query(default="", max_length=80),
    cursor: str | None = None,
) -> HTMLResponse:
    return await _audit_page(request, principal, session, everywhere=False, action=action, cursor=cursor)


@router.get("/ops/audit")
async def audit_everywhere(
    request: Request,
    principal: Operator,
    session: SessionDep,
    action: str = Query(default="", max_length=80),
    cursor: str | None = None,
) -> HTMLResponse:
    return await _audit_page(request, principal, session, everywhere=True, action=action, cursor=cursor)
