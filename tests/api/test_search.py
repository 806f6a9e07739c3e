"""The global search box: properties and contacts from one query — street words as prefixes,
APN, owner names, phones typed any way, email prefixes — case-insensitive, inside the team."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from reos.db.session import Database
from tests.fixtures.api import Member, add_member, register

LEAD = {"address": "4417 Quillfeather Lane", "city": "Tampa", "state": "FL", "zip_code": "33610"}


async def create_property(client: httpx.AsyncClient, member: Member, **fields: object) -> dict[str, Any]:
    response = await client.post("/api/v1/properties", json=LEAD | fields, headers=member.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_contact(client: httpx.AsyncClient, member: Member, **fields: object) -> dict[str, Any]:
    body = {"first_name": "Ada", "last_name": "Quimby"} | fields
    response = await client.post("/api/v1/contacts", json=body, headers=member.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def add_point(
    client: httpx.AsyncClient, member: Member, contact_id: str, kind: str, value: str
) -> None:
    response = await client.post(
        f"/api/v1/contacts/{contact_id}/points", json={"kind": kind, "value": value}, headers=member.headers
    )
    assert response.status_code == 201, response.text


async def link(client: httpx.AsyncClient, member: Member, prop_id: str, contact_id: str) -> None:
    response = await client.post(
        f"/api/v1/properties/{prop_id}/contacts", json={"contact_id": contact_id}, headers=member.headers
    )
    assert response.status_code == 201, response.text


async def search(client: httpx.AsyncClient, member: Member, q: str, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/search", params={"q": q, **params}, headers=member.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["q"] == q
    return body


def ids(hits: list[dict[str, Any]]) -> set[str]:
    return {h["id"] for h in hits}


async def seed(client: httpx.AsyncClient, member: Member) -> dict[str, dict[str, Any]]:
    """A lead with an owner who has a phone and an email, a second lead, an unrelated contact."""
    lead = await create_property(client, member, apn="192-834-0021")
    other = await create_property(client, member, address="12 Magnolia Ave", city="Orlando", zip_code="32803")
    owner = await create_contact(client, member)
    await add_point(client, member, owner["id"], "phone", "(813) 555-0142")
    await add_point(client, member, owner["id"], "email", "Ada.Quimby@Example.com")
    await link(client, member, lead["id"], owner["id"])
    trust = await create_contact(
        client, member, kind="entity", entity_name="Gumtree Holdings LLC", first_name=None, last_name=None
    )
    return {"lead": lead, "other": other, "owner": owner, "trust": trust}


async def test_street_words_find_the_property_in_any_case(client: httpx.AsyncClient, admin: Member) -> None:
    made = await seed(client, admin)
    for q in ("quillfeather", "QUILLFEATHER", "Quillf", "4417 quill", "quillfeather ln"):
        found = await search(client, admin, q)
        assert ids(found["properties"]) == {made["lead"]["id"]}, q
    hit = (await search(client, admin, "quillfeather"))["properties"][0]
    assert (hit["address"], hit["city"], hit["state"], hit["zip_code"], hit["stage"]) == (
        "4417 QUILLFEATHER LN",
        "Tampa",
        "FL",
        "33610",
        "new",
    )
    assert ids((await search(client, admin, "magnolia"))["properties"]) == {made["other"]["id"]}
    assert ids((await search(client, admin, "1928340021"))["properties"]) == {made["lead"]["id"]}
    nothing = await search(client, admin, "featherquill")
    assert nothing["properties"] == [] and nothing["contacts"] == []


@pytest.mark.parametrize("q", ["192-834-0021", "192-834"])
async def test_an_apn_typed_with_its_dashes_finds_the_property(
    client: httpx.AsyncClient, admin: Member, q: str
) -> None:
    made = await seed(client, admin)
    assert ids((await search(client, admin, q))["properties"]) == {made["lead"]["id"]}


async def test_an_owners_name_finds_the_property_and_the_contact(
    client: httpx.AsyncClient, admin: Member
) -> None:
    made = await seed(client, admin)
    for q in ("quimby", "QUIMBY", "ada qui", "Quim"):
        found = await search(client, admin, q)
        assert ids(found["properties"]) == {made["lead"]["id"]}, q
        assert ids(found["contacts"]) == {made["owner"]["id"]}, q
    contact = (await search(client, admin, "quimby"))["contacts"][0]
    assert contact["name"] == "Ada Quimby" and contact["kind"] == "person"
    assert sorted(contact["points"]) == ["+18135550142", "ada.quimby@example.com"]
    entity = await search(client, admin, "gumtree")
    assert [(c["id"], c["name"], c["kind"]) for c in entity["contacts"]] == [
        (made["trust"]["id"], "Gumtree Holdings LLC", "entity")
    ]
    assert entity["properties"] == []


@pytest.mark.parametrize("q", ["(813) 555-01", "813-555-0142", "8135550", "+1 813 555", "1 (813) 555-0142"])
async def test_a_phone_typed_any_way_finds_by_prefix(
    client: httpx.AsyncClient, admin: Member, q: str
) -> None:
    made = await seed(client, admin)
    found = await search(client, admin, q)
    assert ids(found["properties"]) == {made["lead"]["id"]}
    assert ids(found["contacts"]) == {made["owner"]["id"]}


@pytest.mark.parametrize("q", ["555-0142", "(555) 0142", "5550142"])
async def test_a_local_number_without_its_area_code_finds_the_owner(
    client: httpx.AsyncClient, admin: Member, q: str
) -> None:
    made = await seed(client, admin)
    # The same local number in another area code is another person, found too: the search
    # cannot know which area the caller meant, so it shows both.
    other = await create_contact(client, admin, first_name="Bo", last_name="Tamsin")
    await add_point(client, admin, other["id"], "phone", "(212) 555-0142")
    found = await search(client, admin, q)
    assert ids(found["contacts"]) == {made["owner"]["id"], other["id"]}
    assert ids(found["properties"]) == {made["lead"]["id"]}
    for near in ("555-0143", "556-0142"):
        missed = await search(client, admin, near)
        assert missed["contacts"] == [] and missed["properties"] == [], near


@pytest.mark.parametrize("q", ["ada.quimby@", "ADA.QUIMBY@EXAMPLE", "ada.quimby@example.com"])
async def test_an_email_prefix_finds_the_owner(client: httpx.AsyncClient, admin: Member, q: str) -> None:
    made = await seed(client, admin)
    found = await search(client, admin, q)
    assert ids(found["contacts"]) == {made["owner"]["id"]}
    assert ids(found["properties"]) == {made["lead"]["id"]}


async def test_a_different_number_or_address_finds_nothing(client: httpx.AsyncClient, admin: Member) -> None:
    await seed(client, admin)
    for q in ("(813) 555-09", "bob.quimby@", "727 555"):
        found = await search(client, admin, q)
        assert found["properties"] == [] and found["contacts"] == [], q


async def test_trashed_properties_are_not_found(client: httpx.AsyncClient, admin: Member) -> None:
    made = await seed(client, admin)
    assert (
        await client.delete(f"/api/v1/properties/{made['lead']['id']}", headers=admin.headers)
    ).status_code == 204
    found = await search(client, admin, "quillfeather")
    assert found["properties"] == []
    # The contact itself is still found; its lead is not.
    owner = await search(client, admin, "quimby")
    assert owner["properties"] == [] and ids(owner["contacts"]) == {made["owner"]["id"]}


async def test_the_query_and_limit_are_checked(client: httpx.AsyncClient, admin: Member) -> None:
    for params in ({"q": ""}, {}, {"q": "x" * 201}, {"q": "quill", "limit": 0}, {"q": "quill", "limit": 51}):
        response = await client.get("/api/v1/search", params=params, headers=admin.headers)
        assert response.status_code == 422, params
    assert (await client.get("/api/v1/search", params={"q": "quill"})).status_code == 401
    blank = await search(client, admin, "   ")
    assert blank["properties"] == [] and blank["contacts"] == []
    for n in range(3):
        await create_property(client, admin, address=f"{n} Quillfeather Ct")
    assert len((await search(client, admin, "quillfeather", limit=2))["properties"]) == 2
    assert len((await search(client, admin, "quillfeather"))["properties"]) == 3


async def test_another_teams_rows_never_appear(client: httpx.AsyncClient, admin: Member) -> None:
    mine = await seed(client, admin)
    other = await register(client)
    theirs = await seed(client, other)
    for q in ("quillfeather", "quimby", "(813) 555-01", "ada.quimby@", "gumtree", "1928340021"):
        found = await search(client, admin, q)
        assert not ids(found["properties"]) & {theirs["lead"]["id"], theirs["other"]["id"]}, q
        assert not ids(found["contacts"]) & {theirs["owner"]["id"], theirs["trust"]["id"]}, q
        assert ids(found["properties"]) | ids(found["contacts"]), q
    assert ids((await search(client, other, "quimby"))["contacts"]) == {theirs["owner"]["id"]}
    assert mine["owner"]["id"] not in ids((await search(client, other, "quimby"))["contacts"])


async def test_agents_limited_to_their_leads_find_only_those(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    made = await seed(client, admin)
    await client.patch("/api/v1/team", json={"agents_see_assigned_only": True}, headers=admin.headers)
    hidden = await search(client, agent, "quimby")
    assert hidden["properties"] == [] and hidden["contacts"] == []
    assert (await search(client, agent, "(813) 555-01"))["contacts"] == []
    await client.patch(
        f"/api/v1/properties/{made['lead']['id']}",
        json={"assigned_to_id": agent.member_id},
        headers=admin.headers,
    )
    found = await search(client, agent, "quimby")
    assert ids(found["properties"]) == {made["lead"]["id"]} and ids(found["contacts"]) == {
        made["owner"]["id"]
    }
    assert (await search(client, agent, "magnolia"))["properties"] == []
