"""The pipeline board: per stage the count, the total estimated value and the first cards in the
column's sort order, and further cards of one column a keyset page at a time.

Set-based on purpose: one aggregate query for every column's numbers and one query for every
column's first cards (a UNION ALL of one `… order by <sort> limit per_stage` range per stage, so a
column reads its first cards from an index instead of ranking the whole team), whatever the number
of cards — never a round trip per column or per card.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, func, literal, null, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from reos.errors import Unprocessable
from reos.kit import clock, jsontext
from reos.lists.models import SavedList
from reos.properties import listing, pipeline
from reos.properties.counts import StageCount
from reos.properties.models import STAGES, Property
from reos.properties.service import visible
from reos.teams.models import Account, Market, Membership

Sort = Literal["score", "value", "stage_age", "updated"]
SORTS: tuple[Sort, ...] = ("score", "value", "stage_age", "updated")
DEFAULT_PER_STAGE = 20
MAX_PER_STAGE = 100
# A lead without an estimated value sorts after every valued one (values are never negative).
_NO_VALUE = Decimal(-1)


@dataclass(frozen=True)
class _Order:
    """A column's sort: its key expression and direction, its ties broken by `tie` (if any)
    and then by id, all in the same direction, so that the order is total and a keyset cursor
    can resume it."""

    key: ColumnElement[Any] | InstrumentedAttribute[Any]
    descending: bool
    tie: InstrumentedAttribute[Any] | None = None

    def columns(self) -> tuple[Any, ...]:
        return (self.key, *((self.tie,) if self.tie is not None else ()), Property.id)

    def by(self) -> tuple[ColumnElement[Any], ...]:
        return tuple(c.desc() if self.descending else c.asc() for c in self.columns())

    def after(self, key: Any, tie: Any, row_id: uuid.UUID) -> ColumnElement[bool]:
        values = (key, *((tie,) if self.tie is not None else ()), row_id)
        here, there = tuple_(*self.columns()), tuple_(*(literal(v) for v in values))
        return here < there if self.descending else here > there


_ORDERS: dict[str, _Order] = {
    # A score's ties by age, as the lead list has them, read from (team_id, stage, score,
    # created_at, id).
    "score": _Order(Property.score, descending=True, tie=Property.created_at),
    "value": _Order(func.coalesce(Property.estimated_value, _NO_VALUE), descending=True),
    # Longest in its stage first: the leads that wait for someone.
    "stage_age": _Order(Property.stage_changed_at, descending=False),
    "updated": _Order(Property.updated_at, descending=True),
}


@dataclass(frozen=True)
class Filters:
    assignee_id: uuid.UUID | None = None
    market_id: uuid.UUID | None = None
    list_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Card:
    id: uuid.UUID
    stage: str
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
    # The sort key of this card under the sort it was read with, and its tie-break when the
    # sort has one (for the next cursor).
    sort_key: Any = field(repr=False, compare=False)
    sort_tie: Any = field(default=None, repr=False, compare=False)

    @property
    def moves(self) -> list[str]:
        """The stages this lead may move to, in pipeline order."""
        return [s for s in STAGES if pipeline.may_move(self.stage, s)]


@dataclass(frozen=True)
class Column:
    stage: str
    label: str
    count: int
    total_value: Decimal
    cards: list[Card]
    next_cursor: str | None


# --- cursors -------------------------------------------------------------------------------------


def _encode_key(sort: Sort, key: Any) -> Any:
    if isinstance(key, datetime):
        return key.isoformat()
    if isinstance(key, Decimal):
        return str(key)
    return key


def _decode_key(sort: Sort, raw: Any) -> Any:
    if sort in ("stage_age", "updated"):
        return datetime.fromisoformat(raw)
    if sort == "value":
        return Decimal(raw)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError("score key is not an integer")
    return raw


def encode_cursor(sort: Sort, card: Card) -> str:
    tie = card.sort_tie.isoformat() if card.sort_tie is not None else None
    raw = json.dumps([sort, _encode_key(sort, card.sort_key), tie, str(card.id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(sort: Sort, cursor: str) -> tuple[Any, Any, uuid.UUID]:
    """The (sort key, tie-break, id) a cursor resumes after; 422 naming `cursor` when it is
    not one of this sort's cursors."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        made_for, key, tie, row_id = jsontext.loads(base64.urlsafe_b64decode(padded.encode()))
        if made_for != sort:
            raise Unprocessable(
                f"cursor was made for sort={made_for}, not sort={sort}; start again without a cursor",
                details={"field": "cursor"},
            )
        if (tie is None) != (_ORDERS[sort].tie is None):
            raise ValueError("tie-break does not match the sort")
        return _decode_key(sort, key), None if tie is None else datetime.fromisoformat(tie), uuid.UUID(row_id)
    except (ValueError, TypeError, AttributeError, ArithmeticError) as exc:
        raise Unprocessable(
            "cursor is not valid; use the next_cursor of a previous answer", details={"field": "cursor"}
        ) from exc


