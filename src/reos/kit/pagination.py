"""Keyset pagination: an opaque cursor holding the sort key of the last row seen."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from reos.errors import BadRequest
from reos.kit import jsontext

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


def encode_cursor(created_at: datetime, row_id: UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, row_id = jsontext.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(created), UUID(row_id)
    # AttributeError: an id that is not a string (UUID() reads it as one).
    except (ValueError, TypeError, AttributeError):
        raise BadRequest("cursor is not valid; use the next_cursor of a previous page") from None


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if limit < 1 or limit > MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}", details={"limit": limit})
    return limit


def page(items: list[Any], limit: int, key: Any) -> tuple[list[Any], str | None]:
    """Trim a `limit + 1` fetch to `limit` rows and compute the next cursor."""
    if len(items) <= limit:
        return items, None
    kept = items[:limit]
    last = kept[-1]
    created_at, row_id = key(last)
    return kept, encode_cursor(created_at, row_id)


async def keyset_page(
    session: AsyncSession,
    query: Select[Any],
    *,
    created: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[UUID],
    limit: int | None,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    """Newest first by (created, id): one index range per page, however deep the page."""
    size = clamp_limit(limit)
    if cursor:
        created_at, last_id = decode_cursor(cursor)
        query = query.where(tuple_(created, row_id) < tuple_(created_at, last_id))
    rows = (await session.scalars(query.order_by(created.desc(), row_id.desc()).limit(size + 1))).all()
    return page(list(rows), size, key=lambda r: (getattr(r, created.key), getattr(r, row_id.key)))
