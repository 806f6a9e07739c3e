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


async def test_a_refused_signal_keeps_the_kind_day_and_note_chosen(
    client: httpx.AsyncClient, admin: Member
) -> None:
    pid = await _property(client, admin)
    csrf = await web_login(client, admin.email)
    future = date.fromordinal(date.today().toordinal() + 3).isoformat()
    sent = {"csrf_token": csrf, "kind": "eviction", "observed_on": future, "note": "case 24-CC-118"}
    refused = await client.post(f"/properties/{pid}/signals", data=sent, headers={"HX-Request": "true"})
    assert refused.status_code == 422
    assert "The day observed is in the future" in refused.text
    assert '<option value="eviction" selected>' in refused.text
    assert f'value="{future}"' in refused.text and 'value="case 24-CC-118"' in refused.text


async def test_adding_a_property_the_team_has_asks_first(client: httpx.AsyncClient, admin: Member) -> None:
    existing = await _property(client, admin)
    csrf = await web_login(client, admin.email)
    form = {
        "csrf_token": csrf,
        "address": "1 Form Street",  # another spelling of "1 FORM ST"
        "city": "Tampa",
        "state": "FL",
        "zip_code": "33610",
        "stage": "new",
    }
    asked = await client.post("/properties", data=form)
    assert asked.status_code == 409 and "data-duplicate" in asked.text
    assert f'href="/properties/{existing}"' in asked.text and 'value="1 Form Street"' in asked.text
    listed = await client.get("/api/v1/properties", headers=admin.headers)
    assert [p["id"] for p in listed.json()["items"]] == [existing]
    added = await client.post("/properties", data={**form, "duplicate_ok": "1"})
    assert added.status_code == 303
    assert len((await client.get("/api/v1/properties", headers=admin.headers)).json()["items"]) == 2
    other = await client.post("/properties", data={**form, "address": "2 Form St"})
    assert other.status_code == 303


async def test_an_owner_with_a_phone_and_an_email_is_added_from_the_property_page(
    client: httpx.AsyncClient, admin: Member
) -> None:
    pid = await _property(client, admin)
    csrf = await web_login(client, admin.email)
    form = {
        "csrf_token": csrf,
        "first_name": "Dana",
        "last_name": "Whitlock",
        "role": "owner",
        "phone": "(813) 555-0142",
        "phone_type": "mobile",
        "phone_dnc": "on",
        "email": "Dana@Example.com",
    }
    added = await client.post(f"/properties/{pid}/owners", data=form)
    assert added.status_code == 303 and added.headers["location"] == f"/properties/{pid}#owners"
    owners = (await client.get(f"/api/v1/properties/{pid}/contacts", headers=admin.headers)).json()
    assert [(o["role"], o["contact"]["first_name"], o["contact"]["last_name"]) for o in owners] == [
        ("owner", "Dana", "Whitlock")
    ]
    points = {p["value"]: p for p in owners[0]["contact"]["points"]}
    assert set(points) == {"+18135550142", "dana@example.com"}
    assert points["+18135550142"]["line_type"] == "mobile" and points["+18135550142"]["dnc"] is True
    assert points["+18135550142"]["dnc_checked_at"] is not None
    page = (await client.get(f"/properties/{pid}")).text
    assert "Dana Whitlock added as owner." in page and "(813) 555-0142" in page

    # A refused phone (the same number on another owner) leaves no new contact behind.
    again = await client.post(
        f"/properties/{pid}/owners",
        data={**form, "first_name": "Lee", "last_name": "Park", "role": "co_owner", "email": ""},
    )
    assert again.status_code == 303
    assert "Not added." in (await client.get(f"/properties/{pid}")).text
    assert len((await client.get(f"/api/v1/properties/{pid}/contacts", headers=admin.headers)).json()) == 1
    bad = await client.post(f"/properties/{pid}/owners", data={**form, "phone": "555-12", "email": ""})
    assert bad.status_code == 303
    assert "not a valid phone number" in (await client.get(f"/properties/{pid}")).text.lower()
    assert len((await client.get(f"/api/v1/properties/{pid}/contacts", headers=admin.headers)).json()) == 1
    trust = await client.post(
        f"/properties/{pid}/owners",
        data={"csrf_token": csrf, "entity_name": "Gumtree Holdings LLC", "role": "other"},
    )
    assert trust.status_code == 303
    kinds = {
        o["contact"]["kind"]
        for o in (await client.get(f"/api/v1/properties/{pid}/contacts", headers=admin.headers)).json()
    }
    assert kinds == {"person", "entity"}

    # A phone or email added on the contact's own page.
    contact_id = owners[0]["contact"]["id"]
    more = await client.post(
        f"/contacts/{contact_id}/points",
        data={"csrf_token": csrf, "phone": "813-555-0177", "phone_type": "landline"},
    )
    assert more.status_code == 303 and more.headers["location"] == f"/contacts/{contact_id}#points"
    contact = (await client.get(f"/api/v1/contacts/{contact_id}", headers=admin.headers)).json()
    assert {p["value"] for p in contact["points"]} == {"+18135550142", "dana@example.com", "+18135550177"}
    empty = await client.post(f"/contacts/{contact_id}/points", data={"csrf_token": csrf})
    assert empty.status_code == 303
    assert "Type a phone number or an email address." in (await client.get(f"/contacts/{contact_id}")).text


