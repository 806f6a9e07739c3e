"""Properties API: one property, its pipeline moves, trash, merge, provenance, data flags,
notes and timeline; the team's custom field definitions. The list lives in listing_routes."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Query, Response, status

from reos.deps import Deleter, Editor, Reader, SessionDep, TeamManager
from reos.errors import BadRequest
from reos.kit.routing import DocstringRoute
from reos.properties import service as properties
from reos.properties.schemas import (
    CustomFieldCreate,
    CustomFieldRead,
    CustomFieldUpdate,
    FieldOrigin,
    FlagCreate,
    FlagRead,
    FlagStatus,
    FlagUpdate,
    MergeRequest,
    MergeResult,
    PropertyCreate,
    PropertyRead,
    PropertyUpdate,
    StageChange,
)
from reos.timeline import service as timeline
from reos.timeline.schemas import NoteCreate, NoteRead, TimelineItemRead, TimelinePage

router = APIRouter(prefix="/api/v1/properties", tags=["properties"], route_class=DocstringRoute)
custom_fields_router = APIRouter(
    prefix="/api/v1/custom-fields", tags=["properties"], route_class=DocstringRoute
)
flags_router = APIRouter(prefix="/api/v1/flags", tags=["properties"], route_class=DocstringRoute)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_property(body: PropertyCreate, principal: Editor, session: SessionDep) -> PropertyRead:
    """Create a property (its street line normalised to USPS Publication 28)."""
    prop = await properties.create_property(
        session, team_id=principal.team_id, created_by_id=principal.membership.id, data=body
    )
    return PropertyRead.model_validate(prop)


@router.get("/{property_id}")
async def get_property(
    property_id: uuid.UUID, principal: Reader, session: SessionDep, include_deleted: bool = False
) -> PropertyRead:
    """Show one property (`include_deleted=true` also finds it in the trash)."""
    prop = await properties.get_property_or_raise(
        session,
        team_id=principal.team_id,
        property_id=property_id,
        viewer=principal.membership,
        include_deleted=include_deleted,
    )
    return PropertyRead.model_validate(prop)


@router.patch("/{property_id}")
async def update_property(
    property_id: uuid.UUID, body: PropertyUpdate, principal: Editor, session: SessionDep
) -> PropertyRead:
    """Change some fields of a property; each change is recorded with who made it and when."""
    prop = await properties.update_property(
        session, team_id=principal.team_id, property_id=property_id, data=body, viewer=principal.membership
    )
    return PropertyRead.model_validate(prop)


@router.delete("/{property_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_property(property_id: uuid.UUID, principal: Deleter, session: SessionDep) -> Response:
    """Move a property to the trash (restore brings it back)."""
    await properties.delete_property(
        session,
        team_id=principal.team_id,
        property_id=property_id,
        actor_account_id=principal.account.id,
        viewer=principal.membership,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{property_id}/restore")
async def restore_property(property_id: uuid.UUID, principal: Deleter, session: SessionDep) -> PropertyRead:
    """Bring a property back from the trash."""
    prop = await properties.restore_property(
        session,
        team_id=principal.team_id,
        property_id=property_id,
        actor_account_id=principal.account.id,
        viewer=principal.membership,
    )
    return PropertyRead.model_validate(prop)


@router.post("/{property_id}/stage")
async def change_stage(
    property_id: uuid.UUID, body: StageChange, principal: Editor, session: SessionDep
) -> PropertyRead:
    """Move a lead to another pipeline stage, with a reason (422 names the allowed moves)."""
    prop = await properties.get_property_or_raise(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership
    )
    await properties.change_stage(
        session,
        team_id=principal.team_id,
        prop=prop,
        to_stage=body.stage,
        reason=body.reason,
        actor_id=principal.membership.id,
    )
    return PropertyRead.model_validate(prop)


@router.post("/{property_id}/merge")
async def merge_property(
    property_id: uuid.UUID, body: MergeRequest, principal: Deleter, session: SessionDep
) -> MergeResult:
    """Merge a duplicate into this property: its contacts, notes, tasks, flags, lists and
    history move here, missing fields are filled, and the duplicate goes to the trash."""
    keep, filled, moved = await properties.merge_properties(
        session,
        team_id=principal.team_id,
        keep_id=property_id,
        duplicate_id=body.duplicate_id,
        viewer=principal.membership,
        actor_account_id=principal.account.id,
    )
    return MergeResult(property=PropertyRead.model_validate(keep), filled=filled, moved=moved)


@router.get("/{property_id}/provenance")
async def get_provenance(property_id: uuid.UUID, principal: Reader, session: SessionDep) -> list[FieldOrigin]:
    """Where each field's value came from: source, who and when."""
    prop = await properties.get_property_or_raise(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership
    )
    origins = await properties.field_origins(session, team_id=principal.team_id, prop=prop)
    return [FieldOrigin.model_validate(o, from_attributes=True) for o in origins]


