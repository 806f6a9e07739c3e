"""The lead list: one query for the API, the table page, bulk actions, exports and smart lists.

`property_fields` is the whitelist of the filter language (kit.filters) for properties;
`select_properties` turns a filter document (plus the shortcuts `q`, `stage`, `list_id` and the
trash switch) into one query, already scoped to the team and, for agents, to their leads.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import AsyncIterator, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

import orjson
from psycopg.abc import Buffer
from psycopg.adapt import Loader
from psycopg.types.string import TextLoader
from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    Date,
    Dialect,
    Numeric,
    Select,
    Uuid,
    any_,
    bindparam,
    cast,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from reos.contacts.models import Contact, ContactPoint, PropertyContact
from reos.contacts.service import contacts_with_point
from reos.db.session import Database, TeamRead, team_session
from reos.errors import NotFound, Unprocessable
from reos.kit import filters
from reos.kit.filters import FilterDocument, FilterField, SortKey
from reos.kit.pagination import MAX_LIMIT, clamp_limit
from reos.kit.text import contains_pattern, words_query
from reos.lists.models import ListMember, SavedList
from reos.properties.models import PROPERTY_TYPES, STAGES, CustomField, Property, PropertyLookup
from reos.properties.schemas import PropertyPage
from reos.properties.service import custom_field_definitions, visible
from reos.scoring.models import SIGNAL_KINDS
from reos.teams import service as teams
from reos.teams.models import Membership, Role

# The partial GIN over tags' condition, `models.TAGGED`, with its 0 written out: a bound
# parameter there would keep a prepared statement's plan from proving it.
_TAGGED = func.cardinality(Property.tags) > literal_column("0")
DEFAULT_SORT = [SortKey(field="score", dir="desc"), SortKey(field="created_at", dir="desc")]
# Smart lists may name other lists; this bounds how deep such references are followed.
MAX_LIST_DEPTH = 5

# (name, type, nullable) of the plain columns the language knows, in the table's column order.
_COLUMNS: tuple[tuple[str, filters.FieldType, bool], ...] = (
    ("address", "text", False),
    ("unit", "text", True),
    ("city", "text", False),
    ("state", "text", False),
    ("zip_code", "text", False),
    ("county", "text", True),
    ("apn", "text", True),
    ("property_type", "enum", True),
    ("bedrooms", "integer", True),
    ("bathrooms", "number", True),
    ("square_feet", "integer", True),
    ("lot_size_sqft", "integer", True),
    ("year_built", "integer", True),
    ("assessed_value", "number", True),
    ("estimated_value", "number", True),
    ("mortgage_balance", "number", True),
    ("equity", "number", True),
    ("equity_percent", "number", True),
    ("last_sale_date", "date", True),
    ("last_sale_price", "number", True),
    ("tags", "tags", False),
    ("market_id", "uuid", True),
    ("stage", "enum", False),
    ("stage_changed_at", "datetime", False),
    ("score", "integer", False),
    ("assigned_to_id", "uuid", True),
    ("created_at", "datetime", False),
    ("updated_at", "datetime", False),
)
_CHOICES = {"property_type": PROPERTY_TYPES, "stage": STAGES}
_CUSTOM_TYPES: dict[str, filters.FieldType] = {
    "text": "text",
    "number": "number",
    "date": "date",
    "boolean": "boolean",
    "choice": "enum",
}


def search_clause(team_id: uuid.UUID, text: str) -> ColumnElement[bool]:
    """Address, APN, owner names, phones and emails from one box, case-insensitive."""
    text = text.strip()
    clauses: list[ColumnElement[bool]] = []
    tsquery = words_query(text)
    owners = select(PropertyContact.property_id).where(PropertyContact.team_id == team_id)
    if tsquery is not None:
        query = func.to_tsquery("simple", tsquery)
        clauses.append(
            Property.id.in_(
                select(PropertyLookup.id).where(
                    PropertyLookup.team_id == team_id, PropertyLookup.search.op("@@")(query)
                )
            )
        )
        clauses.append(
            Property.id.in_(
                owners.join(
                    Contact, (Contact.team_id == team_id) & (Contact.id == PropertyContact.contact_id)
                ).where(Contact.search.op("@@")(query))
            )
        )
    if tsquery is None and len(text) <= 40:
        # Only punctuation ("50%", "#12"): no words to index, so match the street literally.
        pattern = contains_pattern(text)
        if pattern:
            clauses.append(Property.address.ilike(pattern))
    with_point = contacts_with_point(team_id, text)
    if with_point is not None:
        clauses.append(Property.id.in_(owners.where(PropertyContact.contact_id.in_(with_point))))
    return or_(*clauses) if clauses else false()


@dataclass
class _Lists:
    """The lists a filter names, loaded before it compiles (compiling is synchronous)."""

    team_id: uuid.UUID
    loaded: dict[uuid.UUID, SavedList] = field(default_factory=dict)
    compiling: list[uuid.UUID] = field(default_factory=list)


def referenced_lists(doc: FilterDocument) -> set[uuid.UUID]:
    found = set()
    for cond in filters.conditions(doc):
        if cond.field != "list":
            continue
        for value in cond.value if isinstance(cond.value, list) else [cond.value]:
            try:
                found.add(uuid.UUID(str(value)))
            except ValueError:
                continue  # reported with its path when the filter compiles
    return found


# The saved lists a filter names, as the list rules need them (`_saved_list`), read on the
# driver connection of a `TeamRead`; row-level security scopes it like any team read.
_DRIVER_LISTS = f"select id, kind, name, filter from {SavedList.__tablename__}"


def saved_list_read(list_id: uuid.UUID | None) -> Callable[[uuid.UUID], str | None]:
    """The read of the saved list `list_id` names, as a statement without parameters to ride
    the read transaction's first round trip (`reos.deps.Reading.also`); `list_page_json` then
    takes it from `TeamRead.also_rows` instead of asking again."""

    def read(team_id: uuid.UUID) -> str | None:
        if list_id is None:
            return None
        # Literals (simple protocol): the text of a uuid.UUID is only hex digits and dashes.
        team, wanted = uuid.UUID(str(team_id)), uuid.UUID(str(list_id))
        return f"{_DRIVER_LISTS} where team_id = '{team}' and id = '{wanted}'"

    return read


async def _saved_lists(
    reader: AsyncSession | Any, team_id: uuid.UUID, ids: set[uuid.UUID]
) -> list[SavedList]:
    """The team's saved lists among `ids`, through an ORM session or a driver connection."""
    if isinstance(reader, AsyncSession):
        rows = await reader.scalars(
            select(SavedList).where(SavedList.team_id == team_id, SavedList.id.in_(ids))
        )
        return list(rows)
    async with reader.cursor() as cur:
        await cur.execute(f"{_DRIVER_LISTS} where team_id = %s and id = any(%s)", (team_id, list(ids)))
        found = await cur.fetchall()
    return [_saved_list(team_id, *row) for row in found]


