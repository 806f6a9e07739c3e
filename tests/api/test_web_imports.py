"""The import wizard's pages over HTTP: upload → draft → mapping with its preview → start (with a
saved preset) → report → undo; bad files and bad mappings answered on the page with what is
wrong; drafts kept out of the API; another team's draft unreachable; stale drafts swept."""

from __future__ import annotations

import io
import re
import uuid
from datetime import timedelta

import httpx
import psycopg
import pytest
from sqlalchemy import select, text

from reos.db.session import Database, team_session
from reos.errors import NotFound
from reos.imports import service as imports
from reos.imports.models import Import
from reos.jobs import maintenance
from reos.kit import clock
from reos.providers import registry as providers
from tests.api.test_imports import HEADERS, LIST_HEADERS, csv_bytes, lead, several_sheets
from tests.api.test_web_pages import web_login
from tests.fixtures.api import Member, add_member, register
from tests.fixtures.jobs import run_jobs

pytestmark = pytest.mark.usefixtures("job_queue")


def _file() -> bytes:
    return csv_bytes(
        [
            lead(),
            lead(**{"Property Address": "18 Birch Hollow Rd", "APN": "A-1002", "Phone 1": "(813) 555-0143"}),
            lead(**{"Property Address": "", "APN": "A-1003"}),  # no street: refused
            lead(**{"Property Address": "9 Cedar Ct", "APN": "A-1004", "Property Zip": "3361"}),
        ]
    )


def _selected(html: str, header: str) -> str:
    """The target chosen for a column on the mapping page ('' for "Don't import")."""
    row = re.search(
        r"<tr[^>]*>\s*<td><span class=\"cell-main\">" + re.escape(header) + r"</span></td>(.*?)</tr>",
        html,
        re.S,
    )
    assert row, f"no row for column {header!r}"
    chosen = re.search(r'<option value="([a-z0-9_]*)" selected>', row.group(1))
    return chosen.group(1) if chosen else ""


def _form(html: str) -> dict[str, str]:
    """The mapping form as the page shows it: one `col__N` per column with its chosen target."""
    values = {}
    for index, header in enumerate(HEADERS):
        values[f"col__{index}"] = _selected(html, header)
    return values


async def _upload(
    client: httpx.AsyncClient, csrf: str, data: bytes, name: str = "leads.csv"
) -> httpx.Response:
    return await client.post(
        "/imports/upload", files={"file": (name, data, "text/csv")}, data={"csrf_token": csrf}
    )


