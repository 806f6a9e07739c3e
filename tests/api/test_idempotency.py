"""Idempotency keys: replay, other body, concurrent duplicate, other team or user."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from reos.db.session import Database, team_session
from reos.properties.models import Property
from tests.fixtures.api import Member, add_member, register

BODY = {"address": "12 Idem Pl", "city": "Austin", "state": "TX", "zip_code": "78701"}


async def _count(database: Database, member: Member, address: str) -> int:
    import uuid

    async with team_session(database, uuid.UUID(member.team_id)) as session:
        n = await session.scalar(
            select(func.count()).select_from(Property).where(Property.address == address.upper())
        )
    return int(n or 0)


async def test_same_key_and_body_replays_the_stored_answer_once(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    headers = {**admin.headers, "Idempotency-Key": "create-1"}
    first = await client.post("/api/v1/properties", json=BODY, headers=headers)
    second = await client.post("/api/v1/properties", json=BODY, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _count(database, admin, BODY["address"]) == 1


async def test_same_key_with_another_body_is_422(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    headers = {**admin.headers, "Idempotency-Key": "create-2"}
    assert (await client.post("/api/v1/properties", json=BODY, headers=headers)).status_code == 201
    other = await client.post("/api/v1/properties", json={**BODY, "address": "13 Idem Pl"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert await _count(database, admin, "13 Idem Pl") == 0


async def test_a_duplicate_while_the_first_runs_is_409(
    client: httpx.AsyncClient, admin: Member, database: Database, monkeypatch: object
) -> None:
    from reos.properties import service as properties

    gate = asyncio.Event()
    entered = asyncio.Event()
    original = properties.create_property

    async def slow_create(*args: object, **kwargs: object) -> object:
        entered.set()
        await gate.wait()
        return await original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(properties, "create_property", slow_create)  # type: ignore[attr-defined]
    headers = {**admin.headers, "Idempotency-Key": "create-3"}
    first = asyncio.create_task(client.post("/api/v1/properties", json=BODY, headers=headers))
    await asyncio.wait_for(entered.wait(), timeout=10)
    duplicate = await client.post("/api/v1/properties", json=BODY, headers=headers)
    gate.set()
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "idempotency_in_progress"
    assert (await first).status_code == 201


async def test_keys_are_scoped_per_team_and_per_user(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    other_team = await register(client)
    colleague = await add_member(client, database, admin, role="agent")
    for member in (admin, other_team, colleague):
        response = await client.post(
            "/api/v1/properties", json=BODY, headers={**member.headers, "Idempotency-Key": "shared-key"}
        )
        assert response.status_code == 201
        assert "idempotent-replayed" not in response.headers
    # Two users of one team each created their own; the other team has its own one.
    assert await _count(database, admin, BODY["address"]) == 2
    assert await _count(database, other_team, BODY["address"]) == 1


async def test_a_4xx_answer_is_stored_and_replayed(client: httpx.AsyncClient, admin: Member) -> None:
    headers = {**admin.headers, "Idempotency-Key": "create-4"}
    bad = await client.post("/api/v1/properties", json={**BODY, "zip_code": "nope"}, headers=headers)
    assert bad.status_code == 422
    again = await client.post("/api/v1/properties", json={**BODY, "zip_code": "nope"}, headers=headers)
    assert again.status_code == 422 and again.headers.get("idempotent-replayed") == "true"


async def test_a_5xx_releases_the_key_so_a_retry_runs(
    app: object, admin: Member, database: Database, monkeypatch: object
) -> None:
    from reos.properties import service as properties

    original = properties.create_property

    async def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("disk on fire")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        headers = {**admin.headers, "Idempotency-Key": "create-5"}
        monkeypatch.setattr(properties, "create_property", broken)  # type: ignore[attr-defined]
        failed = await c.post("/api/v1/properties", json=BODY | {"address": "5 Retry Rd"}, headers=headers)
        assert failed.status_code == 500
        monkeypatch.setattr(properties, "create_property", original)  # type: ignore[attr-defined]
        retried = await c.post("/api/v1/properties", json=BODY | {"address": "5 Retry Rd"}, headers=headers)
        assert retried.status_code == 201 and "idempotent-replayed" not in retried.headers
    assert await _count(database, admin, "5 Retry Rd") == 1


async def test_an_expired_key_can_be_used_again(client: httpx.AsyncClient, admin: Member) -> None:
    from datetime import timedelta

    from reos.kit import clock

    headers = {**admin.headers, "Idempotency-Key": "create-6"}
    assert (await client.post("/api/v1/properties", json=BODY, headers=headers)).status_code == 201
    with clock.shifted(timedelta(hours=25)):
        # the access token would have expired too: log in again at the shifted time
        login = await client.post(
            "/api/v1/auth/login", json={"email": admin.email, "password": "correct-horse-battery"}
        )
        fresh = {"Authorization": f"Bearer {login.json()['access_token']}", "Idempotency-Key": "create-6"}
        other = await client.post("/api/v1/properties", json={**BODY, "address": "14 Idem Pl"}, headers=fresh)
    assert other.status_code == 201


async def test_an_overlong_key_is_refused(client: httpx.AsyncClient, admin: Member) -> None:
    response = await client.post(
        "/api/v1/properties", json=BODY, headers={**admin.headers, "Idempotency-Key": "k" * 300}
    )
    assert response.status_code == 400


async def test_the_periodic_job_removes_expired_keys_and_old_events(
    client: httpx.AsyncClient, admin: Member, database: Database
) -> None:
    import uuid
    from datetime import timedelta

    from reos.events.models import LiveEvent
    from reos.idempotency.models import IdempotencyKey
    from reos.jobs import maintenance
    from reos.kit import clock

    headers = {**admin.headers, "Idempotency-Key": "expire-me"}
    assert (await client.post("/api/v1/properties", json=BODY, headers=headers)).status_code == 201
    team = uuid.UUID(admin.team_id)

    async def counts() -> tuple[int, int]:
        async with team_session(database, team) as session:
            keys = await session.scalar(select(func.count()).select_from(IdempotencyKey))
            events = await session.scalar(select(func.count()).select_from(LiveEvent))
        return int(keys or 0), int(events or 0)

    keys, events = await counts()
    assert keys == 1 and events >= 1
    async with team_session(database, None) as session:
        await maintenance.expire_old_records(session)
    assert await counts() == (keys, events)  # nothing is old yet
    with clock.shifted(timedelta(hours=25)):
        async with team_session(database, None) as session:
            removed = await maintenance.expire_old_records(session)
    assert removed["idempotency_keys"] >= 1 and removed["live_events"] >= events
    assert await counts() == (0, 0)
