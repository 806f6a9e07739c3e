"""What migration 0019 changed under the lead list: the search text lives in `property_lookup`,
kept by triggers; the sparse indexes hold only the rows that fill them, and the queries that read
them can still use them; a score's ties are broken by age in every score sort."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
from sqlalchemy import literal, select, text
from sqlalchemy.dialects import postgresql

from reos.db.session import Database, team_session
from reos.kit import filters
from reos.kit.filters import FilterDocument, SortKey, parse_document
from reos.properties import listing
from reos.properties.listing import PropertyQuery
from reos.properties.models import Property
from tests.fixtures.api import Member, create_property
from tests.fixtures.jobs import run_jobs

BASE = {"city": "Tampa", "state": "FL", "zip_code": "33610"}


async def create(client: httpx.AsyncClient, member: Member, **fields: Any) -> dict[str, Any]:
    return await create_property(client, member, BASE | fields)


async def found(client: httpx.AsyncClient, member: Member, q: str) -> list[str]:
    response = await client.get("/api/v1/properties", params={"q": q}, headers=member.headers)
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()["items"]]


async def search_rows(database: Database, team_id: str, column: str = "search") -> dict[str, str]:
    async with team_session(database, uuid.UUID(team_id)) as session:
        rows = await session.execute(text(f"select id::text, {column}::text from property_lookup"))
        return {r[0]: r[1] for r in rows}


async def test_the_search_text_follows_the_address_and_leaves_with_the_property(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    prop = await create(client, admin, address="4417 Quillfeather Ln", apn="12-345-678")
    assert await found(client, admin, "quillfeather") == [prop["id"]]
    assert await found(client, admin, "12345678") == [prop["id"]]

    edited = await client.patch(
        f"/api/v1/properties/{prop['id']}", json={"address": "9 Larkspur Ct"}, headers=admin.headers
    )
    assert edited.status_code == 200, edited.text
    assert await found(client, admin, "larkspur") == [prop["id"]]
    assert await found(client, admin, "quillfeather") == []

    keys = await search_rows(database, admin.team_id, "address_key || ' ' || coalesce(apn_key, '-')")
    assert keys[prop["id"]] == "9 LARKSPUR CT||33610 -"

    # A write that names no address column (a stage move) does not even rewrite the row.
    before = await search_rows(database, admin.team_id, "xmin")
    moved = await client.patch(
        f"/api/v1/properties/{prop['id']}", json={"stage": "outreach"}, headers=admin.headers
    )
    assert moved.status_code == 200, moved.text
    assert await search_rows(database, admin.team_id, "xmin") == before

    async with team_session(database, uuid.UUID(admin.team_id)) as session:
        await session.execute(text("delete from properties where id = :id"), {"id": prop["id"]})
    assert await search_rows(database, admin.team_id) == {}


async def test_an_imported_lead_is_found_by_its_words_and_matched_by_its_keys(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    hits: list[str] = []
    head = "Property Address,City,State,Zip,APN,County\n"
    for row, created in (
        ("77 Brambleton Way,Tampa,FL,33610,55-1,Hillsborough", 1),
        # The same APN and county at another street number: the lead's APN key matches it.
        ("79 Brambleton Way,Tampa,FL,33610,55-1,Hillsborough County", 0),
        # The street as the lead now has it (the update applied it), with another APN: its
        # address key, written again by the update, matches it.
        ("79 Brambleton Way,Tampa,FL,33610,88-2,Pasco", 0),
    ):
        data = (head + row + "\n").encode()
        started = await client.post(
            "/api/v1/imports", files={"file": ("leads.csv", data, "text/csv")}, headers=admin.headers
        )
        assert started.status_code == 202, started.text
        await run_jobs()
        done = (await client.get(f"/api/v1/imports/{started.json()['id']}", headers=admin.headers)).json()
        assert done["status"] == "completed" and done["counts"]["created"] == created, (row, done["counts"])
        hits = await found(client, admin, "brambleton")
        assert len(hits) == 1, row
    keys = await search_rows(database, admin.team_id, "address_key || ' ' || apn_key")
    assert keys[hits[0]] == "79 BRAMBLETON WAY||33610 882|PASCO"
    assert await found(client, admin, "pasco") == hits


async def test_a_merge_keeps_each_propertys_own_search_row(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    keep = await create(client, admin, address="1 Wrenfield Rd")
    dup = await create(client, admin, address="1 Wrenfield Road", unit="B")
    merged = await client.post(
        f"/api/v1/properties/{keep['id']}/merge", json={"duplicate_id": dup["id"]}, headers=admin.headers
    )
    assert merged.status_code == 200, merged.text
    rows = await search_rows(database, admin.team_id)
    assert "'wrenfield'" in rows[keep["id"]] and "'b'" in rows[dup["id"]]
    assert await found(client, admin, "wrenfield") == [keep["id"]]


async def test_every_score_sort_breaks_ties_by_age(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    made = [(await create(client, admin, address=f"{n} Tie St"))["id"] for n in range(1, 6)]
    # Ages against the order of the ids (time-ordered, so they would agree otherwise): the first
    # made is the newest.
    async with team_session(database, uuid.UUID(admin.team_id)) as session:
        for n, pid in enumerate(made):
            await session.execute(
                text("update properties set created_at = now() - make_interval(mins => :n) where id = :id"),
                {"n": n, "id": pid},
            )
    for sort, expected in (("-score", made), ("score", made[::-1])):
        pages: list[str] = []
        cursor = None
        while True:
            params = {"sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
            response = await client.get("/api/v1/properties", params=params, headers=admin.headers)
            assert response.status_code == 200, response.text
            pages += [p["id"] for p in response.json()["items"]]
            cursor = response.json()["next_cursor"]
            if cursor is None:
                break
        assert pages == expected, sort


async def plan(database: Database, team_id: str, spec: PropertyQuery) -> str:
    """The plan of the list's own page query, first page."""
    team = uuid.UUID(team_id)
    async with team_session(database, team) as session:
        query, terms = await listing.select_properties(session, team_id=team, spec=spec, viewer=None)
        query = filters.keyset_statement(query, terms=terms, id_expr=Property.id, size=50)
        compiled = query.compile(dialect=postgresql.psycopg.dialect())
        # Every way but an index read in the wanted order priced out: a few rows would
        # otherwise be read whole and sorted, whatever indexes there are.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort", "enable_incremental_sort"):
            await session.execute(text(f"set local {setting} = off"))
        conn = await session.connection()
        rows = await conn.exec_driver_sql("explain " + str(compiled), compiled.params)
        return "\n".join(r[0] for r in rows)


