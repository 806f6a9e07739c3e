"""The lead list through the filter language: filters, sorts and keyset pages, search, the trash,
agents' scope, CSV export and bulk actions run as one job."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from reos.audit.models import AuditEvent
from reos.db.session import Database, team_session
from reos.jobs.models import JobRun
from reos.kit import clock
from reos.properties import listing
from tests.fixtures.api import Member, add_member, create_property
from tests.fixtures.jobs import run_jobs

BASE = {"address": "100 Main St", "city": "Tampa", "state": "FL", "zip_code": "33610"}


async def create(client: httpx.AsyncClient, member: Member, **fields: Any) -> dict[str, Any]:
    return await create_property(client, member, BASE | fields)


async def listed(
    client: httpx.AsyncClient, member: Member, doc: dict[str, Any] | None = None, **params: Any
) -> Any:
    if doc is not None:
        params["filter"] = json.dumps(doc)
    return await client.get("/api/v1/properties", params=params, headers=member.headers)


async def addresses(
    client: httpx.AsyncClient, member: Member, doc: dict[str, Any] | None = None, **params: Any
) -> list[str]:
    response = await listed(client, member, doc, limit=200, **params)
    assert response.status_code == 200, response.text
    return [p["address"].title() for p in response.json()["items"]]


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


async def walk(client: httpx.AsyncClient, member: Member, limit: int, **params: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        response = await listed(
            client, member, limit=limit, **params, **({"cursor": cursor} if cursor else {})
        )
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([p["address"].title() for p in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50


# --- filters ---------------------------------------------------------------------------------


async def test_conditions_of_every_kind(client: httpx.AsyncClient, admin: Member) -> None:
    await create(
        client,
        admin,
        address="1 Oak St",
        city="Tampa",
        bedrooms=3,
        estimated_value="200000",
        tags=["vacant", "probate"],
        last_sale_date="2001-05-01",
        property_type="condo",
    )
    await create(
        client,
        admin,
        address="2 Elm St",
        city="Orlando",
        bedrooms=4,
        estimated_value="350000",
        mortgage_balance="300000",
        tags=["vacant"],
    )
    await create(client, admin, address="3 Pine Rd", city="Miami", zip_code="33101", county="Dade")

    assert await addresses(client, admin, {"all": [cond("city", "eq", "tampa")]}) == ["1 Oak St"]
    assert sorted(await addresses(client, admin, {"all": [cond("city", "ne", "Tampa")]})) == [
        "2 Elm St",
        "3 Pine Rd",
    ]
    assert await addresses(client, admin, {"all": [cond("bedrooms", "gte", 4)]}) == ["2 Elm St"]
    assert await addresses(client, admin, {"all": [cond("bedrooms", "is_null")]}) == ["3 Pine Rd"]
    assert sorted(await addresses(client, admin, {"all": [cond("bedrooms", "between", [3, 4])]})) == [
        "1 Oak St",
        "2 Elm St",
    ]
    assert await addresses(client, admin, {"all": [cond("estimated_value", "lt", "250000.5")]}) == [
        "1 Oak St"
    ]
    # equity is computed in the database: 350k - 300k = 50k, 14.3 %.
    assert await addresses(client, admin, {"all": [cond("equity_percent", "lt", 20)]}) == ["2 Elm St"]
    assert await addresses(client, admin, {"all": [cond("tags", "has_all", ["Vacant", "probate"])]}) == [
        "1 Oak St"
    ]
    assert sorted(await addresses(client, admin, {"all": [cond("tags", "has_any", ["vacant"])]})) == [
        "1 Oak St",
        "2 Elm St",
    ]
    assert await addresses(client, admin, {"all": [cond("tags", "is_null")]}) == ["3 Pine Rd"]
    assert await addresses(client, admin, {"all": [cond("address", "starts_with", "2 e")]}) == ["2 Elm St"]
    assert await addresses(client, admin, {"all": [cond("address", "contains", "PINE")]}) == ["3 Pine Rd"]
    assert await addresses(client, admin, {"all": [cond("last_sale_date", "lt", "2010-01-01")]}) == [
        "1 Oak St"
    ]
    assert await addresses(client, admin, {"all": [cond("property_type", "in", ["condo", "land"])]}) == [
        "1 Oak St"
    ]
    assert sorted(await addresses(client, admin, {"all": [cond("county", "not_in", ["Dade"])]})) == [
        "1 Oak St",
        "2 Elm St",
    ]
    nested = {
        "any": [
            cond("city", "eq", "Miami"),
            {"all": [cond("tags", "has_any", ["vacant"]), cond("bedrooms", "gt", 3)]},
        ]
    }
    assert sorted(await addresses(client, admin, nested)) == ["2 Elm St", "3 Pine Rd"]
    assert await addresses(client, admin, {"any": []}) == []
    assert len(await addresses(client, admin, {"all": []})) == 3
    # The body form of the same query, for filters too long for a URL.
    posted = await client.post(
        "/api/v1/properties/query", json=nested, params={"sort": "address"}, headers=admin.headers
    )
    assert posted.status_code == 200, posted.text
    assert [p["address"].title() for p in posted.json()["items"]] == ["2 Elm St", "3 Pine Rd"]


async def test_custom_fields_filter_by_their_type(client: httpx.AsyncClient, admin: Member) -> None:
    for key, kind in (("roof_age", "number"), ("gate_code", "text"), ("listed_on", "date")):
        made = await client.post(
            "/api/v1/custom-fields", json={"key": key, "label": key, "type": kind}, headers=admin.headers
        )
        assert made.status_code == 201, made.text
    await create(client, admin, address="1 Roof St", custom={"roof_age": 25, "listed_on": "2024-03-01"})
    await create(client, admin, address="2 Roof St", custom={"roof_age": 5, "gate_code": "#44"})
    await create(client, admin, address="3 Roof St")
    assert await addresses(client, admin, {"all": [cond("custom.roof_age", "gt", 10)]}) == ["1 Roof St"]
    assert await addresses(client, admin, {"all": [cond("custom.gate_code", "contains", "#4")]}) == [
        "2 Roof St"
    ]
    assert await addresses(client, admin, {"all": [cond("custom.listed_on", "gte", "2024-01-01")]}) == [
        "1 Roof St"
    ]
    assert await addresses(client, admin, {"all": [cond("custom.roof_age", "is_null")]}) == ["3 Roof St"]
    assert await addresses(client, admin, sort="-custom.roof_age") == ["1 Roof St", "2 Roof St", "3 Roof St"]
    assert await addresses(client, admin, sort="custom.roof_age") == ["2 Roof St", "1 Roof St", "3 Roof St"]


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"all": [cond("city", "eq", "x"), cond("color", "eq", "red")]}, "filter.all[1].field"),
        ({"all": [cond("city", "gt", "x")]}, "filter.all[0].op"),
        ({"all": [cond("bedrooms", "eq", "three")]}, "filter.all[0].value"),
        ({"any": [{"all": [cond("stage", "eq", "dreaming")]}]}, "filter.any[0].all[0].value"),
        ({"all": [cond("bedrooms", "between", [5, 1])]}, "filter.all[0].value"),
        ({"all": [cond("bedrooms", "in", [1, "x"])]}, "filter.all[0].value[1]"),
        ({"all": [cond("tags", "has_any", "vacant")]}, "filter.all[0].value"),
        ({"all": [cond("county", "is_null", "Dade")]}, "filter.all[0].value"),
        ({"all": [cond("list", "eq", "6f1c5c1e-0000-4000-8000-000000000000")]}, "filter.all[0].value"),
        ({"all": [{"field": "city", "op": "eq", "value": "x", "extra": 1}]}, "filter.all[0].extra"),
        ({"all": [cond("city", "eq", "x")], "any": [cond("city", "eq", "y")]}, "filter"),
        ({"all": [cond("city", "eq", "x")], "sort": [{"field": "tags"}]}, "filter.sort[0].field"),
        ({"all": [cond("q", "eq", "x")]}, "filter.all[0].op"),
    ],
)
async def test_bad_filters_are_422_naming_the_part(
    client: httpx.AsyncClient, admin: Member, doc: dict[str, Any], field: str
) -> None:
    response = await listed(client, admin, doc)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["details"]["field"] == field, error
    assert field in error["message"] or field == "filter"


async def test_bad_filter_text_and_sort_are_refused(client: httpx.AsyncClient, admin: Member) -> None:
    response = await client.get("/api/v1/properties", params={"filter": "{nope"}, headers=admin.headers)
    assert response.status_code == 422 and response.json()["error"]["details"]["field"] == "filter"
    response = await client.get("/api/v1/properties", params={"sort": "-password"}, headers=admin.headers)
    assert response.status_code == 422 and response.json()["error"]["details"]["field"] == "sort[0].field"
    assert "score" in response.json()["error"]["details"]["allowed"]


async def test_no_sql_gets_through(client: httpx.AsyncClient, admin: Member) -> None:
    await create(client, admin, address="1 Safe St")
    hostile = "x' or 1=1 --"
    assert await addresses(client, admin, {"all": [cond("city", "eq", hostile)]}) == []
    assert await addresses(client, admin, q="1 & !:* | safe') or true") == []
    response = await listed(client, admin, {"all": [cond("city); drop table properties; --", "eq", "x")]})
    assert response.status_code == 422
    assert await addresses(client, admin) == ["1 Safe St"]


# --- sorting and keyset pages ----------------------------------------------------------------


async def test_keyset_pages_over_a_nullable_sort_with_ties(client: httpx.AsyncClient, admin: Member) -> None:
    beds = [3, None, 2, 3, None, 5, 3, 2, None, 4, 3]
    with clock.frozen_at(clock.now()):
        made = [await create(client, admin, address=f"{n} Tie St", bedrooms=b) for n, b in enumerate(beds)]
    for direction in ("", "-"):
        pages = await walk(client, admin, 3, sort=f"{direction}bedrooms")
        flat = [a for p in pages for a in p]
        assert len(flat) == len(made) and len(set(flat)) == len(made)
        assert [len(p) for p in pages] == [3, 3, 3, 2]
        by_address = {p["address"].title(): p for p in made}
        values = [by_address[a]["bedrooms"] for a in flat]
        present = [v for v in values if v is not None]
        # Nulls last in both directions; ties broken by id in the direction of the sort.
        assert values[len(present) :] == [None] * beds.count(None)
        assert present == sorted(present, reverse=direction == "-")
        for value in set(present) | {None}:
            tied = [by_address[a]["id"] for a in flat if by_address[a]["bedrooms"] == value]
            assert tied == sorted(tied, reverse=direction == "-")


async def test_default_sort_is_score_then_newest(client: httpx.AsyncClient, admin: Member) -> None:
    for n in range(4):
        with clock.shifted(timedelta(seconds=n)):
            await create(client, admin, address=f"{n} Score St")
    pages = await walk(client, admin, 3)
    assert [a for p in pages for a in p] == ["3 Score St", "2 Score St", "1 Score St", "0 Score St"]


async def test_a_cursor_belongs_to_its_sort(client: httpx.AsyncClient, admin: Member) -> None:
    for n in range(3):
        await create(client, admin, address=f"{n} Cursor St", city=f"City {n}")
    first = (await listed(client, admin, limit=1, sort="city")).json()
    assert first["next_cursor"]
    other = await listed(client, admin, limit=1, sort="-city", cursor=first["next_cursor"])
    assert other.status_code == 400
    same = await listed(client, admin, limit=1, sort="city", cursor=first["next_cursor"])
    assert [p["city"] for p in same.json()["items"]] == ["City 1"]


# --- search, trash, agents -------------------------------------------------------------------


async def test_q_searches_address_owner_phone_and_email(client: httpx.AsyncClient, admin: Member) -> None:
    quill = await create(client, admin, address="4417 Quillfeather Ln", apn="12-345-678")
    other = await create(client, admin, address="9 Other Way")
    owner = await client.post(
        "/api/v1/contacts", json={"first_name": "Marisol", "last_name": "Ybarra"}, headers=admin.headers
    )
    assert owner.status_code == 201, owner.text
    owner_id = owner.json()["id"]
    for point in (
        {"kind": "phone", "value": "(813) 555-0142"},
        {"kind": "email", "value": "M.Ybarra@Example.com"},
    ):
        added = await client.post(f"/api/v1/contacts/{owner_id}/points", json=point, headers=admin.headers)
        assert added.status_code == 201, added.text
    linked = await client.post(
        f"/api/v1/properties/{other['id']}/contacts",
        json={"contact_id": owner_id, "role": "owner"},
        headers=admin.headers,
    )
    assert linked.status_code == 201, linked.text

    assert await addresses(client, admin, q="quillfeather") == [quill["address"].title()]
    assert await addresses(client, admin, q="QUILLF") == [quill["address"].title()]
    assert await addresses(client, admin, q="4417 quill") == [quill["address"].title()]
    assert await addresses(client, admin, q="12345") == [quill["address"].title()]
    assert await addresses(client, admin, q="ybarra") == ["9 Other Way"]
    assert await addresses(client, admin, q="marisol yb") == ["9 Other Way"]
    assert await addresses(client, admin, q="813-555") == ["9 Other Way"]
    assert await addresses(client, admin, q="m.ybarra@EXAMPLE") == ["9 Other Way"]
    assert await addresses(client, admin, {"all": [cond("q", "contains", "quill")]}) == [
        quill["address"].title()
    ]
    assert await addresses(client, admin, q="nobody") == []


async def test_trash_view_shows_only_deleted(client: httpx.AsyncClient, admin: Member) -> None:
    keep = await create(client, admin, address="1 Keep St")
    gone = await create(client, admin, address="2 Gone St")
    assert (await client.delete(f"/api/v1/properties/{gone['id']}", headers=admin.headers)).status_code == 204
    assert await addresses(client, admin) == [keep["address"].title()]
    assert await addresses(client, admin, deleted="true") == [gone["address"].title()]
    assert await addresses(client, admin, {"all": [cond("address", "contains", "gone")]}) == []


async def test_agents_see_only_their_leads_in_every_form(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    mine = await create(client, admin, address="1 Mine St", assigned_to_id=agent.member_id)
    await create(client, admin, address="2 Theirs St")
    patched = await client.patch(
        "/api/v1/team", json={"agents_see_assigned_only": True}, headers=admin.headers
    )
    assert patched.status_code == 200, patched.text
    assert await addresses(client, agent) == [mine["address"].title()]
    assert await addresses(client, agent, {"all": [cond("address", "contains", "st")]}) == [
        mine["address"].title()
    ]
    assert len(await addresses(client, admin)) == 2
    refused = await client.get("/api/v1/properties/export.csv", headers=agent.headers)
    assert refused.status_code == 403


# --- export ----------------------------------------------------------------------------------


async def test_export_csv_carries_the_sellers_names_mail_phones_and_emails(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """What a dialer or a mail house needs: the owner first, the primary phone first, each phone
    with its line type and DNC flag; a tenant's phone is not the seller's."""
    prop = await create(client, admin, address="40 Export Way", city="Tampa")
    bare = await create(client, admin, address="41 Export Way", city="Tampa")
    h = admin.headers

    async def contact(role: str, **fields: Any) -> str:
        made = await client.post("/api/v1/contacts", json=fields, headers=h)
        assert made.status_code == 201, made.text
        linked = await client.post(
            f"/api/v1/properties/{prop['id']}/contacts",
            json={"contact_id": made.json()["id"], "role": role},
            headers=h,
        )
        assert linked.status_code == 201, linked.text
        cid: str = made.json()["id"]
        return cid

    async def point(cid: str, kind: str, value: str, **fields: Any) -> None:
        made = await client.post(
            f"/api/v1/contacts/{cid}/points", json={"kind": kind, "value": value, **fields}, headers=h
        )
        assert made.status_code == 201, made.text

    tenant = await contact("tenant", first_name="Tia", last_name="Renter")
    await point(tenant, "phone", "(813) 555-0999")
    co = await contact("co_owner", first_name="Lee", last_name="Park")
    await point(co, "phone", "(813) 555-0300", line_type="landline")
    owner = await contact(
        "owner",
        first_name="Dana",
        last_name="Whitlock",
        street="77 Harbor View Dr",
        city="Atlanta",
        state="GA",
        zip_code="30301",
    )
    await point(owner, "phone", "(813) 555-0101", line_type="mobile")
    await point(owner, "phone", "(813) 555-0102", line_type="mobile", is_primary=True, dnc=True)
    await point(owner, "email", "dana@example.com")
    response = await client.get("/api/v1/properties/export.csv", params={"sort": "address"}, headers=h)
    assert response.status_code == 200, response.text
    rows = {r["address"]: r for r in csv.DictReader(io.StringIO(response.text))}
    row = rows["40 EXPORT WAY"]
    assert (row["owner_1_name"], row["owner_2_name"]) == ("Dana Whitlock", "Lee Park")
    assert (row["mailing_street"], row["mailing_city"], row["mailing_state"], row["mailing_zip"]) == (
        "77 Harbor View Dr",
        "Atlanta",
        "GA",
        "30301",
    )
    phones = [(row[f"phone_{n}"], row[f"phone_{n}_type"], row[f"phone_{n}_dnc"]) for n in (1, 2, 3)]
    assert phones == [
        ("+18135550102", "mobile", "true"),
        ("+18135550101", "mobile", "false"),
        ("+18135550300", "landline", "false"),
    ]
    assert (row["email_1"], row["email_2"]) == ("dana@example.com", "")
    assert row["assigned_to"] == "" and row["market"] == ""
    empty = rows["41 EXPORT WAY"]
    assert empty["owner_1_name"] == "" and empty["phone_1"] == "" and bare["id"] == empty["id"]


async def test_export_csv_is_filtered_neutralises_formulas_and_is_audited(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    await create(
        client, admin, address='=HYPERLINK("http://evil")', city="+Tampa", county="-1+2", apn="@SUM(A1)"
    )
    await create(client, admin, address="2 Plain St", city="Orlando", estimated_value="125000")
    doc = {"all": [cond("city", "in", ["+tampa", "orlando"])], "sort": [{"field": "city", "dir": "asc"}]}
    response = await client.get(
        "/api/v1/properties/export.csv", params={"filter": json.dumps(doc)}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["city"] for r in rows] == ["'+Tampa", "Orlando"]
    assert (
        rows[0]["address"].startswith("'=") and rows[0]["county"] == "'-1+2" and rows[0]["apn"] == "'@SUM(A1)"
    )
    assert rows[1]["address"] == "2 PLAIN ST" and rows[1]["estimated_value"] == "125000.00"
    async with team_session(database, uuid.UUID(admin.team_id)) as session:
        event = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.team_id == uuid.UUID(admin.team_id), AuditEvent.action == "data.exported"
            )
        )
    assert (
        event is not None
        and event.details["rows"] == 2
        and event.details["filter"]["all"][0]["field"] == "city"
    )
    bad = await client.get(
        "/api/v1/properties/export.csv", params={"filter": '{"all": [1]}'}, headers=admin.headers
    )
    assert bad.status_code == 422


async def test_export_streams_many_pages(
    client: httpx.AsyncClient, admin: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(7):
        await create(client, admin, address=f"{n} Stream St")
    monkeypatch.setattr(listing, "EXPORT_PAGE", 3)

    response = await client.get("/api/v1/properties/export.csv", headers=admin.headers)
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 7 and len({r["id"] for r in rows}) == 7
    assert list(rows[0])[: len(listing.EXPORT_COLUMNS)] == list(listing.EXPORT_COLUMNS)


# --- bulk actions ----------------------------------------------------------------------------


async def start_bulk(client: httpx.AsyncClient, member: Member, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/api/v1/properties/bulk", json=body, headers=member.headers)


async def finished(client: httpx.AsyncClient, member: Member, bulk_id: str) -> dict[str, Any]:
    await run_jobs()
    response = await client.get(f"/api/v1/bulk-actions/{bulk_id}", headers=member.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_bulk_stage_over_a_filter_skips_disallowed_moves_with_their_reason(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    movable = [await create(client, admin, address=f"{n} Move St", city="Bulkton") for n in range(3)]
    won = await create(client, admin, address="9 Won St", city="Bulkton", stage="closed_won")
    there = await create(client, admin, address="8 There St", city="Bulkton", stage="outreach")
    await create(client, admin, address="7 Elsewhere St", city="Tampa")
    started = await start_bulk(
        client,
        admin,
        {
            "action": "stage",
            "params": {"stage": "outreach", "reason": "mail drop"},
            "selection": {"filter": {"all": [cond("city", "eq", "Bulkton")]}},
        },
    )
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "queued"
    result = await finished(client, admin, started.json()["id"])
    assert result["status"] == "completed" and result["done"] == result["total"] == 5
    summary = result["summary"]
    assert (summary["changed"], summary["unchanged"], summary["skipped"]) == (3, 1, 1)
    assert summary["errors"] == [{"id": won["id"], "reason": summary["errors"][0]["reason"]}]
    assert "cannot move from Closed won to Outreach" in summary["errors"][0]["reason"]
    stages = {
        p["address"].title(): p["stage"] for p in (await listed(client, admin, limit=50)).json()["items"]
    }
    assert [stages[p["address"].title()] for p in movable] == ["outreach"] * 3
    assert stages[won["address"].title()] == "closed_won" and stages[there["address"].title()] == "outreach"
    assert stages["7 Elsewhere St"] == "new"
    # The moves are on each property's timeline like a single move, and progress was recorded.
    timeline = await client.get(f"/api/v1/properties/{movable[0]['id']}/timeline", headers=admin.headers)
    assert timeline.status_code == 200 and "mail drop" in timeline.text
    async with team_session(database, uuid.UUID(admin.team_id)) as session:
        run = await session.scalar(
            select(JobRun).where(
                JobRun.team_id == uuid.UUID(admin.team_id), JobRun.task_name == "properties.bulk_apply"
            )
        )
    assert run is not None and (run.done, run.total, run.status) == (5, 5, "completed")
    listing = await client.get("/api/v1/bulk-actions", headers=admin.headers)
    assert [b["id"] for b in listing.json()["items"]] == [result["id"]]


async def test_bulk_by_ids_and_by_list_tag_assign_list_and_delete(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    props = [await create(client, admin, address=f"{n} Many St") for n in range(4)]
    ids = [p["id"] for p in props]
    static = await client.post("/api/v1/lists", json={"name": "Hot", "kind": "static"}, headers=admin.headers)
    assert static.status_code == 201, static.text
    list_id = static.json()["id"]

    async def run(action: str, params: dict[str, Any], selection: dict[str, Any]) -> dict[str, Any]:
        started = await start_bulk(
            client, admin, {"action": action, "params": params, "selection": selection}
        )
        assert started.status_code == 202, started.text
        return (await finished(client, admin, started.json()["id"]))["summary"]

    summary = await run("tag", {"tags": ["Hot Lead"]}, {"ids": ids[:3]})
    assert (summary["changed"], summary["unchanged"]) == (3, 0)
    summary = await run(
        "add_to_list", {"list_id": list_id}, {"filter": {"all": [cond("tags", "has_any", ["hot lead"])]}}
    )
    assert summary["changed"] == 3
    summary = await run("assign", {"assigned_to_id": agent.member_id}, {"list_id": list_id})
    assert summary["changed"] == 3
    summary = await run("untag", {"tags": ["hot lead"]}, {"ids": ids})
    assert (summary["changed"], summary["unchanged"]) == (3, 1)
    summary = await run("remove_from_list", {"list_id": list_id}, {"ids": ids[:1]})
    assert summary["changed"] == 1
    members = await client.get(f"/api/v1/lists/{list_id}/properties", headers=admin.headers)
    assert sorted(p["id"] for p in members.json()["items"]) == sorted(ids[1:3])
    summary = await run("delete", {}, {"ids": [*ids[:2], "00000000-0000-4000-8000-000000000000"]})
    assert (summary["changed"], summary["skipped"]) == (2, 1)
    assert summary["errors"] == [{"id": "00000000-0000-4000-8000-000000000000", "reason": "not found"}]
    assert sorted(await addresses(client, admin, deleted="true")) == ["0 Many St", "1 Many St"]
    fetched = await client.get(f"/api/v1/properties/{ids[2]}", headers=admin.headers)
    assert fetched.json()["assigned_to_id"] == agent.member_id and fetched.json()["tags"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "stage", "params": {"stage": "dreaming"}, "selection": {"ids": []}}, None),
        ({"action": "stage", "params": {"stage": "dreaming"}, "selection": {"list_id": None}}, None),
        ({"action": "stage", "params": {"stage": "dreaming"}, "selection": {"filter": {}}}, "params.stage"),
        ({"action": "tag", "params": {}, "selection": {"filter": {}}}, "params.tags"),
        (
            {
                "action": "assign",
                "params": {"assigned_to_id": "00000000-0000-4000-8000-000000000000"},
                "selection": {"filter": {}},
            },
            "params.assigned_to_id",
        ),
        (
            {"action": "delete", "params": {}, "selection": {"filter": {"all": [cond("nope", "eq", 1)]}}},
            "filter.all[0].field",
        ),
    ],
)
async def test_bad_bulk_requests_are_refused_before_any_job(
    client: httpx.AsyncClient, admin: Member, body: dict[str, Any], field: str | None
) -> None:
    response = await start_bulk(client, admin, body)
    assert response.status_code == 422, response.text
    if field is not None:
        assert response.json()["error"]["details"]["field"] == field
    assert (await client.get("/api/v1/bulk-actions", headers=admin.headers)).json()["items"] == []


async def test_bulk_needs_the_bulk_action_role(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    body = {"action": "tag", "params": {"tags": ["x"]}, "selection": {"filter": {}}}
    assert (await start_bulk(client, agent, body)).status_code == 403
    assert (await start_bulk(client, admin, body)).status_code == 202
