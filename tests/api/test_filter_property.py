"""The filter language against a plain Python model of it: hypothesis writes random filter
documents (fields, operators, values, nested all/any groups, sorts) and page sizes; the API's
answer — every page walked — must be exactly the rows, in the order, that a plain Python filter
and sort pick from the same ~200 properties."""

from __future__ import annotations

import functools
import json
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from reos.db.session import Database, team_session
from reos.kit import clock
from reos.properties.models import Property
from tests.fixtures.api import Member, register

ROWS = 200
BASE_TIME = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
CITIES = ["Tampa", "Orlando", "Miami", "tampa bay", "Ocala", "St. Petersburg"]
COUNTIES = ["Hillsborough", "Orange", "Dade", None]
TYPES = ["single_family", "condo", "land", None]
STAGES = ["new", "outreach", "qualified", "negotiation", "closed_lost", "archived"]
TAGS = ["vacant", "probate", "absentee", "tax lien"]
DATES = [date(1999, 1, 1) + timedelta(days=700 * n) for n in range(8)]


def _rows() -> list[dict[str, Any]]:
    """The properties, the same on every run (ties and nulls on purpose)."""
    rnd = random.Random(20240301)
    rows = []
    for n in range(ROWS):
        value = rnd.choice([None, 90_000, 150_000, 150_000, 420_000, 1_250_000])
        rows.append(
            {
                "address": f"{n} {rnd.choice(['Oak', 'Elm', 'Pine', 'Bay'])} St",
                "city": rnd.choice(CITIES),
                "state": "FL",
                "zip_code": rnd.choice(["33610", "33611", "32801"]),
                "county": rnd.choice(COUNTIES),
                "property_type": rnd.choice(TYPES),
                "bedrooms": rnd.choice([None, 1, 2, 3, 3, 4]),
                "bathrooms": rnd.choice([None, "1.0", "1.5", "2.5"]),
                "estimated_value": None if value is None else str(value),
                "mortgage_balance": rnd.choice([None, "50000", "140000"]),
                "last_sale_date": None if rnd.random() < 0.3 else rnd.choice(DATES).isoformat(),
                "tags": rnd.sample(TAGS, rnd.randint(0, 3)),
                "stage": rnd.choice(STAGES),
                # The score is the scoring domain's; written below straight into the table.
                "_score": rnd.choice([0, 0, 10, 55, 90]),
                "_minute": n // 3,
            }
        )
    return rows


SEED = _rows()

# field → (kind, values to draw from)
FIELDS: dict[str, tuple[str, list[Any]]] = {
    "city": ("text", [*CITIES, "TAMPA", "ocala", "Nowhere"]),
    "zip_code": ("text", ["33610", "33611", "32801", "3361"]),
    "county": ("text", ["Hillsborough", "orange", "Dade", "Lake"]),
    "address": ("text", ["Oak", "1", "2 E", "Bay St", "9"]),
    "property_type": ("enum", ["single_family", "condo", "land", "townhouse"]),
    "stage": ("enum", STAGES),
    "bedrooms": ("integer", [0, 1, 2, 3, 4, 5]),
    "score": ("integer", [0, 10, 55, 90, 100]),
    "bathrooms": ("number", ["1.0", "1.5", "2", "2.5"]),
    "estimated_value": ("number", [90_000, 150_000, "420000.00", 1_000_000]),
    "equity_percent": ("number", [0, 44.4, 50, "66.7", 90, 100]),
    "last_sale_date": ("date", [d.isoformat() for d in DATES]),
    "created_at": ("datetime", [(BASE_TIME + timedelta(minutes=m)).isoformat() for m in (0, 10, 33, 66)]),
    "tags": ("tags", [*TAGS, "VACANT"]),
}
OPS = {
    "text": ["eq", "ne", "in", "not_in", "contains", "starts_with", "is_null", "not_null"],
    "enum": ["eq", "ne", "in", "not_in", "is_null", "not_null"],
    "integer": ["eq", "ne", "lt", "lte", "gt", "gte", "between", "in", "not_in", "is_null", "not_null"],
    "tags": ["has_any", "has_all", "is_null", "not_null"],
}
OPS["number"] = OPS["date"] = OPS["datetime"] = OPS["integer"]
NOT_NULL = {"city", "zip_code", "address", "stage", "score", "created_at"}
SORTABLE = [f for f in FIELDS if f != "tags"]


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(FIELDS)))
    kind, values = FIELDS[name]
    ops = [o for o in OPS[kind] if not (name in NOT_NULL and o in ("is_null", "not_null"))]
    op = draw(st.sampled_from(ops))
    one = st.sampled_from(values)
    if op in ("is_null", "not_null"):
        return {"field": name, "op": op}
    if op in ("in", "not_in", "has_any", "has_all"):
        value: Any = draw(st.lists(one, min_size=1, max_size=3))
    elif op == "between":
        low, high = sorted(draw(st.lists(one, min_size=2, max_size=2)), key=lambda v: _typed(kind, v))
        value = [low, high]
    else:
        value = draw(one)
    return {"field": name, "op": op, "value": value}


