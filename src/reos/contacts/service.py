"""Contacts, their points and their roles on properties — always inside one team."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import ARRAY, ColumnElement, Select, Text, any_, func, literal, or_, select
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
from reos.kit.text import contains_pattern, email_prefix, local_numbers, phone_prefix, words_query
from reos.properties import service as properties
from reos.properties.models import Property
from reos.teams.models import Membership, Role, Team
from reos.timeline import service as timeline
from reos.timeline.models import Note

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


async def _scoped(session: AsyncSession, query: Any, *, team_id: uuid.UUID, viewer: Membership | None) -> Any:
    """An agent limited to assigned leads sees the contacts of those leads, and contacts on no
    lead at all (one just created, before it is linked)."""
    if viewer is None or viewer.role != Role.agent:
        return query
    team = await session.get(Team, team_id)
    if team is None or not team.agents_see_assigned_only:
        return query
    linked_anywhere = select(PropertyContact.contact_id).where(PropertyContact.team_id == team_id)
    return query.where(
        Contact.id.not_in(linked_anywhere)
        | Contact.id.in_(
            select(PropertyContact.contact_id)
            .join(
                Property,
                (Property.team_id == PropertyContact.team_id) & (Property.id == PropertyContact.property_id),
            )
            .where(
                PropertyContact.team_id == team_id,
                Property.assigned_to_id == viewer.id,
                Property.deleted_at.is_(None),
            )
        )
    )


async def get_contact(
    session: AsyncSession, *, team_id: uuid.UUID, contact_id: uuid.UUID, viewer: Membership | None = None
) -> Contact | None:
    query = (
        select(Contact)
        .where(Contact.team_id == team_id, Contact.id == contact_id)
        .options(selectinload(Contact.points))
        .execution_options(populate_existing=True)
    )
    contact: Contact | None = await session.scalar(
        await _scoped(session, query, team_id=team_id, viewer=viewer)
    )
    return contact


async def get_contact_or_raise(
    session: AsyncSession, *, team_id: uuid.UUID, contact_id: uuid.UUID, viewer: Membership | None = None
) -> Contact:
    contact = await get_contact(session, team_id=team_id, contact_id=contact_id, viewer=viewer)
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
    query = await _scoped(
        session,
        select(Contact).where(Contact.team_id == team_id).options(selectinload(Contact.points)),
        team_id=team_id,
        viewer=viewer,
    )
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
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    contact_id: uuid.UUID,
    data: ContactUpdate,
    viewer: Membership | None = None,
) -> Contact:
    contact = await get_contact_or_raise(session, team_id=team_id, contact_id=contact_id, viewer=viewer)
    changes = sent_changes(data, not_null={"kind"})
    for field, value in changes.items():
        setattr(contact, field, value)
    _check_names(contact)
    if changes:
        contact.updated_at = clock.now()
    await session.flush()
    if MAILING_FACTS.intersection(changes):
        linked = await _linked_properties(session, team_id=team_id, contact_ids=[contact.id])
        await properties.facts_changed(session, team_id=team_id, property_ids=linked)
    return contact


# A contact's fields the derived signals read (absentee and out-of-state owners).
MAILING_FACTS = frozenset({"street", "city", "state", "zip_code"})


async def _linked_properties(
    session: AsyncSession, *, team_id: uuid.UUID, contact_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    """The properties these contacts hold a role on, once each: whose derived signals read them."""
    found = await session.scalars(
        select(PropertyContact.property_id)
        .where(PropertyContact.team_id == team_id, PropertyContact.contact_id.in_(contact_ids))
        .distinct()
    )
    return list(found)


async def delete_contact(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    contact_id: uuid.UUID,
    actor_account_id: uuid.UUID | None,
    viewer: Membership | None = None,
) -> None:
    """Delete a contact; its points and property roles go with it (ON DELETE CASCADE), and the
    leads it owned are rescored (an owner's mailing address makes a lead absentee)."""
    contact = await get_contact_or_raise(session, team_id=team_id, contact_id=contact_id, viewer=viewer)
    details: dict[str, Any] = {
        "kind": contact.kind,
        "name": contact.entity_name or " ".join(n for n in (contact.first_name, contact.last_name) if n),
        "points": [p.value for p in contact.points],
    }
    linked = await _linked_properties(session, team_id=team_id, contact_ids=[contact.id])
    await session.delete(contact)
    await session.flush()
    if linked:
        await properties.facts_changed(session, team_id=team_id, property_ids=linked)
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
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    contact_id: uuid.UUID,
    point_id: uuid.UUID,
    viewer: Membership | None = None,
) -> ContactPoint:
    await get_contact_or_raise(session, team_id=team_id, contact_id=contact_id, viewer=viewer)
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
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    contact_id: uuid.UUID,
    data: ContactPointCreate,
    viewer: Membership | None = None,
) -> ContactPoint:
    # The contact first: another team's contact is a 404 whatever the body says.
    await get_contact_or_raise(session, team_id=team_id, contact_id=contact_id, viewer=viewer)
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