def _saved_list(team_id: uuid.UUID, id: uuid.UUID, kind: str, name: str, doc: Any) -> SavedList:
    return SavedList(id=id, team_id=team_id, kind=kind, name=name, filter=doc)


async def _load_lists(reader: AsyncSession | Any, state: _Lists, doc: FilterDocument) -> None:
    wanted = referenced_lists(doc) - set(state.loaded)
    for _ in range(MAX_LIST_DEPTH):
        if not wanted:
            return
        nested: set[uuid.UUID] = set()
        for saved in await _saved_lists(reader, state.team_id, wanted):
            state.loaded[saved.id] = saved
            if saved.kind == "smart" and saved.filter is not None:
                nested |= referenced_lists(filters.parse_document(saved.filter, where=f"list {saved.name}"))
        wanted = nested - set(state.loaded)


def _list_clause(
    state: _Lists, definitions: Sequence[CustomField], list_id: uuid.UUID, path: str
) -> ColumnElement[bool]:
    saved = state.loaded.get(list_id)
    if saved is None:
        raise Unprocessable(f"{path}: no list {list_id} in this team", details={"field": path})
    if saved.kind == "static":
        return Property.id.in_(
            select(ListMember.property_id).where(
                ListMember.team_id == state.team_id, ListMember.list_id == saved.id
            )
        )
    if saved.id in state.compiling or len(state.compiling) >= MAX_LIST_DEPTH:
        raise Unprocessable(
            f"{path}: the smart list {saved.name!r} refers to itself", details={"field": path}
        )
    state.compiling.append(saved.id)
    try:
        doc = filters.parse_document(saved.filter, where=f"list {saved.name}")
        clause = filters.compile_filter(doc, _fields(state, definitions), where=f"list {saved.name}")
    finally:
        state.compiling.pop()
    return Property.id.is_not(None) if clause is None else clause