# --- the rows a board shows ----------------------------------------------------------------------


async def _check_filters(session: AsyncSession, *, team_id: uuid.UUID, filters: Filters) -> None:
    """A filter naming something the team does not have is a mistake worth saying (422 naming
    the parameter), not an empty board. Only the filters sent cost a look-up."""
    checks: list[tuple[str, uuid.UUID | None, Any]] = [
        ("assignee_id", filters.assignee_id, Membership),
        ("market_id", filters.market_id, Market),
        ("list_id", filters.list_id, SavedList),
    ]
    for name, value, model in checks:
        if value is None:
            continue
        found = await session.scalar(select(model.id).where(model.team_id == team_id, model.id == value))
        if found is None:
            what = {"assignee_id": "a member", "market_id": "a market", "list_id": "a list"}[name]
            raise Unprocessable(f"{name} is not {what} of this team", details={"field": name})


async def _list_clause(
    session: AsyncSession, *, team_id: uuid.UUID, list_id: uuid.UUID, viewer: Membership | None
) -> ColumnElement[bool]:
    """Leads on the list: a static list's members or a smart list's matches, through the one
    filter language of the lead list (so the board and the table never disagree)."""
    on_list, _ = await listing.select_properties(
        session, team_id=team_id, spec=listing.PropertyQuery(list_id=list_id), viewer=viewer
    )
    return Property.id.in_(on_list.with_only_columns(Property.id))


AnySelect = Select[*tuple[Any, ...]]


async def _live_rows(
    session: AsyncSession,
    query: AnySelect,
    *,
    team_id: uuid.UUID,
    filters: Filters,
    viewer: Membership | None,
) -> AnySelect:
    """`query` over the team's live leads that the viewer may see, filtered."""
    query = query.where(Property.team_id == team_id, Property.deleted_at.is_(None))
    if filters.assignee_id is not None:
        query = query.where(Property.assigned_to_id == filters.assignee_id)
    if filters.market_id is not None:
        query = query.where(Property.market_id == filters.market_id)
    if filters.list_id is not None:
        query = query.where(
            await _list_clause(session, team_id=team_id, list_id=filters.list_id, viewer=viewer)
        )
    return await visible(session, query, team_id=team_id, viewer=viewer)


_CARD_COLUMNS = (
    Property.id,
    Property.stage,
    Property.address,
    Property.unit,
    Property.city,
    Property.state,
    Property.zip_code,
    Property.estimated_value,
    Property.score,
    Property.assigned_to_id,
    Property.stage_changed_at,
)


def _sort_labels(order: _Order) -> tuple[ColumnElement[Any], ...]:
    """A card's sort values, selected for its cursor and for ordering the page again."""
    tie = order.tie if order.tie is not None else null()
    return order.key.label("sort_key"), tie.label("sort_tie")


