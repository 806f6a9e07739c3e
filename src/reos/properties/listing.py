"""The lead list: one query for the API, the table page, bulk actions, exports and smart lists."""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from reos.kit.pagination import keyset_page
from reos.kit.text import contains_pattern
from reos.properties.models import Property
from reos.properties.service import visible
from reos.teams.models import Membership


async def list_properties(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    q: str | None = None,
    stage: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    viewer: Membership | None = None,
) -> tuple[list[Property], str | None]:
    query = await visible(
        session, select(Property).where(Property.team_id == team_id), team_id=team_id, viewer=viewer
    )
    if stage:
        query = query.where(Property.stage == stage)
    pattern = contains_pattern(q)
    if pattern:
        # Minimal text filter until the leads domain brings full-text search.
        query = query.where(
            or_(
                Property.address.ilike(pattern),
                Property.city.ilike(pattern),
                Property.zip_code.ilike(pattern),
                Property.apn.ilike(pattern),
            )
        )
    return await keyset_page(
        session, query, created=Property.created_at, row_id=Property.id, limit=limit, cursor=cursor
    )
