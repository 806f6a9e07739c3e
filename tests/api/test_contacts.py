"""The contacts API: contacts (people and entities), their phones and emails — normalised and
unique per team — and their roles on properties; tenancy, roles and cascades."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from reos.db.session import Database
from tests.fixtures.api import Member, add_member, register

LEAD = {"address": "4417 Quillfeather Ln", "city": "Tampa", "state": "FL", "zip_code": "33610"}
PERSON = {"first_name": "Ada", "last_name": "Quimby", "street": "9 Elm St", "city": "Tampa", "state": "fl"}


def error_fields(response: httpx.Response) -> set[str]:
    return {d["field"] for d in response.json()["error"]["details"]}


async def create_contact(client: httpx.AsyncClient, member: Member, **fields: object) -> dict[str, Any]:
    response = await client.post("/api/v1/contacts", json=PERSON | fields, headers=member.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_point(
    client: httpx.AsyncClient, member: Member, contact_id: str, kind: str, value: str, **fields: object
) -> httpx.Response:
    return await client.post(
        f"/api/v1/contacts/{contact_id}/points",
        json={"kind": kind, "value": value, **fields},
        headers=member.headers,
    )


async def create_property(client: httpx.AsyncClient, member: Member, **fields: object) -> dict[str, Any]:
    response = await client.post("/api/v1/properties", json=LEAD | fields, headers=member.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# --- contacts ----------------------------------------------------------------------------------


async def test_create_read_update_a_person_and_an_entity(client: httpx.AsyncClient, admin: Member) -> None:
    person = await create_contact(client, admin)
    uuid.UUID(person["id"])
    assert person["kind"] == "person" and person["state"] == "FL" and person["points"] == []
    assert person["updated_at"] is None
    got = await client.get(f"/api/v1/contacts/{person['id']}", headers=admin.headers)
    assert got.status_code == 200 and got.json() == person

    changed = await client.patch(
        f"/api/v1/contacts/{person['id']}", json={"notes": "prefers texts"}, headers=admin.headers
    )
    assert changed.status_code == 200
    assert changed.json()["notes"] == "prefers texts" and changed.json()["first_name"] == "Ada"
    assert changed.json()["updated_at"] is not None

    entity = await client.post(
        "/api/v1/contacts",
        json={"kind": "entity", "entity_name": "Quimby Family Trust"},
        headers=admin.headers,
    )
    assert entity.status_code == 201 and entity.json()["entity_name"] == "Quimby Family Trust"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "entity"}, "entity_name"),
        ({}, "last_name"),
        ({"kind": "robot", "last_name": "X"}, "kind"),
        ({"last_name": "X", "state": "Florida"}, "state"),
        ({"last_name": "X", "zip_code": "ABCDE"}, "zip_code"),
        ({"last_name": "X", "colour": "blue"}, "colour"),
    ],
)
async def test_create_refuses_bad_contacts_naming_the_field(
    client: httpx.AsyncClient, admin: Member, body: dict[str, object], field: str
) -> None:
    response = await client.post("/api/v1/contacts", json=body, headers=admin.headers)
    assert response.status_code == 422, response.text
    assert error_fields(response) == {field}


async def test_a_person_cannot_lose_both_names(client: httpx.AsyncClient, admin: Member) -> None:
    person = await create_contact(client, admin, first_name=None)
    response = await client.patch(
        f"/api/v1/contacts/{person['id']}", json={"last_name": None}, headers=admin.headers
    )
    assert response.status_code == 422 and error_fields(response) == {"last_name"}
    got = await client.get(f"/api/v1/contacts/{person['id']}", headers=admin.headers)
    assert got.json()["last_name"] == "Quimby"


async def test_keyset_pages_cover_every_contact_once_newest_first(
    client: httpx.AsyncClient, admin: Member
) -> None:
    made = [(await create_contact(client, admin, last_name=f"Page{i}"))["id"] for i in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = await client.get("/api/v1/contacts", params=params, headers=admin.headers)
        assert page.status_code == 200
        body = page.json()
        assert len(body["items"]) <= 2
        seen += [c["id"] for c in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))
    bad = await client.get("/api/v1/contacts", params={"cursor": "nope"}, headers=admin.headers)
    assert bad.status_code == 400


async def test_q_filters_on_names_and_entity_name(client: httpx.AsyncClient, admin: Member) -> None:
    ada = await create_contact(client, admin)
    trust = await create_contact(
        client, admin, kind="entity", entity_name="Gumtree Holdings LLC", first_name=None, last_name=None
    )

    async def found(q: str) -> set[str]:
        page = await client.get("/api/v1/contacts", params={"q": q}, headers=admin.headers)
        return {c["id"] for c in page.json()["items"]}

    assert await found("quimby") == {ada["id"]}
    assert await found("ada qui") == {ada["id"]}
    assert await found("GUMTREE") == {trust["id"]}
    assert await found("%") == set()


# --- points ------------------------------------------------------------------------------------


async def test_points_are_normalised(client: httpx.AsyncClient, admin: Member) -> None:
    contact = await create_contact(client, admin)
    phone = await add_point(client, admin, contact["id"], "phone", "(813) 555-0142", line_type="mobile")
    assert phone.status_code == 201, phone.text
    assert phone.json()["value"] == "+18135550142"
    assert phone.json()["status"] == "unknown" and phone.json()["line_type"] == "mobile"
    assert phone.json()["dnc"] is False and phone.json()["position"] == 0
    email = await add_point(client, admin, contact["id"], "email", "  Ada.Quimby@Example.COM ")
    assert email.status_code == 201 and email.json()["value"] == "ada.quimby@example.com"
    assert email.json()["position"] == 1
    got = (await client.get(f"/api/v1/contacts/{contact['id']}", headers=admin.headers)).json()
    assert [p["value"] for p in got["points"]] == ["ada.quimby@example.com", "+18135550142"]


@pytest.mark.parametrize(
    ("kind", "value"), [("phone", "123"), ("phone", "call me"), ("email", "ada@"), ("email", "not an email")]
)
async def test_bad_points_are_refused_naming_the_field(
    client: httpx.AsyncClient, admin: Member, kind: str, value: str
) -> None:
    contact = await create_contact(client, admin)
    response = await add_point(client, admin, contact["id"], kind, value)
    assert response.status_code == 422, response.text
    assert error_fields(response) == {"value"}
    fax = await add_point(client, admin, contact["id"], "fax", "8135550142")
    assert fax.status_code == 422 and error_fields(fax) == {"kind"}


async def test_the_same_phone_is_one_point_per_team(client: httpx.AsyncClient, admin: Member) -> None:
    first = await create_contact(client, admin)
    second = await create_contact(client, admin, first_name="Bo")
    assert (await add_point(client, admin, first["id"], "phone", "813-555-0142")).status_code == 201
    for contact in (first, second):
        again = await add_point(client, admin, contact["id"], "phone", "+1 (813) 555 0142")
        assert again.status_code == 409, again.text
        assert again.json()["error"]["details"]["contact_id"] == first["id"]
    # Another team may hold the same number.
    other = await register(client)
    theirs = await create_contact(client, other)
    assert (await add_point(client, other, theirs["id"], "phone", "8135550142")).status_code == 201
    # Changing a value onto an existing one is refused too.
    email = await add_point(client, admin, second["id"], "phone", "8135550143")
    moved = await client.patch(
        f"/api/v1/contacts/{second['id']}/points/{email.json()['id']}",
        json={"value": "(813) 555-0142"},
        headers=admin.headers,
    )
    assert moved.status_code == 409 and moved.json()["error"]["details"]["contact_id"] == first["id"]


async def test_update_point_facts_and_primary(client: httpx.AsyncClient, admin: Member) -> None:
    contact = await create_contact(client, admin)
    one = (await add_point(client, admin, contact["id"], "phone", "8135550142", is_primary=True)).json()
    two = (await add_point(client, admin, contact["id"], "phone", "8135550143")).json()
    changed = await client.patch(
        f"/api/v1/contacts/{contact['id']}/points/{two['id']}",
        json={
            "is_primary": True,
            "status": "wrong",
            "dnc": True,
            "dnc_checked_at": "2030-01-02T03:04:05Z",
            "line_type": "landline",
        },
        headers=admin.headers,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["is_primary"], body["status"], body["dnc"], body["line_type"]) == (
        True,
        "wrong",
        True,
        "landline",
    )
    assert body["dnc_checked_at"].startswith("2030-01-02T03:04:05")
    points = (await client.get(f"/api/v1/contacts/{contact['id']}", headers=admin.headers)).json()["points"]
    assert {p["id"]: p["is_primary"] for p in points} == {one["id"]: False, two["id"]: True}
    bad = await client.patch(
        f"/api/v1/contacts/{contact['id']}/points/{two['id']}", json={"value": "12"}, headers=admin.headers
    )
    assert bad.status_code == 422 and error_fields(bad) == {"value"}
    gone = await client.delete(f"/api/v1/contacts/{contact['id']}/points/{one['id']}", headers=admin.headers)
    assert gone.status_code == 204
    points = (await client.get(f"/api/v1/contacts/{contact['id']}", headers=admin.headers)).json()["points"]
    assert [p["id"] for p in points] == [two["id"]]
    # A point is reached only through its own contact.
    stranger = await create_contact(client, admin, first_name="Cy")
    wrong = await client.delete(
        f"/api/v1/contacts/{stranger['id']}/points/{two['id']}", headers=admin.headers
    )
    assert wrong.status_code == 404


# --- property roles ----------------------------------------------------------------------------


async def test_link_list_filter_and_unlink(client: httpx.AsyncClient, admin: Member) -> None:
    prop = await create_property(client, admin)
    owner = await create_contact(client, admin)
    heir = await create_contact(client, admin, first_name="Bo")
    await add_point(client, admin, owner["id"], "phone", "8135550142")
    linked = await client.post(
        f"/api/v1/properties/{prop['id']}/contacts",
        json={"contact_id": owner["id"], "role": "owner"},
        headers=admin.headers,
    )
    assert linked.status_code == 201, linked.text
    assert linked.json()["contact"]["points"][0]["value"] == "+18135550142"
    again = await client.post(
        f"/api/v1/properties/{prop['id']}/contacts",
        json={"contact_id": owner["id"], "role": "owner"},
        headers=admin.headers,
    )
    assert again.status_code == 409 and again.json()["error"]["details"]["link_id"] == linked.json()["id"]
    assert (
        await client.post(
            f"/api/v1/properties/{prop['id']}/contacts",
            json={"contact_id": heir["id"], "role": "heir"},
            headers=admin.headers,
        )
    ).status_code == 201

    listed = await client.get(f"/api/v1/properties/{prop['id']}/contacts", headers=admin.headers)
    assert [(link["contact_id"], link["role"]) for link in listed.json()] == [
        (owner["id"], "owner"),
        (heir["id"], "heir"),
    ]
    await create_contact(client, admin, first_name="Unlinked")
    page = await client.get("/api/v1/contacts", params={"property_id": prop["id"]}, headers=admin.headers)
    assert {c["id"] for c in page.json()["items"]} == {owner["id"], heir["id"]}

    unlinked = await client.delete(
        f"/api/v1/properties/{prop['id']}/contacts/{linked.json()['id']}", headers=admin.headers
    )
    assert unlinked.status_code == 204
    listed = await client.get(f"/api/v1/properties/{prop['id']}/contacts", headers=admin.headers)
    assert [link["contact_id"] for link in listed.json()] == [heir["id"]]


async def test_linking_unknown_things_is_not_found(client: httpx.AsyncClient, admin: Member) -> None:
    prop = await create_property(client, admin)
    contact = await create_contact(client, admin)
    missing = str(uuid.uuid4())
    no_contact = await client.post(
        f"/api/v1/properties/{prop['id']}/contacts", json={"contact_id": missing}, headers=admin.headers
    )
    assert no_contact.status_code == 404
    no_property = await client.post(
        f"/api/v1/properties/{missing}/contacts", json={"contact_id": contact["id"]}, headers=admin.headers
    )
    assert no_property.status_code == 404
    bad_role = await client.post(
        f"/api/v1/properties/{prop['id']}/contacts",
        json={"contact_id": contact["id"], "role": "landlord"},
        headers=admin.headers,
    )
    assert bad_role.status_code == 422 and error_fields(bad_role) == {"role"}


async def test_agents_limited_to_their_leads_cannot_reach_others_contacts_through_them(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    others = await create_property(client, admin)
    contact = await create_contact(client, admin)
    link = await client.post(
        f"/api/v1/properties/{others['id']}/contacts",
        json={"contact_id": contact["id"]},
        headers=admin.headers,
    )
    await client.patch("/api/v1/team", json={"agents_see_assigned_only": True}, headers=admin.headers)
    base = f"/api/v1/properties/{others['id']}/contacts"
    assert (await client.get(base, headers=agent.headers)).status_code == 404
    assert (
        await client.post(base, json={"contact_id": contact["id"], "role": "heir"}, headers=agent.headers)
    ).status_code == 404
    page = await client.get("/api/v1/contacts", params={"property_id": others["id"]}, headers=agent.headers)
    assert page.status_code == 404
    assert (await client.get(base, headers=admin.headers)).json()[0]["id"] == link.json()["id"]


# --- deletion and cascades ---------------------------------------------------------------------


async def test_deleting_a_contact_takes_its_points_and_roles_and_is_audited(
    client: httpx.AsyncClient, admin: Member
) -> None:
    prop = await create_property(client, admin)
    contact = await create_contact(client, admin)
    await add_point(client, admin, contact["id"], "phone", "8135550142")
    await client.post(
        f"/api/v1/properties/{prop['id']}/contacts", json={"contact_id": contact["id"]}, headers=admin.headers
    )
    assert (
        await client.delete(f"/api/v1/contacts/{contact['id']}", headers=admin.headers)
    ).status_code == 204
    assert (await client.get(f"/api/v1/contacts/{contact['id']}", headers=admin.headers)).status_code == 404
    assert (await client.get(f"/api/v1/properties/{prop['id']}/contacts", headers=admin.headers)).json() == []
    # The number is free again: the point went with its contact.
    fresh = await create_contact(client, admin, first_name="Bo")
    assert (await add_point(client, admin, fresh["id"], "phone", "8135550142")).status_code == 201
    audit = await client.get("/api/v1/audit", params={"limit": 200}, headers=admin.headers)
    deleted = [e for e in audit.json()["items"] if e["action"] == "contact.deleted"]
    assert [e["target_id"] for e in deleted] == [contact["id"]]


async def test_deleting_a_property_takes_its_roles_not_its_contacts(
    client: httpx.AsyncClient, admin: Member
) -> None:
    prop = await create_property(client, admin)
    contact = await create_contact(client, admin)
    await client.post(
        f"/api/v1/properties/{prop['id']}/contacts", json={"contact_id": contact["id"]}, headers=admin.headers
    )
    assert (await client.delete(f"/api/v1/properties/{prop['id']}", headers=admin.headers)).status_code == 204
    assert (await client.get(f"/api/v1/contacts/{contact['id']}", headers=admin.headers)).status_code == 200
    again = await create_property(client, admin)
    page = await client.get("/api/v1/contacts", params={"property_id": again["id"]}, headers=admin.headers)
    assert page.json()["items"] == []


# --- roles and tenancy -------------------------------------------------------------------------


async def test_contacts_need_login_and_the_right_role(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    assert (await client.get("/api/v1/contacts")).status_code == 401
    assert (await client.post("/api/v1/contacts", json=PERSON)).status_code == 401
    viewer = await add_member(client, database, admin, role="viewer")
    agent = await add_member(client, database, admin, role="agent")
    assert (await client.post("/api/v1/contacts", json=PERSON, headers=viewer.headers)).status_code == 403
    contact = await create_contact(client, agent)
    assert (await client.get(f"/api/v1/contacts/{contact['id']}", headers=viewer.headers)).status_code == 200
    assert (await add_point(client, viewer, contact["id"], "phone", "8135550142")).status_code == 403
    point = await add_point(client, agent, contact["id"], "phone", "8135550142")
    assert point.status_code == 201
    # Agents edit but do not delete.
    assert (
        await client.delete(f"/api/v1/contacts/{contact['id']}", headers=agent.headers)
    ).status_code == 403
    assert (
        await client.delete(
            f"/api/v1/contacts/{contact['id']}/points/{point.json()['id']}", headers=agent.headers
        )
    ).status_code == 403


async def test_another_teams_contact_is_not_found_on_every_route(
    client: httpx.AsyncClient, admin: Member
) -> None:
    prop = await create_property(client, admin)
    contact = await create_contact(client, admin)
    point = (await add_point(client, admin, contact["id"], "phone", "8135550142")).json()
    link = (
        await client.post(
            f"/api/v1/properties/{prop['id']}/contacts",
            json={"contact_id": contact["id"]},
            headers=admin.headers,
        )
    ).json()
    other = await register(client)
    theirs = await create_property(client, other)
    c, p = f"/api/v1/contacts/{contact['id']}", f"/api/v1/properties/{prop['id']}/contacts"
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", c, None),
        ("PATCH", c, {"notes": "mine now"}),
        ("DELETE", c, None),
        ("POST", f"{c}/points", {"kind": "phone", "value": "8135550199"}),
        ("PATCH", f"{c}/points/{point['id']}", {"status": "wrong"}),
        ("DELETE", f"{c}/points/{point['id']}", None),
        ("GET", p, None),
        ("POST", p, {"contact_id": contact["id"]}),
        ("DELETE", f"{p}/{link['id']}", None),
        # Their own property, our contact.
        ("POST", f"/api/v1/properties/{theirs['id']}/contacts", {"contact_id": contact["id"]}),
    ]
    for method, url, body in calls:
        response = await client.request(method, url, json=body, headers=other.headers)
        assert response.status_code == 404, f"{method} {url}: {response.status_code} {response.text}"
        assert "Quimby" not in response.text and "+18135550142" not in response.text
    listed = await client.get("/api/v1/contacts", params={"q": "Quimby"}, headers=other.headers)
    assert listed.json()["items"] == []
    filtered = await client.get("/api/v1/contacts", params={"property_id": prop["id"]}, headers=other.headers)
    assert filtered.status_code == 404
    # Everything is still there for its own team.
    mine = await client.get(c, headers=admin.headers)
    assert mine.status_code == 200 and mine.json()["notes"] is None and len(mine.json()["points"]) == 1
    assert len((await client.get(p, headers=admin.headers)).json()) == 1