@router.get("/{property_id}/flags")
async def list_property_flags(
    property_id: uuid.UUID, principal: Reader, session: SessionDep
) -> list[FlagRead]:
    """List the data flags raised on a property, newest first."""
    await properties.get_property_or_raise(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership
    )
    rows = await properties.list_flags(session, team_id=principal.team_id, property_id=property_id)
    return [FlagRead.model_validate(f) for f in rows]


@router.post("/{property_id}/flags", status_code=status.HTTP_201_CREATED)
async def raise_flag(
    property_id: uuid.UUID, body: FlagCreate, principal: Editor, session: SessionDep
) -> FlagRead:
    """Report that a field of this property looks wrong."""
    flag = await properties.raise_flag(
        session, team_id=principal.team_id, property_id=property_id, data=body, viewer=principal.membership
    )
    return FlagRead.model_validate(flag)


@router.get("/{property_id}/timeline")
async def get_timeline(
    property_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    before: datetime | None = Query(default=None, description="`next_before` of the previous page"),
    before_id: uuid.UUID | None = Query(default=None, description="`next_before_id` of the previous page"),
    limit: int = Query(default=50, ge=1, le=200),
) -> TimelinePage:
    """The property's notes and events (stage changes, edits, tasks, merges), newest first."""
    await properties.get_property_or_raise(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership
    )
    if (before is None) != (before_id is None):
        raise BadRequest("before and before_id go together", details={"field": "before_id"})
    items = await timeline.property_timeline(
        session,
        team_id=principal.team_id,
        property_id=property_id,
        limit=limit,
        before=(before, before_id) if before is not None and before_id is not None else None,
    )
    last = items[-1] if len(items) == limit else None
    return TimelinePage(
        items=[TimelineItemRead.model_validate(i, from_attributes=True) for i in items],
        next_before=last.at if last else None,
        next_before_id=last.id if last else None,
    )


@router.post("/{property_id}/notes", status_code=status.HTTP_201_CREATED)
async def add_note(
    property_id: uuid.UUID, body: NoteCreate, principal: Editor, session: SessionDep
) -> NoteRead:
    """Add a note to the property's timeline."""
    note = await properties.add_note(
        session,
        team_id=principal.team_id,
        property_id=property_id,
        body=body.body,
        viewer=principal.membership,
    )
    return NoteRead.model_validate(note)


@flags_router.get("")
async def list_flags(
    principal: Reader, session: SessionDep, status: FlagStatus | None = None
) -> list[FlagRead]:
    """List the team's data flags, newest first (e.g. `status=open` for the review queue)."""
    rows = await properties.list_flags(session, team_id=principal.team_id, status=status)
    return [FlagRead.model_validate(f) for f in rows]


@flags_router.patch("/{flag_id}")
async def resolve_flag(
    flag_id: uuid.UUID, body: FlagUpdate, principal: Editor, session: SessionDep
) -> FlagRead:
    """Confirm, fix, reject or reopen a data flag."""
    flag = await properties.resolve_flag(
        session, team_id=principal.team_id, flag_id=flag_id, data=body, viewer=principal.membership
    )
    return FlagRead.model_validate(flag)


@custom_fields_router.get("")
async def list_custom_fields(principal: Reader, session: SessionDep) -> list[CustomFieldRead]:
    """List the team's custom property fields in display order."""
    rows = await properties.custom_field_definitions(session, team_id=principal.team_id)
    return [CustomFieldRead.model_validate(d) for d in rows]


@custom_fields_router.post("", status_code=status.HTTP_201_CREATED)
async def create_custom_field(
    body: CustomFieldCreate, principal: TeamManager, session: SessionDep
) -> CustomFieldRead:
    """Define a custom property field (text, number, date, boolean or choice)."""
    definition = await properties.create_custom_field(session, team_id=principal.team_id, data=body)
    return CustomFieldRead.model_validate(definition)


@custom_fields_router.patch("/{field_id}")
async def update_custom_field(
    field_id: uuid.UUID, body: CustomFieldUpdate, principal: TeamManager, session: SessionDep
) -> CustomFieldRead:
    """Rename, reorder or change the choices of a custom field (its key and type stay)."""
    definition = await properties.update_custom_field(
        session, team_id=principal.team_id, field_id=field_id, data=body
    )
    return CustomFieldRead.model_validate(definition)


@custom_fields_router.delete("/{field_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_custom_field(field_id: uuid.UUID, principal: TeamManager, session: SessionDep) -> Response:
    """Remove a custom field and its values from every property."""
    await properties.delete_custom_field(session, team_id=principal.team_id, field_id=field_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
