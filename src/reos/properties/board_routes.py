"""The pipeline board over HTTP: every column's numbers and first cards, and more cards of one
column. Stage moves go through `POST /api/v1/properties/{property_id}/stage`."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from reos.deps import Reader, SessionDep
from reos.kit.routing import DocstringRoute
from reos.properties import board
from reos.properties.schemas import Stage

router = APIRouter(prefix="/api/v1/pipeline", tags=["pipeline"], route_class=DocstringRoute)


class PipelineCard(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    address: str
    unit: str | None
    city: str
    state: str
    zip_code: str
    estimated_value: Decimal | None
    score: int
    assigned_to_id: uuid.UUID | None
    assignee_name: str | None
    stage_changed_at: datetime
    days_in_stage: int


class PipelineColumn(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    stage: Stage
    label: str
    count: int
    total_value: Decimal
    cards: list[PipelineCard]
    next_cursor: str | None


class PipelineCardPage(BaseModel):
    items: list[PipelineCard]
    next_cursor: str | None


def _filters(
    assignee_id: uuid.UUID | None, market_id: uuid.UUID | None, list_id: uuid.UUID | None
) -> board.Filters:
    return board.Filters(assignee_id=assignee_id, market_id=market_id, list_id=list_id)


@router.get("")
async def get_pipeline(
    principal: Reader,
    session: SessionDep,
    assignee_id: uuid.UUID | None = None,
    market_id: uuid.UUID | None = None,
    list_id: uuid.UUID | None = None,
    per_stage: int = Query(default=board.DEFAULT_PER_STAGE, ge=1, le=board.MAX_PER_STAGE),
    sort: board.Sort = "score",
) -> list[PipelineColumn]:
    """Show every pipeline stage with its count, total value and first cards."""
    columns = await board.board(
        session,
        team_id=principal.team_id,
        filters=_filters(assignee_id, market_id, list_id),
        sort=sort,
        per_stage=per_stage,
        viewer=principal.membership,
    )
    return [PipelineColumn.model_validate(c) for c in columns]


@router.get("/{stage}/cards")
async def get_stage_cards(
    stage: Stage,
    principal: Reader,
    session: SessionDep,
    cursor: str | None = Query(default=None, max_length=500),
    assignee_id: uuid.UUID | None = None,
    market_id: uuid.UUID | None = None,
    list_id: uuid.UUID | None = None,
    limit: int = Query(default=board.DEFAULT_PER_STAGE, ge=1, le=board.MAX_PER_STAGE),
    sort: board.Sort = "score",
) -> PipelineCardPage:
    """List more cards of one pipeline stage, after the cursor of the previous answer."""
    cards, next_cursor = await board.column_cards(
        session,
        team_id=principal.team_id,
        stage=stage,
        filters=_filters(assignee_id, market_id, list_id),
        sort=sort,
        limit=limit,
        cursor=cursor,
        viewer=principal.membership,
    )
    return PipelineCardPage(items=[PipelineCard.model_validate(c) for c in cards], next_cursor=next_cursor)