async def add_points(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    contact_id: uuid.UUID,
    points: Sequence[ContactPointCreate],
    viewer: Membership | None = None,
) -> list[ContactPoint]:
    """Several points of one contact, all or none (a savepoint): a refused email does not leave
    the phone typed beside it."""
    async with session.begin_nested():
        return [
            await add_point(session, team_id=team_id, contact_id=contact_id, data=point, viewer=viewer)
            for point in points
        ]


async def add_owner(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    property_id: uuid.UUID,
    person: ContactCreate,
    role: str,
    points: Sequence[ContactPointCreate] = (),
    viewer: Membership | None = None,
) -> Contact:
    """A new contact with its role on a property and its points, all or nothing (a savepoint),
    so a refused phone leaves no nameless contact behind."""
    async with session.begin_nested():
        contact = await create_contact(session, team_id=team_id, data=person)
        link = PropertyContactCreate.model_validate({"contact_id": contact.id, "role": role})
        await link_contact(session, team_id=team_id, property_id=property_id, data=link, viewer=viewer)
        await add_points(session, team_id=team_id, contact_id=contact.id, points=points)
    return contact


async def update_point(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    contact_id: uuid.UUID,
    point_id: uuid.UUID,
    data: ContactPointUpdate,
    viewer: Membership | None = None,
) -> ContactPoint:
    point = await get_point_or_raise(
        session, team_id=team_id, contact_id=contact_id, point_id=point_id, viewer=viewer
    )
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
    viewer: Membership | None = None,
) -> None:
    point = await get_point_or_raise(
        session, team_id=team_id, contact_id=contact_id, point_id=point_id, viewer=viewer
    )
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
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    property_id: uuid.UUID,
    viewer: Membership | None = None,
    include_deleted: bool = False,
) -> list[PropertyContact]:
    await properties.get_property_or_raise(
        session, team_id=team_id, property_id=property_id, viewer=viewer, include_deleted=include_deleted
    )
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
    # Scoped: an agent limited to assigned leads cannot reach another lead's owner by linking it.
    await get_contact_or_raise(session, team_id=team_id, contact_id=data.contact_id, viewer=viewer)
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
    await properties.facts_changed(session, team_id=team_id, property_ids=[property_id])
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
    await properties.facts_changed(session, team_id=team_id, property_ids=[property_id])
    await audit.record(
        session,
        action="contact.unlinked",
        team_id=team_id,
        actor_account_id=actor_account_id,
        target_type="property_contact",
        target_id=link_id,
        details={"property_id": str(property_id), "contact_id": str(link.contact_id), "role": link.role},
    )


# --- merge ---------------------------------------------------------------------------------------

_MERGE_FILL = ("first_name", "last_name", "entity_name", "street", "city", "state", "zip_code")
# Rows unique per contact (and these other columns): a repeat on the kept contact is dropped.
_UNIQUE_LINKS: dict[str, tuple[str, ...]] = {
    "property_contacts": ("property_id", "role"),
    "contact_holds": (),
}


async def merge_contacts(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    keep_id: uuid.UUID,
    duplicate_id: uuid.UUID,
    viewer: Membership | None,
    actor_account_id: uuid.UUID | None,
) -> tuple[Contact, list[str], dict[str, int]]:
    """Fold a duplicate contact into the kept one: phones, emails, property roles, notes, tasks
    and every compliance record (opt-outs, consent, holds, attempts) move over; empty fields are
    filled from the duplicate; the duplicate is deleted. Nothing the governor relies on is lost:
    an opt-out of either person applies to the merged one."""
    if keep_id == duplicate_id:
        raise Unprocessable("a contact cannot be merged into itself", details={"field": "duplicate_id"})
    keep = await get_contact_or_raise(session, team_id=team_id, contact_id=keep_id, viewer=viewer)
    dup = await get_contact(session, team_id=team_id, contact_id=duplicate_id, viewer=viewer)
    if dup is None:
        raise Unprocessable("duplicate_id is not a contact of this team", details={"field": "duplicate_id"})
    if keep.kind != dup.kind:
        raise Unprocessable(
            f"cannot merge a {dup.kind} into a {keep.kind}", details={"field": "duplicate_id"}
        )
    filled = [f for f in _MERGE_FILL if getattr(keep, f) is None and getattr(dup, f) is not None]
    for field in filled:
        setattr(keep, field, getattr(dup, field))
    if dup.notes:
        keep.notes = f"{keep.notes}\n\n{dup.notes}" if keep.notes else dup.notes
    # The duplicate's primary points stop being primary where the kept contact has its own.
    kinds_with_primary = {p.kind for p in keep.points if p.is_primary}
    for point in dup.points:
        if point.is_primary and point.kind in kinds_with_primary:
            point.is_primary = False
    keep.updated_at = clock.now()
    await session.flush()
    # Both people's leads, read before the move: a role the kept person already had is dropped
    # as a repeat, not counted as moved, and its lead may still change (the mailing address).
    linked = await _linked_properties(session, team_id=team_id, contact_ids=[keep.id, dup.id])
    moved = await properties.move_references(
        session,
        team_id=team_id,
        table="contacts",
        keep_id=keep.id,
        duplicate_id=dup.id,
        unique_links=_UNIQUE_LINKS,
    )
    name = dup.entity_name or " ".join(n for n in (dup.first_name, dup.last_name) if n)
    await session.delete(dup)
    await session.flush()
    if linked:
        # One person now where two were: absentee and out of state follow on every lead of theirs.
        await properties.facts_changed(session, team_id=team_id, property_ids=linked)
    await audit.record(
        session,
        action="contact.merged",
        team_id=team_id,
        actor_account_id=actor_account_id,
        target_type="contact",
        target_id=keep.id,
        details={"duplicate_id": str(duplicate_id), "name": name, "filled": filled, "moved": moved},
    )
    return await get_contact_or_raise(session, team_id=team_id, contact_id=keep.id), filled, moved