@cache
def _column_fields() -> dict[str, FilterField]:
    """The fields that are plain columns: the same for every team, built once (FilterField is
    frozen; callers copy the dict)."""
    found: dict[str, FilterField] = {
        name: FilterField(
            type=kind, expr=getattr(Property, name), choices=_CHOICES.get(name, ()), nullable=nullable
        )
        for name, kind, nullable in _COLUMNS
    }
    found["tags"] = FilterField(
        type="tags", expr=Property.tags, nullable=True, sortable=False, index_where=_TAGGED
    )
    # The kinds of the lead's signals, kept on the row by the scoring domain ("absentee and tax
    # delinquent" is `has_all`); `is_null` means no signal.
    found["signals"] = FilterField(
        type="tags", expr=Property.signal_kinds, choices=SIGNAL_KINDS, nullable=True, sortable=False
    )
    return found


def _fields(state: _Lists, definitions: Sequence[CustomField]) -> dict[str, FilterField]:
    found = dict(_column_fields())
    for definition in definitions:
        kind = _CUSTOM_TYPES[definition.type]
        raw = Property.custom[definition.key].astext
        expr: ColumnElement[Any] = (
            cast(raw, Numeric)
            if kind == "number"
            else cast(raw, Date)
            if kind == "date"
            else cast(raw, Boolean)
            if kind == "boolean"
            else raw
        )
        found[f"custom.{definition.key}"] = FilterField(
            type=kind, expr=expr, choices=tuple(definition.choices), label=definition.label
        )

    def on_list(op: str, value: Any, path: str) -> ColumnElement[bool]:
        if op == "in":
            return or_(*(_list_clause(state, definitions, v, f"{path}[{i}]") for i, v in enumerate(value)))
        clause = _list_clause(state, definitions, value, path)
        return clause if op == "eq" else ~clause

    def on_search(op: str, value: Any, path: str) -> ColumnElement[bool]:
        return search_clause(state.team_id, value)

    found["list"] = FilterField(
        type="uuid", ops=frozenset({"eq", "ne", "in"}), nullable=False, sortable=False, build=on_list
    )
    found["q"] = FilterField(
        type="text", ops=frozenset({"contains"}), nullable=False, sortable=False, build=on_search
    )
    return found


async def property_fields(session: AsyncSession, *, team_id: uuid.UUID) -> dict[str, FilterField]:
    """The whitelist for this team (its custom fields included), for forms and validation."""
    definitions = await custom_field_definitions(session, team_id=team_id)
    return _fields(_Lists(team_id=team_id), definitions)


def _names_custom(state: _Lists, doc: FilterDocument, sort: Sequence[SortKey] | None) -> bool:
    """Whether the filter, the sort or a smart list they reach names a `custom.*` field."""
    docs = [doc] + [
        filters.parse_document(saved.filter, where=f"list {saved.name}")
        for saved in state.loaded.values()
        if saved.kind == "smart" and saved.filter is not None
    ]
    named = [c.field for d in docs for c in filters.conditions(d)] + [k.field for k in sort or ()]
    return any(name.startswith("custom.") for name in named)


@dataclass
class PropertyQuery:
    """What the list shows: a filter document plus the shortcuts the list pages offer."""

    filter: FilterDocument = field(default_factory=FilterDocument)
    q: str | None = None
    stage: str | None = None
    list_id: uuid.UUID | None = None
    sort: list[SortKey] | None = None
    deleted: bool = False


async def select_properties(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    spec: PropertyQuery,
    viewer: Membership | None,
) -> tuple[Select[Any], list[filters.SortTerm]]:
    """The one query behind every list of properties, and its sort."""
    query, terms = await _select_team_properties(session, team_id=team_id, spec=spec)
    return await visible(session, query, team_id=team_id, viewer=viewer), terms


async def _select_team_properties(
    session: AsyncSession, *, team_id: uuid.UUID, spec: PropertyQuery
) -> tuple[Select[Any], list[filters.SortTerm]]:
    """`select_properties` before the viewer's own limit (agents limited to their leads)."""
    state, saved, sort = await _read_lists(session, team_id=team_id, spec=spec)
    # The team's custom fields cost a round trip; only a filter or sort naming one needs them.
    definitions = (
        await custom_field_definitions(session, team_id=team_id)
        if _names_custom(state, spec.filter, sort)
        else []
    )
    return _compose(team_id, spec, state=state, saved=saved, sort=sort, definitions=definitions)


