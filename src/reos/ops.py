"""Health, readiness and the operators' outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from reos.db.health import readiness
from reos.deps import PUBLIC, Operator, SessionDep
from reos.kit.pagination import clamp_limit
from reos.providers import outbox as outbox_service

router = APIRouter(tags=["ops"])


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
    rows = await outbox_service.list_messages(session, limit=clamp_limit(limit))
    return [OutboxRead.model_validate(r) for r in rows]
