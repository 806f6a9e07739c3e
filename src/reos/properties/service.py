"""Properties: create, read, list (keyset), update, delete — always inside one team."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from reos.audit import service as audit
from reos.errors import BadRequest, NotFound
from reos.events import service as events
from reos.kit import clock
from reos.kit.pagination import keyset_page
from reos.properties.models import STAGES, Property
from reos.properties.schemas import PropertyCreate, PropertyUpdate


async def create_property(
    session: AsyncSession, *, team_id: uuid.UUID, created_by_id: uuid.UUID | None, data: PropertyCreate
) -> Property:
    prop = Property(team_id=team_id, created_by_id=created_by_id, **data.model_dump())
    session.add(prop)
    await session.flush()
    await events.publish(session, team_id=team_id, type="counts.changed", data={"what": "properties"})
    return prop


async def get_property(
    session: AsyncSession, *, team_id: uuid.UUID, property_id: uuid.UUID
) -> Property | None:
    return await session.scalar(
        select(Property).where(Property.team_id == team_id, Property.id == property_id)
    )


async def get_property_or_raise(
    session: AsyncSession, *, team_id: uuid.UUID, property_id: uuid.UUID
) -> Property:
    prop = await get_property(session, team_id=team_id, property_id=property_id)
    if prop is None:
        raise NotFound("property not found", details={"id": str(property_id)})
    return prop


async def list_properties(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    q: str | None = None,
    stage: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[Property], str | None]:
    query = select(Property).where(Property.team_id == team_id)
    if stage:
        query = query.where(Property.stage == stage)
    if q and q.strip():
        # Minimal text filter until the leads domain brings full-text search.
        escaped = q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
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


async def update_property(
    session: AsyncSession, *, team_id: uuid.UUID, property_id: uuid.UUID, data: PropertyUpdate
) -> Property:
    prop = await get_property_or_raise(session, team_id=team_id, property_id=property_id)
    changes = data.model_dump(exclude_unset=True)
    required = {"address", "city", "state", "zip_code", "stage"}
    for field, value in changes.items():
        if value is None and field in required:
            raise BadRequest(f"{field} cannot be null", details={"field": field})
        setattr(prop, field, value)
    if changes:
        prop.updated_at = clock.now()
    await session.flush()
    if "stage" in changes or "estimated_value" in changes:
        await events.publish(session, team_id=team_id, type="counts.changed", data={"what": "properties"})
    return prop


async def delete_property(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    property_id: uuid.UUID,
    actor_account_id: uuid.UUID | None = None,
) -> None:
    prop = await get_property_or_raise(session, team_id=team_id, property_id=property_id)
    await session.delete(prop)
    await session.flush()
    await audit.record(
        session,
        action="property.deleted",
        team_id=team_id,
        actor_account_id=actor_account_id,
        target_type="property",
        target_id=property_id,
        details={"address": prop.address, "city": prop.city, "state": prop.state, "zip_code": prop.zip_code},
    )
    await events.publish(session, team_id=team_id, type="counts.changed", data={"what": "properties"})


@dataclass(frozen=True)
class StageSummary:
    stage: str
    count: int
    estimated_value: Decimal


async def stage_summary(session: AsyncSession, *, team_id: uuid.UUID) -> list[StageSummary]:
    """Count properties and sum their estimated values per pipeline stage, every stage listed."""
    rows = await session.execute(
        select(Property.stage, func.count(), func.coalesce(func.sum(Property.estimated_value), 0))
        .where(Property.team_id == team_id)
        .group_by(Property.stage)
    )
    found = {stage: (count, Decimal(total or 0)) for stage, count, total in rows}
    return [StageSummary(stage, *found.get(stage, (0, Decimal(0)))) for stage in STAGES]