async def _read_lists(
    reader: AsyncSession | Any,
    *,
    team_id: uuid.UUID,
    spec: PropertyQuery,
    prefetched: list[Any] | None = None,
) -> tuple[_Lists, SavedList | None, list[SortKey] | None]:
    """The saved lists the query names (`list_id` and the filter's `list` conditions, followed
    through smart lists) and the sort it takes (the request's, the filter's, the list's).
    `prefetched`: the rows of `saved_list_read(spec.list_id)`, already read."""
    state = _Lists(team_id=team_id)
    sort = _request_sort(spec)
    saved = None
    if spec.list_id is not None:
        if prefetched is None:
            found = await _saved_lists(reader, team_id, {spec.list_id})
        else:
            found = [_saved_list(team_id, *row) for row in prefetched if row[0] == spec.list_id]
        if not found:
            raise NotFound("list not found", details={"id": str(spec.list_id)})
        saved = found[0]
        if sort is None and saved.kind == "smart" and saved.filter:
            sort = filters.parse_document(saved.filter).sort or None
        # Loaded once: what follows loads only the lists its filter names (was read twice).
        state.loaded[saved.id] = saved
        if saved.kind == "smart" and saved.filter is not None:
            named = filters.parse_document(saved.filter, where=f"list {saved.name}")
            await _load_lists(reader, state, named)
    await _load_lists(reader, state, spec.filter)
    return state, saved, sort


def _compose(
    team_id: uuid.UUID,
    spec: PropertyQuery,
    *,
    state: _Lists,
    saved: SavedList | None,
    sort: Sequence[SortKey] | None,
    definitions: Sequence[CustomField],
) -> tuple[Select[Any], list[filters.SortTerm]]:
    """The query from what the database said about its lists and custom fields (nothing, for a
    shape that names neither)."""
    doc = spec.filter
    whitelist = _fields(state, definitions)
    clause = filters.compile_filter(doc, whitelist)
    terms = filters.compile_sort(
        _ties_by_age(sort or DEFAULT_SORT), whitelist, where="sort" if spec.sort else "filter.sort"
    )
    query = select(Property).where(Property.team_id == team_id)
    query = query.where(Property.deleted_at.is_not(None) if spec.deleted else Property.deleted_at.is_(None))
    if clause is not None:
        query = query.where(clause)
    if saved is not None:
        query = query.where(_list_clause(state, definitions, saved.id, "list_id"))
    if spec.stage:
        query = query.where(Property.stage == spec.stage)
    if spec.q and spec.q.strip():
        query = query.where(search_clause(team_id, spec.q))
    return query, terms


def _ties_by_age(keys: Sequence[SortKey]) -> list[SortKey]:
    """Leads of one score in the order they came, as the default sort has them: every sort ending
    on the score then reads `(team_id, score, created_at, id)` or its stage twin, and no index on
    `(score, id)` is kept for a million rescored rows to rewrite (migration 0019)."""
    if not keys or keys[-1].field != "score" or any(k.field == "created_at" for k in keys):
        return list(keys)
    return [*keys, SortKey(field="created_at", dir=keys[-1].dir)]


async def check_filter(session: AsyncSession, *, team_id: uuid.UUID, doc: FilterDocument) -> None:
    """Raise 422 (naming the bad part) if `doc` would not compile for this team."""
    await select_properties(session, team_id=team_id, spec=PropertyQuery(filter=doc), viewer=None)


async def list_properties(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    q: str | None = None,
    stage: str | None = None,
    filter: FilterDocument | None = None,
    sort: list[SortKey] | None = None,
    list_id: uuid.UUID | None = None,
    deleted: bool = False,
    limit: int | None = None,
    cursor: str | None = None,
    viewer: Membership | None = None,
) -> tuple[list[Property], str | None]:
    spec = PropertyQuery(
        filter=filter or FilterDocument(), q=q, stage=stage, list_id=list_id, sort=sort, deleted=deleted
    )
    query, terms = await select_properties(session, team_id=team_id, spec=spec, viewer=viewer)
    return await filters.keyset_rows(
        session, query, terms=terms, id_expr=Property.id, limit=limit, cursor=cursor
    )


