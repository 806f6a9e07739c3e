"""A long file is merged in chunks while it is still being read (`engine.Merger`). Whatever the
chunks, it must land exactly what one merge of the whole file lands: the same leads, owners,
roles, phones, signals, problems and counts, and the same undo. Each test imports one file into
two teams that start alike, once whole and once in chunks of six rows, and compares them."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from reos.db.session import Database, team_session
from reos.imports import engine
from tests.api.test_imports import csv_bytes, imported, lead
from tests.fixtures.api import Member, register
from tests.fixtures.jobs import run_jobs


def owner(first: str, last: str, mail: str, **more: str) -> dict[str, str]:
    return {"Owner 1 First Name": first, "Owner 1 Last Name": last, "Mailing Address": mail, **more}


# What the team holds before: leads an import will match by APN and by address, an owner it
# will find again, and phones and an email it will name again with other skip-trace facts.
BEFORE = [
    lead(**{"Property Address": "1 Elm St", "APN": "E-1", **owner("Ann", "Archer", "1 Mail Rd")}),
    lead(
        **{
            "Property Address": "2 Elm St", "APN": "E-2", **owner("Ben", "Baker", "2 Mail Rd"),
            "Phone 1": "(813) 555-0201", "Phone 1 Type": "Landline", "Phone 1 DNC": "",
            "Email 1": "ben@example.com",
        }
    ),
    lead(**{"Property Address": "3 Elm St", "APN": "", **owner("Cy", "Cole", "3 Mail Rd"), "Phone 1": ""}),
]  # fmt: skip


def long_file() -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []

    def add(**fields: str) -> None:
        base = {"Phone 1": "", "Phone 1 Type": "", "Phone 1 DNC": "", "Email 1": "", "Tax Delinquent": ""}
        rows.append(lead(**{**base, **fields}))

    # Rows 1-6 (first chunk).
    add(**{"Property Address": "1 Elm St Unit 9", "APN": "E-1", "Estimated Value": "$310,000",
           **owner("Ann", "Archer", "1 Mail Rd"), "Phone 1": "(813) 555-0101", "Vacant": "Yes"})  # fmt: skip
    add(**{"Property Address": "10 Oak Ave", "APN": "O-10", **owner("Dee", "Dunn", "10 Mail Rd"),
           "Phone 1": "(813) 555-0110", "Phone 1 Type": "Mobile", "Phone 2": "(813) 555-0111",
           "Email 1": "dee@example.com"})  # fmt: skip
    add(**{"Property Address": "11 Oak Ave", "APN": "O-11", **owner("Eve", "Ede", "11 Mail Rd"),
           "Phone 1": "(813) 555-0201", "Phone 1 Type": "Mobile", "Phone 1 DNC": "Y"})  # fmt: skip
    add(**{"Property Address": "12 Oak Ave", "APN": "O-12", "Property Zip": "3361X",
           **owner("Fay", "Fox", "12 Mail Rd")})  # fmt: skip
    add(**{"Property Address": "13 Oak Ave", "APN": "O-13", **owner("Dee", "Dunn", "10 Mail Rd"),
           "Email 1": "dee2@example.com", "Tax Delinquent": "Yes"})  # fmt: skip
    add(**{"Property Address": "14 Oak Ave", "APN": "", **owner("Gil", "Gray", "14 Mail Rd"),
           "Phone 1": "(813) 555-0114", "Year Built": "19x8"})  # fmt: skip
    # Rows 7-12: the same address as row 2, the same APN as row 3, the lead matched in row 1 by
    # its old address, the owner of row 2 with a phone of another kind first.
    add(**{"Property Address": "10 Oak Ave", "APN": "", **owner("Hal", "Hart", "7 Mail Rd"),
           "Phone 1": "(813) 555-0107"})  # fmt: skip
    add(**{"Property Address": "99 Pine Rd", "APN": "O-11", **owner("Ida", "Ives", "8 Mail Rd")})
    add(**{"Property Address": "1 Elm St", "APN": "", **owner("Jo", "Jay", "9 Mail Rd"),
           "Phone 1": "(813) 555-0109"})  # fmt: skip
    add(**{"Property Address": "15 Oak Ave", "APN": "O-15", **owner("Dee", "Dunn", "10 Mail Rd"),
           "Phone 1": "(813) 555-0115", "Phone 2": "(813) 555-0110", "Phone 2 Type": "Landline",
           "Phone 2 DNC": "Y"})  # fmt: skip
    add(**{"Property Address": "2 Elm St", "APN": "", **owner("Ben", "Baker", "2 Mail Rd"),
           "Phone 1": "(813) 555-0201", "Phone 1 Type": "Landline", "Phone 1 DNC": "N"})  # fmt: skip
    add(**{"Property Address": "16 Oak Ave", "APN": "O-16", **owner("Kim", "Kerr", "16 Mail Rd"),
           "Email 1": "ben@example.com", "Tax Delinquent": "Yes"})  # fmt: skip
    # Rows 13-18: row 1's new unit as an address, the lead of row 11 again by its APN, an
    # owner of before, the owner of row 6 with an email and more phones.
    add(**{"Property Address": "1 Elm St Unit 9", "APN": "", **owner("Lu", "Lam", "13 Mail Rd")})
    add(**{"Property Address": "2 Elm Street", "APN": "E-2", **owner("Mo", "Moss", "14 Mail Rd")})
    add(**{"Property Address": "17 Oak Ave", "APN": "O-17", **owner("Cy", "Cole", "3 Mail Rd"),
           "Phone 1": "(813) 555-0117"})  # fmt: skip
    add(**{"Property Address": "18 Oak Ave", "APN": "O-18", **owner("Ned", "Nash", "18 Mail Rd"),
           "Email 1": "ned@example.com"})  # fmt: skip
    add(**{"Property Address": "19 Oak Ave", "APN": "O-19", **owner("Gil", "Gray", "14 Mail Rd"),
           "Phone 1": "(813) 555-0119", "Phone 2": "(813) 555-0120",
           "Email 1": "gil@example.com"})  # fmt: skip
    add(**{"Property Address": "", "APN": "O-20", **owner("Oz", "Orr", "20 Mail Rd")})
    # Rows 19-20: the same address as row 2 once more, and a row like row 3.
    add(**{"Property Address": "10 Oak Ave", "APN": "O-10", **owner("Dee", "Dunn", "10 Mail Rd")})
    add(**{"Property Address": "11 Oak Ave", "APN": "O-11", **owner("Eve", "Ede", "11 Mail Rd"),
           "Phone 1": "(813) 555-0201", "Phone 1 Type": "Mobile", "Phone 1 DNC": "N"})  # fmt: skip
    return rows


async def team_state(database: Database, member: Member) -> dict[str, Any]:
    """The team's leads and what hangs off them, by natural keys (ids and times differ)."""
    queries = {
        "properties": """
            SELECT address, unit, apn, zip_code, estimated_value::text, year_built, tags::text,
                   signal_kinds::text, import_id IS NOT NULL AS imported
            FROM properties WHERE deleted_at IS NULL ORDER BY address, unit, apn
        """,
        "contacts": """
            SELECT kind, first_name, last_name, street FROM contacts ORDER BY 2, 3, 4
        """,
        "roles": """
            SELECT p.address, p.unit, c.first_name, c.last_name, r.role FROM property_contacts r
            JOIN properties p ON p.id = r.property_id JOIN contacts c ON c.id = r.contact_id
            ORDER BY 1, 2, 3, 4, 5
        """,
        "points": """
            SELECT cp.kind, cp.value, c.first_name, c.last_name, cp.is_primary, cp.position, cp.line_type,
                   cp.dnc, cp.dnc_checked_at IS NOT NULL AS checked
            FROM contact_points cp JOIN contacts c ON c.id = cp.contact_id ORDER BY 1, 2
        """,
        "signals": """
            SELECT p.address, p.unit, s.kind FROM signals s JOIN properties p ON p.id = s.property_id
            ORDER BY 1, 2, 3
        """,
        "errors": """SELECT row_number, "column", reason FROM import_errors ORDER BY 1, 2, 3""",
        "changes": """
            SELECT p.address, p.unit, x.action, x.fields::text FROM import_changes x
            JOIN properties p ON p.id = x.property_id ORDER BY 1, 2, 3, 4
        """,
    }
    async with team_session(database, uuid.UUID(member.team_id)) as session:
        return {
            name: [tuple(row) for row in (await session.execute(text(sql))).all()]
            for name, sql in queries.items()
        }


