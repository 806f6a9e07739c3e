"""Operations endpoints and the cross-cutting HTTP behaviour: health, readiness, the
operators' outbox, request ids, security headers and the JSON error shape."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI

from reos.app import create_app
from reos.db import migrate
from reos.db.session import Database, make_database, team_session
from reos.jobs import queue as jobs_queue
from reos.providers import registry
from reos.settings import get_settings
from reos.teams import service as teams
from tests.fixtures.api import PASSWORD, Member, last_email_to, unique_email


async def test_health_answers_without_login(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_reports_the_migration_at_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200
    head = migrate.head_revision()
    assert head is not None
    assert response.json() == {"status": "ready", "migration": head}


@pytest.fixture
def process_state() -> Iterator[None]:
    """`create_app` installs its providers and job runtime for the whole process: put the
    ones of the test run back after an app on another database."""
    providers, database = registry.current(), jobs_queue.runtime.database
    yield
    registry.use(providers)
    jobs_queue.runtime.database = database


@pytest.fixture
async def unreachable_client(process_state: None) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose database cannot be reached (a socket folder where nothing listens)."""
    url = "postgresql+psycopg://reos_app@/reos?host=/nonexistent-reos-socket-dir"
    database = make_database(url, url, pool_pre_ping=False)
    app: FastAPI = create_app(get_settings(), database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
    await database.dispose()


async def test_ready_answers_503_when_the_database_is_unreachable(
    unreachable_client: httpx.AsyncClient,
) -> None:
    response = await unreachable_client.get("/ready")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "database unreachable" in response.json()["reason"]
    # The process itself is alive.
    assert (await unreachable_client.get("/health")).status_code == 200


async def test_openapi_and_docs_answer_without_login(client: httpx.AsyncClient) -> None:
    spec = await client.get("/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/properties" in spec.json()["paths"]
    assert (await client.get("/docs")).status_code == 200


# --- the outbox is for operators -----------------------------------------------------------


async def operator(client: httpx.AsyncClient, database: Database) -> Member:
    email = unique_email("operator")
    async with team_session(database, None) as session:
        await teams.create_user(
            session, email=email, password=PASSWORD, full_name="Olga Operator", team_name="Ops", operator=True
        )
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["user"]["is_operator"] is True
    body = response.json()
    return Member(email, body["access_token"], body["refresh_token"], body["team"]["id"])


async def test_the_outbox_is_for_operators_only(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    await client.post("/api/v1/auth/password-reset", json={"email": admin.email})
    recorded = await last_email_to(database, admin.email)

    assert (await client.get("/api/v1/ops/outbox")).status_code == 401
    refused = await client.get("/api/v1/ops/outbox", headers=admin.headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["details"]["action"] == "operator"

    ops = await operator(client, database)
    response = await client.get("/api/v1/ops/outbox", params={"limit": 200}, headers=ops.headers)
    assert response.status_code == 200
    mine = [m for m in response.json() if m["to_address"] == admin.email]
    assert [m["id"] for m in mine] == [str(recorded.id)]
    assert mine[0]["kind"] == "password_reset" and "reset-password?token=" in mine[0]["text_body"]
    assert (
        await client.get("/api/v1/ops/outbox", params={"limit": 0}, headers=ops.headers)
    ).status_code == 400


# --- request ids, headers, error shapes ----------------------------------------------------


async def test_the_request_id_is_echoed_or_made_up(client: httpx.AsyncClient) -> None:
    given = await client.get("/health", headers={"X-Request-ID": "req-1234"})
    assert given.headers["X-Request-ID"] == "req-1234"
    made = await client.get("/health")
    other = await client.get("/health")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    assert made.headers["X-Request-ID"] != other.headers["X-Request-ID"]
    # Errors carry it too.
    failed = await client.get("/api/v1/properties", headers={"X-Request-ID": "req-401"})
    assert failed.status_code == 401 and failed.headers["X-Request-ID"] == "req-401"


@pytest.mark.parametrize("path", ["/health", "/api/v1/auth/me", "/api/v1/nowhere"])
async def test_security_headers_are_on_every_answer(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp


async def test_an_unknown_api_path_answers_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/{uuid.uuid4().hex}")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"error": {"code": "not_found", "message": "Not Found", "details": None}}


async def test_a_wrong_method_answers_json_405(client: httpx.AsyncClient, admin: Member) -> None:
    response = await client.put("/api/v1/properties", json={}, headers=admin.headers)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    # Starlette names the methods of the first route on the path only (GET here, not POST).
    assert "GET" in response.headers["Allow"]


async def test_errors_share_one_shape(client: httpx.AsyncClient, admin: Member) -> None:
    answers = [
        await client.get("/api/v1/properties"),  # 401
        await client.get(f"/api/v1/properties/{uuid.uuid4()}", headers=admin.headers),  # 404
        await client.post("/api/v1/properties", json={}, headers=admin.headers),  # 422
        await client.get("/api/v1/properties", params={"limit": 0}, headers=admin.headers),  # 400
    ]
    assert [a.status_code for a in answers] == [401, 404, 422, 400]
    for answer in answers:
        error = answer.json()["error"]
        assert set(error) == {"code", "message", "details"}
        assert isinstance(error["code"], str) and error["message"]