async def list_property_rows(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    columns: Sequence[str],
    spec: PropertyQuery,
    limit: int | None = None,
    cursor: str | None = None,
    viewer: Membership | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """`list_properties` as plain rows of the named columns (Core, no ORM identity map or
    attribute instrumentation): what the JSON list answers, a third cheaper per row."""
    size = clamp_limit(limit)
    key = _page_key(team_id, spec, columns, size)
    page = _page_statements.get(key) if key is not None else None
    if page is None:
        query, terms = await _select_team_properties(session, team_id=team_id, spec=spec)
        page = _keep_page(key, query, terms, columns, size)
    statement, terms = page
    statement = await visible(session, statement, team_id=team_id, viewer=viewer)
    rows, next_cursor = await filters.keyset_fetch(
        session,
        statement,
        terms=terms,
        id_expr=Property.id,
        size=size,
        cursor=cursor,
        width=len(columns),
    )
    return [dict(zip(columns, row, strict=True)) for row in rows], next_cursor


# Built page statements by list shape. Building one (whitelist, filter, sort, 33 columns, order)
# is about a tenth of the list's CPU, and a team's users ask for the same few lists over and
# over. Only shapes that read nothing from the database to build are kept: no list reference
# (a saved list can change) and no custom field (its definition can). The viewer's own limit
# and the cursor are added per request; SQLAlchemy's compiled cache does the rest.
PAGE_STATEMENTS_KEPT = 512
_page_statements: dict[Hashable, tuple[Select[Any], list[filters.SortTerm]]] = {}


def _page_key(team_id: uuid.UUID, spec: PropertyQuery, columns: Sequence[str], size: int) -> Hashable | None:
    if spec.list_id is not None or referenced_lists(spec.filter):
        return None
    if _names_custom(_Lists(team_id=team_id), spec.filter, _request_sort(spec)):
        return None
    return _shape(team_id, spec, columns, size)


def _request_sort(spec: PropertyQuery) -> list[SortKey] | None:
    """The sort the request names (its own, else its filter's); a saved list's comes later."""
    return spec.sort or (spec.filter.sort or None)


def _lists_key(state: _Lists) -> Hashable:
    return tuple(
        sorted(
            (str(saved.id), saved.kind, saved.name, json.dumps(saved.filter, sort_keys=True))
            for saved in state.loaded.values()
        )
    )


def _shape(team_id: uuid.UUID, spec: PropertyQuery, columns: Sequence[str], size: int) -> Hashable:
    return (
        team_id,
        spec.filter.model_dump_json(),
        spec.q,
        spec.stage,
        tuple((k.field, k.dir) for k in spec.sort or ()),
        spec.deleted,
        tuple(columns),
        size,
    )


def _keep_page(
    key: Hashable | None, query: Select[Any], terms: list[filters.SortTerm], columns: Sequence[str], size: int
) -> tuple[Select[Any], list[filters.SortTerm]]:
    query = query.with_only_columns(*(getattr(Property, name) for name in columns))
    page = filters.keyset_statement(query, terms=terms, id_expr=Property.id, size=size), terms
    if key is not None:
        _page_statements[key] = page
        if len(_page_statements) > PAGE_STATEMENTS_KEPT:
            del _page_statements[next(iter(_page_statements))]
    return page


# --- the JSON list on the driver connection ---------------------------------------------------


async def list_page_json(
    read: TeamRead,
    *,
    team_id: uuid.UUID,
    columns: Sequence[str],
    spec: PropertyQuery,
    limit: int | None = None,
    cursor: str | None = None,
    viewer: Membership | None = None,
) -> bytes:
    """`list_property_rows` as the JSON of a page (`page_json`), for the API's list.

    For a viewer who sees the whole team, the page runs as SQL compiled once per list shape (and
    per content of the saved lists it names, read first on the same connection), on the
    request's driver connection: no ORM session, no SQLAlchemy statement cache key or result
    layer, no pydantic pass over rows the database has already typed (measured in
    docs/benchmarks.md). Custom fields and agents limited to their leads take
    `list_property_rows` on an ORM session in the same team. Both build the query with the same
    `_compose`, so the rules live once."""
    size = clamp_limit(limit)
    driver = read.connection
    if driver is None or (viewer is not None and viewer.role == Role.agent):
        # An agent's page may be limited by a team setting that `visible` reads on the session.
        return await _page_on_session(read, team_id, columns, spec, limit, cursor, viewer)
    key = _page_key(team_id, spec, columns, size)
    page = _page_statements.get(key) if key is not None else None
    if page is None:
        if key is not None:
            state, saved, sort = _Lists(team_id=team_id), None, _request_sort(spec)
        else:
            state, saved, sort = await _read_lists(
                driver, team_id=team_id, spec=spec, prefetched=read.also_rows
            )
            if _names_custom(state, spec.filter, sort):
                # Custom field definitions are read on the session (properties.service).
                return await _page_on_session(read, team_id, columns, spec, limit, cursor, viewer)
            # Built from what the lists say now, so kept under what they say.
            key = (_shape(team_id, spec, columns, size), _lists_key(state))
            page = _page_statements.get(key)
        if page is None:
            query, terms = _compose(team_id, spec, state=state, saved=saved, sort=sort, definitions=[])
            page = _keep_page(key, query, terms, columns, size)
    statement, terms = page
    values: list[Any] = []
    last_id: uuid.UUID | None = None
    if cursor:
        values, last_id = filters.decode_cursor(cursor, terms)
    compiled = _compiled_page(read.db.engine.dialect, key, statement, terms, values if cursor else None)
    params = dict(compiled.params)
    if last_id is not None:
        for name, value in zip(compiled.cursor_names, [*values, last_id], strict=True):
            if name is not None:
                process = compiled.processors.get(name)
                params[name] = process(value) if process else value
    async with driver.cursor() as cur:
        for type_name, loader in _PAGE_LOADERS:
            cur.adapters.register_loader(type_name, loader)
        await cur.execute(compiled.sql, params)
        rows = await cur.fetchall()
    width = len(columns)
    kept = rows[:size]
    next_cursor = None
    if len(rows) > size:
        last = kept[-1]
        next_cursor = filters.encode_cursor(
            terms, list(last[width : width + len(terms)]), uuid.UUID(last[-1])
        )
    return page_json([dict(zip(columns, row[:width], strict=True)) for row in kept], next_cursor)


async def _page_on_session(
    read: TeamRead,
    team_id: uuid.UUID,
    columns: Sequence[str],
    spec: PropertyQuery,
    limit: int | None,
    cursor: str | None,
    viewer: Membership | None,
) -> bytes:
    session = await read.session()
    rows, next_cursor = await list_property_rows(
        session, team_id=team_id, columns=columns, spec=spec, limit=limit, cursor=cursor, viewer=viewer
    )
    return page_json(rows, next_cursor)


@dataclass(frozen=True)
class _CompiledPage:
    sql: str
    params: dict[str, Any]  # the shape's own values, ready for the driver
    cursor_names: tuple[str | None, ...]  # per sort term then the id; None for a null value
    processors: dict[str, Callable[[Any], Any]]


# Compiled page statements by list shape and cursor shape (which sort values are null): the SQL
# text and the shape's parameters, so a request binds only the cursor's values.
_compiled_pages: dict[Hashable, _CompiledPage] = {}


def _compiled_page(
    dialect: Dialect,
    key: Hashable,
    statement: Select[Any],
    terms: Sequence[filters.SortTerm],
    values: Sequence[Any] | None,
) -> _CompiledPage:
    shape = None if values is None else tuple(v is None for v in values)
    found = _compiled_pages.get((key, shape))
    if found is not None:
        return found
    names: list[str | None] = []
    if values is not None:
        holders = [
            None if v is None else bindparam(f"cursor_{i}", None, type_=t.expr.type)
            for i, (t, v) in enumerate(zip(terms, values, strict=True))
        ]
        last = bindparam("cursor_id", None, type_=Property.id.type)
        statement = statement.where(filters.after_cursor(terms, holders, Property.id, last))
        names = [None if h is None else h.key for h in holders] + [last.key]
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    processors: dict[str, Callable[[Any], Any]] = {}
    for name, process in compiled._bind_processors.items():
        if not callable(process):  # per-element processors of a tuple value: none compiles so
            raise TypeError(f"{name}: a tuple parameter in a page statement")
        processors[name] = process
    params = {
        name: processors[name](value) if name in processors else value
        for name, value in compiled.params.items()
        if name not in names
    }
    found = _CompiledPage(
        sql=compiled.string, params=params, cursor_names=tuple(names), processors=processors
    )
    _compiled_pages[(key, shape)] = found
    if len(_compiled_pages) > PAGE_STATEMENTS_KEPT:
        del _compiled_pages[next(iter(_compiled_pages))]
    return found


class _JsonbLoader(Loader):
    """jsonb as psycopg loads it (`json.loads`), without the parse for the usual empty object."""

    def load(self, data: Buffer) -> Any:
        if data == b"{}":
            return {}
        return json.loads(bytes(data))


# The page's values that JSON writes as text are read as text: a UUID's text is what str() of
# uuid.UUID gives; a numeric's is what str() of its Decimal gives for the scales of the
# property columns (at most 6: no exponent), which is how pydantic writes a Decimal.
_PAGE_LOADERS: tuple[tuple[str, type[Loader]], ...] = (
    ("uuid", TextLoader),
    ("numeric", TextLoader),
    ("jsonb", _JsonbLoader),
)


def _as_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def page_json(items: list[dict[str, Any]], next_cursor: str | None) -> bytes:
    """The bytes of `PropertyPage(items=..., next_cursor=...).model_dump_json()` for rows of
    `PropertyRead` columns as the database typed them, without validating each value again:
    orjson writes what pydantic writes for these types (UUIDs and dates as text, Decimals as
    their text, UTC datetimes with "Z"; tests/api/test_listing_json.py holds the two side by
    side). What orjson cannot write (an integer past 64 bits in `custom`) goes through pydantic."""
    try:
        return orjson.dumps(
            {"items": items, "next_cursor": next_cursor}, default=_as_json, option=orjson.OPT_UTC_Z
        )
    except orjson.JSONEncodeError:
        return (
            PropertyPage.model_validate({"items": items, "next_cursor": next_cursor})
            .model_dump_json()
            .encode()
        )


async def matching_ids(
    session: AsyncSession, *, team_id: uuid.UUID, spec: PropertyQuery, viewer: Membership | None
) -> list[uuid.UUID]:
    """Every id the query matches, in its order (bulk actions resolve their selection here)."""
    query, terms = await select_properties(session, team_id=team_id, spec=spec, viewer=viewer)
    order = [o for t in terms for o in t.order()] + [Property.id]
    rows = await session.scalars(query.with_only_columns(Property.id).order_by(*order))
    return list(rows)


# --- CSV export ------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "id",
    "address",
    "unit",
    "city",
    "state",
    "zip_code",
    "county",
    "apn",
    "property_type",
    "bedrooms",
    "bathrooms",
    "square_feet",
    "lot_size_sqft",
    "year_built",
    "assessed_value",
    "estimated_value",
    "mortgage_balance",
    "equity",
    "equity_percent",
    "last_sale_date",
    "last_sale_price",
    "tags",
    "stage",
    "score",
    "assigned_to_id",
    "market_id",
    "created_at",
    "updated_at",
)
# What a dialer or a mail house needs beside the property: the seller side's names, mailing
# address, phones (with line type and DNC flag, so a dialer can leave those out) and emails.
EXPORT_PHONES = 3
EXPORT_EMAILS = 2
CONTACT_EXPORT_COLUMNS = (
    "owner_1_name",
    "owner_2_name",
    "mailing_street",
    "mailing_city",
    "mailing_state",
    "mailing_zip",
    *(f"phone_{n}{part}" for n in range(1, EXPORT_PHONES + 1) for part in ("", "_type", "_dnc")),
    *(f"email_{n}" for n in range(1, EXPORT_EMAILS + 1)),
    "assigned_to",
    "market",
)
# Roles whose phones reach the person who can sell (a tenant's or a buyer's do not).
SELLER_ROLES = ("owner", "co_owner", "heir")
EXPORT_PAGE = MAX_LIMIT
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A text cell as a spreadsheet will show it, never run it: risky first characters get a
    leading apostrophe. Numbers and dates are written by us and left alone."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    # A phone number as stored (E.164) stays dialable: "+" and digits alone compute nothing.
    if len(value) >= 8 and value.startswith("+") and value[1:].isdigit() and value.isascii():
        return value
    return "'" + value if value.startswith(_FORMULA_START) else value


