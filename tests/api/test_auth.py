"""Accounts and tokens through the API: register, login, refresh, logout, me, passwords,
rate limits and token expiry (moved with the app clock, never with sleeps)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from reos.auth import routes as auth_routes
from reos.db.session import Database
from reos.kit import clock
from reos.providers.models import OutboxMessage
from tests.fixtures.api import PASSWORD, Member, last_email_to, register, token_in, unique_email
from tests.fixtures.jobs import run_jobs

NEW_PASSWORD = "a-brand-new-passphrase"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, **extra: object
) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password, **extra})


async def emails_to(database: Database, address: str) -> int:
    """How many emails were recorded for `address`, once the queued sending jobs have run."""
    await run_jobs()
    async with database.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.to_address == address)
        )
    return count or 0


def error_fields(response: httpx.Response) -> set[str]:
    return {d["field"] for d in response.json()["error"]["details"]}


# --- register ------------------------------------------------------------------------------


async def test_register_answers_tokens_user_and_team(client: httpx.AsyncClient) -> None:
    email = unique_email()
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": email.upper(), "password": PASSWORD, "full_name": "Ana", "team_name": "Acme"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["user"]["email"] == email
    assert body["team"]["name"] == "Acme" and body["team"]["role"] == "admin"
    assert body["teams"] == [body["team"]]
    me = await client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.json()["user"]["email"] == email


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"full_name": ""}, "full_name"),
        ({"team_name": ""}, "team_name"),
    ],
)
async def test_register_rejects_bad_input_naming_the_field(
    client: httpx.AsyncClient, change: dict[str, str], field: str
) -> None:
    body = {"email": unique_email(), "password": PASSWORD, "full_name": "Ana", "team_name": "Acme"}
    response = await client.post("/api/v1/auth/register", json=body | change)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error_fields(response) == {field}
    assert field in error["message"]


async def test_register_names_every_missing_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/register", json={})
    assert response.status_code == 422
    assert error_fields(response) == {"email", "password", "full_name", "team_name"}


async def test_register_with_a_taken_email_is_a_conflict(client: httpx.AsyncClient, admin: Member) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": f"  {admin.email.upper()} ", "password": PASSWORD, "full_name": "B", "team_name": "B"},
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert response.json()["error"]["details"] == {"field": "email"}


# --- login ---------------------------------------------------------------------------------


async def test_login_answers_a_working_token_pair(client: httpx.AsyncClient, admin: Member) -> None:
    response = await login(client, admin.email.upper())
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    assert body["team"]["id"] == admin.team_id
    me = await client.get("/api/v1/auth/me", headers=bearer(body["access_token"]))
    assert me.json()["team"]["id"] == admin.team_id


async def test_login_wrong_password_and_unknown_email_answer_alike(
    client: httpx.AsyncClient, admin: Member
) -> None:
    wrong = await login(client, admin.email, "nope-nope-nope")
    unknown = await login(client, unique_email(), "nope-nope-nope")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.headers.get("www-authenticate") == unknown.headers.get("www-authenticate") == "Bearer"


async def test_login_picks_the_team_asked_for(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    other = await register(client)
    # `other` joins the first admin's team too, as a manager.
    invited = await client.post(
        "/api/v1/team/invitations", json={"email": other.email, "role": "manager"}, headers=admin.headers
    )
    assert invited.status_code == 201
    token = token_in((await last_email_to(database, other.email)).text_body)
    accepted = await client.post(
        "/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD}
    )
    assert accepted.status_code == 200

    home = await login(client, other.email, team_id=other.team_id)
    away = await login(client, other.email, team_id=admin.team_id)
    assert home.json()["team"] == {"id": other.team_id, "name": home.json()["team"]["name"], "role": "admin"}
    assert away.json()["team"]["id"] == admin.team_id and away.json()["team"]["role"] == "manager"
    assert {t["id"] for t in away.json()["teams"]} == {other.team_id, admin.team_id}
    me = await client.get("/api/v1/auth/me", headers=bearer(away.json()["access_token"]))
    assert me.json()["team"]["id"] == admin.team_id and me.json()["team"]["role"] == "manager"


async def test_login_for_a_team_the_account_is_not_in_is_refused(
    client: httpx.AsyncClient, admin: Member
) -> None:
    stranger = await register(client)
    response = await login(client, admin.email, team_id=stranger.team_id)
    assert response.status_code == 404
    assert "access_token" not in response.json()


# --- tokens --------------------------------------------------------------------------------


async def test_me_needs_a_valid_token(client: httpx.AsyncClient, admin: Member) -> None:
    assert (await client.get("/api/v1/auth/me")).status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=bearer("garbage"))).status_code == 401
    # A refresh token is not an access token.
    assert (await client.get("/api/v1/auth/me", headers=bearer(admin.refresh_token))).status_code == 401
    me = await client.get("/api/v1/auth/me", headers=admin.headers)
    assert me.status_code == 200
    assert me.json()["user"]["email"] == admin.email
    assert me.json()["user"]["is_operator"] is False
    assert me.json()["team"]["id"] == admin.team_id and me.json()["team"]["role"] == "admin"


async def test_refresh_rotates_and_the_old_refresh_token_is_refused(
    client: httpx.AsyncClient, admin: Member
) -> None:
    first = await client.post("/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token})
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != admin.refresh_token
    assert (await client.get("/api/v1/auth/me", headers=bearer(rotated["access_token"]))).status_code == 200

    again = await client.post("/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token})
    assert again.status_code == 401
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    ).status_code == 200


async def test_refresh_refuses_an_access_token(client: httpx.AsyncClient, admin: Member) -> None:
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": admin.access_token})
    assert response.status_code == 401


async def test_logout_revokes_the_refresh_token(client: httpx.AsyncClient, admin: Member) -> None:
    other_login = (await login(client, admin.email)).json()
    response = await client.post("/api/v1/auth/logout", json={"refresh_token": admin.refresh_token})
    assert response.status_code == 204
    refused = await client.post("/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token})
    assert refused.status_code == 401
    # Only that login ended: another refresh token of the same account still works.
    still = await client.post("/api/v1/auth/refresh", json={"refresh_token": other_login["refresh_token"]})
    assert still.status_code == 200


async def test_an_access_token_expires_after_its_lifetime(client: httpx.AsyncClient, admin: Member) -> None:
    with clock.shifted(timedelta(minutes=14)):
        assert (await client.get("/api/v1/auth/me", headers=admin.headers)).status_code == 200
    with clock.shifted(timedelta(minutes=16)):
        expired = await client.get("/api/v1/auth/me", headers=admin.headers)
        assert expired.status_code == 401
        assert expired.json()["error"]["message"] == "token expired"
        # The refresh token (30 days) still gets a new pair, which works at that time.
        renewed = await client.post("/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token})
        assert renewed.status_code == 200
        me = await client.get("/api/v1/auth/me", headers=bearer(renewed.json()["access_token"]))
        assert me.status_code == 200


async def test_a_refresh_token_expires_after_its_lifetime(client: httpx.AsyncClient, admin: Member) -> None:
    with clock.shifted(timedelta(days=31)):
        response = await client.post("/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token})
    assert response.status_code == 401


# --- change password -----------------------------------------------------------------------


async def test_change_password_ends_every_earlier_token(client: httpx.AsyncClient, admin: Member) -> None:
    response = await client.post(
        "/api/v1/auth/change-password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=admin.headers,
    )
    assert response.status_code == 200
    fresh = response.json()
    assert (await client.get("/api/v1/auth/me", headers=admin.headers)).status_code == 401
    refused = await client.post("/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token})
    assert refused.status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=bearer(fresh["access_token"]))).status_code == 200
    assert (await login(client, admin.email, PASSWORD)).status_code == 401
    assert (await login(client, admin.email, NEW_PASSWORD)).status_code == 200


async def test_change_password_with_a_wrong_current_password_changes_nothing(
    client: httpx.AsyncClient, admin: Member
) -> None:
    response = await client.post(
        "/api/v1/auth/change-password",
        json={"current_password": "not-the-password", "new_password": NEW_PASSWORD},
        headers=admin.headers,
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"field": "current_password"}
    assert (await client.get("/api/v1/auth/me", headers=admin.headers)).status_code == 200
    assert (await login(client, admin.email, PASSWORD)).status_code == 200


async def test_change_password_validates_the_new_password(client: httpx.AsyncClient, admin: Member) -> None:
    response = await client.post(
        "/api/v1/auth/change-password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=admin.headers,
    )
    assert response.status_code == 422
    assert error_fields(response) == {"new_password"}
    anonymous = await client.post(
        "/api/v1/auth/change-password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert anonymous.status_code == 401


# --- password reset ------------------------------------------------------------------------


async def request_reset(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await client.post("/api/v1/auth/password-reset", json={"email": email})


async def confirm_reset(
    client: httpx.AsyncClient, token: str, password: str = NEW_PASSWORD
) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": password}
    )


async def test_reset_for_an_unknown_email_answers_the_same_and_sends_nothing(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    nobody = unique_email("nobody")
    unknown = await request_reset(client, nobody)
    known = await request_reset(client, admin.email)
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    assert await emails_to(database, nobody) == 0
    assert await emails_to(database, admin.email) == 1


async def test_reset_emails_a_link_that_sets_the_password_once(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    assert (await request_reset(client, admin.email.upper())).status_code == 202
    message = await last_email_to(database, admin.email)
    assert message.kind == "password_reset"
    assert message.subject == "Reset your Real Estate OS password"
    assert "http://testserver/reset-password?token=" in message.text_body
    token = token_in(message.text_body)

    assert (await confirm_reset(client, token)).status_code == 204
    assert (await login(client, admin.email, PASSWORD)).status_code == 401
    assert (await login(client, admin.email, NEW_PASSWORD)).status_code == 200
    # Tokens issued before the reset stop working at once.
    assert (await client.get("/api/v1/auth/me", headers=admin.headers)).status_code == 401
    refused = await client.post("/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token})
    assert refused.status_code == 401

    again = await confirm_reset(client, token, "yet-another-passphrase")
    assert again.status_code == 400
    assert (await login(client, admin.email, NEW_PASSWORD)).status_code == 200


async def test_an_expired_reset_link_is_refused(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    await request_reset(client, admin.email)
    token = token_in((await last_email_to(database, admin.email)).text_body)
    with clock.shifted(timedelta(minutes=61)):
        response = await confirm_reset(client, token)
    assert response.status_code == 400
    assert "expired" in response.json()["error"]["message"]
    assert (await login(client, admin.email, PASSWORD)).status_code == 200


async def test_a_made_up_reset_token_is_refused(client: httpx.AsyncClient) -> None:
    response = await confirm_reset(client, "x" * 43)
    assert response.status_code == 400
    short = await confirm_reset(client, "short", "short")
    assert short.status_code == 422
    assert error_fields(short) == {"token", "new_password"}


# --- rate limits ---------------------------------------------------------------------------


@pytest.mark.parametrize("known", [True, False], ids=["known-email", "unknown-email"])
async def test_login_is_rate_limited_alike_for_known_and_unknown_emails(
    client: httpx.AsyncClient, admin: Member, known: bool
) -> None:
    email = admin.email if known else unique_email("nobody")
    limit = auth_routes.login_limiter.limit
    assert limit == 10
    for _ in range(limit):
        assert (await login(client, email, "wrong-password")).status_code == 401
    blocked = await login(client, email, PASSWORD)
    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "rate_limited"
    retry_after = int(blocked.headers["Retry-After"])
    assert 0 < retry_after <= auth_routes.login_limiter.window
    assert blocked.json()["error"]["details"] == {"retry_after_seconds": retry_after}
    # Other emails from the same client are not held back.
    assert (await login(client, unique_email(), "wrong-password")).status_code == 401
    # Once the window has passed, attempts are counted afresh.
    with clock.shifted(timedelta(seconds=auth_routes.login_limiter.window + 1)):
        after = await login(client, email, PASSWORD)
    assert after.status_code == (200 if known else 401)


async def test_only_failed_logins_count_towards_the_limit(client: httpx.AsyncClient, admin: Member) -> None:
    limit = auth_routes.login_limiter.limit
    for _ in range(limit * 2):
        assert (await login(client, admin.email, PASSWORD)).status_code == 200
    # A success forgets the failures before it: the next mistakes start counting from nothing.
    for _ in range(limit - 1):
        assert (await login(client, admin.email, "wrong-password")).status_code == 401
    assert (await login(client, admin.email, PASSWORD)).status_code == 200
    for _ in range(limit):
        assert (await login(client, admin.email, "wrong-password")).status_code == 401
    blocked = await login(client, admin.email, PASSWORD)
    assert blocked.status_code == 429
    seconds = blocked.json()["error"]["details"]["retry_after_seconds"]
    assert blocked.json()["error"]["message"].startswith("too many attempts; try again in ")
    assert (
        str(seconds) in blocked.json()["error"]["message"] or "minutes" in blocked.json()["error"]["message"]
    )


@pytest.mark.parametrize("known", [True, False], ids=["known-email", "unknown-email"])
async def test_reset_requests_are_rate_limited_alike(
    client: httpx.AsyncClient, database: Database, admin: Member, known: bool
) -> None:
    email = admin.email if known else unique_email("nobody")
    for _ in range(auth_routes.reset_limiter.limit):
        assert (await request_reset(client, email)).status_code == 202
    blocked = await request_reset(client, email)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert await emails_to(database, email) == (auth_routes.reset_limiter.limit if known else 0)