async def add_note(
    session: AsyncSession, *, team_id: uuid.UUID, contact_id: uuid.UUID, body: str, viewer: Membership | None
) -> Any:
    await get_contact_or_raise(session, team_id=team_id, contact_id=contact_id, viewer=viewer)
    return await timeline.add_note(
        session,
        team_id=team_id,
        author_id=viewer.id if viewer is not None else None,
        body=body,
        contact_id=contact_id,
    )


def contacts_with_point(team_id: uuid.UUID, text: str) -> Select[uuid.UUID] | None:
    """The team's contacts with a phone or email that typed text finds: the start of a number
    or an address, or a seven-digit local number in any area code. None: the text names none."""
    clauses: list[ColumnElement[bool]] = [
        ContactPoint.value.startswith(prefix, autoescape=True)
        for prefix in sorted({p for p in (phone_prefix(text), email_prefix(text)) if p})
    ]
    numbers = local_numbers(text)
    if numbers:
        # One array parameter (an index probe per area code), not hundreds of bound values.
        clauses.append(ContactPoint.value == any_(literal(numbers, ARRAY(Text))))
    if not clauses:
        return None
    return select(ContactPoint.contact_id).where(ContactPoint.team_id == team_id, or_(*clauses))


async def search_contacts(
    session: AsyncSession, *, team_id: uuid.UUID, text: str, limit: int, viewer: Membership | None
) -> list[Contact]:
    """Contacts whose names match every word (as prefixes) or whose phone or email starts with
    what was typed; full-text and prefix indexes, case-insensitive."""
    clauses = []
    tsquery = words_query(text)
    if tsquery is not None:
        clauses.append(Contact.search.op("@@")(func.to_tsquery("simple", tsquery)))
    with_point = contacts_with_point(team_id, text)
    if with_point is not None:
        clauses.append(Contact.id.in_(with_point))
    if not clauses:
        return []
    query = (
        select(Contact)
        .where(Contact.team_id == team_id, or_(*clauses))
        .options(selectinload(Contact.points))
        .order_by(Contact.last_name, Contact.first_name, Contact.entity_name, Contact.id)
        .limit(limit)
    )
    rows = await session.scalars(await _scoped(session, query, team_id=team_id, viewer=viewer))
    return list(rows)


async def contact_properties(
    session: AsyncSession, *, team_id: uuid.UUID, contact_id: uuid.UUID, viewer: Membership | None
) -> list[tuple[PropertyContact, Property]]:
    """Every live property the contact has a role on (that the viewer may see), with the role."""
    query = (
        select(PropertyContact, Property)
        .join(
            Property,
            (Property.team_id == PropertyContact.team_id) & (Property.id == PropertyContact.property_id),
        )
        .where(
            PropertyContact.team_id == team_id,
            PropertyContact.contact_id == contact_id,
            Property.deleted_at.is_(None),
        )
        .order_by(Property.address, PropertyContact.role)
    )
    rows = await session.execute(await properties.visible(session, query, team_id=team_id, viewer=viewer))
    return [(row[0], row[1]) for row in rows]


async def contact_notes(session: AsyncSession, *, team_id: uuid.UUID, contact_id: uuid.UUID) -> list[Note]:
    rows = await session.scalars(
        select(Note)
        .where(Note.team_id == team_id, Note.contact_id == contact_id)
        .order_by(Note.created_at.desc(), Note.id)
        .limit(100)
    )
    return list(rows)