def groups(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    node: st.SearchStrategy[Any] = conditions() if depth == 0 else st.one_of(conditions(), groups(depth - 1))
    return st.builds(
        lambda kind, items: {kind: items}, st.sampled_from(["all", "any"]), st.lists(node, max_size=4)
    )


sorts = st.lists(
    st.builds(
        lambda f, d: {"field": f, "dir": d}, st.sampled_from(SORTABLE), st.sampled_from(["asc", "desc"])
    ),
    max_size=3,
    unique_by=lambda s: s["field"],
)


# --- the model -------------------------------------------------------------------------------


def _typed(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "integer":
        return int(value)
    if kind == "number":
        return Decimal(str(value))
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "text":
        return str(value)
    return value


def _holds(row: dict[str, Any], cond: dict[str, Any]) -> bool:
    kind, _ = FIELDS[cond["field"]]
    have = row[cond["field"]]
    op = cond["op"]
    if kind == "tags":
        tags = set(have)
        wanted = {v.lower() for v in cond.get("value") or []}
        return {
            "has_any": lambda: bool(tags & wanted),
            "has_all": lambda: wanted <= tags,
            "is_null": lambda: not tags,
            "not_null": lambda: bool(tags),
        }[op]()
    if op == "is_null":
        return have is None
    if op == "not_null":
        return have is not None
    raw = cond["value"]
    fold = (lambda v: v.lower()) if kind == "text" else (lambda v: v)
    value = [fold(_typed(kind, v)) for v in raw] if isinstance(raw, list) else fold(_typed(kind, raw))
    x = None if have is None else fold(_typed(kind, have))
    if op == "ne":
        return x is None or x != value
    if op == "not_in":
        return x is None or x not in value
    if x is None:
        return False
    return {
        "eq": lambda: x == value,
        "lt": lambda: x < value,
        "lte": lambda: x <= value,
        "gt": lambda: x > value,
        "gte": lambda: x >= value,
        "between": lambda: value[0] <= x <= value[1],
        "in": lambda: x in value,
        "contains": lambda: value in x,
        "starts_with": lambda: x.startswith(value),
    }[op]()


def _matches(row: dict[str, Any], group: dict[str, Any]) -> bool:
    kind = "any" if "any" in group else "all"
    results = (_matches(row, n) if "field" not in n else _holds(row, n) for n in group.get(kind, []))
    return any(results) if kind == "any" else all(results)


def _order(rows: list[dict[str, Any]], sort: list[dict[str, str]]) -> list[dict[str, Any]]:
    sort = sort or [{"field": "score", "dir": "desc"}, {"field": "created_at", "dir": "desc"}]
    id_desc = sort[-1]["dir"] == "desc"

    def compare(a: dict[str, Any], b: dict[str, Any]) -> int:
        for key in sort:
            kind, _ = FIELDS[key["field"]]
            x, y = _typed(kind, a[key["field"]]), _typed(kind, b[key["field"]])
            if x == y:
                continue
            if x is None or y is None:
                return 1 if x is None else -1  # nulls last, both directions
            less = x < y
            return (1 if less else -1) if key["dir"] == "desc" else (-1 if less else 1)
        ia, ib = uuid.UUID(a["id"]), uuid.UUID(b["id"])
        return (ia < ib) - (ia > ib) if id_desc else (ia > ib) - (ia < ib)

    return sorted(rows, key=functools.cmp_to_key(compare))


# --- the test --------------------------------------------------------------------------------

_team: dict[str, Any] = {}


async def _seeded(client: httpx.AsyncClient, database: Database) -> tuple[Member, list[dict[str, Any]]]:
    if "rows" in _team:
        return _team["admin"], _team["rows"]
    admin = await register(client)
    scores = {}
    for row in SEED:
        body = {k: v for k, v in row.items() if not k.startswith("_")}
        with clock.frozen_at(BASE_TIME + timedelta(minutes=row["_minute"])):
            made = await client.post("/api/v1/properties", json=body, headers=admin.headers)
        assert made.status_code == 201, made.text
        scores[made.json()["id"]] = row["_score"]
    async with team_session(database, uuid.UUID(admin.team_id)) as session:
        for prop_id, score in scores.items():
            await session.execute(
                update(Property).where(Property.id == uuid.UUID(prop_id)).values(score=score)
            )
    rows = []
    cursor = None
    while True:
        page = await client.get(
            "/api/v1/properties",
            params={"limit": 200, **({"cursor": cursor} if cursor else {})},
            headers=admin.headers,
        )
        rows += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert len(rows) == ROWS
    _team.update(admin=admin, rows=rows)
    return admin, rows


@settings(
    max_examples=70,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    doc=groups(2),
    sort=sorts,
    limit=st.sampled_from([9, 40, 200]),
    via_post=st.booleans(),
)
async def test_the_api_answers_what_a_plain_python_filter_answers(
    client: httpx.AsyncClient,
    database: Database,
    doc: dict[str, Any],
    sort: list[dict[str, str]],
    limit: int,
    via_post: bool,
) -> None:
    admin, rows = await _seeded(client, database)
    expected = [r["id"] for r in _order([r for r in rows if _matches(r, doc)], sort)]
    document = {**doc, "sort": sort}
    got: list[str] = []
    cursor = None
    for _ in range(ROWS + 1):
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        if via_post:
            response = await client.post(
                "/api/v1/properties/query", json=document, params=params, headers=admin.headers
            )
        else:
            response = await client.get(
                "/api/v1/properties", params={**params, "filter": json.dumps(document)}, headers=admin.headers
            )
        assert response.status_code == 200, (document, response.text)
        body = response.json()
        assert len(body["items"]) <= limit
        got += [p["id"] for p in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert got == expected, json.dumps(document)
