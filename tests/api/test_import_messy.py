"""A messy 50,000-row lead list (mixed encodings, missing columns, duplicates, malformed ZIPs and
phones, exactly 5,000 bad rows): the good rows land, every bad row is reported by number, a second
import creates nothing, and undo brings the team back to where it was."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import anyio
import httpx
from bench.leadgen import generate
from sqlalchemy import text

from reos.db.session import Database, team_session
from tests.fixtures.api import Member
from tests.fixtures.jobs import run_jobs

ROWS = 50_000
BAD = 5_000


async def snapshot(database: Database, team: uuid.UUID) -> dict[str, Any]:
    async with team_session(database, team) as session:
        props = (
            await session.execute(
                text(
                    "select p.id, l.address_key, p.bedrooms, p.estimated_value, p.tags "
                    "from properties p join property_lookup l on l.id = p.id order by p.id"
                )
            )
        ).all()
        contacts = (
            await session.execute(
                text("select id, first_name, last_name, entity_name from contacts order by id")
            )
        ).all()
        points = (
            await session.execute(text("select id, value, line_type, dnc from contact_points order by id"))
        ).all()
        roles = (
            await session.execute(
                text("select property_id, contact_id, role from property_contacts order by 1, 2, 3")
            )
        ).all()
    return {"properties": props, "contacts": contacts, "points": points, "roles": roles}


async def run_file(client: httpx.AsyncClient, admin: Member, path: Path) -> dict[str, Any]:
    content = await anyio.Path(path).read_bytes()
    started = await client.post(
        "/api/v1/imports", files={"file": ("messy.csv", content, "text/csv")}, headers=admin.headers
    )
    assert started.status_code == 202, started.text
    await run_jobs()
    body: dict[str, Any] = (
        await client.get(f"/api/v1/imports/{started.json()['id']}", headers=admin.headers)
    ).json()
    assert body["status"] == "completed", body
    return body


async def test_messy_file_imports_good_rows_reports_bad_ones_and_undoes(
    client: httpx.AsyncClient, admin: Member, database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "messy.csv"
    planted = generate(
        path,
        rows=ROWS,
        seed=11,
        bad_rows=BAD,
        dirty_rate=0.04,
        drop_columns=("County", "Phone 3", "Phone 3 Type", "Phone 3 DNC", "Lot Size"),
    )
    team = uuid.UUID(admin.team_id)
    # A lead the team already has, which the file will update: undo must put it back.
    made = await client.post(
        "/api/v1/properties",
        json={"address": "1 Existing Road", "city": "Tampa", "state": "FL", "zip_code": "33610"},
        headers=admin.headers,
    )
    assert made.status_code == 201
    before = await snapshot(database, team)

    first = await run_file(client, admin, path)
    counts = first["counts"]
    assert counts["total"] == ROWS
    assert counts["errors"] == BAD
    assert counts["duplicates"] == planted.duplicates
    assert counts["created"] == ROWS - BAD - planted.duplicates
    assert counts["warnings"] >= planted.bad_phones

    report = await client.get(f"/api/v1/imports/{first['id']}/errors", headers=admin.headers)
    lines = list(csv.reader(io.StringIO(report.text)))[1:]
    refused = {int(r[0]) for r in lines if "row was imported" not in r[2]}
    assert refused == set(planted.bad_rows)

    second = await run_file(client, admin, path)
    assert second["counts"]["created"] == 0 and second["counts"]["updated"] == 0
    assert second["counts"]["unchanged"] == counts["created"]
    assert second["counts"]["errors"] == BAD

    undone = await client.post(f"/api/v1/imports/{first['id']}/undo", headers=admin.headers)
    assert undone.status_code == 200, undone.text
    assert undone.json()["undo_report"]["removed"]["properties"] == counts["created"]
    assert await snapshot(database, team) == before
