"""Smart and static lists: create, rename, change, delete, members, and the properties of each."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.api import Member, create_property, register

BASE = {"address": "100 Main St", "city": "Tampa", "state": "FL", "zip_code": "33610"}


async def create(client: httpx.AsyncClient, member: Member, **fields: Any) -> dict[str, Any]:
    return await create_property(client, member, BASE | fields)


async def ids_of(client: httpx.AsyncClient, member: Member, list_id: str) -> set[str]:
    response = await client.get(f"/api/v1/lists/{list_id}/properties", headers=member.headers)
    assert response.status_code == 200, response.text
    return {p["id"] for p in response.json()["items"]}


async def test_smart_list_follows_its_filter_and_sort(client: httpx.AsyncClient, admin: Member) -> None:
    cheap = await create(client, admin, address="1 Low St", estimated_value="90000")
    dear = await create(client, admin, address="2 High St", estimated_value="500000")
    await create(client, admin, address="3 Other St", city="Miami")
    doc = {"all": [{"field": "city", "op": "eq", "value": "Tampa"}], "sort": [{"field": "estimated_value"}]}
    made = await client.post(
        "/api/v1/lists",
        json={"name": "Tampa", "filter": doc, "columns": ["city", "score"]},
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    smart = made.json()
    assert smart["kind"] == "smart" and smart["columns"] == ["city", "score"]
    page = await client.get(f"/api/v1/lists/{smart['id']}/properties", headers=admin.headers)
    assert [p["id"] for p in page.json()["items"]] == [cheap["id"], dear["id"]]
    # The list's filter is re-run: a new match appears without touching the list.
    later = await create(client, admin, address="4 Later St", estimated_value="1000")
    assert later["id"] in await ids_of(client, admin, smart["id"])
    changed = await client.patch(
        f"/api/v1/lists/{smart['id']}",
        json={
            "name": "Tampa, dear",
            "filter": {"all": [{"field": "estimated_value", "op": "gt", "value": 100000}]},
        },
        headers=admin.headers,
    )
    assert changed.status_code == 200 and changed.json()["name"] == "Tampa, dear"
    assert await ids_of(client, admin, smart["id"]) == {dear["id"]}
    # Another list can name this one, and the property list filters by it.
    nested = await client.post(
        "/api/v1/lists",
        json={"name": "Not dear", "filter": {"all": [{"field": "list", "op": "ne", "value": smart["id"]}]}},
        headers=admin.headers,
    )
    assert nested.status_code == 201, nested.text
    assert dear["id"] not in await ids_of(client, admin, nested.json()["id"])
    listed = await client.get("/api/v1/lists", headers=admin.headers)
    assert {item["name"] for item in listed.json()["items"]} == {"Tampa, dear", "Not dear"}


async def test_static_list_members(client: httpx.AsyncClient, admin: Member) -> None:
    other_admin = await register(client)
    a, b = await create(client, admin, address="1 A St"), await create(client, admin, address="2 B St")
    theirs = await create(client, other_admin, address="9 Their St")
    made = await client.post(
        "/api/v1/lists", json={"name": "Call first", "kind": "static"}, headers=admin.headers
    )
    assert made.status_code == 201, made.text
    list_id = made.json()["id"]
    url = f"/api/v1/lists/{list_id}/members"
    added = await client.post(url, json={"ids": [a["id"], b["id"], a["id"]]}, headers=admin.headers)
    assert added.json() == {"changed": 2, "unchanged": 0}
    again = await client.post(url, json={"ids": [a["id"]]}, headers=admin.headers)
    assert again.json() == {"changed": 0, "unchanged": 1}
    # Another team's property is not found, and nothing is added.
    refused = await client.post(url, json={"ids": [b["id"], theirs["id"]]}, headers=admin.headers)
    assert refused.status_code == 404 and refused.json()["error"]["details"]["ids"] == [theirs["id"]]
    removed = await client.request("DELETE", url, json={"ids": [a["id"]]}, headers=admin.headers)
    assert removed.json() == {"changed": 1, "unchanged": 0}
    assert await ids_of(client, admin, list_id) == {b["id"]}
    # A list is another team's secret: 404 for every route.
    for method, path in (("GET", ""), ("GET", "/properties"), ("DELETE", "")):
        answer = await client.request(method, f"/api/v1/lists/{list_id}{path}", headers=other_admin.headers)
        assert answer.status_code == 404
    assert (await client.delete(f"/api/v1/lists/{list_id}", headers=admin.headers)).status_code == 204
    assert (await client.get(f"/api/v1/lists/{list_id}", headers=admin.headers)).status_code == 404
    assert (await client.get(f"/api/v1/properties/{b['id']}", headers=admin.headers)).status_code == 200


async def test_bad_lists_are_refused(client: httpx.AsyncClient, admin: Member) -> None:
    async def post(body: dict[str, Any]) -> httpx.Response:
        return await client.post("/api/v1/lists", json=body, headers=admin.headers)

    assert (await post({"name": "No filter"})).json()["error"]["details"]["field"] == "filter"
    bad = await post({"name": "Bad", "filter": {"all": [{"field": "colour", "op": "eq", "value": 1}]}})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["field"] == "filter.all[0].field"
    static_with_filter = await post({"name": "S", "kind": "static", "filter": {"all": []}})
    assert static_with_filter.status_code == 422
    bad_column = await post({"name": "C", "filter": {}, "columns": ["city", "password"]})
    assert bad_column.status_code == 422 and bad_column.json()["error"]["details"]["field"] == "columns[1]"
    assert (await post({"name": "Twice", "filter": {}})).status_code == 201
    assert (await post({"name": "Twice", "kind": "static"})).status_code == 409
    smart = (await client.get("/api/v1/lists", headers=admin.headers)).json()["items"][0]
    members = await client.post(
        f"/api/v1/lists/{smart['id']}/members", json={"ids": [smart["id"]]}, headers=admin.headers
    )
    assert members.status_code == 422
    itself = await client.patch(
        f"/api/v1/lists/{smart['id']}",
        json={"filter": {"all": [{"field": "list", "op": "eq", "value": smart["id"]}]}},
        headers=admin.headers,
    )
    assert itself.status_code == 422 and "refers to itself" in itself.json()["error"]["message"]


async def test_a_list_another_smart_list_filters_on_cannot_be_deleted(
    client: httpx.AsyncClient, admin: Member
) -> None:
    async def made(name: str, doc: dict[str, Any] | None = None) -> str:
        body: dict[str, Any] = (
            {"name": name, "kind": "smart", "filter": doc} if doc else {"name": name, "kind": "static"}
        )
        response = await client.post("/api/v1/lists", json=body, headers=admin.headers)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    base = await made("Callbacks")
    on_it = {"all": [{"field": "list", "op": "eq", "value": base}]}
    first = await made("Callbacks, smart", on_it)
    second = await made("Not callbacks", {"any": [{"field": "list", "op": "in", "value": [base]}]})
    # Its id as text in another list's name-free filter does not count as a reference.
    await made("Elsewhere", {"all": [{"field": "city", "op": "eq", "value": base}]})

    refused = await client.delete(f"/api/v1/lists/{base}", headers=admin.headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["details"]["lists"] == ["Callbacks, smart", "Not callbacks"]
    assert "'Callbacks'" in refused.json()["error"]["message"]
    assert (await client.get(f"/api/v1/lists/{base}", headers=admin.headers)).status_code == 200

    for dependant in (first, second):
        assert (await client.delete(f"/api/v1/lists/{dependant}", headers=admin.headers)).status_code == 204
    assert (await client.delete(f"/api/v1/lists/{base}", headers=admin.headers)).status_code == 204
    assert (await client.get(f"/api/v1/lists/{base}", headers=admin.headers)).status_code == 404
