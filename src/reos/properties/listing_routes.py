"""The lead list over HTTP: list with filters (more routes come with bulk actions and export).

Included before `reos.properties.routes` so that fixed paths under /api/v1/properties win over
`/{property_id}`."""

from __future__ import annotations

from fastapi import APIRouter, Query

from reos.deps import Reader, SessionDep
from reos.kit.routing import DocstringRoute
from reos.properties import listing
from reos.properties.schemas import PropertyPage, PropertyRead, Stage

router = APIRouter(prefix="/api/v1/properties", tags=["properties"], route_class=DocstringRoute)


@router.get("")
async def list_properties(
    principal: Reader,
    session: SessionDep,
    q: str | None = Query(default=None, max_length=200),
    stage: Stage | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> PropertyPage:
    """List the team's properties, newest first, one keyset page at a time."""
    rows, next_cursor = await listing.list_properties(
        session,
        team_id=principal.team_id,
        q=q,
        stage=stage,
        limit=limit,
        cursor=cursor,
        viewer=principal.membership,
    )
    return PropertyPage(items=[PropertyRead.model_validate(r) for r in rows], next_cursor=next_cursor)
