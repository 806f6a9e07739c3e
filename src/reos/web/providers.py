"""Provider status for operators: which implementation each provider uses, and how it last went."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from reos.deps import Operator, SessionDep
from reos.providers import status
from reos.settings import get_settings
from reos.teams import service as teams
from reos.web.render import page

router = APIRouter(include_in_schema=False)

# Implementations that stand in for a real service: they record instead of delivering.
STAND_INS = frozenset({"mock"})
PURPOSES = {
    "email": "Invitations, password resets and notifications to users",
    "storage": "Uploaded files, documents and generated PDFs",
    "pdf": "Investor memos and other documents",
}


@router.get("/ops/providers")
async def providers_page(request: Request, principal: Operator, session: SessionDep) -> HTMLResponse:
    rows = await status.overview(session)
    team = await teams.get_team(session, team_id=principal.team_id)
    return await page(
        request,
        "providers.html",
        principal=principal,
        session=session,
        nav="ops-providers",
        team=team,
        tz=team.timezone,
        rows=rows,
        purposes=PURPOSES,
        stand_ins=STAND_INS,
        app_mode=get_settings().app_mode,
    )
