"""The pipeline board page: a column per stage with its count, total value and first cards; cards
move between columns (board.js posts the move to the JSON API); columns re-render when the
team's live events say leads moved or counts changed."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from reos.auth.principal import Principal
from reos.deps import Reader, SessionDep
from reos.kit.ids import parse_id
from reos.properties import board
from reos.properties.board import SORTS
from reos.properties.models import STAGES
from reos.properties.schemas import Stage
from reos.web.render import page, partial

router = APIRouter(include_in_schema=False)

SORT_LABELS = {
    "score": "Highest score",
    "value": "Highest value",
    "stage_age": "Longest in stage",
    "updated": "Recently updated",
}
assert set(SORT_LABELS) == set(SORTS)


class BoardQuery:
    """The board's filters and sort as the URL carries them. Empty or malformed values mean
    "no filter" (a hand-edited URL shows the whole board rather than an error); ids that are
    well formed but not the team's are refused by the service."""

    def __init__(
        self,
        assignee_id: str = Query(default="", max_length=64),
        market_id: str = Query(default="", max_length=64),
        list_id: str = Query(default="", max_length=64),
        sort: str = Query(default="score", max_length=20),
    ):
        self.assignee_id = parse_id(assignee_id)
        self.market_id = parse_id(market_id)
        self.list_id = parse_id(list_id)
        self.sort: board.Sort = next((s for s in SORTS if s == sort), "score")

    @property
    def filters(self) -> board.Filters:
        return board.Filters(assignee_id=self.assignee_id, market_id=self.market_id, list_id=self.list_id)

    @property
    def filtered(self) -> bool:
        return any((self.assignee_id, self.market_id, self.list_id))

    def params(self) -> dict[str, str]:
        found = {
            "assignee_id": self.assignee_id,
            "market_id": self.market_id,
            "list_id": self.list_id,
            "sort": None if self.sort == "score" else self.sort,
        }
        return {k: str(v) for k, v in found.items() if v}

    @property
    def query_string(self) -> str:
        return urlencode(self.params())


async def _columns(
    principal: Principal, session: SessionDep, query: BoardQuery, stages: Sequence[str] = STAGES
) -> list[board.Column]:
    return await board.board(
        session,
        team_id=principal.team_id,
        filters=query.filters,
        sort=query.sort,
        stages=stages,
        viewer=principal.membership,
    )


def _context(query: BoardQuery, columns: list[board.Column]) -> dict[str, Any]:
    return {"query": query, "columns": columns, "sort_labels": SORT_LABELS}


@router.get("/pipeline")
async def board_page(
    request: Request, principal: Reader, session: SessionDep, query: Annotated[BoardQuery, Depends()]
) -> HTMLResponse:
    columns = await _columns(principal, session, query)
    choices = await board.filter_choices(session, team_id=principal.team_id)
    return await page(
        request,
        "board.html",
        principal=principal,
        session=session,
        nav="pipeline",
        choices=choices,
        total_count=sum(c.count for c in columns),
        total_value=sum((c.total_value for c in columns), Decimal(0)),
        **_context(query, columns),
    )


@router.get("/pipeline/board")
async def board_columns(
    request: Request,
    principal: Reader,
    session: SessionDep,
    query: Annotated[BoardQuery, Depends()],
    stages: str = Query(default="", max_length=200),
) -> HTMLResponse:
    """Columns alone, each swapped in place by its id (all, or the comma-separated `stages`):
    the page asks for them when the team's live events say leads moved or counts changed."""
    wanted = [s for s in STAGES if s in stages.split(",")] or list(STAGES)
    columns = await _columns(principal, session, query, wanted)
    return partial(request, "board_columns.html", principal=principal, oob=True, **_context(query, columns))


@router.get("/pipeline/columns/{stage}")
async def board_cards(
    request: Request,
    stage: Stage,
    principal: Reader,
    session: SessionDep,
    query: Annotated[BoardQuery, Depends()],
    cursor: str | None = Query(default=None, max_length=500),
) -> HTMLResponse:
    """Cards of one column after `cursor` (the column's "show more")."""
    cards, next_cursor = await board.column_cards(
        session,
        team_id=principal.team_id,
        stage=stage,
        filters=query.filters,
        sort=query.sort,
        cursor=cursor,
        viewer=principal.membership,
    )
    return partial(
        request,
        "board_cards.html",
        principal=principal,
        stage=stage,
        cards=cards,
        next_cursor=next_cursor,
        query=query,
    )
