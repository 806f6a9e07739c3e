"""The team API: invitations, members (roles and deactivation take effect at once), team
settings and markets."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import httpx
import pytest

from reos.db.session import Database
from reos.kit import clock
from tests.fixtures.api import PASSWORD, Member, add_member, last_email_to, register, token_in, unique_email

PROPERTY = {"address": "12 Oak St", "city": "Tampa", "state": "FL", "zip_code": "33610"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def invite(client: httpx.AsyncClient, by: Member, email: str, role: str = "agent") -> httpx.Response:
    return await client.post(
        "/api/v1/team/invitations", json={"email": email, "role": role}, headers=by.headers
    )


async def invite_token(
    client: httpx.AsyncClient, database: Database, by: Member, email: str, role: str
) -> str:
    response = await invite(client, by, email, role)
    assert response.status_code == 201, response.text
    return token_in((await last_email_to(database, email)).text_body)


async def accept(
    client: httpx.AsyncClient, token: str, *, password: str = PASSWORD, full_name: str | None = "New Person"
) -> httpx.Response:
    body: dict[str, object] = {"token": token, "password": password}
    if full_name is not None:
        body["full_name"] = full_name
    return await client.post("/api/v1/auth/invitations/accept", json=body)


def error_fields(response: httpx.Response) -> set[str]:
    return {d["field"] for d in response.json()["error"]["details"]}


# --- invitations ---------------------------------------------------------------------------


async def test_an_invitation_emails_a_link_that_creates_the_account(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    email = unique_email("agent")
    response = await invite(client, admin, email.upper(), "agent")
    assert response.status_code == 201
    assert response.json()["email"] == email and response.json()["role"] == "agent"
    message = await last_email_to(database, email)
    assert message.kind == "invitation"
    assert "invited you to" in message.subject
    assert "http://testserver/invite/accept?token=" in message.text_body
    token = token_in(message.text_body)

    preview = await client.post("/api/v1/auth/invitations/preview", json={"token": token})
    assert preview.status_code == 200
    team = (await client.get("/api/v1/team", headers=admin.headers)).json()
    assert preview.json() == {
        "team_name": team["name"],
        "email": email,
        "role": "agent",
        "account_exists": False,
    }

    accepted = await accept(client, token, full_name="Devon Hart")
    assert accepted.status_code == 200
    body = accepted.json()
    assert body["user"]["email"] == email and body["user"]["full_name"] == "Devon Hart"
    assert body["team"]["id"] == admin.team_id and body["team"]["role"] == "agent"
    members = (await client.get("/api/v1/team/members", headers=admin.headers)).json()
    assert {(m["email"], m["role"]) for m in members} >= {(admin.email, "admin"), (email, "agent")}
    assert (
        await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    ).status_code == 200


async def test_a_new_account_needs_a_name_and_a_long_enough_password(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    email = unique_email()
    token = await invite_token(client, database, admin, email, "agent")
    no_name = await accept(client, token, full_name=None)
    assert no_name.status_code == 400
    assert no_name.json()["error"]["details"] == {"field": "full_name"}
    short = await accept(client, token, password="short")
    assert short.status_code == 400
    assert short.json()["error"]["details"] == {"field": "password"}
    # Neither attempt used the invitation up.
    assert (await accept(client, token)).status_code == 200


async def test_a_manager_cannot_invite(client: httpx.AsyncClient, database: Database, admin: Member) -> None:
    manager = await add_member(client, database, admin, role="manager")
    email = unique_email()
    response = await invite(client, manager, email)
    assert response.status_code == 403
    assert response.json()["error"]["details"] == {"action": "manage_users", "role": "manager"}
    listed = await client.get("/api/v1/team/invitations", headers=admin.headers)
    assert email not in {i["email"] for i in listed.json()}


async def test_an_existing_account_joins_with_its_own_password(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    other = await register(client)
    token = await invite_token(client, database, admin, other.email, "manager")
    preview = await client.post("/api/v1/auth/invitations/preview", json={"token": token})
    assert preview.json()["account_exists"] is True

    wrong = await accept(client, token, password="not-their-password", full_name=None)
    assert wrong.status_code == 401
    joined = await accept(client, token, full_name=None)
    assert joined.status_code == 200
    assert joined.json()["team"] == {
        "id": admin.team_id,
        "name": joined.json()["team"]["name"],
        "role": "manager",
    }
    assert {t["id"] for t in joined.json()["teams"]} == {admin.team_id, other.team_id}

    # The account's own team is untouched and its earlier token still works there.
    me = await client.get("/api/v1/auth/me", headers=other.headers)
    assert me.status_code == 200 and me.json()["team"]["id"] == other.team_id
    assert {t["id"] for t in me.json()["teams"]} == {admin.team_id, other.team_id}

    for team_id, role in ((other.team_id, "admin"), (admin.team_id, "manager")):
        response = await client.post(
            "/api/v1/auth/login", json={"email": other.email, "password": PASSWORD, "team_id": team_id}
        )
        assert response.status_code == 200
        assert response.json()["team"]["id"] == team_id and response.json()["team"]["role"] == role

    switched = await client.post(
        "/api/v1/auth/switch-team", json={"team_id": admin.team_id}, headers=other.headers
    )
    assert switched.status_code == 200
    switched_token = switched.json()["access_token"]
    me = await client.get("/api/v1/auth/me", headers=bearer(switched_token))
    assert me.json()["team"]["id"] == admin.team_id and me.json()["team"]["role"] == "manager"
    # The switched token reads the other team's data, not its own.
    await client.post("/api/v1/properties", json=PROPERTY, headers=admin.headers)
    listed = await client.get("/api/v1/properties", headers=bearer(switched_token))
    mine = await client.get("/api/v1/properties", headers=other.headers)
    assert len(listed.json()["items"]) == 1 and mine.json()["items"] == []


async def test_switching_to_a_team_one_is_not_in_is_refused(client: httpx.AsyncClient, admin: Member) -> None:
    stranger = await register(client)
    response = await client.post(
        "/api/v1/auth/switch-team", json={"team_id": stranger.team_id}, headers=admin.headers
    )
    assert response.status_code == 404
    assert (await client.post("/api/v1/auth/switch-team", json={"team_id": admin.team_id})).status_code == 401


async def test_a_used_invitation_is_a_conflict(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    token = await invite_token(client, database, admin, unique_email(), "agent")
    assert (await accept(client, token)).status_code == 200
    again = await accept(client, token)
    assert again.status_code == 409
    preview = await client.post("/api/v1/auth/invitations/preview", json={"token": token})
    assert preview.status_code == 409


async def test_an_expired_invitation_is_refused(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    email = unique_email()
    token = await invite_token(client, database, admin, email, "agent")
    with clock.shifted(timedelta(days=7, minutes=1)):
        response = await accept(client, token)
        listed = await client.post("/api/v1/auth/login", json={"email": admin.email, "password": PASSWORD})
        pending = await client.get("/api/v1/team/invitations", headers=bearer(listed.json()["access_token"]))
    assert response.status_code == 400
    assert "expired" in response.json()["error"]["message"]
    assert email not in {i["email"] for i in pending.json()}


async def test_a_withdrawn_invitation_is_refused(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    email = unique_email()
    token = await invite_token(client, database, admin, email, "agent")
    pending = (await client.get("/api/v1/team/invitations", headers=admin.headers)).json()
    invitation_id = next(i["id"] for i in pending if i["email"] == email)
    withdrawn = await client.delete(f"/api/v1/team/invitations/{invitation_id}", headers=admin.headers)
    assert withdrawn.status_code == 204
    response = await accept(client, token)
    assert response.status_code == 400
    after = (await client.get("/api/v1/team/invitations", headers=admin.headers)).json()
    assert email not in {i["email"] for i in after}


async def test_an_accepted_invitation_cannot_be_withdrawn(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    email = unique_email()
    invited = await invite(client, admin, email)
    token = token_in((await last_email_to(database, email)).text_body)
    assert (await accept(client, token)).status_code == 200
    response = await client.delete(f"/api/v1/team/invitations/{invited.json()['id']}", headers=admin.headers)
    assert response.status_code == 409


async def test_a_made_up_invitation_token_is_not_found(client: httpx.AsyncClient) -> None:
    assert (await accept(client, "made-up-token-0123456789")).status_code == 404
    preview = await client.post(
        "/api/v1/auth/invitations/preview", json={"token": "made-up-token-0123456789"}
    )
    assert preview.status_code == 404


async def test_a_new_invitation_replaces_the_pending_one(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    email = unique_email()
    first = await invite_token(client, database, admin, email, "viewer")
    second = await invite_token(client, database, admin, email, "manager")
    assert first != second
    pending = (await client.get("/api/v1/team/invitations", headers=admin.headers)).json()
    assert [(i["email"], i["role"]) for i in pending if i["email"] == email] == [(email, "manager")]
    assert (await accept(client, first)).status_code == 400
    joined = await accept(client, second)
    assert joined.status_code == 200 and joined.json()["team"]["role"] == "manager"


async def test_inviting_a_member_is_a_conflict(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    for email in (agent.email, admin.email):
        response = await invite(client, admin, email, "manager")
        assert response.status_code == 409
        assert response.json()["error"]["details"] == {"field": "email"}


async def test_an_invitation_needs_a_valid_email_and_role(client: httpx.AsyncClient, admin: Member) -> None:
    response = await client.post(
        "/api/v1/team/invitations", json={"email": "nope", "role": "owner"}, headers=admin.headers
    )
    assert response.status_code == 422
    assert error_fields(response) == {"email", "role"}


# --- members -------------------------------------------------------------------------------


async def set_member(
    client: httpx.AsyncClient, by: Member, member: Member, **changes: object
) -> httpx.Response:
    return await client.patch(f"/api/v1/team/members/{member.member_id}", json=changes, headers=by.headers)


async def test_a_role_change_takes_effect_on_the_same_token(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    manager = await add_member(client, database, admin, role="manager")
    assert (
        await client.post("/api/v1/properties", json=PROPERTY, headers=manager.headers)
    ).status_code == 201

    changed = await set_member(client, admin, manager, role="viewer")
    assert changed.status_code == 200 and changed.json()["role"] == "viewer"

    refused = await client.post("/api/v1/properties", json=PROPERTY, headers=manager.headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["details"] == {"action": "edit", "role": "viewer"}
    assert (await client.get("/api/v1/properties", headers=manager.headers)).status_code == 200
    me = await client.get("/api/v1/auth/me", headers=manager.headers)
    assert me.json()["team"]["role"] == "viewer"

    promoted = await set_member(client, admin, manager, role="admin")
    assert promoted.status_code == 200
    assert (await client.get("/api/v1/team/invitations", headers=manager.headers)).status_code == 200


async def test_deactivation_ends_access_at_once_and_reactivation_restores_login(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    assert (await client.get("/api/v1/auth/me", headers=agent.headers)).status_code == 200

    off = await set_member(client, admin, agent, is_active=False)
    assert off.status_code == 200 and off.json()["is_active"] is False
    assert (await client.get("/api/v1/auth/me", headers=agent.headers)).status_code == 401
    assert (await client.get("/api/v1/properties", headers=agent.headers)).status_code == 401
    refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": agent.refresh_token})
    assert refresh.status_code == 401
    login = await client.post("/api/v1/auth/login", json={"email": agent.email, "password": PASSWORD})
    assert login.status_code == 401
    counts = (await client.get("/api/v1/team/counts", headers=admin.headers)).json()
    assert counts["members"] == 1

    on = await set_member(client, admin, agent, is_active=True)
    assert on.status_code == 200 and on.json()["is_active"] is True
    login = await client.post("/api/v1/auth/login", json={"email": agent.email, "password": PASSWORD})
    assert login.status_code == 200 and login.json()["team"]["role"] == "agent"
    # The refresh token revoked at deactivation stays revoked.
    refresh = await client.post("/api/v1/auth/refresh", json={"refresh_token": agent.refresh_token})
    assert refresh.status_code == 401


async def test_the_last_admin_cannot_be_demoted_or_deactivated(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    members = (await client.get("/api/v1/team/members", headers=admin.headers)).json()
    me = dataclasses.replace(admin, member_id=members[0]["id"])
    for change in ({"role": "manager"}, {"is_active": False}):
        response = await set_member(client, admin, me, **change)
        assert response.status_code == 409
        assert "at least one active admin" in response.json()["error"]["message"]
    assert (await client.get("/api/v1/team/invitations", headers=admin.headers)).status_code == 200

    # With a second admin the first may step down.
    second = await add_member(client, database, admin, role="admin")
    assert (await set_member(client, second, me, role="manager")).status_code == 200
    assert (await set_member(client, second, second, role="agent")).status_code == 409


async def test_nobody_can_deactivate_themselves(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    second = await add_member(client, database, admin, role="admin")
    response = await set_member(client, second, second, is_active=False)
    assert response.status_code == 409
    assert response.json()["error"]["message"] == "you cannot deactivate yourself"
    assert (await client.get("/api/v1/auth/me", headers=second.headers)).status_code == 200


async def test_only_admins_change_members(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    manager = await add_member(client, database, admin, role="manager")
    agent = await add_member(client, database, admin, role="agent")
    response = await set_member(client, manager, agent, role="viewer")
    assert response.status_code == 403
    member = await client.get(f"/api/v1/team/members/{agent.member_id}", headers=manager.headers)
    assert member.json()["role"] == "agent"


async def test_a_member_of_another_team_is_not_found(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    other_admin = await register(client)
    stranger = await add_member(client, database, other_admin, role="agent")
    assert (await set_member(client, admin, stranger, role="viewer")).status_code == 404
    got = await client.get(f"/api/v1/team/members/{stranger.member_id}", headers=admin.headers)
    assert got.status_code == 404
    still = await client.get(f"/api/v1/team/members/{stranger.member_id}", headers=other_admin.headers)
    assert still.json()["role"] == "agent"


# --- team settings -------------------------------------------------------------------------


async def test_team_settings_read_and_change(client: httpx.AsyncClient, admin: Member) -> None:
    team = (await client.get("/api/v1/team", headers=admin.headers)).json()
    assert team["id"] == admin.team_id
    assert team["timezone"] == "America/New_York"
    assert team["business_hours"]["mon"] == ["09:00", "18:00"] and "sat" not in team["business_hours"]

    response = await client.patch(
        "/api/v1/team",
        json={
            "timezone": "America/Chicago",
            "business_hours": {"mon": ["08:00", "17:30"], "sat": ["10:00", "14:00"], "sun": None},
            "postal_address": "1 Main St, Austin, TX 78701",
            "brand_color": "#112233",
        },
        headers=admin.headers,
    )
    assert response.status_code == 200
    again = (await client.get("/api/v1/team", headers=admin.headers)).json()
    assert again["timezone"] == "America/Chicago"
    assert again["business_hours"] == {"mon": ["08:00", "17:30"], "sat": ["10:00", "14:00"]}
    assert again["postal_address"] == "1 Main St, Austin, TX 78701"
    assert again["brand_color"] == "#112233"
    assert again["name"] == team["name"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        # In the tz database, but not a place: the server's own zone, a placeholder, a copy
        # whose clock counts leap seconds.
        ({"timezone": "localtime"}, "timezone"),
        ({"timezone": "Factory"}, "timezone"),
        ({"timezone": "right/America/Chicago"}, "timezone"),
        ({"business_hours": {"mon": ["18:00", "09:00"]}}, "business_hours.mon"),
        ({"business_hours": {"tue": ["9am", "5pm"]}}, "business_hours.tue"),
        ({"business_hours": {"funday": ["09:00", "10:00"]}}, "business_hours.funday"),
        ({"brand_color": "blue"}, "brand_color"),
        ({"logo_url": "javascript:alert(1)"}, "logo_url"),
        # Browsers block an http image on an https page, and a mail client may too.
        ({"logo_url": "http://example.com/logo.png"}, "logo_url"),
        ({"logo_url": "https://"}, "logo_url"),
        # Commercial email must carry a postal address a letter can reach.
        ({"postal_address": "our office"}, "postal_address"),
        ({"postal_address": "Tampa"}, "postal_address"),
        ({"owner": "me"}, "owner"),
    ],
)
async def test_bad_team_settings_are_refused_naming_the_field(
    client: httpx.AsyncClient, admin: Member, change: dict[str, object], field: str
) -> None:
    response = await client.patch("/api/v1/team", json=change, headers=admin.headers)
    assert response.status_code == 422
    assert error_fields(response) == {field}
    team = (await client.get("/api/v1/team", headers=admin.headers)).json()
    assert team["timezone"] == "America/New_York" and team["brand_color"] == "#1f6feb"


async def test_postal_address_and_logo_are_tidied_and_can_be_cleared(
    client: httpx.AsyncClient, admin: Member
) -> None:
    response = await client.patch(
        "/api/v1/team",
        json={
            "postal_address": "  PO Box 1423 \n\n Tampa, FL 33601  ",
            "logo_url": " https://cdn.example.com/brand/logo.png ",
        },
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    team = response.json()
    assert team["postal_address"] == "PO Box 1423\nTampa, FL 33601"
    assert team["logo_url"] == "https://cdn.example.com/brand/logo.png"
    cleared = await client.patch(
        "/api/v1/team", json={"postal_address": "   ", "logo_url": ""}, headers=admin.headers
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["postal_address"] is None and cleared.json()["logo_url"] is None


async def test_a_team_name_cannot_be_cleared(client: httpx.AsyncClient, admin: Member) -> None:
    response = await client.patch("/api/v1/team", json={"name": None}, headers=admin.headers)
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"field": "name"}


async def test_agents_read_but_do_not_change_team_settings(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    assert (await client.get("/api/v1/team", headers=agent.headers)).status_code == 200
    response = await client.patch("/api/v1/team", json={"timezone": "America/Denver"}, headers=agent.headers)
    assert response.status_code == 403
    team = (await client.get("/api/v1/team", headers=admin.headers)).json()
    assert team["timezone"] == "America/New_York"


# --- markets -------------------------------------------------------------------------------


async def test_markets_create_read_change_delete(client: httpx.AsyncClient, admin: Member) -> None:
    created = await client.post(
        "/api/v1/team/markets",
        json={"name": "Tampa Bay", "states": ["FL"], "counties": ["Hillsborough"], "zip_codes": ["33610"]},
        headers=admin.headers,
    )
    assert created.status_code == 201
    market = created.json()
    assert market["name"] == "Tampa Bay" and market["zip_codes"] == ["33610"]

    listed = (await client.get("/api/v1/team/markets", headers=admin.headers)).json()
    assert [m["id"] for m in listed] == [market["id"]]
    changed = await client.patch(
        f"/api/v1/team/markets/{market['id']}",
        json={"counties": ["Hillsborough", "Pinellas"]},
        headers=admin.headers,
    )
    assert changed.status_code == 200
    got = (await client.get(f"/api/v1/team/markets/{market['id']}", headers=admin.headers)).json()
    assert got["counties"] == ["Hillsborough", "Pinellas"] and got["states"] == ["FL"]

    assert (
        await client.delete(f"/api/v1/team/markets/{market['id']}", headers=admin.headers)
    ).status_code == 204
    assert (
        await client.get(f"/api/v1/team/markets/{market['id']}", headers=admin.headers)
    ).status_code == 404
    assert (
        await client.delete(f"/api/v1/team/markets/{market['id']}", headers=admin.headers)
    ).status_code == 404


async def test_a_market_name_is_unique_in_the_team(client: httpx.AsyncClient, admin: Member) -> None:
    first = await client.post("/api/v1/team/markets", json={"name": "Dallas"}, headers=admin.headers)
    second = await client.post("/api/v1/team/markets", json={"name": "Austin"}, headers=admin.headers)
    assert first.status_code == second.status_code == 201
    duplicate = await client.post("/api/v1/team/markets", json={"name": "Dallas"}, headers=admin.headers)
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["details"] == {"field": "name"}
    renamed = await client.patch(
        f"/api/v1/team/markets/{second.json()['id']}", json={"name": "Dallas"}, headers=admin.headers
    )
    assert renamed.status_code == 409
    names = [m["name"] for m in (await client.get("/api/v1/team/markets", headers=admin.headers)).json()]
    assert names == ["Austin", "Dallas"]
    # Another team may use the same name.
    other = await register(client)
    assert (
        await client.post("/api/v1/team/markets", json={"name": "Dallas"}, headers=other.headers)
    ).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "states": ["Florida"]}, "states.0"),
        ({"name": "X", "states": ["FL", "tx"]}, "states.1"),
        ({"name": "X", "zip_codes": ["3361"]}, "zip_codes.0"),
        ({"name": "X", "zip_codes": ["33610", "３３６１０"]}, "zip_codes.1"),
        ({"name": ""}, "name"),
        ({"states": ["FL"]}, "name"),
    ],
)
async def test_bad_markets_are_refused_naming_the_field(
    client: httpx.AsyncClient, admin: Member, body: dict[str, object], field: str
) -> None:
    response = await client.post("/api/v1/team/markets", json=body, headers=admin.headers)
    assert response.status_code == 422
    assert error_fields(response) == {field}
    assert (await client.get("/api/v1/team/markets", headers=admin.headers)).json() == []


async def test_a_market_field_cannot_be_nulled(client: httpx.AsyncClient, admin: Member) -> None:
    market = (await client.post("/api/v1/team/markets", json={"name": "Ohio"}, headers=admin.headers)).json()
    response = await client.patch(
        f"/api/v1/team/markets/{market['id']}", json={"states": None}, headers=admin.headers
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"field": "states"}


async def test_agents_read_markets_but_do_not_define_them(
    client: httpx.AsyncClient, database: Database, admin: Member
) -> None:
    agent = await add_member(client, database, admin, role="agent")
    market = (
        await client.post("/api/v1/team/markets", json={"name": "Georgia"}, headers=admin.headers)
    ).json()
    assert (await client.get("/api/v1/team/markets", headers=agent.headers)).status_code == 200
    assert (
        await client.post("/api/v1/team/markets", json={"name": "X"}, headers=agent.headers)
    ).status_code == 403
    patched = await client.patch(
        f"/api/v1/team/markets/{market['id']}", json={"name": "Y"}, headers=agent.headers
    )
    assert patched.status_code == 403
    deleted = await client.delete(f"/api/v1/team/markets/{market['id']}", headers=agent.headers)
    assert deleted.status_code == 403