def _card(row: Any, now: datetime) -> Card:
    return Card(
        id=row.id,
        stage=row.stage,
        address=row.address,
        unit=row.unit,
        city=row.city,
        state=row.state,
        zip_code=row.zip_code,
        estimated_value=row.estimated_value,
        score=row.score,
        assigned_to_id=row.assigned_to_id,
        assignee_name=row.assignee_name,
        stage_changed_at=row.stage_changed_at,
        days_in_stage=max(0, (now - row.stage_changed_at).days),
        sort_key=row.sort_key,
        sort_tie=row.sort_tie,
    )


def _with_assignee(rows: Any) -> AnySelect:
    """The card columns of `rows` (a subquery) with the assignee's name."""
    return (
        select(
            *(rows.c[c.key] for c in _CARD_COLUMNS),
            rows.c.sort_key,
            rows.c.sort_tie,
            Account.full_name.label("assignee_name"),
        )
        .outerjoin(
            Membership,
            (Membership.team_id == rows.c.team_id) & (Membership.id == rows.c.assigned_to_id),
        )
        .outerjoin(Account, Account.id == Membership.account_id)
    )


async def _numbers_query(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    filters: Filters,
    viewer: Membership | None,
    wanted: Sequence[str],
) -> AnySelect:
    """(stage, count, total value) per wanted stage. Read from the counts the triggers keep
    (`StageCount`: a few hundred rows) unless a list filters the board or the viewer sees only
    some leads; then aggregated over the live leads themselves."""
    probe = select(Property.id)
    restricted = await visible(session, probe, team_id=team_id, viewer=viewer) is not probe
    if filters.list_id is None and not restricted:
        kept = (
            select(StageCount.stage, func.sum(StageCount.leads), func.sum(StageCount.total_value))
            .where(StageCount.team_id == team_id, StageCount.stage.in_(wanted), StageCount.leads > 0)
            .group_by(StageCount.stage)
        )
        if filters.assignee_id is not None:
            kept = kept.where(StageCount.assigned_to_id == filters.assignee_id)
        if filters.market_id is not None:
            kept = kept.where(StageCount.market_id == filters.market_id)
        return kept
    scanned = await _live_rows(
        session,
        select(Property.stage, func.count(), func.coalesce(func.sum(Property.estimated_value), 0)).where(
            Property.stage.in_(wanted)
        ),
        team_id=team_id,
        filters=filters,
        viewer=viewer,
    )
    return scanned.group_by(Property.stage)


async def board(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    filters: Filters = Filters(),
    sort: Sort = "score",
    per_stage: int = DEFAULT_PER_STAGE,
    stages: Sequence[str] = STAGES,
    viewer: Membership | None = None,
) -> list[Column]:
    """Every stage in pipeline order (or only `stages`, when a page re-renders the columns a
    move touched) with its count, total estimated value and first cards."""
    if not 1 <= per_stage <= MAX_PER_STAGE:
        raise Unprocessable(
            f"per_stage must be between 1 and {MAX_PER_STAGE}", details={"field": "per_stage"}
        )
    unknown = [s for s in stages if s not in STAGES]
    if unknown or not stages:
        raise Unprocessable(
            f"unknown stage {unknown[0]!r}" if unknown else "name at least one stage",
            details={"field": "stages", "allowed": list(STAGES)},
        )
    wanted = [s for s in STAGES if s in stages]
    await _check_filters(session, team_id=team_id, filters=filters)
    order = _ORDERS[sort]

    totals = await session.execute(
        await _numbers_query(session, team_id=team_id, filters=filters, viewer=viewer, wanted=wanted)
    )
    numbers = {stage: (count, Decimal(total)) for stage, count, total in totals}

    # One index range per column (`… where stage = s order by <sort> limit per_stage`), glued
    # with UNION ALL: each branch reads per_stage entries of (team_id, stage, score, created_at, id) under the
    # score sort instead of ranking every live lead of the team with a window.
    branches = []
    for stage in wanted:
        branch = await _live_rows(
            session,
            select(*_CARD_COLUMNS, Property.team_id, *_sort_labels(order)).where(Property.stage == stage),
            team_id=team_id,
            filters=filters,
            viewer=viewer,
        )
        branches.append(branch.order_by(*order.by()).limit(per_stage).subquery().select())
    ranked = (branches[0] if len(branches) == 1 else union_all(*branches)).subquery("ranked")
    again = (ranked.c.sort_key, ranked.c.sort_tie, ranked.c.id)
    first = _with_assignee(ranked).order_by(
        ranked.c.stage, *(c.desc() if order.descending else c.asc() for c in again)
    )
    now = clock.now()
    cards: dict[str, list[Card]] = {stage: [] for stage in wanted}
    for row in await session.execute(first):
        cards[row.stage].append(_card(row, now))

    columns = []
    for stage in wanted:
        count, total = numbers.get(stage, (0, Decimal(0)))
        shown = cards[stage]
        more = count > len(shown) and len(shown) == per_stage
        columns.append(
            Column(
                stage=stage,
                label=pipeline.STAGE_LABELS[stage],
                count=count,
                total_value=total,
                cards=shown,
                next_cursor=encode_cursor(sort, shown[-1]) if more else None,
            )
        )
    return columns


