"""Imports API: the DESIGN §6 contract, mapping guesses, presets, bad input, the error report,
de-duplication, on_duplicate, skip-trace facts, idempotent re-import, undo and tenancy."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
import warnings
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from openpyxl import Workbook
from sqlalchemy import select

from reos.contacts.models import ContactPoint
from reos.db.session import Database, team_session
from reos.imports import engine
from reos.imports import service as imports_service
from reos.imports.models import Import
from reos.kit.leads_lock import lock_leads
from reos.properties.models import Property
from reos.scoring.models import Signal
from tests.fixtures.api import Member, add_member, register
from tests.fixtures.jobs import run_jobs

HEADERS = [
    "Property Address", "Property City", "Property State", "Property Zip", "County", "APN",
    "Owner 1 First Name", "Owner 1 Last Name", "Mailing Address", "Mailing City", "Mailing State",
    "Mailing Zip", "Bedrooms", "Bathrooms", "Sq Ft", "Estimated Value", "Est. Equity", "Year Built",
    "Last Sale Date", "Property Type", "Tax Delinquent", "Vacant", "Phone 1", "Phone 1 Type", "Phone 1 DNC",
    "Phone 2", "Phone 2 Type", "Phone 2 DNC", "Email 1",
]  # fmt: skip


def lead(**overrides: str) -> dict[str, str]:
    row = {
        "Property Address": "4417 Quillfeather Lane",
        "Property City": "Tampa",
        "Property State": "FL",
        "Property Zip": "33610",
        "County": "Hillsborough",
        "APN": "A-1001",
        "Owner 1 First Name": "Dana",
        "Owner 1 Last Name": "Whitlock",
        "Mailing Address": "77 Harbor View Dr",
        "Mailing City": "Atlanta",
        "Mailing State": "GA",
        "Mailing Zip": "30301",
        "Bedrooms": "3",
        "Bathrooms": "2",
        "Sq Ft": "1,450",
        "Estimated Value": "$250,000",
        "Est. Equity": "$100,000",
        "Year Built": "1978",
        "Last Sale Date": "05/01/2009",
        "Property Type": "Single Family",
        "Tax Delinquent": "Yes",
        "Vacant": "",
        "Phone 1": "(813) 555-0142",
        "Phone 1 Type": "Mobile",
        "Phone 1 DNC": "N",
        "Phone 2": "",
        "Phone 2 Type": "",
        "Phone 2 DNC": "",
        "Email 1": "Dana.Whitlock@Example.com",
    }
    row.update(overrides)
    return row


def csv_bytes(rows: list[dict[str, str]], headers: list[str] = HEADERS, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


async def start(
    client: httpx.AsyncClient,
    member: Member,
    data: bytes,
    *,
    name: str = "leads.csv",
    mapping: dict[str, str] | None = None,
    on_duplicate: str | None = None,
) -> httpx.Response:
    form: dict[str, str] = {}
    if mapping is not None:
        form["mapping"] = json.dumps(mapping)
    if on_duplicate is not None:
        form["on_duplicate"] = on_duplicate
    return await client.post(
        "/api/v1/imports", files={"file": (name, data, "text/csv")}, data=form, headers=member.headers
    )


async def imported(client: httpx.AsyncClient, member: Member, data: bytes, **options: Any) -> dict[str, Any]:
    response = await start(client, member, data, **options)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"
    await run_jobs()
    found = await client.get(f"/api/v1/imports/{response.json()['id']}", headers=member.headers)
    assert found.status_code == 200
    body: dict[str, Any] = found.json()
    assert body["status"] == "completed", body
    return body


async def properties_of(client: httpx.AsyncClient, member: Member) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/properties?limit=200", headers=member.headers)
    assert response.status_code == 200
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def points_of(database: Database, member: Member) -> dict[str, ContactPoint]:
    async with team_session(database, uuid.UUID(member.team_id)) as session:
        rows = (await session.scalars(select(ContactPoint))).all()
    return {p.value: p for p in rows}


# --- preview and mapping ---------------------------------------------------------------------------


async def test_preview_guesses_the_mapping_of_real_headers_and_writes_nothing(
    client: httpx.AsyncClient, admin: Member
) -> None:
    data = csv_bytes([lead(), lead(**{"Property Zip": "3361X", "APN": "A-2"})])
    response = await client.post(
        "/api/v1/imports/preview", files={"file": ("leads.csv", data, "text/csv")}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mapping"]["address"] == "Property Address"
    assert body["mapping"]["zip_code"] == "Property Zip"
    assert body["mapping"]["owner_first_name"] == "Owner 1 First Name"
    assert body["mapping"]["mailing_zip"] == "Mailing Zip"
    assert body["mapping"]["phone_1_dnc"] == "Phone 1 DNC"
    assert body["mapping"]["equity"] == "Est. Equity"
    assert body["mapping"]["tax_delinquent"] == "Tax Delinquent"
    first = body["rows"][0]
    assert first["lands"] is True
    assert first["property"]["address"] == "4417 QUILLFEATHER LN"
    assert first["property"]["mortgage_balance"] == "150000.00"
    assert first["points"][0]["value"] == "+18135550142"
    assert first["signals"] == ["tax_delinquent"]
    assert body["rows"][1]["lands"] is False
    assert body["problems"] == [
        {
            "row_number": 2,
            "column": "Property Zip",
            "reason": "'3361X' is not a ZIP code (12345 or 12345-6789)",
            "row_lands": False,
        }
    ]
    assert await properties_of(client, admin) == []
    assert (await client.get("/api/v1/imports", headers=admin.headers)).json()["items"] == []


async def test_preview_with_an_edited_mapping_and_xlsx(client: httpx.AsyncClient, admin: Member) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Site Address", "Zip Code", "Owner Name", "Cell"])
    sheet.append(["12 Oak Street", 2134, "SMITH, JOHN", 8135550199])
    buffer = io.BytesIO()
    book.save(buffer)
    files = {"file": ("list.xlsx", buffer.getvalue(), "application/octet-stream")}
    response = await client.post("/api/v1/imports/preview", files=files, headers=admin.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["format"] == "xlsx"
    assert body["mapping"] == {
        "address": "Site Address",
        "zip_code": "Zip Code",
        "owner_name": "Owner Name",
        "phone_1": "Cell",
    }
    row = body["rows"][0]
    assert row["property"]["zip_code"] == "02134"  # the spreadsheet dropped the leading zero
    assert row["property"]["state"] == "MA"  # city and state from the ZIP
    assert row["owners"][0]["first_name"] == "JOHN" and row["owners"][0]["last_name"] == "SMITH"
    edited = await client.post(
        "/api/v1/imports/preview",
        files=files,
        data={"mapping": json.dumps({"address": "Site Address", "zip_code": "Zip Code"})},
        headers=admin.headers,
    )
    assert edited.status_code == 200
    assert edited.json()["rows"][0]["owners"] == []
    assert "Owner Name" in edited.json()["unmapped_columns"]


def workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    """An XLSX file with these sheets, in this order."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


