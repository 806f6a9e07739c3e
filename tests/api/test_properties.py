"""The properties API (create, read, change, delete, keyset pages, filters) and the rule that
the request boundary owns the transaction: a commit that fails never answers 2xx."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from reos.app import create_app
from reos.db.session import Database
from reos.deps import Editor, SessionDep
from reos.kit import clock
from reos.properties import service as properties
from reos.properties.schemas import PropertyCreate
from reos.providers.models import OutboxMessage
from reos.settings import get_settings
from tests.fixtures.api import Member, add_member, unique_email
from tests.fixtures.jobs import run_jobs

BASE = {"address": "4417 Quillfeather Ln", "city": "Tampa", "state": "FL", "zip_code": "33610"}


def error_fields(response: httpx.Response) -> set[str]:
    return {d["field"] for d in response.json()["error"]["details"]}


async def create(client: httpx.AsyncClient, member: Member, **fields: object) -> dict[str, object]:
    response = await client.post("/api/v1/properties", json=BASE | fields, headers=member.headers)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def list_page(client: httpx.AsyncClient, member: Member, **params: str | int) -> httpx.Response:
    return await client.get("/api/v1/properties", params=params, headers=member.headers)


# --- create and validation -----------------------------------------------------------------


async def test_create_answers_the_property_with_normalised_state_and_zip(
    client: httpx.AsyncClient, admin: Member
) -> None:
    response = await client.post(
        "/api/v1/properties",
        json={
            "address": "  77 Cedar Bend Dr ",
            "city": "Jacksonville",
            "state": " fl ",
            "zip_code": "322181234",
            "bedrooms": 3,
            "bathrooms": "1.5",
            "estimated_value": "174000.00",
        },
        headers=admin.headers,
    )
    assert response.status_code == 201
    body = response.json()
    uuid.UUID(body["id"])
    assert body["address"] == "77 CEDAR BEND DR"  # USPS Publication 28 form
    assert body["state"] == "FL" and body["zip_code"] == "32218-1234"
    assert body["stage"] == "new" and body["updated_at"] == body["created_at"]
    assert body["bedrooms"] == 3 and body["bathrooms"] == "1.5"
    got = await client.get(f"/api/v1/properties/{body['id']}", headers=admin.headers)
    assert got.status_code == 200 and got.json() == body


async def test_create_names_every_missing_field(client: httpx.AsyncClient, admin: Member) -> None:
    response = await client.post("/api/v1/properties", json={"county": "Duval"}, headers=admin.headers)
    assert response.status_code == 422
    assert error_fields(response) == {"address", "city", "state", "zip_code"}
    assert "zip_code" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"zip_code": "3361"}, "zip_code"),
        ({"zip_code": "ABCDE"}, "zip_code"),
        ({"state": "XX"}, "state"),
        ({"state": "Florida"}, "state"),
        ({"address": ""}, "address"),
        ({"bedrooms": -1}, "bedrooms"),
        ({"year_built": 1200}, "year_built"),
        ({"stage": "dreaming"}, "stage"),
        ({"colour": "blue"}, "colour"),
    ],
)
async def test_create_refuses_bad_fields_naming_them(
    client: httpx.AsyncClient, admin: Member, change: dict[str, object], field: str
) -> None:
    response = await client.post("/api/v1/properties", json=BASE | change, headers=admin.headers)
    assert response.status_code == 422
    assert error_fields(response) == {field}
    assert (await list_page(client, admin)).json()["items"] == []


async def test_properties_need_login_and_the_right_role(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    assert (await client.get("/api/v1/properties")).status_code == 401
    assert (await client.post("/api/v1/properties", json=BASE)).status_code == 401
    viewer = await add_member(client, database, admin, role="viewer")
    agent = await add_member(client, database, admin, role="agent")
    assert (await client.post("/api/v1/properties", json=BASE, headers=viewer.headers)).status_code == 403
    prop = await create(client, agent)
    assert (await client.get(f"/api/v1/properties/{prop['id']}", headers=viewer.headers)).status_code == 200
    # Agents edit but do not delete.
    assert (await client.delete(f"/api/v1/properties/{prop['id']}", headers=agent.headers)).status_code == 403
    assert (await client.get(f"/api/v1/properties/{prop['id']}", headers=admin.headers)).status_code == 200


# --- read, change, delete ------------------------------------------------------------------


async def test_patch_changes_only_the_fields_sent(client: httpx.AsyncClient, admin: Member) -> None:
    prop = await create(client, admin, county="Hillsborough")
    response = await client.patch(
        f"/api/v1/properties/{prop['id']}",
        json={"stage": "qualified", "zip_code": "33611"},
        headers=admin.headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["stage"] == "qualified" and body["zip_code"] == "33611"
    assert body["address"] == prop["address"] and body["county"] == "Hillsborough"
    assert body["updated_at"] is not None
    again = (await client.get(f"/api/v1/properties/{prop['id']}", headers=admin.headers)).json()
    assert again == body


async def test_patch_refuses_bad_values(client: httpx.AsyncClient, admin: Member) -> None:
    prop = await create(client, admin)
    url = f"/api/v1/properties/{prop['id']}"
    nulled = await client.patch(url, json={"address": None}, headers=admin.headers)
    assert nulled.status_code == 400
    assert nulled.json()["error"]["details"] == {"field": "address"}
    bad_zip = await client.patch(url, json={"zip_code": "1"}, headers=admin.headers)
    assert bad_zip.status_code == 422 and error_fields(bad_zip) == {"zip_code"}
    unchanged = (await client.get(url, headers=admin.headers)).json()
    assert unchanged["address"] == prop["address"] and unchanged["zip_code"] == "33610"
    # Optional fields may be cleared.
    cleared = await client.patch(url, json={"county": None}, headers=admin.headers)
    assert cleared.status_code == 200 and cleared.json()["county"] is None


async def test_a_nul_character_in_text_is_a_422_and_nothing_lands(
    client: httpx.AsyncClient, admin: Member
) -> None:
    """No PostgreSQL text can hold NUL; a value with one had answered 500 from every write."""
    prop = await create(client, admin)
    url = f"/api/v1/properties/{prop['id']}"
    for method, path, body in (
        ("PATCH", url, {"county": "Hills\u0000borough", "bedrooms": 5}),
        ("POST", f"{url}/notes", {"body": "called\u0000 twice"}),
    ):
        refused = await client.request(method, path, json=body, headers=admin.headers)
        assert refused.status_code == 422, (path, refused.text)
        error = refused.json()["error"]
        assert error["code"] == "invalid_value" and "NUL" in error["message"], error
    unchanged = (await client.get(url, headers=admin.headers)).json()
    assert unchanged["county"] == prop["county"] and unchanged["bedrooms"] == prop["bedrooms"]
    searched = await client.get("/api/v1/properties?q=ab%00c", headers=admin.headers)
    assert searched.status_code == 200 and searched.json()["items"] == []


async def test_delete_removes_the_property(client: httpx.AsyncClient, admin: Member) -> None:
    keep = await create(client, admin, address="1 Keep St")
    gone = await create(client, admin, address="2 Gone St")
    assert (await client.delete(f"/api/v1/properties/{gone['id']}", headers=admin.headers)).status_code == 204
    assert (await client.get(f"/api/v1/properties/{gone['id']}", headers=admin.headers)).status_code == 404
    assert (await client.delete(f"/api/v1/properties/{gone['id']}", headers=admin.headers)).status_code == 404
    assert [p["id"] for p in (await list_page(client, admin)).json()["items"]] == [keep["id"]]


async def test_an_unknown_property_is_not_found(client: httpx.AsyncClient, admin: Member) -> None:
    missing = uuid.uuid4()
    for method in ("GET", "PATCH", "DELETE"):
        response = await client.request(
            method,
            f"/api/v1/properties/{missing}",
            json={} if method == "PATCH" else None,
            headers=admin.headers,
        )
        assert response.status_code == 404, method
        assert response.json()["error"]["code"] == "not_found"
    malformed = await client.get("/api/v1/properties/not-a-uuid", headers=admin.headers)
    assert malformed.status_code == 422


# --- keyset pages and filters --------------------------------------------------------------


async def pages(
    client: httpx.AsyncClient, member: Member, limit: int, **params: str | int
) -> list[list[str]]:
    collected: list[list[str]] = []
    cursor: str | None = None
    while True:
        query = {"limit": limit, **params} | ({"cursor": cursor} if cursor else {})
        response = await list_page(client, member, **query)
        assert response.status_code == 200, response.text
        body = response.json()
        collected.append([p["address"] for p in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return collected
        assert len(collected) < 10, "pagination does not end"


async def test_keyset_pages_cover_every_row_once_newest_first(
    client: httpx.AsyncClient, admin: Member
) -> None:
    for n in range(7):
        with clock.shifted(timedelta(seconds=n)):
            await create(client, admin, address=f"{n} Page St")
    result = await pages(client, admin, limit=3)
    assert [len(p) for p in result] == [3, 3, 1]
    assert [a for p in result for a in p] == [f"{n} PAGE ST" for n in reversed(range(7))]


async def test_keyset_pages_break_ties_on_the_id(client: httpx.AsyncClient, admin: Member) -> None:
    # Every row created in the same instant: only the id orders them.
    with clock.frozen_at(clock.now()):
        created = [await create(client, admin, address=f"{n} Same Time St") for n in range(7)]
    result = await pages(client, admin, limit=3)
    flat = [a for p in result for a in p]
    assert [len(p) for p in result] == [3, 3, 1]
    assert sorted(flat) == sorted(str(p["address"]) for p in created)
    assert len(set(flat)) == 7
    by_id = sorted(created, key=lambda p: uuid.UUID(str(p["id"])), reverse=True)
    assert flat == [p["address"] for p in by_id]


async def test_an_exact_last_page_has_no_next_cursor(client: httpx.AsyncClient, admin: Member) -> None:
    for n in range(3):
        await create(client, admin, address=f"{n} Exact St")
    body = (await list_page(client, admin, limit=3)).json()
    assert len(body["items"]) == 3 and body["next_cursor"] is None


@pytest.mark.parametrize(
    "params",
    [{"cursor": "not-a-cursor"}, {"cursor": "WyJ4Il0"}, {"limit": 0}, {"limit": 201}, {"limit": -3}],
)
async def test_bad_page_parameters_are_refused(
    client: httpx.AsyncClient, admin: Member, params: dict[str, str | int]
) -> None:
    response = await list_page(client, admin, **params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


async def test_q_filters_on_address_city_and_zip(client: httpx.AsyncClient, admin: Member) -> None:
    await create(client, admin, address="12 Magnolia Ave", city="Orlando", zip_code="32803")
    await create(client, admin, address="3902 Pecan St", city="San Antonio", state="TX", zip_code="78210")
    await create(client, admin, address="50% Off Rd", city="Miami", zip_code="33101")

    async def found(q: str) -> list[str]:
        return sorted(p["address"] for p in (await list_page(client, admin, q=q)).json()["items"])

    assert await found("magnolia") == ["12 MAGNOLIA AVE"]
    assert await found("SAN ANT") == ["3902 PECAN ST"]
    assert await found("7821") == ["3902 PECAN ST"]
    # LIKE wildcards in q are literal characters: "%" matches no street (the USPS form of
    # "50% Off Rd" is "50 OFF RD"), it does not match every street.
    assert await found("%") == []
    assert await found("_") == []
    assert len(await found("  ")) == 3
    assert await found("nowhere") == []


async def test_stage_filter(client: httpx.AsyncClient, admin: Member) -> None:
    await create(client, admin, address="1 New St")
    await create(client, admin, address="2 Deal St", stage="negotiation")
    await create(client, admin, address="3 Deal St", stage="negotiation")
    body = (await list_page(client, admin, stage="negotiation")).json()
    assert sorted(p["address"] for p in body["items"]) == ["2 DEAL ST", "3 DEAL ST"]
    assert (await list_page(client, admin, stage="closed_won")).json()["items"] == []
    combined = (await list_page(client, admin, stage="negotiation", q="3 Deal")).json()
    assert [p["address"] for p in combined["items"]] == ["3 DEAL ST"]
    bad = await list_page(client, admin, stage="dreaming")
    assert bad.status_code == 422 and error_fields(bad) == {"query.stage"}


# --- the boundary owns the transaction -----------------------------------------------------


@pytest.fixture
async def boundary_app(database: Database) -> FastAPI:
    """The real app plus one route whose transaction cannot commit: it writes a property, then
    a row that breaks a constraint PostgreSQL checks only at COMMIT."""
    app = create_app(get_settings(), database)

    @app.post("/api/v1/_test/commit-fails", status_code=201)
    async def commit_fails(principal: Editor, session: SessionDep) -> dict[str, str]:
        prop = await properties.create_property(
            session,
            team_id=principal.team_id,
            created_by_id=principal.membership.id,
            data=PropertyCreate(address="9 Never St", city="Tampa", state="FL", zip_code="33610"),
        )
        await session.execute(
            text(
                "create temp table boom (id int primary key,"
                " parent int references boom (id) deferrable initially deferred) on commit drop"
            )
        )
        await session.execute(text("insert into boom values (1, 2)"))
        return {"id": str(prop.id)}

    return app


@pytest.fixture
async def lenient_client(boundary_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that receives the 500 page instead of re-raising the server's exception."""
    transport = httpx.ASGITransport(app=boundary_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_a_constraint_failing_at_commit_is_not_answered_as_success(
    lenient_client: httpx.AsyncClient, admin: Member
) -> None:
    response = await lenient_client.post("/api/v1/_test/commit-fails", headers=admin.headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert (await list_page(lenient_client, admin)).json()["items"] == []


async def test_a_failed_commit_answers_500_and_nothing_lands(
    lenient_client: httpx.AsyncClient, database: Database, admin: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_commit = AsyncSession.commit
    calls: list[int] = []

    async def commit_that_fails(self: AsyncSession) -> None:
        calls.append(1)
        raise OperationalError("COMMIT", {}, ConnectionResetError("server closed the connection"))

    monkeypatch.setattr(AsyncSession, "commit", commit_that_fails)
    created = await lenient_client.post("/api/v1/properties", json=BASE, headers=admin.headers)
    email = unique_email("never")
    invited = await lenient_client.post(
        "/api/v1/team/invitations", json={"email": email, "role": "agent"}, headers=admin.headers
    )
    monkeypatch.setattr(AsyncSession, "commit", real_commit)

    assert calls == [1, 1]
    assert created.status_code == 500
    assert invited.status_code == 500
    assert (await list_page(lenient_client, admin)).json()["items"] == []
    pending = (await lenient_client.get("/api/v1/team/invitations", headers=admin.headers)).json()
    assert pending == []
    # The invitation's sending job was deferred in the rolled-back transaction: no email.
    await run_jobs()
    async with database.sessionmaker() as session:
        recorded = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.to_address == email)
        )
    assert recorded == 0