async def column_cards(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    stage: str,
    filters: Filters = Filters(),
    sort: Sort = "score",
    limit: int = DEFAULT_PER_STAGE,
    cursor: str | None = None,
    viewer: Membership | None = None,
) -> tuple[list[Card], str | None]:
    """The next cards of one column after `cursor` (keyset: one index range however deep)."""
    if stage not in STAGES:
        raise Unprocessable(f"unknown stage {stage!r}", details={"field": "stage", "allowed": list(STAGES)})
    if not 1 <= limit <= MAX_PER_STAGE:
        raise Unprocessable(f"limit must be between 1 and {MAX_PER_STAGE}", details={"field": "limit"})
    order = _ORDERS[sort]
    after = decode_cursor(sort, cursor) if cursor else None
    await _check_filters(session, team_id=team_id, filters=filters)
    query = await _live_rows(
        session,
        select(*_CARD_COLUMNS, Property.team_id, *_sort_labels(order)).where(Property.stage == stage),
        team_id=team_id,
        filters=filters,
        viewer=viewer,
    )
    if after is not None:
        query = query.where(order.after(*after))
    rows = query.order_by(*order.by()).limit(limit + 1).subquery("page")
    # The join keeps the page's rows but not their order: order again by the same key.
    again = (rows.c.sort_key, rows.c.sort_tie, rows.c.id)
    ordered = _with_assignee(rows).order_by(*(c.desc() if order.descending else c.asc() for c in again))
    now = clock.now()
    found = [_card(row, now) for row in await session.execute(ordered)]
    if len(found) <= limit:
        return found, None
    kept = found[:limit]
    return kept, encode_cursor(sort, kept[-1])


# --- what the board's filters offer --------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    id: uuid.UUID
    name: str
    note: str = ""


async def filter_choices(session: AsyncSession, *, team_id: uuid.UUID) -> dict[str, list[Choice]]:
    """The members, markets and lists a board can be filtered by, each by name."""
    members = await session.execute(
        select(Membership.id, Account.full_name, Membership.is_active)
        .join(Account, Account.id == Membership.account_id)
        .where(Membership.team_id == team_id)
        .order_by(Account.full_name, Membership.id)
    )
    markets = await session.execute(
        select(Market.id, Market.name).where(Market.team_id == team_id).order_by(Market.name)
    )
    lists = await session.execute(
        select(SavedList.id, SavedList.name, SavedList.kind)
        .where(SavedList.team_id == team_id)
        .order_by(SavedList.name)
    )
    return {
        "members": [Choice(i, name, "" if active else "inactive") for i, name, active in members],
        "markets": [Choice(i, name) for i, name in markets],
        "lists": [Choice(i, name, kind) for i, name, kind in lists],
    }
