"""Contacts API: contacts and their points, and their roles on properties."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Response, status

from reos.contacts import service as contacts
from reos.contacts.schemas import (
    ContactCreate,
    ContactMergeRequest,
    ContactMergeResult,
    ContactPage,
    ContactPointCreate,
    ContactPointRead,
    ContactPointUpdate,
    ContactRead,
    ContactUpdate,
    PropertyContactCreate,
    PropertyContactRead,
)
from reos.deps import Deleter, Editor, Reader, SessionDep
from reos.kit.routing import DocstringRoute
from reos.timeline.schemas import NoteCreate, NoteRead

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"], route_class=DocstringRoute)
# A property's contacts live under the property, where the agents' assigned-only rule applies.
property_router = APIRouter(prefix="/api/v1/properties", tags=["contacts"], route_class=DocstringRoute)


@router.get("")
async def list_contacts(
    principal: Reader,
    session: SessionDep,
    q: str | None = Query(default=None, max_length=200),
    property_id: uuid.UUID | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> ContactPage:
    """List the team's contacts, newest first, one keyset page at a time."""
    rows, next_cursor = await contacts.list_contacts(
        session,
        team_id=principal.team_id,
        q=q,
        property_id=property_id,
        limit=limit,
        cursor=cursor,
        viewer=principal.membership,
    )
    return ContactPage(items=[ContactRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_contact(body: ContactCreate, principal: Editor, session: SessionDep) -> ContactRead:
    """Create a contact (a person or an entity)."""
    contact = await contacts.create_contact(session, team_id=principal.team_id, data=body)
    return ContactRead.model_validate(contact)


@router.get("/{contact_id}")
async def get_contact(contact_id: uuid.UUID, principal: Reader, session: SessionDep) -> ContactRead:
    """Show one contact with its phones and emails."""
    contact = await contacts.get_contact_or_raise(
        session, team_id=principal.team_id, contact_id=contact_id, viewer=principal.membership
    )
    return ContactRead.model_validate(contact)


@router.patch("/{contact_id}")
async def update_contact(
    contact_id: uuid.UUID, body: ContactUpdate, principal: Editor, session: SessionDep
) -> ContactRead:
    """Change some fields of a contact."""
    contact = await contacts.update_contact(
        session, team_id=principal.team_id, contact_id=contact_id, data=body, viewer=principal.membership
    )
    return ContactRead.model_validate(contact)


@router.delete("/{contact_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_contact(contact_id: uuid.UUID, principal: Deleter, session: SessionDep) -> Response:
    """Delete a contact with its phones, emails and property roles."""
    await contacts.delete_contact(
        session,
        team_id=principal.team_id,
        contact_id=contact_id,
        actor_account_id=principal.account.id,
        viewer=principal.membership,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{contact_id}/merge")
async def merge_contact(
    contact_id: uuid.UUID, body: ContactMergeRequest, principal: Deleter, session: SessionDep
) -> ContactMergeResult:
    """Merge a duplicate contact into this one: phones, emails, roles, notes, tasks and
    compliance records move here; the duplicate is deleted."""
    contact, filled, moved = await contacts.merge_contacts(
        session,
        team_id=principal.team_id,
        keep_id=contact_id,
        duplicate_id=body.duplicate_id,
        viewer=principal.membership,
        actor_account_id=principal.account.id,
    )
    return ContactMergeResult(contact=ContactRead.model_validate(contact), filled=filled, moved=moved)


@router.post("/{contact_id}/notes", status_code=status.HTTP_201_CREATED)
async def add_contact_note(
    contact_id: uuid.UUID, body: NoteCreate, principal: Editor, session: SessionDep
) -> NoteRead:
    """Add a note about a contact."""
    note = await contacts.add_note(
        session, team_id=principal.team_id, contact_id=contact_id, body=body.body, viewer=principal.membership
    )
    return NoteRead.model_validate(note)


@router.post("/{contact_id}/points", status_code=status.HTTP_201_CREATED)
async def add_point(
    contact_id: uuid.UUID, body: ContactPointCreate, principal: Editor, session: SessionDep
) -> ContactPointRead:
    """Add a phone or an email to a contact."""
    point = await contacts.add_point(
        session, team_id=principal.team_id, contact_id=contact_id, data=body, viewer=principal.membership
    )
    return ContactPointRead.model_validate(point)


@router.patch("/{contact_id}/points/{point_id}")
async def update_point(
    contact_id: uuid.UUID,
    point_id: uuid.UUID,
    body: ContactPointUpdate,
    principal: Editor,
    session: SessionDep,
) -> ContactPointRead:
    """Change a phone or an email of a contact, or its facts."""
    point = await contacts.update_point(
        session,
        team_id=principal.team_id,
        contact_id=contact_id,
        point_id=point_id,
        data=body,
        viewer=principal.membership,
    )
    return ContactPointRead.model_validate(point)


@router.delete("/{contact_id}/points/{point_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_point(
    contact_id: uuid.UUID, point_id: uuid.UUID, principal: Deleter, session: SessionDep
) -> Response:
    """Remove a phone or an email from a contact."""
    await contacts.remove_point(
        session,
        team_id=principal.team_id,
        contact_id=contact_id,
        point_id=point_id,
        actor_account_id=principal.account.id,
        viewer=principal.membership,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@property_router.get("/{property_id}/contacts")
async def list_property_contacts(
    property_id: uuid.UUID, principal: Reader, session: SessionDep
) -> list[PropertyContactRead]:
    """List a property's contacts with their roles."""
    links = await contacts.list_property_contacts(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership
    )
    return [PropertyContactRead.model_validate(link) for link in links]


@property_router.post("/{property_id}/contacts", status_code=status.HTTP_201_CREATED)
async def link_contact(
    property_id: uuid.UUID, body: PropertyContactCreate, principal: Editor, session: SessionDep
) -> PropertyContactRead:
    """Give a contact a role on a property."""
    link = await contacts.link_contact(
        session, team_id=principal.team_id, property_id=property_id, data=body, viewer=principal.membership
    )
    return PropertyContactRead.model_validate(link)


@property_router.delete("/{property_id}/contacts/{link_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unlink_contact(
    property_id: uuid.UUID, link_id: uuid.UUID, principal: Deleter, session: SessionDep
) -> Response:
    """Take a contact's role on a property away."""
    await contacts.unlink_contact(
        session,
        team_id=principal.team_id,
        property_id=property_id,
        link_id=link_id,
        actor_account_id=principal.account.id,
        viewer=principal.membership,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
