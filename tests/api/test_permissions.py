"""Permissions: every route names one action of the checked-in matrix, and every route answers
every role the way the matrix says. Routes are read from the app, so a new route is checked
without anyone adding it here."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from reos.auth.permissions import MATRIX, Action, allowed
from reos.db.session import Database, team_session
from reos.teams import service as teams
from reos.teams.models import Role
from tests.fixtures.api import PASSWORD, Member, add_member, register, unique_email
from tests.fixtures.routes import (
    Browser,
    Endpoint,
    build_call,
    csrf_pages,
    endpoints,
    http_client,
    is_login_redirect,
    openapi_operations,
    send,
)

RecordProperty = Callable[[str, object], None]  # pytest's record_property fixture
SPECIAL = (Action.public, Action.operator)


def test_every_route_declares_exactly_one_action(app: FastAPI) -> None:
    found, unwalkable = endpoints(app)
    assert found
    wrong = [
        f"{e.key}: {sorted(e.declared_actions()) or 'no action'}"
        for e in found
        if len(e.declared_actions()) != 1
    ]
    wrong += [f"{u.description}: cannot be walked, so its actions cannot be checked" for u in unwalkable]
    assert not wrong, "routes must depend on exactly one reos.deps.Permit or Public:\n" + "\n".join(wrong)
    assert all(isinstance(e.action, Action) for e in found)


def test_the_walk_sees_every_operation_of_the_openapi(app: FastAPI) -> None:
    found, _ = endpoints(app)
    assert {e.key for e in found if e.in_schema} == openapi_operations(app)


def test_every_action_belongs_to_some_role() -> None:
    assert set(MATRIX) == set(Role)
    orphaned = [
        a.value for a in Action if a not in SPECIAL and not any(a in acts for acts in MATRIX.values())
    ]
    assert not orphaned, f"actions no role may perform (dead, or missing from the matrix): {orphaned}"
    for action in SPECIAL:
        assert not any(action in acts for acts in MATRIX.values()), f"{action} is not a role's to grant"


def test_actions_without_a_route_are_reported(app: FastAPI, record_property: RecordProperty) -> None:
    found, _ = endpoints(app)
    used = {e.action for e in found}
    assert Action.public in used and Action.read in used
    unused = sorted(a.value for a in Action if a not in used)
    # The matrix names the actions of capabilities still to come; this is a report, not a rule.
    print(f"actions no route declares yet: {unused}")
    record_property("actions_without_route", ",".join(unused))


@pytest.fixture
async def roles(client: httpx.AsyncClient, database: Database) -> dict[str, Member]:
    """One team with a member of every role."""
    admin = await register(client)
    members = {Role.admin.value: admin}
    for role in (Role.manager, Role.agent, Role.viewer):
        members[role.value] = await add_member(client, database, admin, role=role.value)
    return members


@pytest.fixture
async def operator(client: httpx.AsyncClient, database: Database) -> Member:
    """An instance operator (as `reos user create --operator` makes one), admin of its own team."""
    email = unique_email("operator")
    async with team_session(database, None) as session:
        await teams.create_user(
            session, email=email, password=PASSWORD, full_name="Op", team_name="Operators", operator=True
        )
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    body = login.json()
    return Member(
        email=email,
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
        team_id=body["team"]["id"],
        role="admin",
        extra={"operator": True},
    )


def _error_code(response: httpx.Response) -> str | None:
    if not response.headers.get("content-type", "").startswith("application/json"):
        return None
    body = response.json()
    return body.get("error", {}).get("code") if isinstance(body, dict) else None


def _judge(endpoint: Endpoint, who: str, may: bool, response: httpx.Response) -> str | None:
    where = f"{endpoint.key} as {who}"
    status = response.status_code
    if status >= 500:
        return f"{where}: {status} {response.text[:200]}"
    if not may:
        if status != 403:
            return f"{where}: lacks {endpoint.action.value} but got {status}, not 403"
        if (endpoint.is_api or endpoint.method != "GET") and _error_code(response) != "forbidden":
            return f"{where}: 403 without error.code 'forbidden': {response.text[:200]}"
        if (
            not endpoint.is_api
            and endpoint.method == "GET"
            and "text/html" not in response.headers["content-type"]
        ):
            return f"{where}: a page answered 403 without an HTML error page"
        return None
    if endpoint.action is Action.public:
        return None  # a 401 about the credentials sent is checked without login below
    # A page that redirects to the login page did not accept the session; after a form post
    # that redirect is the log-out route doing its work.
    if status in (401, 403) or (endpoint.method == "GET" and is_login_redirect(response)):
        return f"{where}: may {endpoint.action.value} but got {status} {response.text[:200]}"
    return None


async def test_every_route_answers_every_role_as_the_matrix_says(
    app: FastAPI,
    roles: dict[str, Member],
    operator: Member,
    record_property: RecordProperty,
) -> None:
    found, _ = endpoints(app)
    openapi = app.openapi()
    pages = csrf_pages(found)
    callers = {**roles, "operator": operator}
    browsers = {who: Browser(app, m.email, PASSWORD, pages) for who, m in callers.items()}
    failures: list[str] = []
    requests = 0
    async with http_client(app) as api:
        for browser in browsers.values():
            await browser.login()
        for endpoint in found:
            # The operator is an admin besides: walked only where being an operator matters.
            who_calls = list(callers) if endpoint.action is Action.operator else list(roles)
            for who in who_calls:
                member = callers[who]
                may = allowed(member.role, endpoint.action, is_operator=bool(member.extra.get("operator")))
                call = build_call(endpoint, openapi)
                if endpoint.is_api:
                    response = await send(api, call, member.headers)
                else:
                    response = await browsers[who].send(call)
                requests += 1
                problem = _judge(endpoint, who, may, response)
                if problem:
                    failures.append(problem)
    for browser in browsers.values():
        await browser.aclose()
    print(f"permission walker: {len(found)} routes, {requests} requests over {len(callers)} callers")
    record_property("permission_walker_requests", requests)
    assert not failures, f"{len(failures)} answers disagree with the matrix:\n" + "\n".join(failures)


async def test_without_a_login_only_public_routes_answer(app: FastAPI, admin: Member) -> None:
    found, _ = endpoints(app)
    openapi = app.openapi()
    failures: list[str] = []
    browser = Browser(app, admin.email, PASSWORD, csrf_pages(found))
    await browser.login()
    async with http_client(app) as anonymous:
        for endpoint in found:
            call = build_call(endpoint, openapi)
            response = await send(anonymous, call)
            status = response.status_code
            where = f"{endpoint.key} without login"
            if status >= 500:
                failures.append(f"{where}: {status}")
            elif endpoint.action is Action.public:
                if status == 401:
                    # Only a 401 about what was sent (a wrong password), never one a login would fix.
                    call = build_call(endpoint, openapi)
                    if endpoint.is_api:
                        logged_in = await send(anonymous, call, admin.headers)
                    else:
                        logged_in = await browser.send(call)
                    if logged_in.status_code != 401:
                        failures.append(f"{where}: public, yet 401 unless logged in")
            elif endpoint.is_api or endpoint.method != "GET":
                if status != 401 or _error_code(response) != "unauthorized":
                    failures.append(f"{where}: {status}, not 401 unauthorized")
                if endpoint.is_api:
                    forged = await send(anonymous, call, {"Authorization": f"Bearer {uuid.uuid4().hex}"})
                    if forged.status_code != 401:
                        failures.append(f"{endpoint.key} with a forged token: {forged.status_code}, not 401")
            elif not is_login_redirect(response):
                failures.append(f"{where}: page answered {status}, not a redirect to /login")
    await browser.aclose()
    assert not failures, "\n".join(failures)
