"""FastAPI factory: routers, error rendering, middleware, the web UI mount."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import psycopg
import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from reos import logs
from reos.db.session import Database, make_database, resolve_urls
from reos.errors import AppError, InvalidValue, RequestInvalid
from reos.events.service import EventHub
from reos.idempotency.middleware import IdempotencyMiddleware
from reos.jobs import queue as jobs_queue
from reos.metrics import Metrics
from reos.middleware import RequestMiddleware
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
        docs_url=None,  # served by reos.ops from node_modules, not a CDN
        redoc_url=None,
        description="Acquisitions CRM API: leads, outreach under compliance, deals, dispositions.",
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.event_hub = None
    if database is not None:
        # Tests hand in a database; attach now so clients without lifespan support work.
        _attach(app, settings, database)
    _install_error_handlers(app)
    # Added last = outermost: the request middleware wraps idempotency replays too.
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(RequestMiddleware, metrics=app.state.metrics)

    from reos import ops
    from reos.audit.routes import router as audit_router
    from reos.auth.routes import router as auth_router
    from reos.compliance.routes import router as compliance_router
    from reos.contacts.routes import property_router as property_contacts_router
    from reos.contacts.routes import router as contacts_router
    from reos.events.routes import router as events_router
    from reos.imports.routes import router as imports_router
    from reos.jobs.routes import router as jobs_router
    from reos.lists.routes import router as lists_router
    from reos.notifications.routes import router as notifications_router
    from reos.properties.board_routes import router as board_router
    from reos.properties.listing_routes import bulk_router
    from reos.properties.listing_routes import router as listing_router
    from reos.properties.routes import custom_fields_router, flags_router
    from reos.properties.routes import router as properties_router
    from reos.scoring.routes import property_router as scoring_property_router
    from reos.scoring.routes import router as scoring_router
    from reos.search.routes import router as search_router
    from reos.tasks.routes import router as tasks_router
    from reos.teams.routes import router as team_router
    from reos.web import views

    # Starlette tries routes in order: the lead list, the hottest route, is matched first
    # (measured in docs/benchmarks.md); its paths are fixed, so it shadows nothing below.
    for router in (
        listing_router,
        ops.router,
        auth_router,
        team_router,
        properties_router,
        bulk_router,
        imports_router,
        lists_router,
        board_router,
        custom_fields_router,
        flags_router,
        contacts_router,
        property_contacts_router,
        tasks_router,
        compliance_router,
        scoring_property_router,
        scoring_router,
        search_router,
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
        # The location starts with where the value came from; "body" goes, but only there: a
        # field named body (a note's text) had lost its name.
        details = [
            {
                "field": ".".join(str(p) for p in err["loc"][1 if err["loc"][:1] == ("body",) else 0 :]),
                "message": err["msg"],
            }
            for err in exc.errors()
        ]
        summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
        # Through the one AppError path, so a page or a form gets a page or a toast, not JSON.
        return await app_error(request, RequestInvalid(f"request is not valid — {summary}", details=details))

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> Response:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        return render(
            request, 409, "conflict", "this conflicts with existing data", {"constraint": constraint}
        )

    def bad_value(request: Request, orig: BaseException | None) -> InvalidValue:
        # SQLSTATE class 22 is the data itself: a value the column cannot hold is the caller's
        # input (most often a NUL, which no PostgreSQL text can hold), not a server fault.
        sqlstate = getattr(orig, "sqlstate", None)
        # psycopg refuses a NUL itself, before the server sees it (no SQLSTATE then).
        if sqlstate in ("22P05", "22021") or "NUL" in str(orig):
            message = "a text value contains the NUL character (\\u0000), which cannot be stored; remove it"
        else:
            primary = getattr(getattr(orig, "diag", None), "message_primary", None) or "not valid"
            message = f"a value cannot be stored: {primary}"
        log.warning("request.bad_value", sqlstate=sqlstate, path=request.url.path)
        return InvalidValue(message, details={"sqlstate": sqlstate})

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        return await app_error(request, bad_value(request, exc.orig))

    @app.exception_handler(psycopg.DataError)
    async def driver_data_error(request: Request, exc: psycopg.DataError) -> Response:
        return await app_error(request, bad_value(request, exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return render(request, exc.status_code, code, str(exc.detail), None, getattr(exc, "headers", None))