async def whole_and_chunked(
    client: httpx.AsyncClient, database: Database, monkeypatch: pytest.MonkeyPatch, on_duplicate: str
) -> tuple[Member, Member, dict[str, Any], dict[str, Any]]:
    whole, chunked = await register(client), await register(client)
    for member in (whole, chunked):
        await imported(client, member, csv_bytes(BEFORE))
    data = csv_bytes(long_file())
    one = await imported(client, whole, data, on_duplicate=on_duplicate)
    assert engine.LAST_CHUNKS == 1
    with monkeypatch.context() as patch:
        # Three rows a worker chunk, a merge every two of them: rows 1-6, 7-12, 13-18, 19-20.
        patch.setattr(engine, "CHUNK_ROWS", 3)
        patch.setattr(engine, "MERGE_ROWS", 6)
        many = await imported(client, chunked, data, on_duplicate=on_duplicate)
    assert engine.LAST_CHUNKS == 4
    return whole, chunked, one, many


@pytest.mark.parametrize("on_duplicate", ["update", "skip"])
async def test_a_file_merged_in_chunks_lands_what_one_merge_lands(
    client: httpx.AsyncClient, database: Database, monkeypatch: pytest.MonkeyPatch, on_duplicate: str
) -> None:
    whole, chunked, one, many = await whole_and_chunked(client, database, monkeypatch, on_duplicate)
    assert one["counts"] == many["counts"]
    expected = {"total": 20, "errors": 2, "created": 9, "duplicates": 7, "warnings": 1}
    assert {k: one["counts"][k] for k in expected} == expected, one["counts"]
    counts = one["counts"]
    matched = counts["updated"] + counts["unchanged"] if on_duplicate == "update" else counts["skipped"]
    assert matched == 1 + 1  # the leads of before found by APN (row 1) and by address (row 11)
    first, second = await team_state(database, whole), await team_state(database, chunked)
    for name in first:
        assert first[name] == second[name], name

    # What the file says, whatever the chunks. Row 7 repeats row 2's address: no lead of its own.
    addresses = [(p[0], p[1]) for p in first["properties"]]
    assert addresses.count(("10 OAK AVE", None)) == 1
    assert ("99 PINE RD", None) not in addresses  # row 8 repeats row 3's APN
    # Dee Dunn (rows 2, 5, 10, 19) is one owner, with one primary phone and one primary email.
    dee = [p for p in first["points"] if p[2:4] == ("Dee", "Dunn")]
    assert {p[1] for p in dee} == {"+18135550110", "+18135550111", "dee@example.com", "dee2@example.com",
                                   "+18135550115"}  # fmt: skip
    primary = sorted((p[0], p[1]) for p in dee if p[4])
    assert primary == [("email", "dee@example.com"), ("phone", "+18135550110")]
    # Row 10 names row 2's phone again as a landline on the DNC list: the first row decides.
    (again,) = [p for p in dee if p[1] == "+18135550110"]
    assert again[6:] == ("mobile", False, False)
    # Gil Gray's email comes three chunks after his first phone: it is his primary email.
    gil = sorted((p[1], p[4]) for p in first["points"] if p[2:4] == ("Gil", "Gray"))
    assert gil == [("+18135550114", True), ("+18135550119", False), ("+18135550120", False),
                   ("gil@example.com", True)]  # fmt: skip
    # A phone the team had keeps its owner, and only the first row naming it refreshes it.
    (ben,) = [p for p in first["points"] if p[1] == "+18135550201"]
    assert ben[2:4] == ("Ben", "Baker") and ben[6:] == ("mobile", True, True)
    if on_duplicate == "update":
        # Row 1 moved the lead of before to unit 9. Row 9 names its old address, which the
        # team had before the import: the same lead again, a duplicate, not a new lead.
        assert ("1 ELM ST", "UNIT 9") in addresses and ("1 ELM ST", None) not in addresses


async def test_undoing_a_file_merged_in_chunks_puts_back_what_undoing_one_merge_does(
    client: httpx.AsyncClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, chunked, one, many = await whole_and_chunked(client, database, monkeypatch, "update")
    for member, body in ((whole, one), (chunked, many)):
        undone = await client.post(f"/api/v1/imports/{body['id']}/undo", headers=member.headers)
        assert undone.status_code == 200, undone.text
        await run_jobs()
    first, second = await team_state(database, whole), await team_state(database, chunked)
    for name in first:
        assert first[name] == second[name], name
    assert len(first["properties"]) == len(BEFORE)
