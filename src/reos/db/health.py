"""Readiness: is the database reachable, and is its schema at the migrations' head?"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from reos.db import migrate


async def readiness(session: AsyncSession) -> tuple[bool, dict[str, str | None]]:
    head = migrate.head_revision()
    try:
        current = await session.scalar(text("select version_num from alembic_version"))
    except (SQLAlchemyError, OSError) as exc:
        return False, {"reason": f"database unreachable: {str(exc).splitlines()[0][:200]}"}
    if current != head:
        return False, {"reason": "migrations not at head", "current": current, "head": head}
    return True, {"migration": current}
