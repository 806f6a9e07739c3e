"""Web forms, as a browser posts them, with what fuzzing them found: each had answered 500, sent
the browser to another site, or never worked."""

from __future__ import annotations

from datetime import date

import httpx

from reos.imports import service as imports
from tests.api.test_imports import csv_bytes, lead
from tests.api.test_web_imports import _form, _upload
from tests.api.test_web_pages import HTML, web_login
from tests.fixtures.api import Member
from tests.fixtures.jobs import run_jobs


async def _property(client: httpx.AsyncClient, admin: Member) -> str:
    made = await client.post(
        "/api/v1/properties",
        json={"address": "1 Form St", "city": "Tampa", "state": "FL", "zip_code": "33610"},
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    pid: str = made.json()["id"]
    return pid


async def test_a_dnc_list_uploads_from_the_compliance_page(client: httpx.AsyncClient, admin: Member) -> None:
    """The page checked the form's file against FastAPI's UploadFile, a subclass of what the
    form holds: every upload answered "Choose a file to upload"."""
    csrf = await web_login(client, admin.email)
    sent = await client.post(
        "/compliance/uploads",
        files={"file": ("internal-dnc.csv", b"phone\n8135550142\n8135550143\n", "text/csv")},
        data={"csrf_token": csrf, "kind": "internal", "downloaded_on": date.today().isoformat()},
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/compliance#uploads"
    await run_jobs()
    uploads = (await client.get("/api/v1/compliance/uploads", headers=admin.headers)).json()["items"]
    assert [(u["filename"], u["status"], u["rows_added"]) for u in uploads] == [
        ("internal-dnc.csv", "completed", 2)
    ]


async def test_logging_an_attempt_with_junk_ids_answers_and_stays_on_the_site(
    client: httpx.AsyncClient, admin: Member
) -> None:
    csrf = await web_login(client, admin.email)
    for referer in ("http://testserver/properties?stage=new", "https://evil.example/phish"):
        sent = await client.post(
            "/compliance/attempts",
            data={"csrf_token": csrf, "shown": "x", "property_id": "x", "channel": "call"},
            headers={"referer": referer},
        )
        assert sent.status_code == 303, sent.text[:300]
        # Back to the page the form was on, as a path: never another site.
        assert sent.headers["location"] in ("/properties?stage=new", "/phish")


async def test_a_flags_next_cannot_leave_the_site(client: httpx.AsyncClient, admin: Member) -> None:
    pid = await _property(client, admin)
    flag = await client.post(
        f"/api/v1/properties/{pid}/flags",
        json={"field": "bedrooms", "comment": "3, not 4"},
        headers=admin.headers,
    )
    assert flag.status_code == 201, flag.text
    csrf = await web_login(client, admin.email)
    for target in ("https://evil.example/x", "//evil.example/x", "/" + "a" * 5000):
        sent = await client.post(
            f"/flags/{flag.json()['id']}", data={"csrf_token": csrf, "status": "bogus", "next": target}
        )
        assert sent.status_code == 303 and sent.headers["location"] == "/", target


async def test_a_taken_mapping_name_redraws_the_wizard_with_the_reason(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """The duplicate aborted the transaction before its savepoint; redrawing the page then hit a
    rolled-back session (500)."""
    made = await client.post(
        "/api/v1/imports/presets",
        json={"name": "County list", "mapping": {"address": "Property Address"}},
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    csrf = await web_login(client, admin.email)
    uploaded = await _upload(client, csrf, csv_bytes([lead()]))
    draft = uploaded.headers["location"].split("/")[2]
    form = _form((await client.get(f"/imports/{draft}/mapping")).text)
    for name, words in (("County list", "exists already"), ("x" * 500, "1 to 120 characters")):
        again = await client.post(
            f"/imports/{draft}/start", data={**form, "csrf_token": csrf, "preset_name": name}
        )
        assert again.status_code == 422 and words in again.text, again.text[:300]
    started = await client.post(f"/imports/{draft}/start", data={**form, "csrf_token": csrf})
    assert started.status_code == 303 and started.headers["location"] == f"/imports/{draft}"
    assert [
        p["name"] for p in (await client.get("/api/v1/imports/presets", headers=admin.headers)).json()
    ] == ["County list"]
    assert imports.PRESET_NAME_MAX == 120


async def test_a_nul_in_a_form_is_an_error_page_or_a_toast_not_json(
    client: httpx.AsyncClient, admin: Member
) -> None:
    pid = await _property(client, admin)
    csrf = await web_login(client, admin.email)
    sent = await client.post(
        f"/properties/{pid}/notes", data={"csrf_token": csrf, "body": "called\x00 twice"}, headers=HTML
    )
    assert sent.status_code == 422 and sent.headers["content-type"].startswith("text/html")
    assert "NUL character" in sent.text
    htmx = await client.post(
        f"/properties/{pid}/notes",
        data={"csrf_token": csrf, "body": "called\x00 twice"},
        headers={**HTML, "HX-Request": "true"},
    )
    assert htmx.status_code == 422 and "NUL character" in htmx.headers["HX-Trigger"]
    assert (
        (await client.post("/properties/not-an-id/notes", data={"csrf_token": csrf}, headers=HTML))
        .headers["content-type"]
        .startswith("text/html")
    )
