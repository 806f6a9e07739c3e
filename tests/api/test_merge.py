"""Merging duplicates by hand: two properties (every contact role, note, task, flag, list
membership and timeline event moves; empty fields are filled with their provenance; the
duplicate goes to the trash) and two contacts (points, roles and notes move; the duplicate is
deleted) — and the refusals: itself, unknown, another team's, the wrong kind, the wrong role."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import select, text

from reos.db.session import Database, team_session
from reos.scoring.models import SIGNAL_KINDS
from reos.timeline.models import Note
from tests.fixtures.api import Member, add_member, register

LEAD = {"address": "4417 Quillfeather Ln", "city": "Tampa", "state": "FL", "zip_code": "33610"}
PERSON = {"first_name": "Ada", "last_name": "Quimby"}


async def create_property(client: httpx.AsyncClient, member: Member, **fields: object) -> dict[str, Any]:
    response = await client.post("/api/v1/properties", json=LEAD | fields, headers=member.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_contact(client: httpx.AsyncClient, member: Member, **fields: object) -> dict[str, Any]:
    response = await client.post("/api/v1/contacts", json=PERSON | fields, headers=member.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_point(
    client: httpx.AsyncClient, member: Member, contact_id: str, kind: str, value: str, **fields: object
) -> dict[str, Any]:
    response = await client.post(
        f"/api/v1/contacts/{contact_id}/points",
        json={"kind": kind, "value": value, **fields},
        headers=member.headers,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def link(
    client: httpx.AsyncClient, member: Member, prop_id: str, contact_id: str, role: str = "owner"
) -> None:
    response = await client.post(
        f"/api/v1/properties/{prop_id}/contacts",
        json={"contact_id": contact_id, "role": role},
        headers=member.headers,
    )
    assert response.status_code == 201, response.text


async def roles(client: httpx.AsyncClient, member: Member, prop_id: str) -> list[tuple[str, str]]:
    response = await client.get(f"/api/v1/properties/{prop_id}/contacts", headers=member.headers)
    assert response.status_code == 200, response.text
    return sorted((link["contact_id"], link["role"]) for link in response.json())


async def timeline(client: httpx.AsyncClient, member: Member, prop_id: str) -> list[dict[str, Any]]:
    response = await client.get(
        f"/api/v1/properties/{prop_id}/timeline", params={"limit": 200}, headers=member.headers
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def merge(client: httpx.AsyncClient, member: Member, keep_id: str, dup_id: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/properties/{keep_id}/merge", json={"duplicate_id": dup_id}, headers=member.headers
    )


async def merge_contacts(
    client: httpx.AsyncClient, member: Member, keep_id: str, dup_id: str
) -> httpx.Response:
    return await client.post(
        f"/api/v1/contacts/{keep_id}/merge", json={"duplicate_id": dup_id}, headers=member.headers
    )


async def audit_of(client: httpx.AsyncClient, member: Member, action: str) -> list[dict[str, Any]]:
    items = (await client.get("/api/v1/audit", params={"limit": 200}, headers=member.headers)).json()["items"]
    return [e for e in items if e["action"] == action]


def tomorrow() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).isoformat()


# --- properties ----------------------------------------------------------------------------------


async def test_merge_moves_everything_fills_gaps_and_trashes_the_duplicate(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    await client.post(
        "/api/v1/custom-fields", json={"key": "arv", "label": "ARV", "type": "number"}, headers=admin.headers
    )
    keep = await create_property(client, admin, estimated_value="100000", tags=["absentee"], custom={})
    dup = await create_property(
        client,
        admin,
        address="4417 Quillfeather Lane",
        county="Hillsborough",
        apn="A-1",
        bedrooms=3,
        estimated_value="200000",
        tags=["vacant", "absentee"],
        custom={"arv": 250000},
        assigned_to_id=agent.member_id,
    )
    # The same owner on both (one role row after the merge), an heir on the duplicate only.
    owner = await create_contact(client, admin)
    heir = await create_contact(client, admin, first_name="Bo")
    await link(client, admin, keep["id"], owner["id"])
    await link(client, admin, dup["id"], owner["id"])
    await link(client, admin, dup["id"], heir["id"], "heir")
    note = await client.post(
        f"/api/v1/properties/{dup['id']}/notes", json={"body": "dup note"}, headers=admin.headers
    )
    task = await client.post(
        "/api/v1/tasks",
        json={"title": "Call the owner", "property_id": dup["id"], "due_at": tomorrow()},
        headers=admin.headers,
    )
    assert task.status_code == 201, task.text
    flag = await client.post(
        f"/api/v1/properties/{dup['id']}/flags", json={"field": "apn"}, headers=admin.headers
    )
    both = (
        await client.post("/api/v1/lists", json={"name": "Both", "kind": "static"}, headers=admin.headers)
    ).json()
    only = (
        await client.post("/api/v1/lists", json={"name": "Dup only", "kind": "static"}, headers=admin.headers)
    ).json()
    for list_id, ids in ((both["id"], [keep["id"], dup["id"]]), (only["id"], [dup["id"]])):
        added = await client.post(
            f"/api/v1/lists/{list_id}/members", json={"ids": ids}, headers=admin.headers
        )
        assert added.status_code == 200, added.text
    await client.patch(f"/api/v1/properties/{dup['id']}", json={"year_built": 1987}, headers=admin.headers)

    response = await merge(client, admin, keep["id"], dup["id"])
    assert response.status_code == 200, response.text
    result = response.json()
    merged = result["property"]
    assert merged["id"] == keep["id"]
    # Gaps filled from the duplicate; the kept property's own values stay.
    assert (merged["county"], merged["apn"], merged["bedrooms"], merged["year_built"]) == (
        "Hillsborough",
        "A-1",
        3,
        1987,
    )
    assert merged["estimated_value"] in ("100000", "100000.00")
    assert merged["assigned_to_id"] == agent.member_id
    assert merged["tags"] == ["absentee", "vacant"]
    assert merged["custom"] == {"arv": 250000}
    assert {"county", "apn", "bedrooms", "year_built", "custom.arv", "assigned_to_id", "tags"} <= set(
        result["filled"]
    )
    assert "estimated_value" not in result["filled"]
    assert (
        result["moved"]["notes"] == 1 and result["moved"]["tasks"] == 1 and result["moved"]["data_flags"] == 1
    )

    origins = {
        o["field"]: o
        for o in (
            await client.get(f"/api/v1/properties/{keep['id']}/provenance", headers=admin.headers)
        ).json()
    }
    for field in ("county", "apn", "year_built", "custom.arv", "assigned_to_id", "tags"):
        assert origins[field]["source"] == "merge", field
        assert origins[field]["detail"]["from"] == dup["id"], field
    assert origins["estimated_value"]["source"] == "manual"

    assert await roles(client, admin, keep["id"]) == sorted([(owner["id"], "owner"), (heir["id"], "heir")])
    items = await timeline(client, admin, keep["id"])
    assert note.json()["id"] in {i["id"] for i in items if i["kind"] == "note"}
    assert [i["kind"] for i in items].count("created") == 2  # the duplicate's history came along
    merged_event = next(i for i in items if i["kind"] == "merged")
    assert merged_event["data"]["duplicate_id"] == dup["id"]
    tasks = (
        await client.get(
            "/api/v1/tasks", params={"view": "team", "property_id": keep["id"]}, headers=admin.headers
        )
    ).json()
    assert [t["id"] for t in tasks["items"]] == [task.json()["id"]]
    flags = (await client.get(f"/api/v1/properties/{keep['id']}/flags", headers=admin.headers)).json()
    assert [(f["id"], f["property_id"]) for f in flags] == [(flag.json()["id"], keep["id"])]
    for list_id in (both["id"], only["id"]):
        members = (await client.get(f"/api/v1/lists/{list_id}/properties", headers=admin.headers)).json()[
            "items"
        ]
        assert [p["id"] for p in members] == [keep["id"]], list_id

    assert (await client.get(f"/api/v1/properties/{dup['id']}", headers=admin.headers)).status_code == 404
    trashed = (
        await client.get(
            f"/api/v1/properties/{dup['id']}", params={"include_deleted": "true"}, headers=admin.headers
        )
    ).json()
    assert trashed["deleted_at"] is not None and trashed["merged_into_id"] == keep["id"]
    restored = await client.post(f"/api/v1/properties/{dup['id']}/restore", headers=admin.headers)
    assert restored.status_code == 409
    assert restored.json()["error"]["details"]["merged_into_id"] == keep["id"]
    audited = await audit_of(client, admin, "property.merged")
    assert [(e["target_id"], e["details"]["duplicate_id"]) for e in audited] == [(keep["id"], dup["id"])]


async def test_merge_fills_only_what_the_kept_property_lacks(
    client: httpx.AsyncClient, admin: Member
) -> None:
    keep = await create_property(client, admin, county="Pasco", bedrooms=2, tags=[])
    dup = await create_property(client, admin, county="Hillsborough", bedrooms=5)
    response = await merge(client, admin, keep["id"], dup["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["property"]["county"] == "Pasco" and body["property"]["bedrooms"] == 2
    assert body["filled"] == []
    assert body["property"]["tags"] == []


async def test_merge_refusals_change_nothing(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    viewer = await add_member(client, database, admin, role="viewer")
    keep = await create_property(client, admin)
    dup = await create_property(client, admin, county="Hillsborough")
    other = await register(client)
    theirs = await create_property(client, other, county="Theirs")

    itself = await merge(client, admin, keep["id"], keep["id"])
    assert itself.status_code == 422 and itself.json()["error"]["details"]["field"] == "duplicate_id"
    unknown = await merge(client, admin, keep["id"], str(uuid.uuid4()))
    assert unknown.status_code == 422 and unknown.json()["error"]["details"]["field"] == "duplicate_id"
    cross = await merge(client, admin, keep["id"], theirs["id"])
    assert cross.status_code == 422 and "Theirs" not in cross.text
    # Their kept property is not found from our team, whatever the duplicate.
    assert (await merge(client, admin, theirs["id"], dup["id"])).status_code == 404
    assert (await merge(client, other, keep["id"], theirs["id"])).status_code == 404
    # Merging is a delete action: agents and viewers may not.
    assert (await merge(client, agent, keep["id"], dup["id"])).status_code == 403
    assert (await merge(client, viewer, keep["id"], dup["id"])).status_code == 403
    bad_body = await client.post(
        f"/api/v1/properties/{keep['id']}/merge", json={"duplicate_id": "nope"}, headers=admin.headers
    )
    assert bad_body.status_code == 422

    for prop, member in ((keep, admin), (dup, admin), (theirs, other)):
        got = (await client.get(f"/api/v1/properties/{prop['id']}", headers=member.headers)).json()
        assert got["deleted_at"] is None and got["merged_into_id"] is None and got["county"] == prop["county"]
    assert [i["kind"] for i in await timeline(client, admin, keep["id"])] == ["created"]
    assert await audit_of(client, admin, "property.merged") == []

    # A duplicate already in the trash cannot be merged again.
    assert (await merge(client, admin, keep["id"], dup["id"])).status_code == 200
    third = await create_property(client, admin)
    again = await merge(client, admin, third["id"], dup["id"])
    assert again.status_code == 422


async def test_earlier_merges_follow_the_duplicate(client: httpx.AsyncClient, admin: Member) -> None:
    a = await create_property(client, admin, address="1 A St")
    b = await create_property(client, admin, address="2 B St")
    c = await create_property(client, admin, address="3 C St")
    assert (await merge(client, admin, b["id"], a["id"])).status_code == 200
    assert (await merge(client, admin, c["id"], b["id"])).status_code == 200
    for prop in (a, b):
        got = (
            await client.get(
                f"/api/v1/properties/{prop['id']}", params={"include_deleted": "true"}, headers=admin.headers
            )
        ).json()
        assert got["merged_into_id"] == c["id"], prop["address"]
        restored = await client.post(f"/api/v1/properties/{prop['id']}/restore", headers=admin.headers)
        assert restored.status_code == 409
    created = [i for i in await timeline(client, admin, c["id"]) if i["kind"] == "created"]
    assert len(created) == 3


# --- contacts ------------------------------------------------------------------------------------


async def test_contact_merge_moves_points_roles_and_notes_and_fills_gaps(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    house = await create_property(client, admin)
    other_house = await create_property(client, admin, address="9 Elm St")
    keep = await create_contact(client, admin, notes="call evenings")
    dup = await create_contact(
        client,
        admin,
        first_name="Adah",
        street="9 Elm St",
        city="Tampa",
        state="FL",
        zip_code="33610",
        notes="widow",
    )
    keep_phone = await add_point(client, admin, keep["id"], "phone", "8135550142", is_primary=True)
    dup_phone = await add_point(client, admin, dup["id"], "phone", "8135550143", is_primary=True)
    dup_email = await add_point(client, admin, dup["id"], "email", "adah@example.com", is_primary=True)
    await link(client, admin, house["id"], keep["id"])
    await link(client, admin, house["id"], dup["id"])
    await link(client, admin, other_house["id"], dup["id"], "heir")
    note = await client.post(
        f"/api/v1/contacts/{dup['id']}/notes", json={"body": "spoke to her son"}, headers=admin.headers
    )
    assert note.status_code == 201

    response = await merge_contacts(client, admin, keep["id"], dup["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    merged = body["contact"]
    assert merged["id"] == keep["id"]
    assert merged["first_name"] == "Ada"  # the kept contact's own value stays
    assert (merged["street"], merged["city"], merged["state"], merged["zip_code"]) == (
        "9 Elm St",
        "Tampa",
        "FL",
        "33610",
    )
    assert set(body["filled"]) == {"street", "city", "state", "zip_code"}
    assert merged["notes"] == "call evenings\n\nwidow"
    points = {p["id"]: p for p in merged["points"]}
    assert set(points) == {keep_phone["id"], dup_phone["id"], dup_email["id"]}
    # One primary phone: the kept contact's; the duplicate's only email stays primary.
    assert points[keep_phone["id"]]["is_primary"] and not points[dup_phone["id"]]["is_primary"]
    assert points[dup_email["id"]]["is_primary"]
    assert body["moved"]["contact_points"] == 2 and body["moved"]["notes"] == 1

    assert await roles(client, admin, house["id"]) == [(keep["id"], "owner")]
    assert await roles(client, admin, other_house["id"]) == [(keep["id"], "heir")]
    assert (await client.get(f"/api/v1/contacts/{dup['id']}", headers=admin.headers)).status_code == 404
    async with team_session(database, uuid.UUID(admin.team_id)) as session:
        moved_note = await session.scalar(select(Note).where(Note.id == uuid.UUID(note.json()["id"])))
        assert moved_note is not None and str(moved_note.contact_id) == keep["id"]
    # The duplicate's number now belongs to the kept contact.
    stranger = await create_contact(client, admin, first_name="Cy")
    taken = await client.post(
        f"/api/v1/contacts/{stranger['id']}/points",
        json={"kind": "phone", "value": "813-555-0143"},
        headers=admin.headers,
    )
    assert taken.status_code == 409 and taken.json()["error"]["details"]["contact_id"] == keep["id"]
    audited = await audit_of(client, admin, "contact.merged")
    assert [(e["target_id"], e["details"]["duplicate_id"]) for e in audited] == [(keep["id"], dup["id"])]


async def test_contact_merge_refusals(client: httpx.AsyncClient, database: Database, admin: Member) -> None:
    agent = await add_member(client, database, admin, role="agent")
    person = await create_contact(client, admin)
    other_person = await create_contact(client, admin, first_name="Bo")
    entity = await create_contact(
        client, admin, kind="entity", entity_name="Quimby Trust", first_name=None, last_name=None
    )
    await add_point(client, admin, other_person["id"], "phone", "8135550199")
    other = await register(client)
    theirs = await create_contact(client, other)

    wrong_kind = await merge_contacts(client, admin, entity["id"], person["id"])
    assert wrong_kind.status_code == 422 and wrong_kind.json()["error"]["details"]["field"] == "duplicate_id"
    assert (await merge_contacts(client, admin, person["id"], entity["id"])).status_code == 422
    assert (await merge_contacts(client, admin, person["id"], person["id"])).status_code == 422
    assert (await merge_contacts(client, admin, person["id"], str(uuid.uuid4()))).status_code == 422
    assert (await merge_contacts(client, admin, person["id"], theirs["id"])).status_code == 422
    assert (await merge_contacts(client, admin, theirs["id"], person["id"])).status_code == 404
    assert (await merge_contacts(client, agent, person["id"], other_person["id"])).status_code == 403

    for contact in (person, other_person, entity):
        assert (
            await client.get(f"/api/v1/contacts/{contact['id']}", headers=admin.headers)
        ).status_code == 200
    still = (await client.get(f"/api/v1/contacts/{other_person['id']}", headers=admin.headers)).json()
    assert [p["value"] for p in still["points"]] == ["+18135550199"]
    assert (await client.get(f"/api/v1/contacts/{theirs['id']}", headers=other.headers)).status_code == 200
    assert await audit_of(client, admin, "contact.merged") == []


async def test_contact_notes(client: httpx.AsyncClient, database: Database, admin: Member) -> None:
    viewer = await add_member(client, database, admin, role="viewer")
    contact = await create_contact(client, admin)
    note = await client.post(
        f"/api/v1/contacts/{contact['id']}/notes", json={"body": " prefers texts "}, headers=admin.headers
    )
    assert note.status_code == 201, note.text
    body = note.json()
    assert (body["contact_id"], body["property_id"], body["body"]) == (contact["id"], None, "prefers texts")
    async with team_session(database, uuid.UUID(admin.team_id)) as session:
        stored = await session.scalar(select(Note).where(Note.id == uuid.UUID(body["id"])))
        assert stored is not None and str(stored.contact_id) == contact["id"]
    url = f"/api/v1/contacts/{contact['id']}/notes"
    assert (await client.post(url, json={"body": ""}, headers=admin.headers)).status_code == 422
    assert (await client.post(url, json={"body": "x"}, headers=viewer.headers)).status_code == 403
    other = await register(client)
    assert (await client.post(url, json={"body": "x"}, headers=other.headers)).status_code == 404
    missing = await client.post(
        f"/api/v1/contacts/{uuid.uuid4()}/notes", json={"body": "x"}, headers=admin.headers
    )
    assert missing.status_code == 404


# --- agents limited to their leads ---------------------------------------------------------------


async def test_agents_see_only_the_contacts_of_their_assigned_leads(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    mine = await create_property(client, admin, assigned_to_id=agent.member_id)
    others = await create_property(client, admin, address="9 Elm St")
    visible = await create_contact(client, admin)
    hidden = await create_contact(client, admin, first_name="Bo", last_name="Hidden")
    point = await add_point(client, admin, hidden["id"], "phone", "8135550177")
    await link(client, admin, mine["id"], visible["id"])
    await link(client, admin, others["id"], hidden["id"])

    # Without the setting an agent sees the team's contacts.
    assert (await client.get(f"/api/v1/contacts/{hidden['id']}", headers=agent.headers)).status_code == 200
    await client.patch("/api/v1/team", json={"agents_see_assigned_only": True}, headers=admin.headers)

    assert (await client.get(f"/api/v1/contacts/{visible['id']}", headers=agent.headers)).status_code == 200
    h = f"/api/v1/contacts/{hidden['id']}"
    for method, url, body in (
        ("GET", h, None),
        ("PATCH", h, {"notes": "mine"}),
        ("POST", f"{h}/points", {"kind": "phone", "value": "8135550178"}),
        ("PATCH", f"{h}/points/{point['id']}", {"status": "wrong"}),
        ("POST", f"{h}/notes", {"body": "x"}),
    ):
        response = await client.request(method, url, json=body, headers=agent.headers)
        assert response.status_code == 404, f"{method} {url}: {response.status_code}"
        assert "Hidden" not in response.text
    listed = (await client.get("/api/v1/contacts", headers=agent.headers)).json()["items"]
    assert [c["id"] for c in listed] == [visible["id"]]
    # Admins are not limited; nothing the agent tried landed.
    got = (await client.get(h, headers=admin.headers)).json()
    assert got["notes"] is None and [(p["value"], p["status"]) for p in got["points"]] == [
        ("+18135550177", "unknown")
    ]

    # The reach follows the assignment and the trash.
    await client.patch(
        f"/api/v1/properties/{others['id']}", json={"assigned_to_id": agent.member_id}, headers=admin.headers
    )
    assert (await client.get(h, headers=agent.headers)).status_code == 200
    assert (
        await client.delete(f"/api/v1/properties/{others['id']}", headers=admin.headers)
    ).status_code == 204
    assert (await client.get(h, headers=agent.headers)).status_code == 404
    await client.patch(
        f"/api/v1/properties/{mine['id']}", json={"assigned_to_id": None}, headers=admin.headers
    )
    assert (await client.get(f"/api/v1/contacts/{visible['id']}", headers=agent.headers)).status_code == 404


async def test_merge_of_two_leads_with_the_same_signal_keeps_one(
    client: httpx.AsyncClient, owner_conn: psycopg.Connection, admin: Member
) -> None:
    keep = await create_property(client, admin)
    dup = await create_property(client, admin, address="4417 Quillfeather Lane")
    with owner_conn.transaction():
        owner_conn.execute("select set_config('app.team_id', %s, true)", (admin.team_id,))
        for prop in (keep, dup):
            owner_conn.execute(
                "insert into signals (id, team_id, created_at, updated_at, property_id, kind, source,"
                " observed_on, detail) values (%s, %s, now(), now(), %s, %s, 'manual', current_date, '{}')",
                (uuid.uuid4(), admin.team_id, prop["id"], SIGNAL_KINDS[0]),
            )
    response = await merge(client, admin, keep["id"], dup["id"])
    assert response.status_code == 200, response.text


async def score_of(client: httpx.AsyncClient, member: Member, prop_id: str) -> tuple[int, set[str]]:
    """The stored score (what the list sorts by) and signal kinds, checked against the live
    breakdown of the same signals."""
    prop = (await client.get(f"/api/v1/properties/{prop_id}", headers=member.headers)).json()
    score = (await client.get(f"/api/v1/properties/{prop_id}/score", headers=member.headers)).json()
    assert score["stored_score"] == score["score"], score
    signals = (await client.get(f"/api/v1/properties/{prop_id}/signals", headers=member.headers)).json()
    return prop["score"], {s["kind"] for s in signals}


async def test_a_merge_rescores_the_lead_it_keeps(client: httpx.AsyncClient, admin: Member) -> None:
    """The duplicate's signals and the values it fills move to the kept lead: its score must
    follow at once, not at the next nightly run (the list sorts by the stored score)."""
    keep = await create_property(client, admin)
    dup = await create_property(
        client, admin, address="4417 Quillfeather Lane", estimated_value=300000, mortgage_balance=0
    )
    added = await client.post(
        f"/api/v1/properties/{dup['id']}/signals", json={"kind": "tax_delinquent"}, headers=admin.headers
    )
    assert added.status_code == 201, added.text
    assert await score_of(client, admin, keep["id"]) == (0, set())
    response = await merge(client, admin, keep["id"], dup["id"])
    assert response.status_code == 200, response.text
    score, kinds = await score_of(client, admin, keep["id"])
    assert kinds == {"tax_delinquent", "free_and_clear", "high_equity"} and score > 0
    assert response.json()["property"]["score"] == score  # the answer is the rescored lead


async def test_a_contact_merge_rescores_the_leads_of_the_contact_kept(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """Merging fills the kept owner's empty mailing address from the duplicate: the leads that
    person owns turn absentee (and out of state) then, not at the next nightly run."""
    prop = await create_property(client, admin)
    keep = await create_contact(client, admin)
    dup = await create_contact(
        client, admin, street="77 Harbor View Dr", city="Atlanta", state="GA", zip_code="30301"
    )
    await link(client, admin, prop["id"], keep["id"])
    assert await score_of(client, admin, prop["id"]) == (0, set())
    response = await merge_contacts(client, admin, keep["id"], dup["id"])
    assert response.status_code == 200, response.text
    score, kinds = await score_of(client, admin, prop["id"])
    assert kinds == {"absentee_owner", "out_of_state_owner"} and score > 0


async def test_deleting_an_owner_rescores_the_leads_it_owned(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """An absentee owner deleted: the lead has no owner with a mailing address any more, so it
    is no longer absentee, and its score says so at once."""
    prop = await create_property(client, admin)
    owner = await create_contact(
        client, admin, street="77 Harbor View Dr", city="Atlanta", state="GA", zip_code="30301"
    )
    await link(client, admin, prop["id"], owner["id"])
    score, kinds = await score_of(client, admin, prop["id"])
    assert kinds == {"absentee_owner", "out_of_state_owner"} and score > 0
    deleted = await client.delete(f"/api/v1/contacts/{owner['id']}", headers=admin.headers)
    assert deleted.status_code == 204, deleted.text
    assert await score_of(client, admin, prop["id"]) == (0, set())


async def test_a_contact_merge_rescores_a_lead_both_people_owned(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """Both people own the lead; the duplicate's role there is a repeat, dropped rather than
    moved. The owner who got mail at the property is gone, so the lead turns absentee."""
    prop = await create_property(client, admin)
    keep = await create_contact(
        client, admin, street="77 Harbor View Dr", city="Atlanta", state="GA", zip_code="30301"
    )
    dup = await create_contact(
        client, admin, street=LEAD["address"], city="Tampa", state="FL", zip_code="33610"
    )
    await link(client, admin, prop["id"], keep["id"])
    await link(client, admin, prop["id"], dup["id"])
    assert await score_of(client, admin, prop["id"]) == (0, set())
    response = await merge_contacts(client, admin, keep["id"], dup["id"])
    assert response.status_code == 200, response.text
    score, kinds = await score_of(client, admin, prop["id"])
    assert kinds == {"absentee_owner", "out_of_state_owner"} and score > 0


async def test_an_owner_of_many_leads_is_rescored_by_the_team_job(
    client: httpx.AsyncClient, admin: Member, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past `FACTS_CHANGED_AT_ONCE` leads, a change of an owner's mailing address queues the
    team's rescoring instead of rescoring lead by lead in the request."""
    from reos.properties import service as properties
    from tests.fixtures.jobs import run_jobs

    monkeypatch.setattr(properties, "FACTS_CHANGED_AT_ONCE", 1)
    owner = await create_contact(client, admin)
    leads = [await create_property(client, admin, address=f"{n} Palm Ave") for n in (1, 2)]
    for prop in leads:
        await link(client, admin, prop["id"], owner["id"])
    moved = await client.patch(
        f"/api/v1/contacts/{owner['id']}",
        json={"street": "77 Harbor View Dr", "city": "Atlanta", "state": "GA", "zip_code": "30301"},
        headers=admin.headers,
    )
    assert moved.status_code == 200, moved.text
    async with team_session(database, None) as session:
        waiting = await session.scalars(
            text("select task_name from procrastinate_jobs where args->>'team_id' = :t and status = 'todo'"),
            {"t": admin.team_id},
        )
        assert list(waiting) == ["scoring.rescore_team"]
    await run_jobs()
    for prop in leads:
        score, kinds = await score_of(client, admin, prop["id"])
        assert kinds == {"absentee_owner", "out_of_state_owner"} and score > 0