LIST_HEADERS = ["Site Address", "Site Zip", "Owner Name", "Cell"]


def several_sheets() -> bytes:
    """A workbook as people send them: a cover note, a summary, then two lists."""
    return workbook(
        {
            "Read me": [["Exported from the county list tool"], [], ["Owner names as filed"]],
            "Summary": [["State", "Leads"], ["FL", 2]],
            "Leads": [
                LIST_HEADERS,
                ["12 Oak Street", 33610, "SMITH, JOHN", 8135550199],
                ["40 Pine Road", 33610, "LEE, ANN", 8135550142],
            ],
            "Leads 2": [LIST_HEADERS, ["7 Elm Court", 33611, "DIAZ, ROSA", 8135550177]],
        }
    )


async def test_a_workbook_is_read_from_the_sheet_that_holds_the_list(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """An XLSX import read the first worksheet, whatever it held: a workbook opening on a note was
    "no column looks like the street address". Now the first sheet with an address column is
    read unless one is named; the answer lists the sheets and says which was read."""
    files = {"file": ("county.xlsx", several_sheets(), "application/octet-stream")}
    guessed = await client.post("/api/v1/imports/preview", files=files, headers=admin.headers)
    assert guessed.status_code == 200, guessed.text
    body = guessed.json()
    assert body["sheets"] == ["Read me", "Summary", "Leads", "Leads 2"]
    assert body["sheet"] == "Leads"
    assert [r["property"]["address"] for r in body["rows"]] == ["12 OAK ST", "40 PINE RD"]

    named = await client.post(
        "/api/v1/imports/preview", files=files, data={"sheet": "Leads 2"}, headers=admin.headers
    )
    assert named.status_code == 200, named.text
    assert named.json()["sheet"] == "Leads 2"
    assert [r["property"]["address"] for r in named.json()["rows"]] == ["7 ELM CT"]

    no_list = await client.post(
        "/api/v1/imports/preview", files=files, data={"sheet": "Summary"}, headers=admin.headers
    )
    assert no_list.status_code == 422
    assert no_list.json()["error"]["details"]["field"] == "mapping.address"

    missing = await client.post(
        "/api/v1/imports/preview", files=files, data={"sheet": "Leads 3"}, headers=admin.headers
    )
    assert missing.status_code == 422
    error = missing.json()["error"]
    assert error["details"] == {"field": "sheet", "sheets": ["Read me", "Summary", "Leads", "Leads 2"]}
    assert "'Leads 3'" in error["message"] and "'Leads 2'" in error["message"]

    a_csv = await client.post(
        "/api/v1/imports/preview",
        files={"file": ("leads.csv", csv_bytes([lead()]), "text/csv")},
        data={"sheet": "Leads"},
        headers=admin.headers,
    )
    assert a_csv.status_code == 422 and a_csv.json()["error"]["details"]["field"] == "sheet"
    plain = await client.post(
        "/api/v1/imports/preview",
        files={"file": ("leads.csv", csv_bytes([lead()]), "text/csv")},
        headers=admin.headers,
    )
    assert plain.json()["sheets"] == [] and plain.json()["sheet"] is None

    # The import reads the sheet chosen when it started, and says so.
    first = await client.post("/api/v1/imports", files=files, headers=admin.headers)
    assert first.status_code == 202, first.text
    second = await client.post(
        "/api/v1/imports", files=files, data={"sheet": "Leads 2"}, headers=admin.headers
    )
    assert second.status_code == 202, second.text
    refused = await client.post(
        "/api/v1/imports", files=files, data={"sheet": "Leads 3"}, headers=admin.headers
    )
    assert refused.status_code == 422
    await run_jobs()
    for started, sheet, created in ((first, "Leads", 2), (second, "Leads 2", 1)):
        done = (await client.get(f"/api/v1/imports/{started.json()['id']}", headers=admin.headers)).json()
        assert (done["status"], done["sheet"], done["counts"]["created"]) == ("completed", sheet, created)
    addresses = {p["address"] for p in await properties_of(client, admin)}
    assert addresses == {"12 OAK ST", "40 PINE RD", "7 ELM CT"}


async def test_a_workbook_s_hidden_sheets_come_last_and_any_sheet_name_is_kept(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """A hidden sheet (lookups, an old copy) is not chosen over a visible list; a sheet name
    longer than Excel writes (other tools do) is kept whole, not refused by the database."""
    from openpyxl import load_workbook

    long_name = "Leads exported from the county assessor list tool for the third quarter, every parcel"
    book = load_workbook(io.BytesIO(several_sheets()))
    book["Leads"].sheet_state = "hidden"
    with warnings.catch_warnings():  # openpyxl warns past Excel's 31 characters, and writes it
        warnings.simplefilter("ignore", UserWarning)
        book["Leads 2"].title = long_name
    out = io.BytesIO()
    book.save(out)
    files = {"file": ("county.xlsx", out.getvalue(), "application/octet-stream")}
    guessed = await client.post("/api/v1/imports/preview", files=files, headers=admin.headers)
    assert guessed.status_code == 200, guessed.text
    assert guessed.json()["sheet"] == long_name
    started = await client.post("/api/v1/imports", files=files, headers=admin.headers)
    assert started.status_code == 202, started.text
    await run_jobs()
    done = (await client.get(f"/api/v1/imports/{started.json()['id']}", headers=admin.headers)).json()
    assert (done["status"], done["sheet"], done["counts"]["created"]) == ("completed", long_name, 1)
    hidden = await client.post(
        "/api/v1/imports/preview", files=files, data={"sheet": "Leads"}, headers=admin.headers
    )
    assert hidden.status_code == 200 and len(hidden.json()["rows"]) == 2  # still there when named


async def test_excel_unicode_text_utf16_tab_separated_is_read(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """Excel's "Unicode Text" export: UTF-16 with a byte order mark, tab-separated (it had been
    refused as not a CSV), with a quoted cell holding a comma and a line break (which had made
    the sniffer read a tab-separated file as one comma-separated column)."""
    text = (
        "Property Address\tProperty Zip\tOwner 1 First Name\tOwner 1 Last Name\r\n"
        "4417 Quillfeather Lane\t33610\tJosé\tNúñez\r\n"
        '9 Elm St\t33610\t"Ann, Jr"\t"Lee\nSmith"\r\n'
    )
    for data in (text.encode("utf-16"), b"\xfe\xff" + text.encode("utf-16-be")):
        response = await client.post(
            "/api/v1/imports/preview",
            files={"file": ("leads.txt", data, "text/plain")},
            headers=admin.headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["delimiter"] == "\t" and body["columns"][0] == "Property Address"
        owners = [r["owners"][0] for r in body["rows"]]
        assert [(o["first_name"], o["last_name"]) for o in owners] == [
            ("José", "Núñez"),
            ("Ann, Jr", "Lee Smith"),
        ]


@pytest.mark.parametrize(
    ("data", "name", "form", "status", "needle"),
    [
        (b"", "empty.csv", {}, 422, "empty"),
        (b"\x00\x01\x02binary", "x.bin", {}, 415, "not a CSV or XLSX"),
        (b"PK\x03\x04broken", "x.xlsx", {}, 415, "XLSX"),
        (b"\n\n\n", "blank.csv", {}, 422, "empty"),
        (b"Foo,Bar\n1,2\n", "nohint.csv", {}, 422, "street address"),
        (
            csv_bytes([lead()]),
            "a.csv",
            {"mapping": json.dumps({"address": "Property Address", "nope": "APN"})},
            422,
            "nope",
        ),
        (
            csv_bytes([lead()]),
            "a.csv",
            {"mapping": json.dumps({"address": "Street Line"})},
            422,
            "Street Line",
        ),
        (csv_bytes([lead()]), "a.csv", {"mapping": "{not json"}, 422, "JSON"),
        (csv_bytes([lead()]), "a.csv", {"on_duplicate": "merge"}, 422, "on_duplicate"),
    ],
)
async def test_bad_input_is_refused_naming_what_is_wrong(
    client: httpx.AsyncClient,
    admin: Member,
    data: bytes,
    name: str,
    form: dict[str, str],
    status: int,
    needle: str,
) -> None:
    response = await client.post(
        "/api/v1/imports", files={"file": (name, data, "text/csv")}, data=form, headers=admin.headers
    )
    assert response.status_code == status, response.text
    assert needle in response.json()["error"]["message"]
    assert (await client.get("/api/v1/imports", headers=admin.headers)).json()["items"] == []


async def test_a_file_over_the_upload_bound_is_refused_and_nothing_is_kept(
    client: httpx.AsyncClient, admin: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [lead(**{"APN": f"U-{i}", "Property Address": f"{i + 1} Upland Way"}) for i in range(2000)]
    data = csv_bytes(rows)
    monkeypatch.setattr(imports_service, "MAX_UPLOAD_BYTES", len(data) - 1)
    response = await start(client, admin, data)
    assert response.status_code == 422, response.text
    assert "reos import FILE --team TEAM" in response.json()["error"]["message"]
    assert (await client.get("/api/v1/imports", headers=admin.headers)).json()["items"] == []
    monkeypatch.setattr(imports_service, "MAX_UPLOAD_BYTES", len(data))
    body = await imported(client, admin, data)
    assert body["counts"]["created"] == 2000 and body["size_bytes"] == len(data)


async def test_presets_crud(client: httpx.AsyncClient, admin: Member) -> None:
    made = await client.post(
        "/api/v1/imports/presets",
        json={"name": "PropStream", "mapping": {"address": "Property Address", "zip_code": "Property Zip"}},
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    preset = made.json()
    again = await client.post(
        "/api/v1/imports/presets", json={"name": "PropStream", "mapping": {}}, headers=admin.headers
    )
    assert again.status_code == 409
    bad = await client.post(
        "/api/v1/imports/presets", json={"name": "X", "mapping": {"bogus": "A"}}, headers=admin.headers
    )
    assert bad.status_code == 422 and "bogus" in bad.json()["error"]["message"]
    renamed = await client.patch(
        f"/api/v1/imports/presets/{preset['id']}", json={"name": "PropStream v2"}, headers=admin.headers
    )
    assert renamed.json()["name"] == "PropStream v2"
    listed = await client.get("/api/v1/imports/presets", headers=admin.headers)
    assert [p["name"] for p in listed.json()] == ["PropStream v2"]
    other = await register(client)
    assert (
        await client.get(f"/api/v1/imports/presets/{preset['id']}", headers=other.headers)
    ).status_code == 404
    gone = await client.delete(f"/api/v1/imports/presets/{preset['id']}", headers=admin.headers)
    assert gone.status_code == 204
    assert (await client.get("/api/v1/imports/presets", headers=admin.headers)).json() == []


# --- running -------------------------------------------------------------------------------------


async def test_signal_cells_must_say_yes_or_no_and_an_equity_needs_the_estimated_value(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    def row(n: int, **cells: str) -> dict[str, str]:
        return lead(**{"Property Address": f"{n} Signal Way", "APN": f"S-{n}", **cells})

    rows = [
        row(1, **{"Tax Delinquent": "maybe", "Vacant": "Vacant"}),
        row(2, **{"Tax Delinquent": "$3,200", "Vacant": "Occupied"}),
        row(3, **{"Tax Delinquent": "2021-04-01", "Vacant": "no"}),
        row(4, **{"Tax Delinquent": "0", "Vacant": "X", "Estimated Value": "", "Est. Equity": "65%"}),
        row(5, **{"Tax Delinquent": "N", "Vacant": "", "Est. Equity": "abc"}),
    ]
    body = await imported(client, admin, csv_bytes(rows))
    assert body["counts"]["created"] == 5
    async with team_session(database, uuid.UUID(admin.team_id)) as session:
        found = await session.execute(
            select(Property.address, Signal.kind).join(
                Signal, (Signal.team_id == Property.team_id) & (Signal.property_id == Property.id)
            )
        )
        recorded = {p["address"]: [] for p in await properties_of(client, admin)}
        for address, kind in found:
            recorded[address].append(kind)
    assert recorded == {
        "1 SIGNAL WAY": ["vacant"],
        "2 SIGNAL WAY": ["tax_delinquent"],
        "3 SIGNAL WAY": ["tax_delinquent"],
        "4 SIGNAL WAY": ["vacant"],
        "5 SIGNAL WAY": [],
    }
    errors = await client.get(f"/api/v1/imports/{body['id']}/errors", headers=admin.headers)
    problems = {(int(r[0]), r[1], r[2]) for r in list(csv.reader(io.StringIO(errors.text)))[1:]}
    assert problems == {
        (
            1,
            "Tax Delinquent",
            "'maybe' is not yes or no (nor an amount or a date) (value skipped; the row was imported)",
        ),
        (
            2,
            "Vacant",
            "'Occupied' is not yes or no (nor an amount or a date) (value skipped; the row was imported)",
        ),
        (
            4,
            "Est. Equity",
            "an equity needs the estimated value on the same row (value skipped; the row was imported)",
        ),
        (5, "Est. Equity", "'abc' is not a number (value skipped; the row was imported)"),
    }
    by_address = {p["address"]: p for p in await properties_of(client, admin)}
    assert by_address["4 SIGNAL WAY"]["mortgage_balance"] is None
    assert by_address["5 SIGNAL WAY"]["mortgage_balance"] is None
    assert by_address["1 SIGNAL WAY"]["mortgage_balance"] == "150000.00"


async def test_import_lands_rows_reports_bad_ones_and_reimport_changes_nothing(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    rows = [
        lead(),
        # Same APN + county as row 1 (another spelling of the address): a duplicate.
        lead(**{"Property Address": "4417 Quillfeather Ln.", "APN": "A1001"}),
        # Same address, unit and ZIP as row 4 without an APN: a duplicate of row 4.
        lead(**{"Property Address": "9 Elm St", "APN": "", "Phone 1": "813-555-0177", "Email 1": ""}),
        lead(**{"Property Address": "9 Elm Street", "APN": "", "Phone 1": "813 555 0177", "Email 1": ""}),
        lead(**{"Property Address": "", "APN": "B-1"}),  # no street: an error row
        lead(**{"Property Address": "1 Pine Rd", "Property Zip": "ABCDE", "APN": "B-2"}),  # malformed ZIP
        # No ZIP but a city and state: lands. The same phone as row 1: one point.
        lead(
            **{
                "Property Address": "5 Birch Ave",
                "Property Zip": "",
                "APN": "B-3",
                "Phone 2": "=cmd|' /C calc'!A0",
            }
        ),
    ]
    body = await imported(client, admin, csv_bytes(rows))
    assert body["counts"] == {
        "total": 7, "created": 3, "updated": 0, "unchanged": 0, "duplicates": 2, "errors": 2,
        "skipped": 0, "warnings": 1,
    }  # fmt: skip
    assert body["progress"]["percent"] == 100
    props = {p["address"]: p for p in await properties_of(client, admin)}
    assert set(props) == {"4417 QUILLFEATHER LN", "9 ELM ST", "5 BIRCH AVE"}
    first = props["4417 QUILLFEATHER LN"]
    assert first["mortgage_balance"] == "150000.00" and first["square_feet"] == 1450
    assert first["county"] == "Hillsborough" and first["property_type"] == "single_family"
    assert props["5 BIRCH AVE"]["zip_code"] == "" and props["5 BIRCH AVE"]["city"] == "TAMPA"

    points = await points_of(database, admin)
    assert set(points) == {"+18135550142", "+18135550177", "dana.whitlock@example.com"}
    phone = points["+18135550142"]
    assert phone.line_type == "mobile" and phone.dnc is False and phone.dnc_checked_at is not None

    # Dana owns three of the properties: one contact, one point per phone.
    owners = await client.get(f"/api/v1/properties/{first['id']}/contacts", headers=admin.headers)
    assert owners.status_code == 200, owners.text

    errors = await client.get(f"/api/v1/imports/{body['id']}/errors", headers=admin.headers)
    assert errors.status_code == 200
    assert errors.headers["content-type"].startswith("text/csv")
    report = list(csv.reader(io.StringIO(errors.text)))
    assert report[0][:4] == ["row_number", "column", "reason", "Property Address"]
    by_row = {int(r[0]): r for r in report[1:]}
    assert set(by_row) == {5, 6, 7}
    assert by_row[5][1] == "Property Address" and "no street" in by_row[5][2]
    assert by_row[6][1] == "Property Zip"
    assert by_row[7][1] == "Phone 2" and "row was imported" in by_row[7][2]
    # A cell that looks like a formula is neutralised.
    assert "'=cmd|' /C calc'!A0" in by_row[7]

    again = await imported(client, admin, csv_bytes(rows))
    assert again["counts"]["created"] == 0 and again["counts"]["updated"] == 0
    assert again["counts"]["unchanged"] == 3 and again["counts"]["duplicates"] == 2
    assert len(await properties_of(client, admin)) == 3
    assert set(await points_of(database, admin)) == set(points)

    history = await client.get("/api/v1/imports?limit=1", headers=admin.headers)
    assert [i["id"] for i in history.json()["items"]] == [again["id"]]
    more = await client.get(
        f"/api/v1/imports?limit=1&cursor={history.json()['next_cursor']}", headers=admin.headers
    )
    assert [i["id"] for i in more.json()["items"]] == [body["id"]]


async def test_an_unreadable_csv_record_is_a_bad_row_and_the_rows_after_it_land(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """A cell past the CSV reader's 1 MB limit (a quote left open runs on like this) had failed
    the preview with a 500 and the import outright; it is one refused row now."""
    huge = "A" * (1024 * 1024 + 10)
    rows = [
        lead(),
        lead(**{"Property Address": huge, "APN": "X-1"}),
        lead(**{"Property Address": "9 Elm St", "APN": "X-2"}),
    ]
    data = csv_bytes(rows)
    preview = await client.post(
        "/api/v1/imports/preview", files={"file": ("leads.csv", data, "text/csv")}, headers=admin.headers
    )
    assert preview.status_code == 200, preview.text[:300]
    shown = preview.json()
    assert [r["lands"] for r in shown["rows"]] == [True, False, True]
    (problem,) = shown["problems"]
    assert problem["row_number"] == 2 and "over 1 MB" in problem["reason"] and problem["column"] is None

    body = await imported(client, admin, data)
    assert body["counts"]["total"] == 3 and body["counts"]["created"] == 2 and body["counts"]["errors"] == 1
    errors = await client.get(f"/api/v1/imports/{body['id']}/errors", headers=admin.headers)
    (row,) = list(csv.DictReader(io.StringIO(errors.text)))
    assert row["row_number"] == "2" and "quote" in row["reason"]

    # An unreadable header row is the file's problem: 422.
    bad_head = ("Property Address," + huge + "\n1 Main St,x\n").encode()
    refused = await client.post(
        "/api/v1/imports/preview", files={"file": ("leads.csv", bad_head, "text/csv")}, headers=admin.headers
    )
    assert refused.status_code == 422 and "header row" in refused.json()["error"]["message"]


async def test_a_nul_byte_in_a_cell_is_dropped_not_a_failed_import(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """PostgreSQL text cannot hold NUL: one in an owner's name had failed the whole import
    ("invalid byte sequence for encoding UTF8: 0x00")."""
    data = csv_bytes(
        [lead(**{"Owner 1 First Name": "Da\x00na"}), lead(**{"Property Address": "9 Elm St", "APN": "N-2"})]
    )
    body = await imported(client, admin, data)
    assert body["counts"]["created"] == 2 and body["counts"]["errors"] == 0
    first = next(p for p in await properties_of(client, admin) if p["apn"] == "A-1001")
    owners = await client.get(f"/api/v1/properties/{first['id']}/contacts", headers=admin.headers)
    assert [o["contact"]["first_name"] for o in owners.json() if o["role"] == "owner"] == ["Dana"]


async def test_backslashes_and_line_breaks_in_cells_land_as_written(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """Values go to PostgreSQL as COPY text, where a backslash, a tab or a line break must be
    escaped and anything else must not be: the normaliser escapes only values that need it."""
    data = csv_bytes(
        [
            lead(**{"Owner 1 First Name": "O\\Brien", "APN": "A\\1001"}),
            lead(**{"Property Address": "9 Elm St", "APN": "N-2", "Owner 1 Last Name": "Núñez\nLópez"}),
        ]
    )
    body = await imported(client, admin, data)
    assert body["counts"]["created"] == 2 and body["counts"]["errors"] == 0
    found = {p["apn"]: p for p in await properties_of(client, admin)}
    assert set(found) == {"A\\1001", "N-2"}
    names = []
    for apn in ("A\\1001", "N-2"):
        owners = await client.get(f"/api/v1/properties/{found[apn]['id']}/contacts", headers=admin.headers)
        names += [(o["contact"]["first_name"], o["contact"]["last_name"]) for o in owners.json()]
    # A line break inside a name is whitespace, folded into one space like any other run of it.
    assert ("O\\Brien", lead()["Owner 1 Last Name"]) in names
    assert (lead()["Owner 1 First Name"], "Núñez López") in names


async def test_on_duplicate_update_versus_skip_and_skip_trace_facts(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    made = await client.post(
        "/api/v1/properties",
        json={
            "address": "4417 Quillfeather Lane",
            "city": "Tampa",
            "state": "FL",
            "zip_code": "33610",
            "bedrooms": 2,
        },
        headers=admin.headers,
    )
    assert made.status_code == 201
    prop_id = made.json()["id"]
    changed = lead(**{"APN": "", "Bedrooms": "4", "Phone 1 Type": "Landline", "Phone 1 DNC": "Y"})
    skipped = await imported(client, admin, csv_bytes([changed]), on_duplicate="skip")
    assert skipped["counts"]["unchanged"] == 1 and skipped["counts"]["skipped"] == 1
    assert (await client.get(f"/api/v1/properties/{prop_id}", headers=admin.headers)).json()["bedrooms"] == 2
    assert await points_of(database, admin) == {}

    updated = await imported(client, admin, csv_bytes([changed]))
    assert updated["counts"]["updated"] == 1 and updated["counts"]["created"] == 0
    prop = (await client.get(f"/api/v1/properties/{prop_id}", headers=admin.headers)).json()
    assert prop["bedrooms"] == 4 and prop["square_feet"] == 1450
    point = (await points_of(database, admin))["+18135550142"]
    assert point.line_type == "landline" and point.dnc is True and point.dnc_checked_at is not None
    provenance = await client.get(f"/api/v1/properties/{prop_id}/provenance", headers=admin.headers)
    if provenance.status_code == 200:
        fields = {f["field"]: f for f in provenance.json()}
        assert fields["bedrooms"]["source"] == "import"


async def test_an_owner_on_several_rows_gets_one_primary_phone_and_one_primary_email(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    """The same owner (name and mailing address) on three rows is one contact. Each row's Phone 1
    and Email 1 used to be primary alike; the contacts API keeps one of each kind."""
    rows = [
        lead(**{"Property Address": "1 Ash Ct", "APN": "P-1", "Phone 1": "", "Phone 2": "(813) 555-0102",
                "Email 1": "first@example.com"}),
        lead(**{"Property Address": "2 Ash Ct", "APN": "P-2", "Phone 1": "(813) 555-0201",
                "Email 1": "second@example.com"}),
        lead(**{"Property Address": "3 Ash Ct", "APN": "P-3", "Phone 1": "(813) 555-0301", "Email 1": ""}),
    ]  # fmt: skip
    assert (await imported(client, admin, csv_bytes(rows)))["counts"]["created"] == 3
    points = await points_of(database, admin)
    assert len({p.contact_id for p in points.values()}) == 1
    primary = sorted(value for value, p in points.items() if p.is_primary)
    # Phone 1 of the first row that has one, before an earlier row's Phone 2.
    assert primary == ["+18135550201", "first@example.com"]


async def test_the_owners_mailing_unit_is_kept_and_absentee_reads_units(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """A mailing unit, inline or in its own column, stays on the owner's street line. An owner
    mailing to the property's unit (under any designator) or to its street line without a unit
    is at home; an owner in another unit of the building is absentee; an owner anywhere in a
    building bought whole is at home."""
    headers = [*HEADERS, "Unit #", "Mailing Unit #"]
    building = {"Property Address": "100 Bayshore Blvd", "Mailing Address": "100 Bayshore Blvd"}
    home = {"Mailing City": "Tampa", "Mailing State": "FL", "Mailing Zip": "33610"}
    rows = [
        lead(**building, **home, **{"APN": "U-1", "Unit #": "Unit 4B", "Mailing Unit #": "Apt 4B"}),
        lead(**building, **home, **{"APN": "U-2", "Unit #": "Unit 5", "Mailing Unit #": ""}),
        lead(**building, **home, **{"APN": "U-3", "Unit #": "Unit 6", "Mailing Unit #": "Apt 9"}),
        lead(
            **home, **{"APN": "U-4", "Property Address": "12 Palm Ave", "Mailing Address": "12 Palm Ave #2"}
        ),
        lead(**home, **{"APN": "U-5", "Property Address": "14 Palm Ave", "Mailing Address": "14 Palm Ave E"}),
    ]
    await imported(client, admin, csv_bytes(rows, headers))
    await run_jobs()  # the rescoring the import queued derives the signals
    by_apn = {p["apn"]: p for p in await properties_of(client, admin)}
    expected = {
        "U-1": ("100 BAYSHORE BLVD APT 4B", False),
        "U-2": ("100 BAYSHORE BLVD", False),
        "U-3": ("100 BAYSHORE BLVD APT 9", True),
        "U-4": ("12 PALM AVE # 2", False),
        "U-5": ("14 PALM AVE E", True),
    }
    found = {}
    for apn, prop in by_apn.items():
        owners = await client.get(f"/api/v1/properties/{prop['id']}/contacts", headers=admin.headers)
        (owner,) = [c for c in owners.json() if c["role"] == "owner"]
        signals = await client.get(f"/api/v1/properties/{prop['id']}/signals", headers=admin.headers)
        kinds = {s["kind"] for s in signals.json()}
        found[apn] = (owner["contact"]["street"], "absentee_owner" in kinds)
    assert found == expected
    assert by_apn["U-1"]["unit"] == "UNIT 4B"


async def test_whole_addresses_in_one_cell_land_with_their_city_state_and_zip(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """Lists scraped from listing sites or taken from county notices write the whole address in
    one cell. Such rows had been refused ("no ZIP code, and no city and state"); the place after
    the street now fills what no column gives, for the property and the owner's mailing address,
    and a bad part of it is reported under the address column."""
    headers = ["Full Address", "Owner Name", "Mailing Full Address"]
    rows = [
        {
            "Full Address": "12 Oak St, Tampa, FL 33610",
            "Owner Name": "John Smith",
            "Mailing Full Address": "77 Harbor View Dr, Atlanta, GA 30301",
        },
        {
            "Full Address": "400 W Main Street Apt 5, Springfield IL 62701",
            "Owner Name": "Ann Lee",
            "Mailing Full Address": "400 W Main St Apt 5, Springfield, IL 62701",
        },
        {"Full Address": "9 Elm Ct, Tampa, ZZ 33610", "Owner Name": "Bo Ray", "Mailing Full Address": ""},
        {
            "Full Address": "18 Birch Hollow Rd, Tampa, FL 33610",
            "Owner Name": "Cy Dow",
            "Mailing Full Address": "PO Box 12, Miami, FL 3312",
        },
    ]
    body = await imported(client, admin, csv_bytes(rows, headers))
    assert body["mapping"]["address"] == "Full Address"
    assert body["mapping"]["mailing_street"] == "Mailing Full Address"
    assert (body["counts"]["created"], body["counts"]["errors"]) == (3, 1)
    await run_jobs()  # the rescoring the import queued derives the signals
    found = {}
    for prop in await properties_of(client, admin):
        owners = await client.get(f"/api/v1/properties/{prop['id']}/contacts", headers=admin.headers)
        (owner,) = [c["contact"] for c in owners.json() if c["role"] == "owner"]
        signals = await client.get(f"/api/v1/properties/{prop['id']}/signals", headers=admin.headers)
        kinds = {s["kind"] for s in signals.json()}
        found[prop["address"]] = (
            (prop["unit"], prop["city"], prop["state"], prop["zip_code"]),
            (owner["street"], owner["city"], owner["state"], owner["zip_code"]),
            "absentee_owner" in kinds,
        )
    assert found == {
        "12 OAK ST": ((None, "TAMPA", "FL", "33610"), ("77 HARBOR VIEW DR", "ATLANTA", "GA", "30301"), True),
        "400 W MAIN ST": (
            ("APT 5", "SPRINGFIELD", "IL", "62701"),
            ("400 W MAIN ST APT 5", "SPRINGFIELD", "IL", "62701"),
            False,
        ),
        # The mailing ZIP is bad: reported, and the rest of the owner's address kept.
        "18 BIRCH HOLLOW RD": ((None, "TAMPA", "FL", "33610"), ("PO BOX 12", "MIAMI", "FL", None), False),
    }
    errors = await client.get(f"/api/v1/imports/{body['id']}/errors", headers=admin.headers)
    report = {int(r[0]): r[1:3] for r in list(csv.reader(io.StringIO(errors.text)))[1:]}
    assert report[3][0] == "Full Address" and "'ZZ' is not a US state" in report[3][1]
    assert report[4][0] == "Mailing Full Address" and "not a ZIP code" in report[4][1]


async def test_undo_puts_the_scores_back_with_the_signals_and_facts(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """An import that brings a signal, a value and an absentee owner to a lead the team has
    raises its score; undoing it removed the signal and restored the value but left the score
    (and the derived signals) as the import had made them, until the nightly run. Undo now
    queues the team's rescoring with its own write."""
    created = await client.post(
        "/api/v1/properties",
        json={"address": "9 Elm St", "city": "Tampa", "state": "FL", "zip_code": "33610"},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    lead_id = created.json()["id"]
    await run_jobs()

    async def scored() -> tuple[int, set[str]]:
        prop = (await client.get(f"/api/v1/properties/{lead_id}", headers=admin.headers)).json()
        score = (await client.get(f"/api/v1/properties/{lead_id}/score", headers=admin.headers)).json()
        assert score["stored_score"] == score["score"] == prop["score"]
        signals = await client.get(f"/api/v1/properties/{lead_id}/signals", headers=admin.headers)
        return prop["score"], {s["kind"] for s in signals.json()}

    before = await scored()
    assert before == (0, set())
    row = lead(
        **{
            "Property Address": "9 Elm St",
            "APN": "",
            "Estimated Value": "$300,000",
            "Est. Equity": "$300,000",  # free and clear, high equity
            "Tax Delinquent": "Yes",
        }
    )  # the owner mails from Atlanta: absentee, out of state
    body = await imported(client, admin, csv_bytes([row]))
    assert body["counts"]["updated"] == 1
    await run_jobs()
    score, kinds = await scored()
    assert score > 40
    assert kinds >= {
        "tax_delinquent",
        "absentee_owner",
        "out_of_state_owner",
        "free_and_clear",
        "high_equity",
    }

    undone = await client.post(f"/api/v1/imports/{body['id']}/undo", headers=admin.headers)
    assert undone.status_code == 200, undone.text
    await run_jobs()
    assert await scored() == before


async def test_undo_removes_what_was_created_keeps_worked_leads_and_restores_fields_still_equal(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    existing = await client.post(
        "/api/v1/properties",
        json={
            "address": "9 Elm St",
            "city": "Tampa",
            "state": "FL",
            "zip_code": "33610",
            "bedrooms": 2,
            "square_feet": 900,
        },
        headers=admin.headers,
    )
    existing_id = existing.json()["id"]
    rows = [
        lead(),
        lead(
            **{
                "Property Address": "9 Elm St",
                "APN": "",
                "Bedrooms": "5",
                "Sq Ft": "1000",
                "Phone 1": "813-555-0177",
            }
        ),
        lead(
            **{
                "Property Address": "12 Worked Way",
                "APN": "C-3",
                "Phone 1": "813-555-0188",
                "Owner 1 First Name": "Kim",
            }
        ),
    ]
    body = await imported(client, admin, csv_bytes(rows))
    assert body["counts"]["created"] == 2 and body["counts"]["updated"] == 1
    by_address = {p["address"]: p for p in await properties_of(client, admin)}
    worked = by_address["12 WORKED WAY"]["id"]
    task = await client.post(
        "/api/v1/tasks",
        json={"title": "Call the owner", "property_id": worked, "due_at": "2030-01-01T09:00:00Z"},
        headers=admin.headers,
    )
    assert task.status_code == 201, task.text
    # Someone edits square feet after the import: undo must keep that edit.
    edit = await client.patch(
        f"/api/v1/properties/{existing_id}", json={"square_feet": 1111}, headers=admin.headers
    )
    assert edit.status_code == 200

    other = await register(client)
    assert (await client.post(f"/api/v1/imports/{body['id']}/undo", headers=other.headers)).status_code == 404
    assert (await client.get(f"/api/v1/imports/{body['id']}", headers=other.headers)).status_code == 404
    assert (
        await client.get(f"/api/v1/imports/{body['id']}/errors", headers=other.headers)
    ).status_code == 404
    viewer = await add_member(client, database, admin, role="viewer")
    assert (
        await client.post(f"/api/v1/imports/{body['id']}/undo", headers=viewer.headers)
    ).status_code == 403

    undone = await client.post(f"/api/v1/imports/{body['id']}/undo", headers=admin.headers)
    assert undone.status_code == 200, undone.text
    report = undone.json()["undo_report"]
    assert undone.json()["status"] == "undone"
    assert report["removed"]["properties"] == 1
    assert report["kept"]["properties"] == 1
    assert report["kept"]["property_details"][0]["reasons"] == [
        "has tasks",
        "has stage changes or edits",
    ] or ("has tasks" in report["kept"]["property_details"][0]["reasons"])
    # The import filled nine empty fields and changed bedrooms and square feet; all but the
    # edited square feet go back.
    assert report["restored"] == {"properties": 1, "fields": 9}
    assert report["kept"]["fields"][0]["fields"] == ["square_feet"]
    left = {p["address"]: p for p in await properties_of(client, admin)}
    assert set(left) == {"9 ELM ST", "12 WORKED WAY"}
    assert left["9 ELM ST"]["bedrooms"] == 2 and left["9 ELM ST"]["square_feet"] == 1111
    assert left["9 ELM ST"]["estimated_value"] is None and left["9 ELM ST"]["county"] is None
    points = await points_of(database, admin)
    # Kim's phone stays with the worked lead; Dana's points went with her contact.
    assert set(points) == {"+18135550188"}

    again = await client.post(f"/api/v1/imports/{body['id']}/undo", headers=admin.headers)
    assert again.status_code == 200 and again.json()["undo_report"] == report


async def test_tenancy_of_imports(client: httpx.AsyncClient, admin: Member, database: Database) -> None:
    body = await imported(client, admin, csv_bytes([lead()]))
    other = await register(client)
    assert (await client.get("/api/v1/imports", headers=other.headers)).json()["items"] == []
    assert await properties_of(client, other) == []
    async with team_session(database, uuid.UUID(other.team_id)) as session:
        assert (await session.scalars(select(Import))).all() == []
    agent = await add_member(client, database, admin, role="agent")
    seen = await client.get(f"/api/v1/imports/{body['id']}", headers=agent.headers)
    assert seen.status_code == 200


async def test_provenance_of_an_imported_property_names_the_import_and_its_column(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    body = await imported(client, admin, csv_bytes([lead(APN="P-77")]))
    (prop,) = await properties_of(client, admin)
    response = await client.get(f"/api/v1/properties/{prop['id']}/provenance", headers=admin.headers)
    assert response.status_code == 200, response.text
    origins = {o["field"]: o for o in response.json()}
    assert origins["apn"]["source"] == "import"
    assert origins["apn"]["detail"]["import_id"] == body["id"]

    # The mapping the import used gives each field its column (callers pass it to provenance).
    from reos.properties import service as properties
    from reos.properties.models import Property

    team = uuid.UUID(admin.team_id)
    async with team_session(database, team) as session:
        found = await session.get(Property, uuid.UUID(prop["id"]))
        assert found is not None
        source = await properties.source_import(session, team_id=team, prop=found)
        assert source is not None
        used = dict(source.mapping)
        rows = {o.field: o for o in properties.provenance(found, [], used)}
    assert rows["apn"].source == "import"
    assert rows["apn"].detail == {"import_id": body["id"], "column": "APN"}
    assert rows["address"].detail["column"] == "Property Address"


def analyses(conn: psycopg.Connection, table: str) -> int:
    """How many times `table` was analysed by a command (autovacuum's own count apart)."""
    query = "select analyze_count from pg_stat_user_tables where relname = %s"
    row = conn.execute(query, (table,)).fetchone()
    assert row is not None
    return int(row[0])


async def test_a_big_import_refreshes_the_planners_statistics_and_a_small_one_does_not(
    client: httpx.AsyncClient, admin: Member, owner_conn: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-import or an undo right after a big import plans with statistics that count it
    (migration 0014), so neither needs to force hash joins; a small import costs no ANALYZE."""
    monkeypatch.setattr(engine, "ANALYZE_AFTER_ROWS", 30)  # the real threshold is 1,000 leads
    # The refresh before the merge answers to what other tests wrote; it has a test of its own.
    monkeypatch.setattr(engine, "STALE_STATISTICS_SQL", "SELECT false")

    before = analyses(owner_conn, "properties")
    small = [lead(**{"Property Address": f"{n} Small Street", "APN": f"S-{n}"}) for n in range(5)]
    assert (await imported(client, admin, csv_bytes(small)))["counts"]["created"] == 5
    assert analyses(owner_conn, "properties") == before
    big = [lead(**{"Property Address": f"{n} Big Avenue", "APN": f"B-{n}"}) for n in range(40)]
    assert (await imported(client, admin, csv_bytes(big)))["counts"]["created"] == 40
    assert analyses(owner_conn, "properties") == before + 1


async def test_an_import_into_a_team_changed_since_its_last_analyze_refreshes_the_statistics_first(
    client: httpx.AsyncClient, admin: Member, owner_conn: psycopg.Connection, database: Database
) -> None:
    """Leads written a moment ago (the demo's, a bulk edit) are not in the planner's statistics
    until autovacuum comes round. The matching planned the demo team's 5,000 leads as one and
    looped over a 100,000-row file once per lead (ten minutes). An import first analyses the lead
    tables when their live rows differ from the planner's count by more than 50 + 10 %, in a
    transaction of its own; with fresh statistics it does not."""
    team = uuid.UUID(admin.team_id)
    owner_conn.execute("select reos_analyze_leads()")
    live = owner_conn.execute(
        "select n_live_tup from pg_stat_user_tables where relname = 'property_lookup'"
    ).fetchone()
    assert live is not None
    many = max(500, int(live[0]) // 5 + 100)
    with owner_conn.transaction():
        owner_conn.execute("select set_config('app.team_id', %s, true)", (admin.team_id,))
        owner_conn.execute(
            "insert into properties (id, team_id, created_at, updated_at, stage_changed_at, stage, address, "
            "city, state, zip_code) select uuid_v7(), %s, now(), now(), now(), 'new', "
            "n || ' Unanalysed Row', 'Tulsa', 'OK', '74103' from generate_series(1, %s) n",
            (admin.team_id, many),
        )
        # This connection's counts reach the statistics at its next report, not up to a second later.
        owner_conn.execute("select pg_stat_force_next_flush()")
    owner_conn.execute("select 1")
    before = analyses(owner_conn, "property_lookup")
    small = [lead(**{"Property Address": f"{n} Stale Street", "APN": f"T-{n}"}) for n in range(5)]
    assert (await imported(client, admin, csv_bytes(small)))["counts"]["created"] == 5
    assert analyses(owner_conn, "property_lookup") == before + 1
    # Fresh now: the next look finds nothing to do.
    assert await engine.refresh_stale_statistics(database, team) is False


async def test_progress_names_each_merge_step_in_order_and_clears_the_phase_at_the_end(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    """The merge is most of a big import's run: its steps are announced as they start, so the
    progress page never sits at 99 % without saying what it is doing."""
    from reos.events.models import LiveEvent

    body = await imported(
        client, admin, csv_bytes([lead(), lead(**{"APN": "C-2", "Property Address": "2 Oak St"})])
    )
    assert body["progress"] == {
        "rows_done": 2, "rows_total": 2, "percent": 100, "phase": None, "step": None, "steps": 6,
    }  # fmt: skip
    async with team_session(database, uuid.UUID(admin.team_id)) as session:
        events = (
            await session.scalars(
                select(LiveEvent).where(LiveEvent.type == "import.progress").order_by(LiveEvent.seq)
            )
        ).all()
    mine = [e.data for e in events if e.data["id"] == body["id"]]
    phases = [d["phase"] for d in mine if d["status"] == "running"]
    assert phases == ["reading", *engine.MERGE_STEPS]
    # From the first merge step on, the rows read are exact, not an estimate.
    assert all(d["rows_done"] == d["rows_total"] == 2 for d in mine if d["phase"] in engine.MERGE_STEPS)
    assert mine[-1]["status"] == "completed" and mine[-1]["phase"] is None
    async with team_session(database, uuid.UUID(admin.team_id)) as session:
        row = await session.get(Import, uuid.UUID(body["id"]))
        assert row is not None and row.phase is None


def on_merge_step(monkeypatch: pytest.MonkeyPatch, hook: Any) -> None:
    """Call `hook(session, step)` inside the merge's own transaction as each step starts."""
    real_merge = engine.merge

    async def merge(session: Any, **kwargs: Any) -> dict[str, int]:
        announce = kwargs.pop("on_step")

        async def both(name: str) -> None:
            await announce(name)
            await hook(session, name)

        return await real_merge(session, on_step=both, **kwargs)

    monkeypatch.setattr(engine, "merge", merge)


async def test_a_failed_import_clears_its_phase(
    client: httpx.AsyncClient, admin: Member, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(session: Any, name: str) -> None:
        if name == "owners":
            raise RuntimeError("the disk is full")

    on_merge_step(monkeypatch, broken)
    response = await start(client, admin, csv_bytes([lead()]))
    await run_jobs()
    found = (await client.get(f"/api/v1/imports/{response.json()['id']}", headers=admin.headers)).json()
    assert found["status"] == "failed" and "the disk is full" in found["error"]
    assert found["progress"]["phase"] is None and found["progress"]["step"] is None
    assert await properties_of(client, admin) == []
    inbox = (await client.get("/api/v1/notifications", headers=admin.headers)).json()["items"]
    assert [(n["kind"], n["title"], n["link"]) for n in inbox] == [
        ("import_finished", "Import failed: leads.csv", f"/imports/{found['id']}")
    ]
    assert "the disk is full" in inbox[0]["body"]


async def test_the_member_who_started_an_import_hears_how_it_ended(
    client: httpx.AsyncClient, admin: Member
) -> None:
    body = await imported(client, admin, csv_bytes([lead(), lead(**{"Property Zip": "ABCDE", "APN": "Z-1"})]))
    inbox = (await client.get("/api/v1/notifications", headers=admin.headers)).json()["items"]
    assert [(n["kind"], n["title"], n["body"], n["link"]) for n in inbox] == [
        (
            "import_finished",
            "Import finished: leads.csv",
            "1 new, 0 updated, 0 unchanged; 1 row refused",
            f"/imports/{body['id']}",
        )
    ]


async def _phase_of(database: Database, team_id: uuid.UUID, filename: str, phase: str) -> None:
    """Wait (bounded) until the team's import of `filename` reports `phase`."""
    for _ in range(400):
        async with team_session(database, team_id) as session:
            found = await session.scalar(
                select(Import.phase).where(Import.team_id == team_id, Import.filename == filename)
            )
        if found == phase:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{filename} never reached {phase!r} (last: {found!r})")


async def test_imports_of_one_team_merge_one_at_a_time_and_never_double_a_lead(
    client: httpx.AsyncClient, admin: Member, database: Database, tmp_path: Path
) -> None:
    """Two imports of the same list side by side each matched against the rows committed before
    them, and both created every lead. The merge now takes the team's lock: the second waits,
    says so, and finds the first's rows."""
    from reos.imports import service as imports

    team = uuid.UUID(admin.team_id)
    rows = [lead(**{"Property Address": f"{n} Twin Court", "APN": f"T-{n}"}) for n in range(6)]
    for name in ("first.csv", "second.csv"):
        (tmp_path / name).write_bytes(csv_bytes(rows))
    async with team_session(database, team) as holder:
        # Someone else (an undo, another import) holds the team's lock.
        await lock_leads(holder, team)
        first = asyncio.create_task(
            imports.import_path(database, team_id=team, path=str(tmp_path / "first.csv"))
        )
        await _phase_of(database, team, "first.csv", "waiting")
        second = asyncio.create_task(
            imports.import_path(database, team_id=team, path=str(tmp_path / "second.csv"))
        )
        await _phase_of(database, team, "second.csv", "waiting")
        assert await properties_of(client, admin) == []
    done = await asyncio.gather(first, second)
    counts = sorted((imp.counts["created"], imp.counts["unchanged"]) for imp in done)
    assert counts == [(0, 6), (6, 0)]
    assert len(await properties_of(client, admin)) == 6
