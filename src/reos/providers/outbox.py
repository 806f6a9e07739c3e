"""Reading the mock email provider's outbox (instance-level; operators only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reos.providers.models import OutboxMessage


async def list_messages(session: AsyncSession, *, limit: int) -> list[OutboxMessage]:
    rows = await session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit)
    )
    return list(rows.all())
