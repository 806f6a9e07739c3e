"""Health, readiness and the operators' outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, ConfigDict

from reos.db.health import readiness
from reos.deps import PUBLIC, Operator, SessionDep, get_database
from reos.errors import Unauthorized
from reos.kit.pagination import clamp_limit
from reos.kit.routing import DocstringRoute
from reos.metrics import Metrics
from reos.providers import email as email_provider
from reos.providers import status as provider_service

router = APIRouter(tags=["ops"], route_class=DocstringRoute)


@router.get("/health", dependencies=[PUBLIC])
async def health() -> dict[str, str]:
    """Answer 200 while the process serves requests."""
    return {"status": "ok"}


@router.get("/ready", dependencies=[PUBLIC], response_model=None)
async def ready(session: SessionDep) -> dict[str, Any] | JSONResponse:
    """Answer 200 when the database answers and its schema is at the migrations' head, else 503."""
    ok, facts = await readiness(session)
    if not ok:
        return JSONResponse({"status": "unavailable", **facts}, status_code=503)
    return {"status": "ready", **facts}


class OutboxRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: Any
    kind: str
    to_address: str
    subject: str
    text_body: str
    created_at: datetime


@router.get("/api/v1/ops/outbox")
async def outbox(principal: Operator, session: SessionDep, limit: int | None = None) -> list[OutboxRead]:
    """List what the mock email provider recorded instead of sending (operators)."""
    rows = await email_provider.list_outbox(session, limit=clamp_limit(limit))
    return [OutboxRead.model_validate(r) for r in rows]


@router.get("/metrics", dependencies=[PUBLIC], response_model=None)
async def metrics(request: Request, authorization: str | None = Header(default=None)) -> Response:
    """Prometheus metrics (behind a bearer token when METRICS_TOKEN is set)."""
    settings = request.app.state.settings
    if settings.metrics_token and authorization != f"Bearer {settings.metrics_token}":
        raise Unauthorized("metrics need the METRICS_TOKEN bearer token")
    registry: Metrics = request.app.state.metrics
    registry.refresh_soon(lambda: get_database(request))
    hub = request.app.state.event_hub
    return Response(registry.render(hub.connections if hub else 0), media_type=CONTENT_TYPE_LATEST)


class ProviderRead(BaseModel):
    name: str
    implementation: str
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None


@router.get("/api/v1/ops/providers")
async def provider_status(principal: Operator, session: SessionDep) -> list[ProviderRead]:
    """Show which implementation each provider uses and its last error (operators)."""
    return [ProviderRead(**row) for row in await provider_service.overview(session)]


@router.get("/docs", dependencies=[PUBLIC], include_in_schema=False)
async def api_docs() -> Response:
    """Interactive API documentation, served from our own npm-installed copy of Swagger UI (the
    default loads it from a CDN, which a self-hosted or offline install cannot rely on)."""
    page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Real Estate OS — API",
        swagger_js_url="/vendor/swagger-ui-dist/swagger-ui-bundle.js",
        swagger_css_url="/vendor/swagger-ui-dist/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )
    # Swagger UI starts from one inline script: allow inline scripts on this page only.
    page.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
    )
    return page
