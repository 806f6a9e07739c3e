from __future__ import annotations

import httpx

from tests.fixtures.api import PASSWORD, Member, register, unique_email


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
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["user"]["email"] == email


async def test_login_wrong_password_and_unknown_email_answer_alike(client: httpx.AsyncClient, admin: Member) -> None:
    wrong = await client.post("/api/v1/auth/login", json={"email": admin.email, "password": "nope-nope-nope"})
    unknown = await client.post("/api/v1/auth/login", json={"email": unique_email(), "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