async def export_csv(
    db: Database,
    *,
    team_id: uuid.UUID,
    spec: PropertyQuery,
    viewer: Membership | None,
) -> AsyncIterator[str]:
    """The matching properties as CSV, one keyset page at a time in its own read session (the
    request's own transaction has committed by the time the body streams)."""
    cursor: str | None = None
    keys: list[str] | None = None
    names: dict[uuid.UUID, str] = {}
    while True:
        async with team_session(db, team_id) as session:
            first = keys is None
            if keys is None:
                # Read once: the columns and the names stand for the whole file.
                keys = [d.key for d in await custom_field_definitions(session, team_id=team_id)]
                members = await teams.list_members(session, team_id=team_id)
                markets = await teams.list_markets(session, team_id=team_id)
                names = {m.id: m.full_name for m in members} | {m.id: m.name for m in markets}
            query, terms = await select_properties(session, team_id=team_id, spec=spec, viewer=viewer)
            rows, cursor = await filters.keyset_rows(
                session, query, terms=terms, id_expr=Property.id, limit=EXPORT_PAGE, cursor=cursor
            )
            people = await _sellers(session, team_id, [p.id for p in rows])
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        if first:
            writer.writerow([*EXPORT_COLUMNS, *CONTACT_EXPORT_COLUMNS, *(f"custom.{k}" for k in keys)])
        for prop in rows:
            extra = [
                names.get(prop.assigned_to_id) if prop.assigned_to_id else None,
                names.get(prop.market_id) if prop.market_id else None,
            ]
            writer.writerow(
                [safe_cell(getattr(prop, c)) for c in EXPORT_COLUMNS]
                + [safe_cell(v) for v in (*people.get(prop.id, _NO_SELLER), *extra)]
                + [safe_cell(prop.custom.get(k)) for k in keys]
            )
        yield buffer.getvalue()
        if cursor is None:
            return


