"""Metrics (histogram by route template, queue figures gathered off the request path), ETags."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from tests.fixtures.api import Member


async def test_metrics_histogram_by_route_template(
    client: httpx.AsyncClient, app: FastAPI, admin: Member
) -> None:
    created = await client.post(
        "/api/v1/properties",
        json={"address": "1 Metric Way", "city": "Boise", "state": "ID", "zip_code": "83702"},
        headers=admin.headers,
    )
    await client.get(f"/api/v1/properties/{created.json()['id']}", headers=admin.headers)
    first = await client.get("/metrics")
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/plain")
    text = first.text
    # Labelled by template, not by the concrete id (bounded cardinality).
    assert (
        'reos_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/properties/{property_id}"}'
        in text
    )
    assert created.json()["id"] not in text
    assert "reos_sse_connections 0.0" in text
    # The queue figures are refreshed in the background; a later scrape shows them.
    await app.state.metrics._task
    second = (await client.get("/metrics")).text
    assert 'reos_jobs{queue="notifications",status="todo"}' in second
    assert 'reos_queue_lag_seconds{queue="outreach"}' in second


async def test_metrics_token(client: httpx.AsyncClient, app: FastAPI) -> None:
    app.state.settings = app.state.settings.model_copy(update={"metrics_token": "s3cret-token"})
    assert (await client.get("/metrics")).status_code == 401
    assert (await client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})).status_code == 200


async def test_etag_and_if_none_match(client: httpx.AsyncClient, admin: Member) -> None:
    created = await client.post(
        "/api/v1/properties",
        json={"address": "2 Etag Ct", "city": "Boise", "state": "ID", "zip_code": "83702"},
        headers=admin.headers,
    )
    url = f"/api/v1/properties/{created.json()['id']}"
    first = await client.get(url, headers=admin.headers)
    etag = first.headers["etag"]
    again = await client.get(url, headers={**admin.headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    await client.patch(url, json={"bedrooms": 4}, headers=admin.headers)
    changed = await client.get(url, headers={**admin.headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag and changed.json()["bedrooms"] == 4


async def test_concurrent_requests_do_not_stall(client: httpx.AsyncClient) -> None:
    """A bounded burst on a light endpoint: every request answers (the load figure is in
    docs/benchmarks.md, measured with wrk against a real server)."""
    answers = await asyncio.gather(*(client.get("/health") for _ in range(64)))
    assert all(a.status_code == 200 for a in answers)
