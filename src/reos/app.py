"""FastAPI factory: routers, error rendering, middleware, the web UI mount."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from reos import logs
from reos.db.session import Database, make_database, resolve_urls
from reos.errors import AppError
from reos.events.service import EventHub
from reos.idempotency.middleware import IdempotencyMiddleware
from reos.jobs import queue as jobs_queue
from reos.kit import request_context
from reos.metrics import Metrics
from reos.providers import registry as providers
from reos.settings import Settings, get_settings

log = structlog.get_logger(__name__)
ROOT = Path(__file__).resolve().parents[2]


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = database
        if db is None:
            app_url, owner_url = resolve_urls(settings)
            db = make_database(app_url, owner_url)
            _attach(app, settings, db)
        try:
            yield
        finally:
            hub: EventHub | None = getattr(app.state, "event_hub", None)
            if hub is not None:
                await hub.stop()
            if database is None:
                await db.dispose()

    logs.configure(settings.log_level, settings.log_json)
    app = FastAPI(
        title="Real Estate OS",
        version="0.1.0",
        lifespan=lifespan,
        description="Acquisitions CRM API: leads, outreach under compliance, deals, dispositions.",
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.event_hub = None
    if database is not None:
        # Tests hand in a database; attach now so clients without lifespan support work.
        _attach(app, settings, database)
    _install_error_handlers(app)
    _install_middleware(app)
    app.add_middleware(IdempotencyMiddleware)

    from reos import ops
    from reos.audit.routes import router as audit_router
    from reos.auth.routes import router as auth_router
    from reos.events.routes import router as events_router
    from reos.jobs.routes import router as jobs_router
    from reos.notifications.routes import router as notifications_router
    from reos.properties.routes import router as properties_router
    from reos.teams.routes import router as team_router
    from reos.web import views

    for router in (
        ops.router,
        auth_router,
        team_router,
        properties_router,
        events_router,
        notifications_router,
        jobs_router,
        audit_router,
        views.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static")
    vendor = ROOT / "node_modules"
    if vendor.exists():
        app.mount("/vendor", StaticFiles(directory=vendor), name="vendor")
    return app


def _attach(app: FastAPI, settings: Settings, db: Database) -> None:
    """Give the app its database, its providers, the job runtime (deferring from requests,
    provider status) and its live-event hub."""
    app.state.db = db
    providers.use(providers.build(settings))
    jobs_queue.configure(
        db,
        retry_base_seconds=settings.job_retry_base_seconds,
        max_attempts=settings.job_max_attempts,
        stalled_after_seconds=settings.job_stalled_after_seconds,
    )
    app.state.event_hub = EventHub(db.app_url.replace("postgresql+psycopg://", "postgresql://", 1))


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/health", "/ready", "/metrics"))


def _install_error_handlers(app: FastAPI) -> None:
    from reos.web.views import render_error

    def render(
        request: Request,
        status: int,
        code: str,
        message: str,
        details: object,
        headers: dict[str, str] | None = None,
    ) -> Response:
        if _wants_html(request) and request.method == "GET":
            return render_error(request, status, message)
        body = {"error": {"code": code, "message": message, "details": details}}
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> Response:
        if _wants_html(request):
            from reos.web.views import handle_web_error

            handled = handle_web_error(request, exc)
            if handled is not None:
                return handled
        return render(request, exc.status_code, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        details = [
            {"field": ".".join(str(p) for p in err["loc"] if p != "body"), "message": err["msg"]}
            for err in exc.errors()
        ]
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
        return render(request, 422, "validation_error", f"request is not valid — {summary}", details)

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> Response:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        return render(
            request, 409, "conflict", "this conflicts with existing data", {"constraint": constraint}
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return render(request, exc.status_code, code, str(exc.detail), None, getattr(exc, "headers", None))


def _route_template(request: Request) -> str:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    # Unmatched paths share one label, so scanners cannot blow up the metric's cardinality.
    return path if isinstance(path, str) else "<unmatched>"


async def _with_etag(request: Request, response: Response) -> Response:
    """Single-resource and list reads of the API carry an ETag; If-None-Match → 304."""
    body = b""
    async for chunk in response.body_iterator:  # type: ignore[attr-defined]
        body += chunk if isinstance(chunk, bytes) else chunk.encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    headers["ETag"] = etag
    candidates = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}
    if etag in candidates or "*" in candidates:
        headers.pop("content-type", None)
        return Response(status_code=304, headers=headers)
    return Response(content=body, status_code=response.status_code, headers=headers)


def _install_middleware(app: FastAPI) -> None:
    @app.middleware("http")
    async def request_scope(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        if len(request_id) > 64:
            request_id = uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        token = request_context.current.set(
            request_context.RequestContext(
                ip=request.client.host if request.client else None,
                user_agent=request.headers.get("user-agent"),
                request_id=request_id,
            )
        )
        started = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
            request_context.current.reset(token)
        elapsed = time.perf_counter() - started
        route = _route_template(request)
        metrics: Metrics = app.state.metrics
        metrics.observe(request.method, route, response.status_code, elapsed)
        if (
            request.method == "GET"
            and response.status_code == 200
            and request.url.path.startswith("/api/")
            and response.headers.get("content-type", "").startswith("application/json")
        ):
            response = await _with_etag(request, response)
        response.headers["X-Request-ID"] = request_id
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        log.info(
            "request",
            request_id=request_id,
            method=request.method,
            path=request.url.path,
            route=route,
            status=response.status_code,
            ms=round(elapsed * 1000, 1),
        )
        return response
