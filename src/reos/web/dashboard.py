"""The dashboard: the team's numbers at a glance."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from reos.auth.principal import Principal
from reos.deps import Reader, SessionDep
from reos.kit.filters import SortKey
from reos.properties import listing
from reos.properties import service as properties
from reos.teams import service as teams
from reos.teams.schemas import DAYS
from reos.web import charts
from reos.web.render import STAGE_LABELS, money, page, partial

router = APIRouter(include_in_schema=False)

# Stages where a lead is being worked (not yet won, lost or parked).
ACTIVE_STAGES = ("outreach", "qualified", "negotiation", "under_contract")
NEWEST = [SortKey(field="created_at", dir="desc")]
DAY_SHORT = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}


async def _numbers(principal: Principal, session: SessionDep) -> dict[str, Any]:
    """Everything the dashboard shows, from the same services as the API."""
    counts = await teams.team_counts(session, team_id=principal.team_id)
    stages = await properties.stage_summary(session, team_id=principal.team_id)
    recent, _ = await listing.list_properties(
        session, team_id=principal.team_id, sort=NEWEST, limit=5, viewer=principal.membership
    )
    team = await teams.get_team(session, team_id=principal.team_id)
    by_stage = {s.stage: s for s in stages}
    active = [by_stage[s] for s in ACTIVE_STAGES]
    chart = charts.bar_chart(
        [
            charts.Bar(
                label=STAGE_LABELS[s.stage],
                value=s.count,
                color=charts.STAGE_COLORS[s.stage],
                note=money(s.estimated_value, compact=True) if s.count else "",
            )
            for s in stages
        ],
        title="Properties by pipeline stage",
    )
    checklist = [
        ("Create your team", True, "/settings"),
        ("Import a lead list, or add a property", counts["properties"] > 0, "/imports"),
        ("Invite a teammate", counts["members"] > 1 or counts["pending_invitations"] > 0, "/team#invite"),
        ("Add your postal address (needed for email law)", bool(team.postal_address), "/settings#address"),
    ]
    return {
        "team": team,
        "counts": counts,
        "chart": chart,
        "recent": recent,
        "active_count": sum(s.count for s in active),
        "active_value": sum((s.estimated_value for s in active), Decimal(0)),
        "won": by_stage["closed_won"],
        "checklist": checklist,
        "checklist_done": all(done for _, done, _ in checklist),
        "hours": hours_summary(team.business_hours or {}),
    }


@router.get("/")
async def dashboard(request: Request, principal: Reader, session: SessionDep) -> HTMLResponse:
    numbers = await _numbers(principal, session)
    return await page(
        request, "dashboard.html", principal=principal, session=session, nav="dashboard", **numbers
    )


@router.get("/dashboard/live")
async def dashboard_live(request: Request, principal: Reader, session: SessionDep) -> HTMLResponse:
    """The dashboard's numbers alone: the page swaps them in when the team's counts change."""
    numbers = await _numbers(principal, session)
    return partial(request, "partials/dashboard_body.html", principal=principal, **numbers)


def hours_summary(hours: dict[str, Any]) -> list[str]:
    """Business hours in a few words: consecutive days with the same hours share a line."""
    lines: list[str] = []
    run: list[str] = []
    span: Any = None
    for day in (*DAYS, None):
        current = hours.get(day) if day else None
        if run and (day is None or current != span or not current):
            first, last = DAY_SHORT[run[0]], DAY_SHORT[run[-1]]
            days = first if len(run) == 1 else f"{first}–{last}"
            lines.append(f"{days} {_clock(span[0])}–{_clock(span[1])}")
            run = []
        if day and current:
            run.append(day)
            span = current
    return lines


def _clock(hhmm: str) -> str:
    """ "09:00" → "9am", "17:30" → "5:30pm"."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    suffix = "am" if hour < 12 else "pm"
    twelve = hour % 12 or 12
    return f"{twelve}{suffix}" if minute == 0 else f"{twelve}:{minute:02d}{suffix}"
