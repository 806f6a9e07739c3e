"""One filter language: a structured document compiled to SQL against a caller's whitelist.

A document is `{"all" | "any": [condition or group, ...], "sort": [{"field", "dir"}, ...]}` where
a condition is `{"field", "op", "value"}`. Only fields the caller whitelists can be named, each
with the operators its type allows; values are parsed to the field's type before they reach
SQLAlchemy as bound parameters, so nothing a user writes is ever SQL. Every error is a 422
naming where it is (`details.field`, e.g. `filter.all[2].value`).

Pages are keyset pages over any whitelisted sort: the cursor carries the last row's sort values
and id, nulls sort last in both directions, and the id breaks ties.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    SmallInteger,
    and_,
    false,
    func,
    literal,
    or_,
    true,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncSession

from reos.errors import BadRequest, Unprocessable
from reos.kit import jsontext
from reos.kit.pagination import clamp_limit
from reos.kit.text import contains_pattern

FieldType = Literal["text", "integer", "number", "date", "datetime", "uuid", "enum", "boolean", "tags"]

COMPARE = frozenset({"eq", "ne", "lt", "lte", "gt", "gte", "between", "in", "not_in"})
NULLS = frozenset({"is_null", "not_null"})
OPS_BY_TYPE: dict[str, frozenset[str]] = {
    "text": frozenset({"eq", "ne", "in", "not_in", "contains", "starts_with"}) | NULLS,
    "integer": COMPARE | NULLS,
    "number": COMPARE | NULLS,
    "date": COMPARE | NULLS,
    "datetime": COMPARE | NULLS,
    "uuid": frozenset({"eq", "ne", "in", "not_in"}) | NULLS,
    "enum": frozenset({"eq", "ne", "in", "not_in"}) | NULLS,
    "boolean": frozenset({"eq", "ne"}) | NULLS,
    "tags": frozenset({"has_any", "has_all"}) | NULLS,
}
OPERATORS = (
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "between",
    "in",
    "not_in",
    "contains",
    "starts_with",
    "is_null",
    "not_null",
    "has_any",
    "has_all",
)
MAX_DEPTH = 5
MAX_CONDITIONS = 100
MAX_VALUES = 500
MAX_TEXT = 200


# --- the document ----------------------------------------------------------------------------


class FilterCondition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(max_length=80, description="a whitelisted field, e.g. `city` or `custom.roof`")
    op: str = Field(max_length=20, description="one of " + ", ".join(OPERATORS))
    value: Any = Field(default=None, description="typed by the field; a list for in, not_in, between")

    @field_validator("value")
    @classmethod
    def _plain(cls, value: Any) -> Any:
        # A value is read as the field's type later; refusing nesting here keeps a document of
        # hundreds of nested lists from reaching code that serialises it (the page cache's key).
        items = value if isinstance(value, list) else [value]
        if any(isinstance(item, list | dict) for item in items):
            raise ValueError("a value is a number, text, a date or true/false, or a list of those")
        return value


def _node_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "condition" if "field" in value or "op" in value else "group"
    return "condition" if isinstance(value, FilterCondition) else "group"


Node = Annotated[
    Annotated[FilterCondition, Tag("condition")] | Annotated["FilterGroup", Tag("group")],
    Discriminator(_node_kind),
]


class FilterGroup(BaseModel):
    """A group matches when all (or any) of its conditions and groups match; an empty
    document matches everything."""

    model_config = ConfigDict(extra="forbid")

    all: list[Node] | None = Field(default=None, max_length=MAX_CONDITIONS)
    any: list[Node] | None = Field(default=None, max_length=MAX_CONDITIONS)
    # Levels from this group down, itself included; inner groups are validated first.
    _height: int = PrivateAttr(default=1)

    @model_validator(mode="after")
    def _bounded_depth(self) -> FilterGroup:
        # Checked as the document is read, not when it is compiled: a document 200 groups deep
        # had passed into the page cache's key and failed there with a 500.
        inner = [n._height for n in (self.all or []) + (self.any or []) if isinstance(n, FilterGroup)]
        self._height = 1 + max(inner, default=0)
        if self._height > MAX_DEPTH + 1:
            raise PydanticCustomError(
                "filter_depth", "groups nest at most {limit} deep", {"limit": MAX_DEPTH}
            )
        return self


SORT_FIELD_MAX = 80


class SortKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(max_length=SORT_FIELD_MAX)
    dir: Literal["asc", "desc"] = "asc"


class FilterDocument(FilterGroup):
    sort: list[SortKey] = Field(default_factory=list, max_length=5)


def _path(where: str, loc: Sequence[int | str]) -> str:
    text = where
    for part in loc:
        if part in ("condition", "group"):
            continue
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def parse_document(raw: Any, *, where: str = "filter") -> FilterDocument:
    """A document from JSON text or an already decoded value; 422 naming the bad part."""
    if raw is None or raw == "":
        return FilterDocument()
    if isinstance(raw, FilterDocument):
        return raw
    if isinstance(raw, str):
        try:
            raw = jsontext.loads(raw)
        except ValueError:
            raise Unprocessable(f"{where} is not valid JSON", details={"field": where}) from None
    try:
        return FilterDocument.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = _path(where, first["loc"])
        raise Unprocessable(f"{path}: {first['msg']}", details={"field": path}) from None


def parse_sort(text: str | None, *, where: str = "sort") -> list[SortKey] | None:
    """`-score,created_at` → descending score, then ascending created_at; None when empty."""
    if not text or not text.strip():
        return None
    keys = []
    for part in text.split(","):
        name = part.strip()
        if not name:
            continue
        desc = name.startswith("-")
        field = name.lstrip("-+")
        if len(field) > SORT_FIELD_MAX:
            raise Unprocessable(
                f"{where}: a field name is at most {SORT_FIELD_MAX} characters", details={"field": where}
            )
        keys.append(SortKey(field=field, dir="desc" if desc else "asc"))
    if len(keys) > 5:
        raise Unprocessable("sort names at most 5 fields", details={"field": where})
    return keys or None


def conditions(doc: FilterGroup) -> Iterator[FilterCondition]:
    """Every condition of a document, nested groups included."""
    for node in (doc.all or []) + (doc.any or []):
        if isinstance(node, FilterCondition):
            yield node
        else:
            yield from conditions(node)


# --- the whitelist ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterField:
    """What a caller allows on one field: its SQL expression (a column or any expression) and
    type, or its own builder (given the operator, the parsed value and the value's path) for
    fields that are not one column."""

    type: FieldType
    expr: Any = None  # a column or SQL expression
    choices: tuple[str, ...] = ()
    nullable: bool = True
    sortable: bool = True
    ops: frozenset[str] | None = None
    build: Callable[[str, Any, str], ColumnElement[bool]] | None = None
    label: str | None = None
    # The condition a partial index over a tags column holds its rows under: `has_any` and
    # `has_all` repeat it, since the planner cannot prove it from an array operator.
    index_where: Any = None

    @property
    def operators(self) -> frozenset[str]:
        allowed = self.ops if self.ops is not None else OPS_BY_TYPE[self.type]
        return allowed if self.nullable else allowed - NULLS


Whitelist = Mapping[str, FilterField]


def _fail(path: str, message: str, **details: Any) -> Unprocessable:
    return Unprocessable(f"{path}: {message}", details={"field": path, **details})


def _integer_limit(spec: FilterField) -> int:
    """The largest magnitude the field's column holds: a score compared with 40,000 had reached
    PostgreSQL as a smallint out of range (a 500)."""
    sql_type = getattr(spec.expr, "type", None)
    if isinstance(sql_type, SmallInteger):
        return 2**15 - 1
    if isinstance(sql_type, BigInteger):
        return 2**63 - 1
    if isinstance(sql_type, Integer):
        return 2**31 - 1
    return 2**62


def parse_value(spec: FilterField, value: Any, path: str) -> Any:
    """One scalar value in the field's type."""
    kind = spec.type
    if value is None:
        raise _fail(path, "a value is required")
    if isinstance(value, str) and "\x00" in value:
        raise _fail(path, "may not contain the NUL character")
    if kind == "text":
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise _fail(path, f"expects text of at most {MAX_TEXT} characters")
        return value
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise _fail(path, "expects a whole number")
        try:
            number = int(value)
        except ValueError:
            raise _fail(path, "expects a whole number") from None
        limit = _integer_limit(spec)
        if abs(number) > limit:
            raise _fail(path, f"is out of range (at most {limit:,} either way)")
        return number
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _fail(path, "expects a number")
        try:
            decimal = Decimal(str(value))
        except InvalidOperation:
            raise _fail(path, "expects a number") from None
        # The exponent first: abs() of "1e1000000" overflows the decimal context.
        if not decimal.is_finite() or decimal.adjusted() > 15 or abs(decimal) > Decimal(10) ** 15:
            raise _fail(path, "expects a finite number")
        return decimal
    if kind == "date":
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise _fail(path, "expects a date (YYYY-MM-DD)") from None
    if kind == "datetime":
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            raise _fail(path, "expects a date and time (ISO 8601)") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if kind == "uuid":
        try:
            return uuid.UUID(str(value))
        except ValueError:
            raise _fail(path, "expects an id (UUID)") from None
    if kind == "enum":
        if value not in spec.choices:
            raise _fail(path, "expects one of " + ", ".join(spec.choices), allowed=list(spec.choices))
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _fail(path, "expects true or false")
        return value
    # tags: one tag, compared lower case as tags are stored.
    if not isinstance(value, str) or not value.strip() or len(value) > 60:
        raise _fail(path, "expects a tag of at most 60 characters")
    return " ".join(value.split()).lower()


def _values(spec: FilterField, value: Any, path: str, *, exactly: int | None = None) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise _fail(path, "expects a non-empty list")
    if exactly is not None and len(value) != exactly:
        raise _fail(path, f"expects a list of {exactly} values")
    if len(value) > MAX_VALUES:
        raise _fail(path, f"expects at most {MAX_VALUES} values")
    return [parse_value(spec, v, f"{path}[{i}]") for i, v in enumerate(value)]


def parse_operand(spec: FilterField, op: str, value: Any, path: str) -> Any:
    if op in NULLS:
        if value not in (None, True):
            raise _fail(path, f"{op} takes no value")
        return None
    if op in ("in", "not_in", "has_any", "has_all"):
        return _values(spec, value, path)
    if op == "between":
        low, high = _values(spec, value, path, exactly=2)
        if low > high:
            raise _fail(path, "expects [low, high] with low <= high")
        return (low, high)
    return parse_value(spec, value, path)


def _text(expr: Any) -> Any:
    return func.lower(expr)


def _clause(spec: FilterField, op: str, value: Any) -> ColumnElement[bool]:
    return cast(ColumnElement[bool], _operation(spec, op, value))


def _operation(spec: FilterField, op: str, value: Any) -> Any:
    assert spec.expr is not None
    expr: Any = spec.expr
    if op == "is_null":
        return func.cardinality(expr) == 0 if spec.type == "tags" else expr.is_(None)
    if op == "not_null":
        return func.cardinality(expr) > 0 if spec.type == "tags" else expr.is_not(None)
    if spec.type == "text" and op in ("eq", "ne", "in", "not_in"):
        expr = _text(expr)
        value = [v.lower() for v in value] if isinstance(value, list) else value.lower()
    if op == "eq":
        return expr == value
    if op == "ne":
        # Like a spreadsheet: a row with no value is "not X" too.
        return expr.is_distinct_from(value)
    if op == "lt":
        return expr < value
    if op == "lte":
        return expr <= value
    if op == "gt":
        return expr > value
    if op == "gte":
        return expr >= value
    if op == "between":
        return expr.between(value[0], value[1])
    if op == "in":
        return expr.in_(value)
    if op == "not_in":
        return or_(expr.is_(None), expr.not_in(value)) if spec.nullable else expr.not_in(value)
    if op == "contains":
        pattern = contains_pattern(value)
        return expr.ilike(pattern) if pattern else true()
    if op == "starts_with":
        pattern = contains_pattern(value)
        return expr.ilike(pattern[1:]) if pattern else true()
    assert op in ("has_any", "has_all")
    found = expr.overlap(value) if op == "has_any" else expr.contains(value)
    return found if spec.index_where is None else and_(spec.index_where, found)


def compile_condition(cond: FilterCondition, fields: Whitelist, path: str) -> ColumnElement[bool]:
    spec = fields.get(cond.field)
    if spec is None:
        raise _fail(
            f"{path}.field", f"unknown field {cond.field!r}", allowed=sorted(k for k in fields if k != "q")
        )
    if cond.op not in spec.operators:
        raise _fail(
            f"{path}.op",
            f"{cond.field} does not take the operator {cond.op!r}",
            allowed=sorted(spec.operators),
        )
    value = parse_operand(spec, cond.op, cond.value, f"{path}.value")
    return (
        spec.build(cond.op, value, f"{path}.value")
        if spec.build is not None
        else _clause(spec, cond.op, value)
    )


def compile_group(group: FilterGroup, fields: Whitelist, path: str = "filter") -> ColumnElement[bool] | None:
    """The SQL of a group, or None when it says nothing (matches every row)."""
    if group.all is not None and group.any is not None:
        raise _fail(path, "a group has either all or any, not both")
    kind, nodes = ("any", group.any) if group.any is not None else ("all", group.all or [])
    clauses: list[ColumnElement[bool]] = []
    for i, node in enumerate(nodes):
        where = f"{path}.{kind}[{i}]"
        if isinstance(node, FilterCondition):
            clauses.append(compile_condition(node, fields, where))
        else:
            inner = compile_group(node, fields, where)
            clauses.append(true() if inner is None else inner)
    if not clauses:
        return None if group.any is None else false()
    return and_(*clauses) if kind == "all" else or_(*clauses)


def compile_filter(
    doc: FilterDocument, fields: Whitelist, *, where: str = "filter"
) -> ColumnElement[bool] | None:
    count = sum(1 for _ in conditions(doc))
    if count > MAX_CONDITIONS:
        raise _fail(where, f"a filter has at most {MAX_CONDITIONS} conditions")
    return compile_group(doc, fields, where)


# --- sorting and keyset pages ----------------------------------------------------------------


@dataclass(frozen=True)
class SortTerm:
    name: str
    expr: Any
    type: FieldType
    desc: bool
    nullable: bool

    def order(self) -> list[ColumnElement[Any]]:
        ordered = self.expr.desc() if self.desc else self.expr.asc()
        return [ordered.nulls_last()] if self.nullable else [ordered]


def compile_sort(keys: Sequence[SortKey], fields: Whitelist, *, where: str = "sort") -> list[SortTerm]:
    terms = []
    seen = set()
    for i, key in enumerate(keys):
        spec = fields.get(key.field)
        if spec is None or not spec.sortable or spec.expr is None:
            sortable = sorted(k for k, f in fields.items() if f.sortable and f.expr is not None)
            raise _fail(f"{where}[{i}].field", f"cannot sort by {key.field!r}", allowed=sortable)
        if key.field in seen:
            continue
        seen.add(key.field)
        terms.append(
            SortTerm(
                name=key.field, expr=spec.expr, type=spec.type, desc=key.dir == "desc", nullable=spec.nullable
            )
        )
    return terms


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal | date | datetime | uuid.UUID):
        return value.isoformat() if isinstance(value, date | datetime) else str(value)
    return value


