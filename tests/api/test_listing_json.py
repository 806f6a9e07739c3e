"""The lead list's JSON on the driver path (`listing.list_page_json`): byte for byte what
pydantic writes for the same rows read through the ORM, cursors included; and the pooled
connection it used comes back without a team, after a page and after a failure."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from reos.db.session import Database, team_session
from reos.kit.filters import parse_sort
from reos.properties import listing
from reos.properties.schemas import PropertyPage, PropertyRead
from tests.fixtures.api import Member, register

BASE = {"address": "100 Main St", "city": "Tampa", "state": "FL", "zip_code": "33610"}

# Values whose JSON takes care: escapes, non-ASCII, numerics at every scale the columns have,
# a whole second (no fraction written), nested custom data, and an integer past 64 bits (which
# orjson refuses, so that page goes through pydantic).
EDGES: list[dict[str, Any]] = [
    {
        "unit": 'A"\\\x01\x1f\x7f/\u2028é😀',
        "tags": ['x"y', "ü", ""],
        "custom": '{"b": 1.50, "a": [1, 2.0, "s", null, true], "n": {"z": 1e-7, "y": 1e16}}',
        "latitude": "0.000001",
        "longitude": "-122.123456",
        "bathrooms": "2.5",
        "estimated_value": "0.00",
        "assessed_value": "123456789012.34",
        "stage_changed_at": "2024-01-02 03:04:05+00",
        "last_sale_date": "1987-06-05",
    },
    {"unit": None, "tags": [], "custom": "{}", "estimated_value": "100000.10"},
    {"custom": '{"big": 123456789012345678901234567890}', "estimated_value": "100000.10"},
    {"unit": "\t\n\r\b\f", "custom": '{"ключ": "значение"}', "estimated_value": None},
]


async def expected_page(
    database: Database, team_id: str, sort: str | None, limit: int, cursor: str | None
) -> bytes:
    """The page as the ORM and pydantic make it (the list path every other caller uses)."""
    async with team_session(database, uuid.UUID(team_id)) as session:
        rows, next_cursor = await listing.list_properties(
            session, team_id=uuid.UUID(team_id), sort=parse_sort(sort), limit=limit, cursor=cursor
        )
        page = PropertyPage(items=[PropertyRead.model_validate(r) for r in rows], next_cursor=next_cursor)
    return page.model_dump_json().encode()


async def test_pages_are_the_bytes_pydantic_writes(
    client: httpx.AsyncClient, database: Database, admin: Member, owner_conn: psycopg.Connection
) -> None:
    for i, values in enumerate(EDGES):
        created = await client.post(
            "/api/v1/properties", json=BASE | {"address": f"{i + 1} Main St"}, headers=admin.headers
        )
        assert created.status_code == 201, created.text
        owner_conn.execute("select set_config('app.team_id', %s, false)", (admin.team_id,))
        for column, value in values.items():
            cast = "::jsonb" if column == "custom" else ""
            owner_conn.execute(
                f"update properties set {column} = %s{cast} where id = %s",
                (value, created.json()["id"]),
            )
    for sort in (None, "-estimated_value", "last_sale_date,-stage_changed_at", "unit"):
        cursor = None
        pages = 0
        while True:
            params = {"limit": 1} | ({"sort": sort} if sort else {}) | ({"cursor": cursor} if cursor else {})
            response = await client.get("/api/v1/properties", params=params, headers=admin.headers)
            assert response.status_code == 200, response.text
            assert response.content == await expected_page(database, admin.team_id, sort, 1, cursor), sort
            cursor = response.json()["next_cursor"]
            pages += 1
            if cursor is None:
                break
        assert pages == len(EDGES)


async def pooled_team_settings(database: Database) -> list[str | None]:
    """`app.team_id` as every idle pooled connection has it now (outside any transaction)."""
    pool: Any = database.engine.pool
    found = []
    connections = [await database.engine.connect() for _ in range(pool.checkedin())]
    try:
        for conn in connections:
            found.append(await conn.scalar(text("select current_setting('app.team_id', true)")))
    finally:
        for conn in connections:
            await conn.close()
    return found


async def test_no_team_stays_on_a_pooled_connection(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    other = await register(client)
    for member in (admin, other):
        created = await client.post("/api/v1/properties", json=BASE, headers=member.headers)
        assert created.status_code == 201
    assert (await client.get("/api/v1/properties", headers=admin.headers)).status_code == 200
    assert set(await pooled_team_settings(database)) <= {"", None}

    # A failure inside the read (after BEGIN and the team setting): rolled back, no team kept.
    bad = await client.get("/api/v1/properties", params={"cursor": "nonsense"}, headers=admin.headers)
    assert bad.status_code == 400
    assert set(await pooled_team_settings(database)) <= {"", None}

    # The next request on the same pool sees only its own team.
    mine = await client.get("/api/v1/properties", headers=other.headers)
    assert [p["id"] for p in mine.json()["items"]] == [created.json()["id"]]


async def test_saved_lists_on_the_driver_path_follow_their_current_filter(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    made = {}
    for address, value in (("1 Low St", "90000"), ("2 High St", "500000"), ("3 Mid St", "200000")):
        created = await client.post(
            "/api/v1/properties",
            json=BASE | {"address": address, "estimated_value": value},
            headers=admin.headers,
        )
        made[address] = created.json()["id"]

    async def listed(**params: str) -> list[str]:
        response = await client.get("/api/v1/properties", params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["items"]]

    doc = {
        "all": [{"field": "estimated_value", "op": "gt", "value": 100000}],
        "sort": [{"field": "estimated_value"}],
    }
    smart = (
        await client.post("/api/v1/lists", json={"name": "Dear", "filter": doc}, headers=admin.headers)
    ).json()
    assert await listed(list_id=smart["id"]) == [made["3 Mid St"], made["2 High St"]]
    changed = await client.patch(
        f"/api/v1/lists/{smart['id']}",
        json={"filter": {"all": [{"field": "estimated_value", "op": "lt", "value": 100000}]}},
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    # The same request again: the statement kept for the old filter is not reused.
    assert await listed(list_id=smart["id"]) == [made["1 Low St"]]
    not_cheap = {"all": [{"field": "list", "op": "ne", "value": smart["id"]}]}
    assert set(await listed(filter=json.dumps(not_cheap))) == {made["2 High St"], made["3 Mid St"]}

    # A smart list that names another: the first rides the transaction's first round trip, the
    # one it names is read after it.
    outer = {"all": [{"field": "list", "op": "eq", "value": smart["id"]}]}
    nested = (
        await client.post("/api/v1/lists", json={"name": "Cheap", "filter": outer}, headers=admin.headers)
    ).json()
    assert await listed(list_id=nested["id"]) == [made["1 Low St"]]
    missing = await client.get(
        "/api/v1/properties", params={"list_id": str(uuid.uuid4())}, headers=admin.headers
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "list not found"

    other = await register(client)
    foreign = await client.get("/api/v1/properties", params={"list_id": smart["id"]}, headers=other.headers)
    assert foreign.status_code == 404


async def test_a_failed_commit_answers_500_and_the_connection_is_not_pooled(
    app: FastAPI, database: Database, admin: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as lenient:
        assert (await lenient.get("/api/v1/properties", headers=admin.headers)).status_code == 200
        real_commit = psycopg.AsyncConnection.commit

        async def commit_that_fails(self: psycopg.AsyncConnection[Any]) -> None:
            raise psycopg.OperationalError("server closed the connection")

        monkeypatch.setattr(psycopg.AsyncConnection, "commit", commit_that_fails)
        failed = await lenient.get("/api/v1/properties", headers=admin.headers)
        monkeypatch.setattr(psycopg.AsyncConnection, "commit", real_commit)
        assert failed.status_code == 500
        assert set(await pooled_team_settings(database)) <= {"", None}
        assert (await lenient.get("/api/v1/properties", headers=admin.headers)).status_code == 200
