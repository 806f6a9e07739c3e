"""Health, readiness and the operators' outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, text

from reos.db import migrate
from reos.deps import PUBLIC, Operator, SessionDep
from reos.kit.pagination import clamp_limit
from reos.providers.models import OutboxMessage

router = APIRouter(tags=["ops"])


@router.get("/health", dependencies=[PUBLIC])
async def health() -> dict[str, str]:
    """Answer 200 while the process serves requests."""
    return {"status": "ok"}


@router.get("/ready", dependencies=[PUBLIC], response_model=None)
async def ready(request: Request, session: SessionDep) -> dict[str, Any] | JSONResponse:
    """Answer 200 when the database answers and its schema is at the migrations' head, else 503."""
    head = migrate.head_revision()
    try:
        current = await session.scalar(text("select version_num from alembic_version"))
    except Exception as exc:  # noqa: BLE001 - any database failure means "not ready"
        return JSONResponse({"status": "unavailable", "reason": str(exc)[:200]}, status_code=503)
    if current != head:
        return JSONResponse(
            {"status": "unavailable", "reason": "migrations not at head", "current": current, "head": head},
            status_code=503,
        )
    return {"status": "ready", "migration": current}


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
    rows = await session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.created_at.desc()).limit(clamp_limit(limit))
    )
    return [OutboxRead.model_validate(r) for r in rows]
