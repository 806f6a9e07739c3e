"""The lead list over HTTP: list and query with the filter language, CSV export and bulk actions.

Included before `reos.properties.routes` so that fixed paths under /api/v1/properties win over
`/{property_id}`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from reos.audit import service as audit
from reos.auth.permissions import Action, allowed
from reos.auth.principal import Principal
from reos.deps import BulkActor, Exporter, Reader, ReadingReader, SessionDep, get_database
from reos.errors import Forbidden
from reos.kit import clock
from reos.kit.filters import FilterDocument, parse_document, parse_sort
from reos.kit.routing import DocstringRoute
from reos.properties import bulk, listing
from reos.properties.bulk import BulkActionPage, BulkActionRead, BulkRequest
from reos.properties.schemas import PropertyPage, PropertyRead, Stage

router = APIRouter(prefix="/api/v1/properties", tags=["properties"], route_class=DocstringRoute)
bulk_router = APIRouter(prefix="/api/v1/bulk-actions", tags=["properties"], route_class=DocstringRoute)

# The columns the JSON list answers, selected as such (no ORM entities for a page of 50).
_READ_COLUMNS = tuple(PropertyRead.model_fields)

FILTER_HELP = (
    'a filter document as JSON: {"all"|"any": [{"field", "op", "value"} or nested groups], '
    '"sort": [{"field", "dir"}]}'
)


def _spec(
    *,
    q: str | None,
    stage: str | None,
    filter: str | FilterDocument | None,
    sort: str | None,
    list_id: uuid.UUID | None,
    deleted: bool,
) -> listing.PropertyQuery:
    return listing.PropertyQuery(
        filter=parse_document(filter),
        q=q,
        stage=stage,
        list_id=list_id,
        sort=parse_sort(sort),
        deleted=deleted,
    )


async def _page(
    session: SessionDep,
    principal: Principal,
    spec: listing.PropertyQuery,
    limit: int | None,
    cursor: str | None,
) -> Response:
    rows, next_cursor = await listing.list_property_rows(
        session,
        team_id=principal.team_id,
        columns=_READ_COLUMNS,
        spec=spec,
        limit=limit,
        cursor=cursor,
        viewer=principal.membership,
    )
    # Answering the JSON bytes skips FastAPI validating the page again against `response_model`
    # and its jsonable_encoder pass (measured in docs/benchmarks.md). The routes keep
    # `response_model` for the OpenAPI schema.
    return Response(content=listing.page_json(rows, next_cursor), media_type="application/json")


@router.get("", response_model=PropertyPage)
async def list_properties(
    reading: ReadingReader,
    q: str | None = Query(
        default=None, max_length=200, description="search address, APN, owner, phone, email"
    ),
    stage: Stage | None = None,
    filter: str | None = Query(default=None, max_length=20_000, description=FILTER_HELP),
    sort: str | None = Query(
        default=None, max_length=400, description='fields, "-" for descending: -score,city'
    ),
    list_id: uuid.UUID | None = None,
    deleted: bool = Query(default=False, description="the trash: deleted properties only"),
    limit: int | None = None,
    cursor: str | None = None,
) -> Response:
    """List the team's properties that match a filter, one keyset page at a time."""
    async with reading.open(also=listing.saved_list_read(list_id)) as (principal, read):
        spec = _spec(q=q, stage=stage, filter=filter, sort=sort, list_id=list_id, deleted=deleted)
        body = await listing.list_page_json(
            read,
            team_id=principal.team_id,
            columns=_READ_COLUMNS,
            spec=spec,
            limit=limit,
            cursor=cursor,
            viewer=principal.membership,
        )
    return Response(content=body, media_type="application/json")


@router.post("/query", response_model=PropertyPage)
async def query_properties(
    body: FilterDocument,
    principal: Reader,
    session: SessionDep,
    q: str | None = Query(default=None, max_length=200),
    sort: str | None = Query(default=None, max_length=400),
    list_id: uuid.UUID | None = None,
    deleted: bool = False,
    limit: int | None = None,
    cursor: str | None = None,
) -> Response:
    """List the properties that match the filter document in the body (for long filters)."""
    spec = _spec(q=q, stage=None, filter=body, sort=sort, list_id=list_id, deleted=deleted)
    return await _page(session, principal, spec, limit, cursor)


@router.get("/export.csv", response_class=StreamingResponse)
async def export_properties(
    request: Request,
    principal: Exporter,
    session: SessionDep,
    q: str | None = Query(default=None, max_length=200),
    stage: Stage | None = None,
    filter: str | None = Query(default=None, max_length=20_000, description=FILTER_HELP),
    sort: str | None = Query(default=None, max_length=400),
    list_id: uuid.UUID | None = None,
    deleted: bool = False,
) -> StreamingResponse:
    """Download the properties that match a filter as CSV."""
    spec = _spec(q=q, stage=stage, filter=filter, sort=sort, list_id=list_id, deleted=deleted)
    # Checked (and counted) before the body streams, so a bad filter is a 422, not a broken file.
    total = await listing.count_matching(
        session, team_id=principal.team_id, spec=spec, viewer=principal.membership
    )
    await audit.record(
        session,
        action="data.exported",
        team_id=principal.team_id,
        actor_account_id=principal.account.id,
        actor_email=principal.account.email,
        target_type="properties",
        details={
            "rows": total,
            "filter": spec.filter.model_dump(mode="json", exclude_none=True),
            "q": q,
            "stage": stage,
            "list_id": str(list_id) if list_id else None,
            "deleted": deleted,
        },
    )
    rows = listing.export_csv(
        get_database(request), team_id=principal.team_id, spec=spec, viewer=principal.membership
    )
    name = f"properties-{clock.now():%Y%m%d-%H%M}.csv"
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/bulk", status_code=status.HTTP_202_ACCEPTED)
async def start_bulk_action(body: BulkRequest, principal: BulkActor, session: SessionDep) -> BulkActionRead:
    """Start one change over chosen ids, a list or a whole filter, as a background job."""
    if body.action == "delete" and not allowed(principal.role, Action.delete):
        raise Forbidden(
            f"your role ({principal.role}) may not delete",
            details={"action": Action.delete.value, "role": principal.role.value},
        )
    started = await bulk.start(session, team_id=principal.team_id, actor=principal.membership, request=body)
    return BulkActionRead.model_validate(started)


@bulk_router.get("")
async def list_bulk_actions(
    principal: Reader, session: SessionDep, limit: int | None = None, cursor: str | None = None
) -> BulkActionPage:
    """List the team's bulk actions, newest first."""
    rows, next_cursor = await bulk.list_bulk_actions(
        session, team_id=principal.team_id, limit=limit, cursor=cursor
    )
    return BulkActionPage(items=[BulkActionRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@bulk_router.get("/{bulk_action_id}")
async def get_bulk_action(
    bulk_action_id: uuid.UUID, principal: Reader, session: SessionDep
) -> BulkActionRead:
    """Show a bulk action: its status, progress and result."""
    found = await bulk.get_bulk_action(session, team_id=principal.team_id, bulk_action_id=bulk_action_id)
    return BulkActionRead.model_validate(found)