_NO_SELLER: tuple[Any, ...] = (None,) * (len(CONTACT_EXPORT_COLUMNS) - 2)


async def _sellers(
    session: AsyncSession, team_id: uuid.UUID, property_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[Any, ...]]:
    """Each property's seller-side contacts as the export's contact columns, in one query for a
    page: owners first, then co-owners and heirs; each contact's primary point first."""
    if not property_ids:
        return {}
    found = await session.execute(
        select(
            PropertyContact.property_id,
            PropertyContact.contact_id,
            Contact.first_name,
            Contact.last_name,
            Contact.entity_name,
            Contact.street,
            Contact.city,
            Contact.state,
            Contact.zip_code,
            ContactPoint.kind,
            ContactPoint.value,
            ContactPoint.line_type,
            ContactPoint.dnc,
        )
        .join(
            Contact, (Contact.team_id == PropertyContact.team_id) & (Contact.id == PropertyContact.contact_id)
        )
        .outerjoin(
            ContactPoint, (ContactPoint.team_id == Contact.team_id) & (ContactPoint.contact_id == Contact.id)
        )
        .where(
            PropertyContact.team_id == team_id,
            # One array parameter, not a bound value per id: the same compiled statement for
            # every page.
            PropertyContact.property_id == any_(literal(list(property_ids), ARRAY(Uuid))),
            PropertyContact.role.in_(SELLER_ROLES),
        )
        .order_by(
            PropertyContact.property_id,
            func.array_position(list(SELLER_ROLES), PropertyContact.role),
            PropertyContact.created_at,
            PropertyContact.contact_id,
            ContactPoint.is_primary.desc(),
            ContactPoint.position,
        )
    )
    out: dict[uuid.UUID, tuple[Any, ...]] = {}
    by_property: dict[uuid.UUID, list[Any]] = {}
    for row in found:
        by_property.setdefault(row.property_id, []).append(row)
    for property_id, found_rows in by_property.items():
        contacts: list[Any] = []
        phones: list[Any] = []
        emails: list[str] = []
        for row in found_rows:
            if not contacts or contacts[-1].contact_id != row.contact_id:
                contacts.append(row)
            if row.kind == "phone" and len(phones) < EXPORT_PHONES:
                phones.append(row)
            elif row.kind == "email" and len(emails) < EXPORT_EMAILS:
                emails.append(row.value)
        names = [
            c.entity_name or " ".join(n for n in (c.first_name, c.last_name) if n) or None
            for c in contacts[:2]
        ]
        first = contacts[0]
        cells: list[Any] = [*names, *[None] * (2 - len(names))]
        cells += [first.street, first.city, first.state, first.zip_code]
        for n in range(EXPORT_PHONES):
            cells += [phones[n].value, phones[n].line_type, phones[n].dnc] if n < len(phones) else [None] * 3
        cells += [*emails, *[None] * (EXPORT_EMAILS - len(emails))]
        out[property_id] = tuple(cells)
    return out


async def count_matching(
    session: AsyncSession, *, team_id: uuid.UUID, spec: PropertyQuery, viewer: Membership | None
) -> int:
    query, _ = await select_properties(session, team_id=team_id, spec=spec, viewer=viewer)
    total = await session.scalar(
        select(func.count()).select_from(query.with_only_columns(Property.id).subquery())
    )
    return int(total or 0)