async def test_wizard_end_to_end(
    client: httpx.AsyncClient, admin: Member, database: Database, owner_conn: psycopg.Connection
) -> None:
    csrf = await web_login(client, admin.email)
    empty = await client.get("/imports")
    assert empty.status_code == 200 and "No imports yet" in empty.text

    uploaded = await _upload(client, csrf, _file())
    assert uploaded.status_code == 303, uploaded.text
    draft_url = uploaded.headers["location"]
    draft_id = draft_url.split("/")[2]
    assert draft_url == f"/imports/{draft_id}/mapping"

    # A draft is not an import yet: the API neither lists nor shows it, and nothing landed.
    listed = await client.get("/api/v1/imports", headers=admin.headers)
    assert listed.json()["items"] == []
    assert (await client.get(f"/api/v1/imports/{draft_id}", headers=admin.headers)).status_code == 404
    assert (await client.post(f"/api/v1/imports/{draft_id}/undo", headers=admin.headers)).status_code == 404
    assert (await client.get(f"/api/v1/imports/{draft_id}/errors", headers=admin.headers)).status_code == 404
    # The report page of a draft leads back to its mapping.
    assert (await client.get(f"/imports/{draft_id}")).headers["location"] == draft_url

    page = await client.get(draft_url)
    assert page.status_code == 200
    assert _selected(page.text, "Property Address") == "address"
    assert _selected(page.text, "Owner 1 First Name") == "owner_first_name"
    assert _selected(page.text, "Phone 1 DNC") == "phone_1_dnc"
    assert _selected(page.text, "Tax Delinquent") == "tax_delinquent"
    assert "18 Birch Hollow Rd" in page.text  # a sample value
    assert "row refused" in page.text  # the preview's problems: the row without a street

    form = _form(page.text)
    # The preview follows an edited mapping: without the tax column the signal disappears.
    tax = f"col__{HEADERS.index('Tax Delinquent')}"
    previewed = await client.post(f"/imports/{draft_id}/preview", data={**form, tax: "", "csrf_token": csrf})
    assert previewed.status_code == 200
    assert "tax delinquent" not in previewed.text and "4417 QUILLFEATHER LN" in previewed.text
    # Two columns on one field are named, on the preview and when starting.
    clash = {**form, tax: "vacant", f"col__{HEADERS.index('Vacant')}": "vacant", "csrf_token": csrf}
    clashed = await client.post(f"/imports/{draft_id}/preview", data=clash)
    assert "Two columns are set to the same field" in clashed.text
    refused = await client.post(f"/imports/{draft_id}/start", data=clash)
    assert refused.status_code == 422
    assert "Vacant is already the column “Tax Delinquent”" in refused.text.replace("Signal: ", "")
    # No street column: refused with the reason, the choices kept.
    no_street = {**form, "col__0": "", "csrf_token": csrf, "on_duplicate": "skip"}
    refused = await client.post(f"/imports/{draft_id}/start", data=no_street)
    assert refused.status_code == 422 and "no column is mapped to address" in refused.text
    assert 'value="skip" checked' in refused.text
    assert (await client.get("/api/v1/imports", headers=admin.headers)).json()["items"] == []

    started = await client.post(
        f"/imports/{draft_id}/start",
        data={**form, "csrf_token": csrf, "on_duplicate": "update", "preset_name": "County list"},
    )
    assert started.status_code == 303, started.text
    assert started.headers["location"] == f"/imports/{draft_id}"
    presets = (await client.get("/api/v1/imports/presets", headers=admin.headers)).json()
    assert [p["name"] for p in presets] == ["County list"]
    assert presets[0]["mapping"]["address"] == "Property Address"
    running = await client.get(f"/imports/{draft_id}")
    assert running.status_code == 200 and "Waiting for a worker" in running.text
    # Start sent twice (a double click, a reload): the run is shown, and one job is queued.
    again = await client.post(f"/imports/{draft_id}/start", data={**form, "csrf_token": csrf})
    assert again.status_code == 303 and again.headers["location"] == f"/imports/{draft_id}"
    queued = owner_conn.execute(
        "select count(*) from procrastinate_jobs where task_name = 'imports.run' and args->>'import_id' = %s",
        (draft_id,),
    ).fetchone()
    assert queued is not None and queued[0] == 1

    await run_jobs()
    done = await client.get(f"/imports/{draft_id}")
    assert done.status_code == 200
    counts = re.findall(r'data-count="(\w+)">([\d,]+)<', done.text)
    assert dict(counts) == {"created": "3", "duplicates": "0", "errors": "1"}
    assert "Download all as CSV" in done.text and f"/api/v1/imports/{draft_id}/errors" in done.text
    assert "Undo import" in done.text
    # Each imported lead's page names the file it came from, linked to this report.
    lead_id = (await client.get("/api/v1/properties?limit=1", headers=admin.headers)).json()["items"][0]["id"]
    lead_page = await client.get(f"/properties/{lead_id}")
    assert f'<a href="/imports/{draft_id}" data-source-import>leads.csv</a>' in lead_page.text
    history = await client.get("/imports")
    assert "leads.csv" in history.text and "Completed" in history.text

    undone = await client.post(f"/imports/{draft_id}/undo", data={"csrf_token": csrf})
    assert undone.status_code == 303
    report = await client.get(f"/imports/{draft_id}")
    assert "Undone" in report.text and "Undo import" not in report.text
    assert "<strong>3 properties</strong> removed" in report.text
    properties = await client.get("/api/v1/properties", headers=admin.headers)
    assert properties.json()["items"] == []
    # Undoing again is a no-op; the mapping step of a started import leads to its report.
    assert (await client.post(f"/imports/{draft_id}/undo", data={"csrf_token": csrf})).status_code == 303
    assert (await client.get(draft_url)).headers["location"] == f"/imports/{draft_id}"


async def test_a_saved_mapping_applies_to_a_new_file(client: httpx.AsyncClient, admin: Member) -> None:
    csrf = await web_login(client, admin.email)
    preset = await client.post(
        "/api/v1/imports/presets",
        json={"name": "Skip tracer", "mapping": {"address": "Mailing Address", "city": "Gone Column"}},
        headers=admin.headers,
    )
    assert preset.status_code == 201
    draft_url = (await _upload(client, csrf, _file())).headers["location"]
    applied = await client.get(f"{draft_url}?preset={preset.json()['id']}")
    assert applied.status_code == 200
    assert "Applied “Skip tracer”; this file has no column “Gone Column”" in applied.text
    assert _selected(applied.text, "Mailing Address") == "address"
    assert _selected(applied.text, "Property Address") == ""


