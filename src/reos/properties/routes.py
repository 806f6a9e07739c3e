"""Properties API (the minimal slice; the leads domain widens it)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from reos.deps import Deleter, Editor, Reader, SessionDep
from reos.kit.routing import DocstringRoute
from reos.properties import service as properties
from reos.properties.schemas import PropertyCreate, PropertyRead, PropertyUpdate

router = APIRouter(prefix="/api/v1/properties", tags=["properties"], route_class=DocstringRoute)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_property(body: PropertyCreate, principal: Editor, session: SessionDep) -> PropertyRead:
    """Create a property."""
    prop = await properties.create_property(
        session, team_id=principal.team_id, created_by_id=principal.membership.id, data=body
    )
    return PropertyRead.model_validate(prop)


@router.get("/{property_id}")
async def get_property(property_id: uuid.UUID, principal: Reader, session: SessionDep) -> PropertyRead:
    """Show one property."""
    prop = await properties.get_property_or_raise(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership
    )
    return PropertyRead.model_validate(prop)


@router.patch("/{property_id}")
async def update_property(
    property_id: uuid.UUID, body: PropertyUpdate, principal: Editor, session: SessionDep
) -> PropertyRead:
    """Change some fields of a property."""
    prop = await properties.update_property(
        session, team_id=principal.team_id, property_id=property_id, data=body, viewer=principal.membership
    )
    return PropertyRead.model_validate(prop)


@router.delete("/{property_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_property(property_id: uuid.UUID, principal: Deleter, session: SessionDep) -> Response:
    """Delete a property."""
    await properties.delete_property(
        session,
        team_id=principal.team_id,
        property_id=property_id,
        actor_account_id=principal.account.id,
        viewer=principal.membership,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