def _signature(terms: Sequence[SortTerm]) -> list[str]:
    return [("-" if t.desc else "") + t.name for t in terms]


def encode_cursor(terms: Sequence[SortTerm], values: Sequence[Any], row_id: uuid.UUID) -> str:
    raw = json.dumps({"s": _signature(terms), "v": [_plain(v) for v in values], "id": str(row_id)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _read_scalar(term: SortTerm, value: Any) -> Any:
    if value is None:
        return None
    if term.type == "number":
        return Decimal(str(value))
    if term.type == "integer":
        return int(value)
    if term.type == "date":
        return date.fromisoformat(value)
    if term.type == "datetime":
        return datetime.fromisoformat(value)
    if term.type == "uuid":
        return uuid.UUID(value)
    if term.type == "boolean":
        return bool(value)
    return str(value)


def decode_cursor(cursor: str, terms: Sequence[SortTerm]) -> tuple[list[Any], uuid.UUID]:
    invalid = BadRequest("cursor is not valid for this sort; use the next_cursor of a previous page")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = jsontext.loads(base64.urlsafe_b64decode(padded.encode()))
        if data["s"] != _signature(terms) or len(data["v"]) != len(terms):
            raise invalid
        values = [_read_scalar(t, v) for t, v in zip(terms, data["v"], strict=True)]
        return values, uuid.UUID(data["id"])
    except (ValueError, TypeError, KeyError, AttributeError, binascii.Error, InvalidOperation):
        raise invalid from None


def after(
    terms: Sequence[SortTerm],
    values: Sequence[Any],
    id_expr: Any,
    last_id: Any,
    id_desc: bool,
) -> ColumnElement[bool]:
    """Rows that come after (values, last_id) in the order of `terms` then id, nulls last."""
    if all(t.desc == id_desc and not t.nullable for t in terms) and all(v is not None for v in values):
        # One direction and no nulls: a row comparison, which PostgreSQL reads as one index range
        # start instead of an OR of ranges.
        here = tuple_(*(t.expr for t in terms), id_expr)
        there = tuple_(
            *(_bound(v, t.expr.type) for t, v in zip(terms, values, strict=True)),
            _bound(last_id, id_expr.type),
        )
        return here < there if id_desc else here > there
    ors: list[ColumnElement[bool]] = []
    equal: list[ColumnElement[bool]] = []
    for term, value in zip(terms, values, strict=True):
        if value is None:
            # Nulls come last: nothing of this term comes after a null but other nulls.
            equal.append(term.expr.is_(None))
            continue
        beyond = term.expr < value if term.desc else term.expr > value
        if term.nullable:
            beyond = or_(beyond, term.expr.is_(None))
        ors.append(and_(*equal, beyond))
        equal.append(term.expr == value)
    ors.append(and_(*equal, id_expr < last_id if id_desc else id_expr > last_id))
    return or_(*ors)


def _bound(value: Any, type_: Any) -> Any:
    # A caller that keeps the compiled statement passes placeholders (BindParameter) for values.
    return value if isinstance(value, BindParameter) else literal(value, type_)


def after_cursor(
    terms: Sequence[SortTerm], values: Sequence[Any], id_expr: Any, last_id: Any
) -> ColumnElement[bool]:
    """`after` for the order `keyset_statement` gives: the rows of the pages past a cursor."""
    return after(terms, values, id_expr, last_id, _id_desc(terms))


def _id_desc(terms: Sequence[SortTerm]) -> bool:
    return terms[-1].desc if terms else True


def keyset_statement(
    query: Select[Any], *, terms: Sequence[SortTerm], id_expr: Any, size: int
) -> Select[Any]:
    """`query` ordered by `terms` then id, `size + 1` rows, with each row's sort values selected
    after its own columns (for the next cursor). The same for every page of one list: a caller
    may keep it, and `keyset_fetch` adds the cursor's condition per page."""
    id_desc = _id_desc(terms)
    order = [o for t in terms for o in t.order()] + [id_expr.desc() if id_desc else id_expr.asc()]
    query = query.add_columns(
        *(t.expr.label(f"sort_{i}") for i, t in enumerate(terms)), id_expr.label("sort_id")
    )
    return query.order_by(*order).limit(size + 1)


async def keyset_fetch(
    session: AsyncSession,
    statement: Select[Any],
    *,
    terms: Sequence[SortTerm],
    id_expr: Any,
    size: int,
    cursor: str | None,
    width: int | None = None,
) -> tuple[list[Any], str | None]:
    """One page of a `keyset_statement`: the first selected element of each row (one entity),
    or with `width` the first `width` columns as a tuple (Core rows)."""
    if cursor:
        values, last_id = decode_cursor(cursor, terms)
        statement = statement.where(after_cursor(terms, values, id_expr, last_id))
    rows = (await session.execute(statement)).all()
    first = 1 if width is None else width
    kept = rows[:size]
    items = [r[0] for r in kept] if width is None else [tuple(r[:width]) for r in kept]
    if len(rows) <= size:
        return items, None
    last = kept[-1]
    return items, encode_cursor(terms, list(last[first : first + len(terms)]), last[-1])


async def keyset_rows(
    session: AsyncSession,
    query: Select[Any],
    *,
    terms: Sequence[SortTerm],
    id_expr: Any,
    limit: int | None,
    cursor: str | None,
    width: int | None = None,
) -> tuple[list[Any], str | None]:
    """One page of `query` ordered by `terms` then id (see `keyset_fetch`)."""
    size = clamp_limit(limit)
    statement = keyset_statement(query, terms=terms, id_expr=id_expr, size=size)
    return await keyset_fetch(
        session, statement, terms=terms, id_expr=id_expr, size=size, cursor=cursor, width=width
    )