async def test_bad_uploads_are_answered_on_the_page(client: httpx.AsyncClient, admin: Member) -> None:
    csrf = await web_login(client, admin.email)
    missing = await client.post("/imports/upload", data={"csrf_token": csrf})
    assert missing.status_code == 422 and "Choose a CSV or Excel file" in missing.text
    picture = await _upload(client, csrf, b"\x89PNG\r\n\x1a\n" + bytes(200), name="photo.png")
    assert picture.status_code == 415 and "photo.png is not a CSV or XLSX file" in picture.text
    assert "photo.png: photo.png" not in picture.text
    empty = await _upload(client, csrf, b"", name="empty.csv")
    assert empty.status_code == 422 and "empty.csv:" in empty.text
    assert (await client.get("/imports")).text.count("Draft") == 0


async def test_a_viewer_sees_the_history_but_cannot_import(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    viewer = await add_member(client, database, admin, role="viewer")
    csrf = await web_login(client, admin.email)
    draft_url = (await _upload(client, csrf, _file())).headers["location"]
    csrf = await web_login(client, viewer.email)
    history = await client.get("/imports")
    assert history.status_code == 200 and "New import" not in history.text
    assert (await client.get(draft_url)).status_code == 403
    assert (await _upload(client, csrf, _file())).status_code == 403


async def test_another_team_never_reaches_a_draft(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    csrf = await web_login(client, admin.email)
    draft_url = (await _upload(client, csrf, _file())).headers["location"]
    draft_id = draft_url.split("/")[2]
    other = await register(client)
    csrf_b = await web_login(client, other.email)
    assert (await client.get(draft_url)).status_code == 404
    assert (await client.get(f"/imports/{draft_id}")).status_code == 404
    assert (await client.get(f"/imports/{draft_id}/status")).status_code == 404
    for action in ("preview", "start", "discard", "undo"):
        response = await client.post(f"/imports/{draft_id}/{action}", data={"csrf_token": csrf_b})
        assert response.status_code == 404, action
    assert "leads.csv" not in (await client.get("/imports")).text
    async with team_session(database, admin.team_id) as session:
        still = await session.get(Import, draft_id)
        assert still is not None and still.status == "draft"


async def test_discard_and_the_sweep_of_stale_drafts_remove_their_files(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    csrf = await web_login(client, admin.email)
    big = csv_bytes([lead(**{"APN": f"B-{i}"}) for i in range(5000)])  # > 1 MB: a head is kept
    assert len(big) > imports.DRAFT_HEAD_BYTES
    kept_url = (await _upload(client, csrf, big, name="big.csv")).headers["location"]
    gone_url = (await _upload(client, csrf, _file(), name="gone.csv")).headers["location"]
    storage = providers.current().storage
    async with team_session(database, admin.team_id) as session:
        drafts = {d.filename: d for d in (await session.scalars(select(Import))).all()}
    big_draft = drafts["big.csv"]
    assert await storage.exists(big_draft.file_key)
    assert await storage.exists(f"imports/{admin.team_id}/{big_draft.id}/head.csv")
    assert "4417 QUILLFEATHER LN" in (await client.get(kept_url)).text  # previewed from the head

    discarded = await client.post(gone_url.replace("/mapping", "/discard"), data={"csrf_token": csrf})
    assert discarded.status_code == 303
    assert not await storage.exists(drafts["gone.csv"].file_key)
    assert (await client.get(gone_url)).status_code == 404

    async with team_session(database, None) as session:
        await maintenance.expire_old_records(session)
    assert await storage.exists(big_draft.file_key)  # a fresh draft stays
    with clock.shifted(timedelta(hours=25)):
        async with team_session(database, None) as session:
            assert (await maintenance.expire_old_records(session))["import_drafts"] >= 1
    assert not await storage.exists(big_draft.file_key)
    assert not await storage.exists(f"imports/{admin.team_id}/{big_draft.id}/head.csv")
    assert (await client.get(kept_url)).status_code == 404


async def test_a_file_with_a_header_and_no_rows_says_so_on_the_mapping_page(
    client: httpx.AsyncClient, admin: Member
) -> None:
    csrf = await web_login(client, admin.email)
    mapping_url = (await _upload(client, csrf, csv_bytes([]), name="empty.csv")).headers["location"]
    page = await client.get(mapping_url)
    assert page.status_code == 200 and "data-empty-file" in page.text
    assert "no rows under its header row" in page.text
    full = (await _upload(client, csrf, _file(), name="full.csv")).headers["location"]
    assert "data-empty-file" not in (await client.get(full)).text


async def test_a_draft_started_meanwhile_is_not_discarded(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    csrf = await web_login(client, admin.email)
    draft_url = (await _upload(client, csrf, _file())).headers["location"]
    draft_id = uuid.UUID(draft_url.split("/")[2])
    async with team_session(database, admin.team_id) as session:
        # The page read the draft, then another tab started it before the discard ran.
        stale = await imports.get_draft_or_raise(session, team_id=admin.team_id, import_id=draft_id)
        async with team_session(database, admin.team_id) as other:
            started = await other.get(Import, draft_id)
            assert started is not None
            started.status = "queued"
        with pytest.raises(NotFound):
            await imports.discard_draft(session, imp=stale)
    async with team_session(database, admin.team_id) as session:
        kept = await session.get(Import, draft_id)
        assert kept is not None and kept.status == "queued"
        assert await providers.current().storage.exists(kept.file_key)


async def test_discarding_a_draft_leaves_the_reference_checks_on(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    """The delete skips the keys that point at imports (a draft has nothing they could find);
    the rest of the transaction has them again."""
    csrf = await web_login(client, admin.email)
    draft_id = uuid.UUID((await _upload(client, csrf, _file())).headers["location"].split("/")[2])
    async with team_session(database, admin.team_id) as session:
        imp = await imports.get_draft_or_raise(session, team_id=admin.team_id, import_id=draft_id)
        await imports.discard_draft(session, imp=imp)
        role = await session.scalar(text("select current_setting('session_replication_role')"))
        assert role == "origin"
        assert await session.get(Import, draft_id) is None


async def test_an_excel_file_goes_through_the_same_steps(client: httpx.AsyncClient, admin: Member) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Site Address", "Site City", "Site State", "Site Zip", "Owner Name", "Phone"])
    sheet.append(["77 Heron Way", "Orlando", "FL", "32801", "Gail Porter", "(407) 555-0101"])
    sheet.append(["5 Lime Ct", "Orlando", "FL", "32801", "Ivan Dale", "(407) 555-0102"])
    out = io.BytesIO()
    book.save(out)
    csrf = await web_login(client, admin.email)
    uploaded = await client.post(
        "/imports/upload",
        files={"file": ("county.xlsx", out.getvalue(), "application/octet-stream")},
        data={"csrf_token": csrf},
    )
    assert uploaded.status_code == 303, uploaded.text
    page = await client.get(uploaded.headers["location"])
    assert page.status_code == 200 and "XLSX" in page.text
    assert _selected(page.text, "Site Address") == "address"
    assert "77 HERON WAY" in page.text  # previewed
    form = {f"col__{i}": _selected(page.text, h) for i, h in enumerate(
        ["Site Address", "Site City", "Site State", "Site Zip", "Owner Name", "Phone"])}  # fmt: skip
    draft_id = uploaded.headers["location"].split("/")[2]
    started = await client.post(f"/imports/{draft_id}/start", data={**form, "csrf_token": csrf})
    assert started.status_code == 303, started.text
    await run_jobs()
    done = (await client.get(f"/api/v1/imports/{draft_id}", headers=admin.headers)).json()
    assert done["status"] == "completed" and done["counts"]["created"] == 2


async def test_a_workbook_s_sheet_is_chosen_on_the_mapping_step(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """The wizard opens a workbook on the sheet that holds the list, offers the others, and
    reading another one matches its columns again; the import reads the sheet chosen."""
    csrf = await web_login(client, admin.email)
    uploaded = await _upload(client, csrf, several_sheets(), name="county.xlsx")
    assert uploaded.status_code == 303, uploaded.text
    mapping_url = uploaded.headers["location"]
    draft_id = mapping_url.split("/")[2]
    page = await client.get(mapping_url)
    assert page.status_code == 200
    options = re.findall(
        r'<option value="([^"]*)"( selected)?>', page.text.split('name="sheet"')[1].split("</select>")[0]
    )
    assert options == [("Read me", ""), ("Summary", ""), ("Leads", " selected"), ("Leads 2", "")]
    assert "12 OAK ST" in page.text and "7 ELM CT" not in page.text

    missing = await client.post(f"/imports/{draft_id}/sheet", data={"sheet": "Leads 3", "csrf_token": csrf})
    assert missing.status_code == 422
    assert "no sheet named" in missing.text and "12 OAK ST" in missing.text  # still the first list

    # A sheet with other columns: its own headers are matched (nothing looks like an address).
    summary = await client.post(f"/imports/{draft_id}/sheet", data={"sheet": "Summary", "csrf_token": csrf})
    assert summary.status_code == 303
    page = await client.get(mapping_url)
    assert _selected(page.text, "State") == "state" and _selected(page.text, "Leads") == ""

    chosen = await client.post(f"/imports/{draft_id}/sheet", data={"sheet": "Leads 2", "csrf_token": csrf})
    assert chosen.status_code == 303 and chosen.headers["location"] == mapping_url
    page = await client.get(mapping_url)
    assert "7 ELM CT" in page.text and "12 OAK ST" not in page.text
    assert "Reading the sheet “Leads 2”" in page.text
    form = {f"col__{i}": _selected(page.text, h) for i, h in enumerate(LIST_HEADERS)}
    assert form["col__0"] == "address"
    started = await client.post(f"/imports/{draft_id}/start", data={**form, "csrf_token": csrf})
    assert started.status_code == 303, started.text
    await run_jobs()
    done = (await client.get(f"/api/v1/imports/{draft_id}", headers=admin.headers)).json()
    assert (done["status"], done["sheet"], done["counts"]["created"]) == ("completed", "Leads 2", 1)
    assert "XLSX, sheet “Leads 2”" in (await client.get(f"/imports/{draft_id}")).text

    # A CSV has no sheets to offer.
    plain = await _upload(client, csrf, _file())
    assert 'name="sheet"' not in (await client.get(plain.headers["location"])).text


async def test_a_workbook_draft_is_mapped_from_its_first_rows_not_reopened(
    client: httpx.AsyncClient, admin: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening a workbook parses its whole shared-string table (7 s for an Excel file of 100,000
    rows), and the mapping step opened it twice for every change of a column. The draft keeps
    the first rows of its sheet as CSV, and the page and its previews read those."""
    from reos.imports import reader

    csrf = await web_login(client, admin.email)
    uploaded = await _upload(client, csrf, several_sheets(), name="county.xlsx")
    mapping_url = uploaded.headers["location"]
    draft_id = mapping_url.split("/")[2]

    def no_workbook(*args: object, **kwargs: object) -> None:
        raise AssertionError("the workbook was opened again")

    with monkeypatch.context() as patched:
        patched.setattr(reader, "_xlsx", no_workbook)
        page = await client.get(mapping_url)
        assert page.status_code == 200 and "12 OAK ST" in page.text
        options = re.findall(
            r'<option value="([^"]*)"[^>]*>',
            page.text.split('name="sheet" data-sheet-select')[1].split("</select>")[0],
        )
        assert options == ["Read me", "Summary", "Leads", "Leads 2"]
        form = {f"col__{i}": _selected(page.text, h) for i, h in enumerate(LIST_HEADERS)}
        preview = await client.post(
            f"/imports/{draft_id}/preview", data={**form, "sheet": "Leads", "csrf_token": csrf}
        )
        assert "40 PINE RD" in preview.text
    # Another sheet is read from the workbook once, and its first rows kept in turn.
    chosen = await client.post(f"/imports/{draft_id}/sheet", data={"sheet": "Leads 2", "csrf_token": csrf})
    assert chosen.status_code == 303
    with monkeypatch.context() as patched:
        patched.setattr(reader, "_xlsx", no_workbook)
        page = await client.get(mapping_url)
        assert "7 ELM CT" in page.text and "12 OAK ST" not in page.text
        started = await client.post(
            f"/imports/{draft_id}/start", data={**form, "sheet": "Leads 2", "csrf_token": csrf}
        )
        assert started.status_code == 303, started.text
    await run_jobs()  # the run reads the workbook itself
    done = (await client.get(f"/api/v1/imports/{draft_id}", headers=admin.headers)).json()
    assert (done["status"], done["sheet"], done["counts"]["created"]) == ("completed", "Leads 2", 1)
    storage = providers.current().storage
    kept = f"imports/{admin.team_id}/{draft_id}"
    assert not await storage.exists(f"{kept}/head.json")


async def test_a_workbook_head_keeps_its_cells_as_the_workbook_has_them(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """The head kept for the mapping step must read back as the sheet reads: a header with more
    semicolons than commas, a first column named PKID (the head had been taken for a workbook),
    cells with commas, quotes, line breaks and spaces at their ends."""
    from tests.api.test_imports import workbook

    headers = ["PKID", "Property Address", "Zip", "Owner;Co-owner;Trust;Estate"]
    rows = [["P-1", '12 Oak St, "Rear"', "33610", " Kim\nPark "], ["P-2", "40 Pine Road", "33610", "Lee"]]
    csrf = await web_login(client, admin.email)
    uploaded = await _upload(client, csrf, workbook({"Leads": [headers, *rows]}), name="odd.xlsx")
    assert uploaded.status_code == 303, uploaded.text
    mapping_url = uploaded.headers["location"]
    draft_id = mapping_url.split("/")[2]
    page = await client.get(mapping_url)
    assert page.status_code == 200, page.text
    for header in headers:
        assert f'<span class="cell-main">{header}</span>' in page.text
    assert _selected(page.text, "Property Address") == "address"
    form = {f"col__{i}": _selected(page.text, h) for i, h in enumerate(headers)} | {"col__3": "owner_name"}
    started = await client.post(
        f"/imports/{draft_id}/start", data={**form, "sheet": "Leads", "csrf_token": csrf}
    )
    assert started.status_code == 303, started.text
    await run_jobs()
    done = (await client.get(f"/api/v1/imports/{draft_id}", headers=admin.headers)).json()
    assert (done["status"], done["counts"]["created"]) == ("completed", 2), done
    # A CSV draft has no sheet to choose.
    plain = await _upload(client, csrf, _file())
    csv_draft = plain.headers["location"].split("/")[2]
    refused = await client.post(f"/imports/{csv_draft}/sheet", data={"sheet": "Leads", "csrf_token": csrf})
    assert refused.status_code == 422 and "has no sheets" in refused.text


async def test_a_mapping_page_drawn_for_another_sheet_starts_nothing(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """After choosing another sheet, the browser's Back shows the page of the first one, whose
    selects name columns by position: starting from it would import the new sheet with the old
    sheet's choices. It is refused, and the page redrawn for the sheet the draft reads. A sheet
    whose name ends in a space can be chosen (form fields are tidied, sheet names are not)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(several_sheets()))
    book["Leads 2"].title = "Leads 2 "
    out = io.BytesIO()
    book.save(out)
    csrf = await web_login(client, admin.email)
    uploaded = await _upload(client, csrf, out.getvalue(), name="county.xlsx")
    mapping_url = uploaded.headers["location"]
    draft_id = mapping_url.split("/")[2]
    first = await client.get(mapping_url)
    assert '<input type="hidden" name="sheet" value="Leads">' in first.text
    old_form = {f"col__{i}": _selected(first.text, h) for i, h in enumerate(LIST_HEADERS)}
    chosen = await client.post(f"/imports/{draft_id}/sheet", data={"sheet": "Leads 2 ", "csrf_token": csrf})
    assert chosen.status_code == 303, chosen.text

    stale = await client.post(
        f"/imports/{draft_id}/start", data={**old_form, "sheet": "Leads", "csrf_token": csrf}
    )
    assert stale.status_code == 409
    assert (
        "now reads “Leads 2 ”" in stale.text
        and '<input type="hidden" name="sheet" value="Leads 2 ">' in stale.text
    )
    preview = await client.post(
        f"/imports/{draft_id}/preview", data={**old_form, "sheet": "Leads", "csrf_token": csrf}
    )
    assert "now reads “Leads 2 ”" in preview.text
    assert (
        await client.get(f"/api/v1/imports/{draft_id}", headers=admin.headers)
    ).status_code == 404  # a draft

    started = await client.post(
        f"/imports/{draft_id}/start", data={**old_form, "sheet": "Leads 2 ", "csrf_token": csrf}
    )
    assert started.status_code == 303, started.text
    await run_jobs()
    done = (await client.get(f"/api/v1/imports/{draft_id}", headers=admin.headers)).json()
    assert (done["status"], done["sheet"], done["counts"]["created"]) == ("completed", "Leads 2 ", 1)


async def test_the_report_says_when_the_new_leads_are_scored(
    client: httpx.AsyncClient, admin: Member, database: Database, owner_conn: psycopg.Connection
) -> None:
    """Until the rescoring that follows an import has run, the new leads sit at score 0, last in
    the list's default order: the report shows that rescoring queued, under way, then done."""
    from sqlalchemy import update

    from reos.jobs.models import JobRun

    csrf = await web_login(client, admin.email)
    uploaded = await _upload(client, csrf, _file())
    draft_id = uploaded.headers["location"].split("/")[2]
    page = await client.get(uploaded.headers["location"])
    started = await client.post(f"/imports/{draft_id}/start", data={**_form(page.text), "csrf_token": csrf})
    assert started.status_code == 303, started.text
    await run_jobs()  # the import, then the team's rescoring it queued
    report = await client.get(f"/imports/{draft_id}")
    assert 'data-ranking="completed"' in report.text and "Scored and ranked" in report.text
    assert 'data-live-on="import.progress job.progress scores.updated"' in report.text

    team = uuid.UUID(admin.team_id)
    async with team_session(database, team) as session:
        await session.execute(
            update(JobRun).where(JobRun.team_id == team).values(status="running", done=6, total=10)
        )
    status = await client.get(f"/imports/{draft_id}/status")
    assert 'data-ranking="running"' in status.text and "60 %" in status.text
    with owner_conn.transaction():  # the app role may not delete progress rows
        owner_conn.execute("delete from job_runs where team_id = %s", (team,))
    status = await client.get(f"/imports/{draft_id}/status")
    assert 'data-ranking="queued"' in status.text and "until then they sort last" in status.text
    # The run is found by the job the import recorded, not by when it began: a failure after its
    # retries is said as such (its progress row stays "running").
    with owner_conn.transaction():
        (job_id,) = owner_conn.execute(
            "select rescore_job_id from imports where id = %s", (draft_id,)
        ).fetchone()
        owner_conn.execute(
            "insert into job_failures (id, created_at, team_id, job_id, task_name, queue, args, attempts,"
            " error, traceback, state) values (%s, now(), %s, %s, 'scoring.rescore_team', 'maintenance',"
            " '{}', 5, 'OperationalError: gone', '', 'failed')",
            (uuid.uuid4(), team, job_id),
        )
    status = await client.get(f"/imports/{draft_id}/status")
    assert 'data-ranking="failed"' in status.text and "after its retries" in status.text
    # An import of days ago needs no word on it.
    with clock.shifted(timedelta(days=2)):
        assert "data-ranking" not in (await client.get(f"/imports/{draft_id}/status")).text


async def test_the_progress_page_names_the_merge_step_under_way(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    """Reading shows rows read; saving shows which of the merge's steps is under way (the rows
    are all read by then), not 99 %."""
    await web_login(client, admin.email)
    async with team_session(database, admin.team_id) as session:
        imp = Import(
            team_id=admin.team_id, filename="big.csv", format="csv", file_key="local:/big.csv",
            file_sha256="0" * 64, size_bytes=1, mapping={}, status="running", counts={},
            rows_done=120_000, rows_total=400_000, phase="reading", started_at=clock.now(),
        )  # fmt: skip
        session.add(imp)
    reading = (await client.get(f"/imports/{imp.id}/status")).text
    assert "120,000 rows read of about 400,000" in reading and "30 %" in reading
    async with team_session(database, admin.team_id) as session:
        row = await session.get(Import, imp.id)
        assert row is not None
        row.phase, row.rows_done, row.rows_total = "waiting", 400_000, 400_000
    waiting = (await client.get(f"/imports/{imp.id}/status")).text
    assert "Waiting for the team&#39;s other import to finish" in waiting
    assert "All 400,000 rows read" in waiting and " of 6" not in waiting
    assert 'aria-valuenow="0"' in waiting
    async with team_session(database, admin.team_id) as session:
        row = await session.get(Import, imp.id)
        assert row is not None
        row.phase = "points"
    saving = (await client.get(f"/imports/{imp.id}/status")).text
    assert "Saving phones and emails" in saving
    assert "All 400,000 rows read" in saving and "step 5 of 6" in saving
    assert 'aria-valuenow="66"' in saving and "99 %" not in saving
    history = (await client.get("/imports")).text
    assert "saving phones and emails" in history
