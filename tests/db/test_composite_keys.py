"""Composite keys refuse a cross-team link in SQL itself: a note, task, list membership or
contact role of team B that points at team A's property is a foreign-key violation — even for
the owner, whom row-level security would not stop (DESIGN §4, Keys)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest
from psycopg import sql

from tests.fixtures.api import Member, register

LEAD = {"address": "4417 Quillfeather Ln", "city": "Tampa", "state": "FL", "zip_code": "33610"}


async def team_with_rows(client: httpx.AsyncClient) -> tuple[Member, dict[str, str]]:
    """A team with a property, a contact, a static list, and its admin's member id."""
    admin = await register(client)
    prop = await client.post("/api/v1/properties", json=LEAD, headers=admin.headers)
    contact = await client.post("/api/v1/contacts", json={"last_name": "Quimby"}, headers=admin.headers)
    saved = await client.post(
        "/api/v1/lists", json={"name": "Static", "kind": "static"}, headers=admin.headers
    )
    members = await client.get("/api/v1/team/members", headers=admin.headers)
    for response in (prop, contact, saved, members):
        assert response.status_code in (200, 201), response.text
    return admin, {
        "property": prop.json()["id"],
        "contact": contact.json()["id"],
        "list": saved.json()["id"],
        "member": members.json()[0]["id"],
    }


NOW = datetime.now(UTC)
# Each row of team `team` whose property is `prop` (and other links of team `own`).
Insert = Callable[[str, str, dict[str, str]], tuple[str, tuple[object, ...]]]
INSERTS: dict[str, Insert] = {
    "notes": lambda team, prop, own: (
        "insert into notes (id, team_id, created_at, property_id, author_id, body)"
        " values (%s, %s, %s, %s, %s, %s)",
        (uuid.uuid4(), team, NOW, prop, own["member"], "cross-team note"),
    ),
    "tasks": lambda team, prop, own: (
        "insert into tasks (id, team_id, created_at, title, property_id, assignee_id, priority, status,"
        " due_at)"
        " values (%s, %s, %s, %s, %s, %s, 'normal', 'open', %s)",
        (uuid.uuid4(), team, NOW, "cross-team task", prop, own["member"], NOW + timedelta(days=1)),
    ),
    "list_members": lambda team, prop, own: (
        "insert into list_members (id, team_id, created_at, list_id, property_id)"
        " values (%s, %s, %s, %s, %s)",
        (uuid.uuid4(), team, NOW, own["list"], prop),
    ),
    "property_contacts": lambda team, prop, own: (
        "insert into property_contacts (id, team_id, created_at, property_id, contact_id, role)"
        " values (%s, %s, %s, %s, %s, 'owner')",
        (uuid.uuid4(), team, NOW, prop, own["contact"]),
    ),
}


@pytest.mark.parametrize("table", sorted(INSERTS))
async def test_a_row_of_team_b_cannot_point_at_team_as_property(
    client: httpx.AsyncClient, owner_conn: psycopg.Connection, table: str
) -> None:
    _, a = await team_with_rows(client)
    b_admin, b = await team_with_rows(client)
    statement, args = INSERTS[table](b_admin.team_id, a["property"], b)

    with pytest.raises(psycopg.errors.ForeignKeyViolation) as refused, owner_conn.transaction():
        # Team B's context, so that only the key can be what refuses the row.
        owner_conn.execute("select set_config('app.team_id', %s, true)", (b_admin.team_id,))
        owner_conn.execute(statement, args)  # type: ignore[arg-type]
    constraint = refused.value.diag.constraint_name or ""
    assert constraint == f"fk_{table}_team_id_property_id_properties", constraint

    # The same row pointing at team B's own property is accepted: the key, not the row, refused.
    own_statement, own_args = INSERTS[table](b_admin.team_id, b["property"], b)
    with owner_conn.transaction():
        owner_conn.execute("select set_config('app.team_id', %s, true)", (b_admin.team_id,))
        owner_conn.execute(own_statement, own_args)  # type: ignore[arg-type]
    owner_conn.execute("select set_config('app.team_id', %s, false)", (b_admin.team_id,))
    counts = owner_conn.execute(
        sql.SQL(
            "select count(*) filter (where property_id = %s),"
            " count(*) filter (where property_id = %s) from {}"
            " where team_id = %s"
        ).format(sql.Identifier(table)),
        (b["property"], a["property"], b_admin.team_id),
    ).fetchone()
    assert counts == (1, 0)


async def test_moving_a_row_onto_another_teams_property_is_refused(
    client: httpx.AsyncClient, owner_conn: psycopg.Connection
) -> None:
    _, a = await team_with_rows(client)
    b_admin, b = await team_with_rows(client)
    statement, args = INSERTS["notes"](b_admin.team_id, b["property"], b)
    with owner_conn.transaction():
        owner_conn.execute("select set_config('app.team_id', %s, true)", (b_admin.team_id,))
        owner_conn.execute(statement, args)  # type: ignore[arg-type]
    note_id = args[0]
    with pytest.raises(psycopg.errors.ForeignKeyViolation), owner_conn.transaction():
        owner_conn.execute("select set_config('app.team_id', %s, true)", (b_admin.team_id,))
        owner_conn.execute("update notes set property_id = %s where id = %s", (a["property"], note_id))
    with owner_conn.transaction():
        owner_conn.execute("select set_config('app.team_id', %s, true)", (b_admin.team_id,))
        row = owner_conn.execute(
            "select team_id::text, property_id::text from notes where id = %s", (note_id,)
        ).fetchone()
    assert row == (b_admin.team_id, b["property"])
