"""Contacts, their points and their roles on properties — always inside one team."""

from __future__ import annotations

import uuid
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from reos.audit import service as audit
from reos.contacts.models import Contact, ContactPoint, PropertyContact
from reos.contacts.schemas import (
    ContactCreate,
    ContactPointCreate,
    ContactPointUpdate,
    ContactUpdate,
    PropertyContactCreate,
)
from reos.errors import Conflict, NotFound, Unprocessable
from reos.kit import clock
from reos.kit.pagination import keyset_page
from reos.kit.patch import sent_changes
from reos.kit.text import contains_pattern
from reos.properties import service as properties
from reos.teams.models import Membership

# Phone numbers without a country code are read as North American (the product's market).
DEFAULT_REGION = "US"


def _invalid(field: str, message: str) -> Unprocessable:
    # Same shape as request validation errors, so clients read one list of fields.
    return Unprocessable(f"{field}: {message}", details=[{"field": field, "message": message}])


def normalise_phone(value: str) -> str:
    """E.164 (`+18135550142`), or 422 naming the field."""
    try:
        number = phonenumbers.parse(value, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise _invalid("value", "not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise _invalid("value", "not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str:
    """A syntactically valid address, lower-cased whole (mailboxes are matched case-blind), or
    422 naming the field. Deliverability is not checked here: no DNS in a request."""
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise _invalid("value", str(exc)) from exc
    return checked.normalized.lower()


def normalise_point(kind: str, value: str) -> str:
    return normalise_phone(value) if kind == "phone" else normalise_email(value)


# --- contacts ---------------------------------------------------------------------------------


def _check_names(contact: Contact) -> None:
    if contact.kind == "entity" and not contact.entity_name:
        raise _invalid("entity_name", "an entity needs a name")
    if contact.kind == "person" and not (contact.first_name or contact.last_name):
        raise _invalid("last_name", "a person needs a first or a last name")


async def create_contact(session: AsyncSession, *, team_id: uuid.UUID, data: ContactCreate) -> Contact:
    contact = Contact(team_id=team_id, **data.model_dump())
    _check_names(contact)
    session.add(contact)
    await session.flush()
    return await get_contact_or_raise(session, team_id=team_id, contact_id=contact.id)


async def get_contact(session: AsyncSession, *, team_id: uuid.UUID, contact_id: uuid.UUID) -> Contact | None:
    contact: Contact | None = await session.scalar(
        select(Contact)
        .where(Contact.team_id == team_id, Contact.id == contact_id)
        .options(selectinload(Contact.points))
        .execution_options(populate_existing=True)
    )
    return contact


async def get_contact_or_raise(
    session: AsyncSession, *, team_id: uuid.UUID, contact_id: uuid.UUID
) -> Contact:
    contact = await get_contact(session, team_id=team_id, contact_id=contact_id)
    if contact is None:
        raise NotFound("contact not found", details={"id": str(contact_id)})
    return contact


async def list_contacts(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    q: str | None = None,
    property_id: uuid.UUID | None = None,
    limit: int | None = None,
    cursor: str | None = None,
    viewer: Membership | None = None,
) -> tuple[list[Contact], str | None]:
    query = select(Contact).where(Contact.team_id == team_id).options(selectinload(Contact.points))
    if property_id is not None:
        # A property the viewer may not see answers like one that does not exist.
        await properties.get_property_or_raise(
            session, team_id=team_id, property_id=property_id, viewer=viewer
        )
        query = query.where(
            Contact.id.in_(
                select(PropertyContact.contact_id).where(
                    PropertyContact.team_id == team_id, PropertyContact.property_id == property_id
                )
            )
        )
    pattern = contains_pattern(q)
    if pattern:
        # Minimal text filter until the leads domain brings full-text search.
        full_name = func.concat_ws(" ", Contact.first_name, Contact.last_name)
        query = query.where(
            or_(
                full_name.ilike(pattern), Contact.entity_name.ilike(pattern), Contact.last_name.ilike(pattern)
            )
        )
    return await keyset_page(
        session, query, created=Contact.created_at, row_id=Contact.id, limit=limit, cursor=cursor
    )


async def update_contact(
    session: AsyncSession, *, team_id: uuid.UUID, contact_id: uuid.UUID, data: ContactUpdate
) -> Contact:
    contact = await get_contact_or_raise(session, team_id=team_id, contact_id=contact_id)
    changes = sent_changes(data, not_null={"kind"})
    for field, value in changes.items():
        setattr(contact, field, value)
    _check_names(contact)
    if changes:
        contact.updated_at = clock.now()
    await session.flush()
    return contact


async def delete_contact(
    session: AsyncSession, *, team_id: uuid.UUID, contact_id: uuid.UUID, actor_account_id: uuid.UUID | None
) -> None:
    """Delete a contact; its points and property roles go with it (ON DELETE CASCADE)."""
    contact = await get_contact_or_raise(session, team_id=team_id, contact_id=contact_id)
    details: dict[str, Any] = {
        "kind": contact.kind,
        "name": contact.entity_name or " ".join(n for n in (contact.first_name, contact.last_name) if n),
        "points": [p.value for p in contact.points],
    }
    await session.delete(contact)
    await session.flush()
    await audit.record(
        session,
        action="contact.deleted",
        team_id=team_id,
        actor_account_id=actor_account_id,
        target_type="contact",
        target_id=contact_id,
        details=details,
    )


# --- contact points ---------------------------------------------------------------------------


async def _check_unique(
    session: AsyncSession, *, team_id: uuid.UUID, kind: str, value: str, point_id: uuid.UUID | None = None
) -> None:
    """One point per phone or email in a team: the 409 names who already has it."""
    existing = (
        await session.execute(
            select(ContactPoint.id, ContactPoint.contact_id).where(
                ContactPoint.team_id == team_id, ContactPoint.kind == kind, ContactPoint.value == value
            )
        )
    ).first()
    if existing is not None and existing.id != point_id:
        raise Conflict(
            f"this {kind} already belongs to a contact of the team",
            details={"field": "value", "contact_id": str(existing.contact_id), "point_id": str(existing.id)},
        )


async def _make_only_primary(session: AsyncSession, point: ContactPoint) -> None:
    others = await session.scalars(
        select(ContactPoint).where(
            ContactPoint.team_id == point.team_id,
            ContactPoint.contact_id == point.contact_id,
            ContactPoint.kind == point.kind,
            ContactPoint.id != point.id,
            ContactPoint.is_primary,
        )
    )
    for other in others:
        other.is_primary = False


async def get_point_or_raise(
    session: AsyncSession, *, team_id: uuid.UUID, contact_id: uuid.UUID, point_id: uuid.UUID
) -> ContactPoint:
    point: ContactPoint | None = await session.scalar(
        select(ContactPoint).where(
            ContactPoint.team_id == team_id,
            ContactPoint.contact_id == contact_id,
            ContactPoint.id == point_id,
        )
    )
    if point is None:
        raise NotFound("contact point not found", details={"id": str(point_id)})
    return point


async def add_point(
    session: AsyncSession, *, team_id: uuid.UUID, contact_id: uuid.UUID, data: ContactPointCreate
) -> ContactPoint:
    # The contact first: another team's contact is a 404 whatever the body says.
    await get_contact_or_raise(session, team_id=team_id, contact_id=contact_id)
    value = normalise_point(data.kind, data.value)
    await _check_unique(session, team_id=team_id, kind=data.kind, value=value)
    fields = data.model_dump(exclude={"value", "position"})
    position = data.position
    if position is None:
        last = await session.scalar(
            select(func.max(ContactPoint.position)).where(
                ContactPoint.team_id == team_id, ContactPoint.contact_id == contact_id
            )
        )
        position = 0 if last is None else last + 1
    point = ContactPoint(team_id=team_id, contact_id=contact_id, value=value, position=position, **fields)
    session.add(point)
    await session.flush()
    if point.is_primary:
        await _make_only_primary(session, point)
        await session.flush()
    return point


async def update_point(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    contact_id: uuid.UUID,
    point_id: uuid.UUID,
    data: ContactPointUpdate,
) -> ContactPoint:
    point = await get_point_or_raise(session, team_id=team_id, contact_id=contact_id, point_id=point_id)
    changes = sent_changes(data, not_null={"value", "is_primary", "position", "status", "line_type", "dnc"})
    if "value" in changes:
        changes["value"] = normalise_point(point.kind, changes["value"])
        await _check_unique(
            session, team_id=team_id, kind=point.kind, value=changes["value"], point_id=point.id
        )
    for field, value in changes.items():
        setattr(point, field, value)
    await session.flush()
    if changes.get("is_primary"):
        await _make_only_primary(session, point)
        await session.flush()
    return point


async def remove_point(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    contact_id: uuid.UUID,
    point_id: uuid.UUID,
    actor_account_id: uuid.UUID | None,
) -> None:
    point = await get_point_or_raise(session, team_id=team_id, contact_id=contact_id, point_id=point_id)
    await session.delete(point)
    await session.flush()
    await audit.record(
        session,
        action="contact.point_removed",
        team_id=team_id,
        actor_account_id=actor_account_id,
        target_type="contact_point",
        target_id=point_id,
        details={"contact_id": str(contact_id), "kind": point.kind, "value": point.value},
    )


# --- roles on properties ----------------------------------------------------------------------


def _links_query(team_id: uuid.UUID) -> Any:
    return (
        select(PropertyContact)
        .where(PropertyContact.team_id == team_id)
        .options(selectinload(PropertyContact.contact).selectinload(Contact.points))
    )


async def list_property_contacts(
    session: AsyncSession, *, team_id: uuid.UUID, property_id: uuid.UUID, viewer: Membership | None = None
) -> list[PropertyContact]:
    await properties.get_property_or_raise(session, team_id=team_id, property_id=property_id, viewer=viewer)
    rows = await session.scalars(
        _links_query(team_id)
        .where(PropertyContact.property_id == property_id)
        .order_by(PropertyContact.created_at, PropertyContact.id)
    )
    return list(rows)


async def link_contact(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    property_id: uuid.UUID,
    data: PropertyContactCreate,
    viewer: Membership | None = None,
) -> PropertyContact:
    await properties.get_property_or_raise(session, team_id=team_id, property_id=property_id, viewer=viewer)
    await get_contact_or_raise(session, team_id=team_id, contact_id=data.contact_id)
    existing = await session.scalar(
        select(PropertyContact.id).where(
            PropertyContact.team_id == team_id,
            PropertyContact.property_id == property_id,
            PropertyContact.contact_id == data.contact_id,
            PropertyContact.role == data.role,
        )
    )
    if existing is not None:
        raise Conflict(
            f"the contact is already linked to this property as {data.role}",
            details={"link_id": str(existing)},
        )
    link = PropertyContact(
        team_id=team_id, property_id=property_id, contact_id=data.contact_id, role=data.role
    )
    session.add(link)
    await session.flush()
    found: PropertyContact = (
        await session.scalars(_links_query(team_id).where(PropertyContact.id == link.id))
    ).one()
    return found


async def unlink_contact(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    property_id: uuid.UUID,
    link_id: uuid.UUID,
    actor_account_id: uuid.UUID | None,
    viewer: Membership | None = None,
) -> None:
    await properties.get_property_or_raise(session, team_id=team_id, property_id=property_id, viewer=viewer)
    link: PropertyContact | None = await session.scalar(
        select(PropertyContact).where(
            PropertyContact.team_id == team_id,
            PropertyContact.property_id == property_id,
            PropertyContact.id == link_id,
        )
    )
    if link is None:
        raise NotFound("contact link not found", details={"id": str(link_id)})
    await session.delete(link)
    await session.flush()
    await audit.record(
        session,
        action="contact.unlinked",
        team_id=team_id,
        actor_account_id=actor_account_id,
        target_type="property_contact",
        target_id=link_id,
        details={"property_id": str(property_id), "contact_id": str(link.contact_id), "role": link.role},
    )