async def test_another_team_cannot_add_owners_or_points(client: httpx.AsyncClient, admin: Member) -> None:
    from tests.fixtures.api import register

    pid = await _property(client, admin)
    csrf = await web_login(client, admin.email)
    added = await client.post(f"/properties/{pid}/owners", data={"csrf_token": csrf, "first_name": "Ann"})
    assert added.status_code == 303
    contact_id = (await client.get(f"/api/v1/properties/{pid}/contacts", headers=admin.headers)).json()[0][
        "contact"
    ]["id"]
    other = await register(client)
    csrf_b = await web_login(client, other.email)
    assert (
        await client.post(
            f"/properties/{pid}/owners", data={"csrf_token": csrf_b, "first_name": "Eve"}, headers=HTML
        )
    ).status_code == 404
    assert (
        await client.post(
            f"/contacts/{contact_id}/points", data={"csrf_token": csrf_b, "phone": "8135550100"}, headers=HTML
        )
    ).status_code == 404
    assert len((await client.get(f"/api/v1/properties/{pid}/contacts", headers=admin.headers)).json()) == 1


async def test_a_call_made_earlier_is_logged_at_its_own_time(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """At 00:30 "now" is quiet hours, so a rep could not log the 17:30 call they made; the form
    takes the time it happened (the team's time zone) and the governor judges that moment."""
    from datetime import UTC, datetime

    from reos.kit import clock
    from tests.api.test_compliance import person_with_phones, uniq_phone
    from tests.api.test_web_pages import HTMX

    _, (point_id,) = await person_with_phones(client, admin, uniq_phone())
    csrf = await web_login(client, admin.email)
    form = {
        "csrf_token": csrf,
        "point_id": point_id,
        "shown": point_id,
        "channel": "call",
        "outcome": "no_answer",
    }
    with clock.frozen_at(datetime(2026, 7, 16, 4, 30, tzinfo=UTC)):  # 00:30 in Tampa and New York
        now = await client.post("/compliance/attempts", data=form, headers=HTMX)
        assert now.status_code == 409 and "Allowed again from Jul 16, 2026 8:00 am" in now.text
        earlier = await client.post(
            "/compliance/attempts", data={**form, "at_local": "2026-07-15T17:30"}, headers=HTMX
        )
        assert earlier.status_code == 200, earlier.text[:300]
        junk = await client.post("/compliance/attempts", data={**form, "at_local": "yesterday"}, headers=HTMX)
        assert junk.status_code == 422 and "give the day and time it happened" in junk.text
    attempts = (await client.get("/api/v1/compliance/attempts", headers=admin.headers)).json()["items"]
    assert [(a["channel"], a["at"]) for a in attempts] == [("call", "2026-07-15T21:30:00Z")]


async def test_an_empty_property_form_says_what_is_required(client: httpx.AsyncClient, admin: Member) -> None:
    csrf = await web_login(client, admin.email)
    empty = {"csrf_token": csrf, "address": "", "city": "", "state": "", "zip_code": "", "stage": "new"}
    page = await client.post("/properties", data=empty)
    assert page.status_code == 422
    assert "is not a US state code" not in page.text and "is not a ZIP" not in page.text
    assert page.text.count('class="field-error"') >= 4 and "Required" in page.text


async def test_a_done_task_no_longer_counts_its_days_late(client: httpx.AsyncClient, admin: Member) -> None:
    made = await client.post(
        "/api/v1/tasks",
        json={"title": "Send the offer", "due_at": "2026-01-05T15:00:00Z", "assignee_id": admin.member_id},
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    csrf = await web_login(client, admin.email)
    open_row = (await client.get("/tasks?view=mine")).text
    assert "days late" in open_row.split('task-title">Send the offer')[1][:900]
    done = await client.post(
        f"/tasks/{made.json()['id']}/complete", data={"csrf_token": csrf}, headers={"HX-Request": "true"}
    )
    assert done.status_code == 200, done.text[:300]
    row = done.text.split('task-title">Send the offer')[1]
    assert "Was due" in row and "late" not in row


async def test_a_task_due_in_the_past_is_added_only_once_confirmed(
    client: httpx.AsyncClient, admin: Member
) -> None:
    csrf = await web_login(client, admin.email)
    form = {
        "csrf_token": csrf,
        "title": "Call the owner back",
        "due_at": "2021-03-04T09:00",
        "priority": "normal",
        "assignee_id": admin.member_id,
    }
    asked = await client.post("/tasks", data=form)
    assert asked.status_code == 409
    assert "That due time has passed" in asked.text and "days ago" in asked.text
    assert 'name="past_ok" value="2021-03-04T09:00"' in asked.text
    assert 'value="Call the owner back"' in asked.text

    async def titles() -> list[str]:
        found = await client.get("/api/v1/tasks?view=team", headers=admin.headers)
        return [t["title"] for t in found.json()["items"]]

    assert await titles() == []
    # A confirmation given for another time does not carry over to a new one.
    moved = await client.post(
        "/tasks", data={**form, "due_at": "2021-03-05T09:00", "past_ok": "2021-03-04T09:00"}
    )
    assert moved.status_code == 409 and await titles() == []
    saved = await client.post("/tasks", data={**form, "past_ok": "2021-03-04T09:00"})
    assert saved.status_code == 303, saved.text[:300]
    assert await titles() == ["Call the owner back"]
    # A time ahead is not asked about.
    ahead = await client.post("/tasks", data={**form, "title": "Walk it", "due_at": "2099-01-01T09:00"})
    assert ahead.status_code == 303
