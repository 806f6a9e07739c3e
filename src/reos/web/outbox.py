"""The operators' outbox: what the mock email provider recorded instead of sending."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from reos.deps import Operator, SessionDep
from reos.providers import email as email_provider
from reos.settings import get_settings
from reos.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/outbox")
async def outbox_page(request: Request, principal: Operator, session: SessionDep) -> HTMLResponse:
    messages = await email_provider.list_outbox(session, limit=100)
    return await page(
        request,
        "outbox.html",
        principal=principal,
        session=session,
        nav="outbox",
        messages=messages,
        provider=get_settings().email_provider,
    )