async def test_the_partial_indexes_still_serve_their_queries(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    await create(client, admin, address="5 Elm St", tags=["probate"])
    team = uuid.UUID(admin.team_id)
    async with team_session(database, team) as session:
        fields = await listing.property_fields(session, team_id=team)
    owner = database.owner_url.replace("postgresql+psycopg://", "postgresql://")
    async with await psycopg.AsyncConnection.connect(owner) as conn:
        # As the owner, past row security: the tag condition alone, whose only way in that is not
        # a scan of the whole table is the partial GIN, taken only if its condition is proved.
        await conn.execute("set enable_seqscan = off")
        for op in ("has_any", "has_all"):
            tagged = parse_document({"all": [{"field": "tags", "op": op, "value": ["probate"]}]})
            clause = filters.compile_filter(tagged, fields)
            assert clause is not None
            compiled = (
                select(literal(1))
                .select_from(Property)
                .where(clause)
                .compile(dialect=postgresql.psycopg.dialect())
            )
            cursor = await conn.execute("explain " + str(compiled), compiled.params)
            assert "ix_properties_tags" in "\n".join(r[0] for r in await cursor.fetchall()), op

    by_score = await plan(database, admin.team_id, PropertyQuery(sort=[SortKey(field="score", dir="desc")]))
    assert "ix_properties_team_id_score_created_at_id" in by_score
    assert "Sort" not in by_score, by_score

    staged = await plan(
        database,
        admin.team_id,
        PropertyQuery(stage="outreach", filter=FilterDocument(), sort=[SortKey(field="score", dir="desc")]),
    )
    assert "ix_properties_team_id_stage_score_created_at_id" in staged
    assert "Sort" not in staged
