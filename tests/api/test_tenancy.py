"""Tenancy through the front doors: team B's admin calls every route of the app (JSON API and web
pages) naming team A's resources, and gets 404 — never 403, never A's data — while lists and
searches show none of A's rows. Routes are read from the app, so a route added tomorrow is
walked tomorrow; a path parameter the walker does not know fails until it is taught below."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi import FastAPI

from reos.auth.permissions import Action
from reos.db.session import Database
from tests.fixtures.api import PASSWORD, register
from tests.fixtures.db import Urls
from tests.fixtures.routes import (
    Browser,
    Call,
    Endpoint,
    Tenant,
    WalkerError,
    build_call,
    csrf_pages,
    endpoints,
    fill_empty_tenant_tables,
    http_client,
    is_login_redirect,
    openapi_operations,
    query_names,
    seed_tenant,
    send,
    tenant_row_ids,
)

RecordProperty = Callable[[str, object], None]  # pytest's record_property fixture

# Parameter names that name a resource (in a path or a request body) → the tenant table it
# lives in; the walker fills them with team A's ids. A route with a new name fails the walk until
# the name is added here.
PARAM_TABLES = {
    "team_id": "teams",
    "property_id": "properties",
    "market_id": "markets",
    "invitation_id": "invitations",
    "member_id": "memberships",
    "notification_id": "notifications",
    "failure_id": "job_failures",
}
# Query parameters that search: called a second time with part of A's property address.
SEARCH_PARAMS = ("q",)


def _judge(endpoint: Endpoint, call: Call, response: httpx.Response, a: Tenant) -> list[str]:
    where = f"{endpoint.key} ({call.url}{'?' + str(call.query) if call.query else ''})"
    status = response.status_code
    problems = []
    shown = response.text + " " + response.headers.get("location", "")
    leaked = a.leaks(shown, sent=call.sent_ids)
    if leaked:
        problems.append(f"{where}: answered {status} showing team A's {leaked}")
    if status >= 500:
        problems.append(f"{where}: {status} {response.text[:200]}")
    elif endpoint.action is Action.operator:
        # Instance operators see across teams by design; a team admin is refused outright.
        if status != 403:
            problems.append(f"{where}: operator route answered a team admin {status}")
    elif call.sent_ids and endpoint.action is not Action.public:
        if status != 404:
            problems.append(f"{where}: names team A's resource, answered {status}, not 404")
        elif (
            not endpoint.is_api
            and endpoint.method == "GET"
            and "text/html" not in response.headers["content-type"]
        ):
            problems.append(f"{where}: answered 404 without a 404 page")
    elif endpoint.action is not Action.public:
        # After a form post, a redirect to the login page is the log-out route doing its work.
        if status in (401, 403) or (endpoint.method == "GET" and is_login_redirect(response)):
            problems.append(f"{where}: team B's admin was refused ({status}); the walk proves nothing here")
        elif endpoint.method == "GET" and status >= 400:
            problems.append(f"{where}: answered {status}; teach the walker to call it")
    return problems


async def test_team_b_reaches_nothing_of_team_a_through_any_route(
    app: FastAPI,
    client: httpx.AsyncClient,
    database: Database,
    db_urls: Urls,
    record_property: RecordProperty,
) -> None:
    a = await seed_tenant(client, database)
    fill_empty_tenant_tables(db_urls.owner_libpq, a)
    rows = tenant_row_ids(db_urls.owner_libpq, a.admin.team_id)
    for param, table in PARAM_TABLES.items():
        a.ids.setdefault(param, rows[table])
    b = await register(client)

    found, unwalkable = endpoints(app)
    assert not unwalkable, f"routes the walker cannot enumerate: {unwalkable}"
    assert {e.key for e in found if e.in_schema} == openapi_operations(app)
    openapi = app.openapi()
    browser = Browser(app, b.email, PASSWORD, csrf_pages(found))
    await browser.login()
    failures: list[str] = []
    covered = requests = 0
    async with http_client(app) as api:
        for endpoint in found:
            try:
                calls = [build_call(endpoint, openapi, ids=a.ids)]
                if endpoint.method == "GET":
                    calls += [
                        build_call(endpoint, openapi, ids=a.ids, query={name: a.search_term})
                        for name in SEARCH_PARAMS
                        if name in query_names(endpoint, openapi)
                    ]
            except WalkerError as exc:
                failures.append(str(exc))
                continue
            for call in calls:
                response = await send(api, call, b.headers) if endpoint.is_api else await browser.send(call)
                failures += _judge(endpoint, call, response, a)
                requests += 1
            covered += 1
    await browser.aclose()

    failures += await _untouched(client, a)
    print(f"tenancy walker covered {covered} routes ({requests} requests) of {len(found)}")
    record_property("tenancy_routes_covered", covered)
    assert covered > 0
    assert not failures, f"tenancy walker covered {covered} of {len(found)} routes; problems:\n" + "\n".join(
        failures
    )
    assert covered == len(found)


async def _untouched(client: httpx.AsyncClient, a: Tenant) -> list[str]:
    """Team A's resources, read by A's admin after B's walk: all there, all unchanged."""
    headers = a.admin.headers
    problems = []
    prop = await client.get(f"/api/v1/properties/{a.ids['property_id']}", headers=headers)
    if prop.status_code != 200 or prop.json()["address"] not in a.strings:
        problems.append(f"team A's property changed: {prop.status_code} {prop.text[:200]}")
    market = await client.get(f"/api/v1/team/markets/{a.ids['market_id']}", headers=headers)
    if market.status_code != 200 or market.json()["name"] not in a.strings:
        problems.append(f"team A's market changed: {market.status_code} {market.text[:200]}")
    member = await client.get(f"/api/v1/team/members/{a.ids['member_id']}", headers=headers)
    if member.status_code != 200 or (member.json()["role"], member.json()["is_active"]) != ("agent", True):
        problems.append(f"team A's member changed: {member.status_code} {member.text[:200]}")
    invitations = await client.get("/api/v1/team/invitations", headers=headers)
    pending = {i["id"] for i in invitations.json() if i["revoked_at"] is None}
    if a.ids["invitation_id"] not in pending:
        problems.append(f"team A's invitation is gone or revoked: {invitations.text[:300]}")
    team = await client.get("/api/v1/team", headers=headers)
    if team.status_code != 200 or team.json()["name"] not in a.strings:
        problems.append(f"team A's settings changed: {team.status_code} {team.text[:200]}")
    return problems
