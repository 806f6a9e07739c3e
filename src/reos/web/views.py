"""Web pages. Cookie session + CSRF; every page calls the same services as the JSON API.

One module per area (account, dashboard, properties, team, notifications, and the admin pages:
jobs, audit, outbox, providers); this one gathers their routers for `reos.app` and exposes the
error rendering the app's handlers use.
"""

from __future__ import annotations

from fastapi import APIRouter

from reos.web import (
    account,
    audit,
    compliance,
    dashboard,
    jobs,
    notifications,
    outbox,
    properties,
    property_page,
    providers,
    team,
)
from reos.web import board as board_pages
from reos.web import imports as import_pages
from reos.web import scoring as scoring_pages
from reos.web import tasks as task_pages
from reos.web.render import handle_web_error, render_error

router = APIRouter(include_in_schema=False)
for module in (
    account,
    dashboard,
    properties,
    compliance,
    team,
    notifications,
    jobs,
    audit,
    outbox,
    providers,
):
    router.include_router(module.router)
router.include_router(task_pages.router)
router.include_router(board_pages.router)
router.include_router(scoring_pages.router)
router.include_router(import_pages.router)
# After the list page's fixed paths under /properties, which must win over /properties/{id}.
router.include_router(property_page.router)

__all__ = ["handle_web_error", "render_error", "router"]
