"""Properties: create, read, list (keyset), update, delete — always inside one team."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reos.audit import service as audit
from reos.errors import NotFound, Unprocessable
from reos.events import service as events
from reos.kit import clock
from reos.kit.patch import sent_changes
from reos.properties.models import STAGES, Property
from reos.properties.schemas import PropertyCreate, PropertyUpdate
from reos.teams.models import Membership, Role, Team


async def create_property(
    session: AsyncSession, *, team_id: uuid.UUID, created_by_id: uuid.UUID | None, data: PropertyCreate
) -> Property:
    await _check_assignee(session, team_id=team_id, assignee=data.assigned_to_id)
    prop = Property(team_id=team_id, created_by_id=created_by_id, **data.model_dump())
    session.add(prop)
    await session.flush()
    await events.publish(session, team_id=team_id, type="counts.changed", data={"what": "properties"})
    return prop


async def visible(
    session: AsyncSession, query: Select[Any], *, team_id: uuid.UUID, viewer: Membership | None
) -> Select[Any]:
    """Agents see only the leads assigned to them when the team says so; a lead they may not
    see answers like one that does not exist (404, never 403)."""
    if viewer is None or viewer.role != Role.agent:
        return query
    team = await session.get(Team, team_id)
    if team is not None and team.agents_see_assigned_only:
        return query.where(Property.assigned_to_id == viewer.id)
    return query


async def _check_assignee(session: AsyncSession, *, team_id: uuid.UUID, assignee: uuid.UUID | None) -> None:
    if assignee is None:
        return
    active = await session.scalar(
        select(Membership.id).where(
            Membership.team_id == team_id, Membership.id == assignee, Membership.is_active
        )
    )
    if active is None:
        raise Unprocessable(
            "assigned_to_id is not an active member of this team", details={"field": "assigned_to_id"}
        )


async def get_property(
    session: AsyncSession, *, team_id: uuid.UUID, property_id: uuid.UUID, viewer: Membership | None = None
) -> Property | None:
    query = select(Property).where(Property.team_id == team_id, Property.id == property_id)
    prop: Property | None = await session.scalar(
        await visible(session, query, team_id=team_id, viewer=viewer)
    )
    return prop


async def get_property_or_raise(
    session: AsyncSession, *, team_id: uuid.UUID, property_id: uuid.UUID, viewer: Membership | None = None
) -> Property:
    prop = await get_property(session, team_id=team_id, property_id=property_id, viewer=viewer)
    if prop is None:
        raise NotFound("property not found", details={"id": str(property_id)})
    return prop


async def update_property(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    property_id: uuid.UUID,
    data: PropertyUpdate,
    viewer: Membership | None = None,
) -> Property:
    prop = await get_property_or_raise(session, team_id=team_id, property_id=property_id, viewer=viewer)
    changes = sent_changes(data, not_null={"address", "city", "state", "zip_code", "stage"})
    if "assigned_to_id" in changes:
        await _check_assignee(session, team_id=team_id, assignee=changes["assigned_to_id"])
    for field, value in changes.items():
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
    viewer: Membership | None = None,
) -> None:
    prop = await get_property_or_raise(session, team_id=team_id, property_id=property_id, viewer=viewer)
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
