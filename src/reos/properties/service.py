"""Properties: create, read, edit with provenance and timeline, pipeline moves, soft delete and
restore, merge of duplicates, custom fields and data flags — always inside one team."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import Select, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from reos.audit import service as audit
from reos.errors import Conflict, NotFound, Unprocessable
from reos.events import service as events
from reos.imports.models import Import
from reos.kit import clock
from reos.kit.address import normalise_street
from reos.kit.patch import sent_changes
from reos.properties import pipeline
from reos.properties.models import STAGES, CustomField, DataFlag, Property, PropertyLookup
from reos.properties.schemas import (
    CustomFieldCreate,
    CustomFieldUpdate,
    FlagCreate,
    FlagUpdate,
    PropertyCreate,
    PropertyUpdate,
)
from reos.teams.models import Market, Membership, Role, Team
from reos.timeline import service as timeline
from reos.timeline.models import Note

SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])

# Fields a person edits; each edit records its provenance and an `edited` timeline event.
EDITABLE = (
    "address",
    "unit",
    "city",
    "state",
    "zip_code",
    "county",
    "apn",
    "latitude",
    "longitude",
    "property_type",
    "bedrooms",
    "bathrooms",
    "square_feet",
    "lot_size_sqft",
    "year_built",
    "assessed_value",
    "estimated_value",
    "mortgage_balance",
    "last_sale_date",
    "last_sale_price",
    "market_id",
    "tags",
)
# Fields that can carry a data flag or a provenance entry (custom fields as `custom.<key>`).
FLAGGABLE = (*EDITABLE, "stage", "assigned_to_id", "score")
# A custom number field holds less than 10^15 either way, the range the list's filters accept.
CUSTOM_NUMBER_DIGITS = 15


def _plain(value: Any) -> Any:
    """A value as JSON keeps it (timeline data, provenance)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _counts_changed(team_id: uuid.UUID) -> dict[str, Any]:
    return {"team_id": team_id, "type": "counts.changed", "data": {"what": "properties"}}


# --- reading -------------------------------------------------------------------------------------


async def visible(
    session: AsyncSession, query: SelectT, *, team_id: uuid.UUID, viewer: Membership | None
) -> SelectT:
    """Agents see only the leads assigned to them when the team says so; a lead they may not
    see answers like one that does not exist (404, never 403)."""
    if viewer is None or viewer.role != Role.agent:
        return query
    team = await session.get(Team, team_id)
    if team is not None and team.agents_see_assigned_only:
        return query.where(Property.assigned_to_id == viewer.id)
    return query


async def get_property(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    property_id: uuid.UUID,
    viewer: Membership | None = None,
    include_deleted: bool = False,
) -> Property | None:
    query = select(Property).where(Property.team_id == team_id, Property.id == property_id)
    if not include_deleted:
        query = query.where(Property.deleted_at.is_(None))
    prop: Property | None = await session.scalar(
        await visible(session, query, team_id=team_id, viewer=viewer)
    )
    return prop


async def get_property_or_raise(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    property_id: uuid.UUID,
    viewer: Membership | None = None,
    include_deleted: bool = False,
) -> Property:
    prop = await get_property(
        session, team_id=team_id, property_id=property_id, viewer=viewer, include_deleted=include_deleted
    )
    if prop is None:
        raise NotFound("property not found", details={"id": str(property_id)})
    return prop


# --- checks --------------------------------------------------------------------------------------


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


async def _check_market(session: AsyncSession, *, team_id: uuid.UUID, market_id: uuid.UUID | None) -> None:
    if market_id is None:
        return
    found = await session.scalar(select(Market.id).where(Market.team_id == team_id, Market.id == market_id))
    if found is None:
        raise Unprocessable("market_id is not a market of this team", details={"field": "market_id"})


async def custom_field_definitions(session: AsyncSession, *, team_id: uuid.UUID) -> list[CustomField]:
    rows = await session.scalars(
        select(CustomField)
        .where(CustomField.team_id == team_id)
        .order_by(CustomField.position, CustomField.label)
    )
    return list(rows)


def _custom_value(definition: CustomField, value: Any) -> Any:
    """A custom field value checked and stored in its JSON form (numbers as numbers, dates as
    ISO strings); raises ValueError with the reason."""
    kind = definition.type
    if kind == "text":
        if not isinstance(value, str) or len(value) > 2000:
            raise ValueError("expects text of at most 2,000 characters")
        return value
    if kind == "number":
        if isinstance(value, bool):
            raise ValueError("expects a number")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError("expects a number") from None
        if not number.is_finite():
            raise ValueError("expects a finite number")
        # Before int(): "1e10000000" as an int is ten million digits, minutes of CPU on the
        # event loop. The filters compare custom numbers within the same range.
        if number.adjusted() >= CUSTOM_NUMBER_DIGITS:
            raise ValueError(f"is out of range (less than 10^{CUSTOM_NUMBER_DIGITS} either way)")
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "date":
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError("expects a date (YYYY-MM-DD)") from None
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError("expects true or false")
        return value
    if value not in definition.choices:
        raise ValueError("expects one of " + ", ".join(definition.choices))
    return value


async def _checked_custom(
    session: AsyncSession, *, team_id: uuid.UUID, values: dict[str, Any]
) -> dict[str, Any]:
    """Custom values checked against the team's definitions; None means "clear"."""
    if not values:
        return {}
    definitions = {d.key: d for d in await custom_field_definitions(session, team_id=team_id)}
    checked: dict[str, Any] = {}
    for key, value in values.items():
        definition = definitions.get(key)
        if definition is None:
            raise Unprocessable(
                f"custom.{key} is not a custom field of this team",
                details={"field": f"custom.{key}", "known": sorted(definitions)},
            )
        if value is None:
            checked[key] = None
            continue
        try:
            checked[key] = _custom_value(definition, value)
        except ValueError as exc:
            raise Unprocessable(
                f"custom.{key} ({definition.label}) {exc}", details={"field": f"custom.{key}"}
            ) from None
    return checked


def _normalised_address(address: str, unit: str | None) -> tuple[str, str | None]:
    street, second = normalise_street(address, unit)
    if not street:
        raise Unprocessable("address has no street line", details={"field": "address"})
    return street, second


# --- writing -------------------------------------------------------------------------------------


# The property fields the derived signals read (equity, tenure, where the owner gets mail).
SCORED_FACTS = frozenset(
    {"estimated_value", "mortgage_balance", "last_sale_date", "address", "unit", "city", "state", "zip_code"}
)


# Leads rescored in the request when their facts change; beyond this many, by the team's job.
FACTS_CHANGED_AT_ONCE = 200


async def facts_changed(session: AsyncSession, *, team_id: uuid.UUID, property_ids: list[uuid.UUID]) -> None:
    """Rescore properties whose scored facts (their own, or their owners' mailing addresses) just
    changed, so the list and the page show the new score at once and not after the next rescoring."""
    # scoring.service reads properties through this module, so it is imported when first needed.
    from reos.scoring import service as scoring

    wanted = list(dict.fromkeys(property_ids))
    if len(wanted) > FACTS_CHANGED_AT_ONCE:
        # An owner of thousands of leads (a fund, an LLC): one statement per lead would hold the
        # request for minutes; the team's rescoring, queued with this write, does them together.
        from reos.scoring.jobs import defer_rescore

        await defer_rescore(session, team_id=team_id)
        return
    # Each rescoring refreshes the lead if this session holds it.
    for property_id in wanted:
        await scoring.rescore_property(session, team_id=team_id, property_id=property_id)


async def same_place(session: AsyncSession, *, team_id: uuid.UUID, data: PropertyCreate) -> Property | None:
    """The team's live property that an import would take `data` for: the same APN and county,
    else the same street, unit and ZIP (the lookup rows' keys, by the database's own functions)."""
    address, unit = _normalised_address(data.address, data.unit)
    found = await session.execute(
        select(Property)
        .join(
            PropertyLookup, (PropertyLookup.team_id == Property.team_id) & (PropertyLookup.id == Property.id)
        )
        .where(
            Property.team_id == team_id,
            Property.deleted_at.is_(None),
            (PropertyLookup.address_key == func.property_address_key(address, unit, data.zip_code))
            | (PropertyLookup.apn_key == func.property_apn_key(data.apn, data.county)),
        )
        .order_by(Property.created_at)
        .limit(1)
    )
    return found.scalar_one_or_none()


async def create_property(
    session: AsyncSession, *, team_id: uuid.UUID, created_by_id: uuid.UUID | None, data: PropertyCreate
) -> Property:
    await _check_assignee(session, team_id=team_id, assignee=data.assigned_to_id)
    await _check_market(session, team_id=team_id, market_id=data.market_id)
    values = data.model_dump()
    values["address"], values["unit"] = _normalised_address(data.address, data.unit)
    values["custom"] = {
        k: v
        for k, v in (await _checked_custom(session, team_id=team_id, values=data.custom)).items()
        if v is not None
    }
    now = clock.now()
    prop = Property(
        team_id=team_id,
        created_by_id=created_by_id,
        created_at=now,
        updated_at=now,
        stage_changed_at=now,
        **values,
    )
    session.add(prop)
    await session.flush()
    await timeline.record_event(
        session,
        team_id=team_id,
        property_id=prop.id,
        kind="created",
        actor_id=created_by_id,
        data={"stage": prop.stage},
    )
    await facts_changed(session, team_id=team_id, property_ids=[prop.id])
    await events.publish(session, **_counts_changed(team_id))
    return prop


async def update_property(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    property_id: uuid.UUID,
    data: PropertyUpdate,
    viewer: Membership | None = None,
) -> Property:
    """Apply the fields sent. Each changed field records its provenance (who, when) and the
    edit lands on the timeline with old and new values; stage and assignee go through their
    own rules (allowed moves; an active member)."""
    prop = await get_property_or_raise(session, team_id=team_id, property_id=property_id, viewer=viewer)
    actor_id = viewer.id if viewer is not None else None
    changes = sent_changes(data, not_null={"address", "city", "state", "zip_code", "stage", "tags"})
    stage = changes.pop("stage", None)
    reason = changes.pop("stage_reason", None)
    assignee_sent = "assigned_to_id" in changes
    assignee = changes.pop("assigned_to_id", None)
    custom = changes.pop("custom", None)
    if "address" in changes or "unit" in changes:
        # The stored unit is only a fallback: a street line sent alone may carry its own unit,
        # and the parser refuses a unit given twice (the line would be kept unnormalised).
        street, unit = _normalised_address(changes.get("address", prop.address), changes.get("unit"))
        changes["address"], changes["unit"] = street, unit if unit or "unit" in changes else prop.unit
    if "market_id" in changes:
        await _check_market(session, team_id=team_id, market_id=changes["market_id"])

    edited: dict[str, list[Any]] = {}
    for field, value in changes.items():
        old = getattr(prop, field)
        if old != value:
            edited[field] = [_plain(old), _plain(value)]
            setattr(prop, field, value)
    if custom:
        checked = await _checked_custom(session, team_id=team_id, values=custom)
        merged = dict(prop.custom)
        for key, value in checked.items():
            old = merged.get(key)
            if old != value:
                edited[f"custom.{key}"] = [old, value]
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
        prop.custom = merged
    if edited:
        _mark_manual(prop, list(edited), actor_id)
        prop.updated_at = clock.now()
        await session.flush()
        await timeline.record_event(
            session,
            team_id=team_id,
            property_id=prop.id,
            kind="edited",
            actor_id=actor_id,
            data={"fields": edited},
        )
    if assignee_sent:
        await assign(session, team_id=team_id, prop=prop, assignee_id=assignee, actor_id=actor_id)
    if stage is not None:
        await change_stage(
            session, team_id=team_id, prop=prop, to_stage=stage, reason=reason, actor_id=actor_id
        )
    elif "estimated_value" in edited or "mortgage_balance" in edited:
        await events.publish(session, **_counts_changed(team_id))
    if SCORED_FACTS.intersection(edited):
        await facts_changed(session, team_id=team_id, property_ids=[prop.id])
    return prop


def _mark_manual(prop: Property, fields: list[str], actor_id: uuid.UUID | None) -> None:
    origin = {"source": "manual", "by": _plain(actor_id), "at": clock.now().isoformat()}
    # A new dict, so SQLAlchemy sees the JSONB change.
    prop.provenance = {**prop.provenance, **dict.fromkeys(fields, origin)}


async def change_stage(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    prop: Property,
    to_stage: str,
    reason: str | None,
    actor_id: uuid.UUID | None,
) -> bool:
    """Move a lead to another stage if the pipeline allows it (422 naming the allowed moves
    otherwise). A move to the stage it is in is no move: False, nothing recorded."""
    if prop.stage == to_stage:
        return False
    pipeline.check_move(prop.stage, to_stage)
    now = clock.now()
    from_stage, days = prop.stage, (now - prop.stage_changed_at).total_seconds() / 86400
    prop.stage, prop.stage_changed_at, prop.updated_at = to_stage, now, now
    await session.flush()
    await timeline.record_event(
        session,
        team_id=team_id,
        property_id=prop.id,
        kind="stage_changed",
        actor_id=actor_id,
        data={"from": from_stage, "to": to_stage, "reason": reason, "days_in_stage": round(days, 2)},
    )
    await events.publish(
        session,
        team_id=team_id,
        type="property.stage_changed",
        data={"id": str(prop.id), "from": from_stage, "to": to_stage},
    )
    await events.publish(session, **_counts_changed(team_id))
    return True


async def assign(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    prop: Property,
    assignee_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
) -> bool:
    if prop.assigned_to_id == assignee_id:
        return False
    await _check_assignee(session, team_id=team_id, assignee=assignee_id)
    previous = prop.assigned_to_id
    prop.assigned_to_id = assignee_id
    prop.updated_at = clock.now()
    _mark_manual(prop, ["assigned_to_id"], actor_id)
    await session.flush()
    await timeline.record_event(
        session,
        team_id=team_id,
        property_id=prop.id,
        kind="assigned",
        actor_id=actor_id,
        data={"from": _plain(previous), "to": _plain(assignee_id)},
    )
    await events.publish(
        session,
        team_id=team_id,
        type="property.assigned",
        data={"id": str(prop.id), "to": _plain(assignee_id)},
    )
    return True


async def change_tags(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    prop: Property,
    add: list[str] = (),  # type: ignore[assignment]
    remove: list[str] = (),  # type: ignore[assignment]
    actor_id: uuid.UUID | None,
) -> bool:
    """Add and remove tags (already normalised by the schema); False if nothing changed."""
    tags = [t for t in prop.tags if t not in set(remove)]
    tags += [t for t in add if t not in tags]
    if tags == list(prop.tags):
        return False
    edited = {"tags": [list(prop.tags), tags]}
    prop.tags = tags
    prop.updated_at = clock.now()
    _mark_manual(prop, ["tags"], actor_id)
    await session.flush()
    await timeline.record_event(
        session,
        team_id=team_id,
        property_id=prop.id,
        kind="edited",
        actor_id=actor_id,
        data={"fields": edited},
    )
    return True


async def delete_property(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    property_id: uuid.UUID,
    actor_account_id: uuid.UUID | None = None,
    viewer: Membership | None = None,
) -> Property:
    """Move a property to the trash: it leaves every list, board and search, and can be
    restored with everything that hangs off it."""
    prop = await get_property_or_raise(session, team_id=team_id, property_id=property_id, viewer=viewer)
    await soft_delete(
        session,
        team_id=team_id,
        prop=prop,
        actor_id=viewer.id if viewer is not None else None,
        actor_account_id=actor_account_id,
    )
    return prop


async def soft_delete(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    prop: Property,
    actor_id: uuid.UUID | None,
    actor_account_id: uuid.UUID | None,
) -> bool:
    if prop.deleted_at is not None:
        return False
    prop.deleted_at = clock.now()
    await session.flush()
    await timeline.record_event(
        session, team_id=team_id, property_id=prop.id, kind="deleted", actor_id=actor_id
    )
    await audit.record(
        session,
        action="property.deleted",
        team_id=team_id,
        actor_account_id=actor_account_id,
        target_type="property",
        target_id=prop.id,
        details={"address": prop.address, "city": prop.city, "state": prop.state, "zip_code": prop.zip_code},
    )
    await events.publish(session, **_counts_changed(team_id))
    return True


async def restore_property(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    property_id: uuid.UUID,
    actor_account_id: uuid.UUID | None,
    viewer: Membership | None = None,
) -> Property:
    prop = await get_property_or_raise(
        session, team_id=team_id, property_id=property_id, viewer=viewer, include_deleted=True
    )
    if prop.deleted_at is None:
        return prop
    if prop.merged_into_id is not None:
        raise Conflict(
            "this property was merged into another one and cannot be restored",
            details={"merged_into_id": str(prop.merged_into_id)},
        )
    prop.deleted_at = None
    prop.updated_at = clock.now()
    await session.flush()
    actor_id = viewer.id if viewer is not None else None
    await timeline.record_event(
        session, team_id=team_id, property_id=prop.id, kind="restored", actor_id=actor_id
    )
    await audit.record(
        session,
        action="property.restored",
        team_id=team_id,
        actor_account_id=actor_account_id,
        target_type="property",
        target_id=prop.id,
        details={"address": prop.address},
    )
    await events.publish(session, **_counts_changed(team_id))
    return prop


# --- merge ---------------------------------------------------------------------------------------

# Link tables where the same row may already exist on the kept property: (table, the other
# columns of their unique key besides team and property).
_UNIQUE_LINKS = {
    "property_contacts": ("contact_id", "role"),
    "list_members": ("list_id",),
    # One signal of a kind per property: the kept property's own stays.
    "signals": ("kind",),
    "import_changes": ("import_id",),
}


async def _referencing_tables(session: AsyncSession, table: str) -> list[tuple[str, str]]:
    """(table, column) of every composite foreign key (team_id, column) → `table`(team_id, id),
    read from the catalogue so that a domain added later is moved too and nothing is lost.
    Append-only tables (the app may not update them, e.g. the consent ledger) keep their rows
    as written: their own ON DELETE rule says what becomes of the link. A table keyed by the
    referenced row's own id (`property_lookup`) extends that row and is not a link to move."""
    rows = await session.execute(
        text(
            """
            select src.relname, a.attname
            from pg_constraint con
            join pg_class src on src.oid = con.conrelid
            join pg_class dst on dst.oid = con.confrelid
            join pg_namespace n on n.oid = dst.relnamespace and n.nspname = 'public'
            join pg_attribute a on a.attrelid = con.conrelid and a.attnum = con.conkey[2]
            where con.contype = 'f' and dst.relname = :table and array_length(con.conkey, 1) = 2
              and src.relname <> :table and a.attname <> 'id'
              and has_table_privilege(src.oid, 'UPDATE')
            order by src.relname, a.attname
            """
        ),
        {"table": table},
    )
    return [(r[0], r[1]) for r in rows]


async def move_references(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    table: str,
    keep_id: uuid.UUID,
    duplicate_id: uuid.UUID,
    unique_links: dict[str, tuple[str, ...]],
) -> dict[str, int]:
    """Point every row that references the duplicate at the kept row instead. In the tables of
    `unique_links` (table → the other columns of its unique key; an empty tuple when the row
    is unique per referenced row), rows that would repeat one the kept row already has are
    dropped: it has them already."""
    moved: dict[str, int] = {}
    # Table and column names below come from the catalogue, never from a request.
    for ref_table, column in await _referencing_tables(session, table):
        others = unique_links.get(ref_table)
        params = {"team": team_id, "keep": keep_id, "dup": duplicate_id}
        if others is not None:
            same = "".join(f" and k.{c} = d.{c}" for c in others)
            await session.execute(
                text(
                    f"delete from {ref_table} d where d.team_id = :team and d.{column} = :dup "
                    f"and exists (select 1 from {ref_table} k where k.team_id = :team "
                    f"and k.{column} = :keep{same})"
                ),
                params,
            )
        result = await session.execute(
            text(f"update {ref_table} set {column} = :keep where team_id = :team and {column} = :dup"),
            params,
        )
        count = getattr(result, "rowcount", 0) or 0
        if count:
            moved[ref_table if column in ("property_id", "contact_id") else f"{ref_table}.{column}"] = count
    return moved


_MERGE_FILL = tuple(f for f in EDITABLE if f not in ("address", "unit", "city", "state", "zip_code", "tags"))


async def merge_properties(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    keep_id: uuid.UUID,
    duplicate_id: uuid.UUID,
    viewer: Membership | None,
    actor_account_id: uuid.UUID | None,
) -> tuple[Property, list[str], dict[str, int]]:
    """Fold a duplicate into the kept property: every contact role, note, task, flag, list
    membership and timeline event moves over; fields the kept one lacks are filled from the
    duplicate (with their provenance); tags are joined. The duplicate goes to the trash,
    pointing at the kept one."""
    if keep_id == duplicate_id:
        raise Unprocessable("a property cannot be merged into itself", details={"field": "duplicate_id"})
    keep = await get_property_or_raise(session, team_id=team_id, property_id=keep_id, viewer=viewer)
    dup = await get_property(session, team_id=team_id, property_id=duplicate_id, viewer=viewer)
    if dup is None:
        raise Unprocessable("duplicate_id is not a property of this team", details={"field": "duplicate_id"})
    actor_id = viewer.id if viewer is not None else None
    now = clock.now()

    filled = [f for f in _MERGE_FILL if getattr(keep, f) is None and getattr(dup, f) is not None]
    for field in filled:
        setattr(keep, field, getattr(dup, field))
    origin = {"source": "merge", "from": str(dup.id), "by": _plain(actor_id), "at": now.isoformat()}
    provenance = dict(keep.provenance)
    for field in filled:
        provenance[field] = {**dup.provenance.get(field, {}), **origin}
    extra_custom = {k: v for k, v in dup.custom.items() if k not in keep.custom}
    if extra_custom:
        keep.custom = {**keep.custom, **extra_custom}
        filled += [f"custom.{k}" for k in extra_custom]
        provenance.update({f"custom.{k}": origin for k in extra_custom})
    if keep.assigned_to_id is None and dup.assigned_to_id is not None:
        keep.assigned_to_id = dup.assigned_to_id
        filled.append("assigned_to_id")
        provenance["assigned_to_id"] = origin
    joined = list(keep.tags) + [t for t in dup.tags if t not in keep.tags]
    if joined != list(keep.tags):
        keep.tags = joined
        filled.append("tags")
        provenance["tags"] = origin
    keep.provenance = provenance
    keep.updated_at = now
    dup.deleted_at = now
    dup.merged_into_id = keep.id
    await session.flush()

    moved = await move_references(
        session,
        team_id=team_id,
        table="properties",
        keep_id=keep.id,
        duplicate_id=dup.id,
        unique_links=_UNIQUE_LINKS,
    )
    # The self-reference of earlier merges into the duplicate follows it to the kept row.
    await session.execute(
        update(Property)
        .where(Property.team_id == team_id, Property.merged_into_id == dup.id, Property.id != keep.id)
        .values(merged_into_id=keep.id)
    )
    # Its signals and the values it filled are the kept lead's now: so is the score they make.
    await facts_changed(session, team_id=team_id, property_ids=[keep.id])
    summary = {"address": f"{dup.address}, {dup.city}", "filled": filled, "moved": moved}
    await timeline.record_event(
        session,
        team_id=team_id,
        property_id=keep.id,
        kind="merged",
        actor_id=actor_id,
        data={"duplicate_id": str(dup.id), **summary},
    )
    await timeline.record_event(
        session,
        team_id=team_id,
        property_id=dup.id,
        kind="merged_away",
        actor_id=actor_id,
        data={"into_id": str(keep.id), "address": f"{keep.address}, {keep.city}"},
    )
    await audit.record(
        session,
        action="property.merged",
        team_id=team_id,
        actor_account_id=actor_account_id,
        target_type="property",
        target_id=keep.id,
        details={"duplicate_id": str(dup.id), **summary},
    )
    await events.publish(session, **_counts_changed(team_id))
    return keep, filled, moved


# --- provenance ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    field: str
    value: Any
    source: str
    by: uuid.UUID | None
    at: datetime
    detail: dict[str, Any]


def provenance(
    prop: Property, definitions: list[CustomField], import_mapping: dict[str, str] | None = None
) -> list[Origin]:
    """Where each field's value came from: its own entry (a manual edit, a merge) or else the
    row's origin (created by a member, or by an import: `import_mapping` is that import's
    {field: column}, from `source_import`)."""
    fields = [*FLAGGABLE, *(f"custom.{d.key}" for d in definitions)]
    rows = []
    for field in fields:
        value = prop.custom.get(field[7:]) if field.startswith("custom.") else getattr(prop, field)
        entry = prop.provenance.get(field)
        if entry:
            by = entry.get("by")
            detail = {k: v for k, v in entry.items() if k not in ("source", "by", "at")}
            rows.append(
                Origin(
                    field,
                    _plain(value),
                    entry.get("source", "manual"),
                    uuid.UUID(by) if by else None,
                    datetime.fromisoformat(entry["at"]),
                    detail,
                )
            )
        elif prop.import_id is not None:
            detail = {"import_id": str(prop.import_id), "column": (import_mapping or {}).get(field)}
            rows.append(Origin(field, _plain(value), "import", prop.created_by_id, prop.created_at, detail))
        else:
            rows.append(Origin(field, _plain(value), "manual", prop.created_by_id, prop.created_at, {}))
    return rows


async def source_import(session: AsyncSession, *, team_id: uuid.UUID, prop: Property) -> Import | None:
    """The import a property came from (None when made by hand or when that import is gone)."""
    if prop.import_id is None:
        return None
    found: Import | None = await session.scalar(
        select(Import).where(Import.team_id == team_id, Import.id == prop.import_id)
    )
    return found


async def field_origins(session: AsyncSession, *, team_id: uuid.UUID, prop: Property) -> list[Origin]:
    """`provenance` of a property with what it needs read: the team's custom fields and, for an
    imported property, the mapping (field → file column) of its import."""
    definitions = await custom_field_definitions(session, team_id=team_id)
    source = await source_import(session, team_id=team_id, prop=prop)
    return provenance(prop, definitions, dict(source.mapping) if source is not None else {})


async def add_note(
    session: AsyncSession, *, team_id: uuid.UUID, property_id: uuid.UUID, body: str, viewer: Membership | None
) -> Note:
    """A note on a property the viewer may see (404 otherwise), on its timeline."""
    await get_property_or_raise(session, team_id=team_id, property_id=property_id, viewer=viewer)
    return await timeline.add_note(
        session,
        team_id=team_id,
        author_id=viewer.id if viewer is not None else None,
        body=body,
        property_id=property_id,
    )


# --- custom fields -------------------------------------------------------------------------------


async def create_custom_field(
    session: AsyncSession, *, team_id: uuid.UUID, data: CustomFieldCreate
) -> CustomField:
    if data.type == "choice" and not data.choices:
        raise Unprocessable("a choice field needs at least one choice", details={"field": "choices"})
    if data.type != "choice" and data.choices:
        raise Unprocessable("only a choice field has choices", details={"field": "choices"})
    exists = await session.scalar(
        select(CustomField.id).where(CustomField.team_id == team_id, CustomField.key == data.key)
    )
    if exists is not None:
        raise Conflict(f"a custom field with key {data.key!r} exists", details={"field": "key"})
    definition = CustomField(team_id=team_id, **data.model_dump())
    session.add(definition)
    await session.flush()
    return definition


async def get_custom_field_or_raise(
    session: AsyncSession, *, team_id: uuid.UUID, field_id: uuid.UUID
) -> CustomField:
    found = await session.scalar(
        select(CustomField).where(CustomField.team_id == team_id, CustomField.id == field_id)
    )
    if found is None:
        raise NotFound("custom field not found", details={"id": str(field_id)})
    return found


async def update_custom_field(
    session: AsyncSession, *, team_id: uuid.UUID, field_id: uuid.UUID, data: CustomFieldUpdate
) -> CustomField:
    definition = await get_custom_field_or_raise(session, team_id=team_id, field_id=field_id)
    changes = sent_changes(data)
    if "choices" in changes and definition.type != "choice":
        raise Unprocessable("only a choice field has choices", details={"field": "choices"})
    if "choices" in changes and not changes["choices"]:
        raise Unprocessable("a choice field needs at least one choice", details={"field": "choices"})
    for key, value in changes.items():
        setattr(definition, key, value)
    await session.flush()
    return definition


async def delete_custom_field(session: AsyncSession, *, team_id: uuid.UUID, field_id: uuid.UUID) -> None:
    """Remove the definition and its values from every property of the team."""
    definition = await get_custom_field_or_raise(session, team_id=team_id, field_id=field_id)
    await session.execute(
        update(Property)
        .where(Property.team_id == team_id, Property.custom.has_key(definition.key))
        .values(custom=Property.custom.op("-")(definition.key))
    )
    await session.delete(definition)
    await session.flush()


# --- data flags ----------------------------------------------------------------------------------


async def raise_flag(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    property_id: uuid.UUID,
    data: FlagCreate,
    viewer: Membership | None,
) -> DataFlag:
    prop = await get_property_or_raise(session, team_id=team_id, property_id=property_id, viewer=viewer)
    definitions = await custom_field_definitions(session, team_id=team_id)
    known = {*FLAGGABLE, *(f"custom.{d.key}" for d in definitions)}
    if data.field not in known:
        raise Unprocessable(
            f"{data.field!r} is not a field of a property", details={"field": "field", "known": sorted(known)}
        )
    actor_id = viewer.id if viewer is not None else None
    flag = DataFlag(
        team_id=team_id, property_id=prop.id, field=data.field, comment=data.comment, raised_by_id=actor_id
    )
    session.add(flag)
    await session.flush()
    await timeline.record_event(
        session,
        team_id=team_id,
        property_id=prop.id,
        kind="flag_raised",
        actor_id=actor_id,
        data={"flag_id": str(flag.id), "field": data.field, "comment": data.comment},
    )
    return flag


async def list_flags(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    property_id: uuid.UUID | None = None,
    status: str | None = None,
    limit: int = 200,
) -> list[DataFlag]:
    query = select(DataFlag).where(DataFlag.team_id == team_id)
    if property_id is not None:
        query = query.where(DataFlag.property_id == property_id)
    if status is not None:
        query = query.where(DataFlag.status == status)
    rows = await session.scalars(query.order_by(DataFlag.created_at.desc(), DataFlag.id).limit(limit))
    return list(rows)


async def get_flag_or_raise(
    session: AsyncSession, *, team_id: uuid.UUID, flag_id: uuid.UUID, viewer: Membership | None
) -> DataFlag:
    """A flag on a property the viewer may see, else 404."""
    flag = await session.scalar(select(DataFlag).where(DataFlag.team_id == team_id, DataFlag.id == flag_id))
    if flag is None:
        raise NotFound("data flag not found", details={"id": str(flag_id)})
    await get_property_or_raise(session, team_id=team_id, property_id=flag.property_id, viewer=viewer)
    return flag


async def resolve_flag(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    flag_id: uuid.UUID,
    data: FlagUpdate,
    viewer: Membership | None,
) -> DataFlag:
    flag = await get_flag_or_raise(session, team_id=team_id, flag_id=flag_id, viewer=viewer)
    if flag.status == data.status:
        return flag
    actor_id = viewer.id if viewer is not None else None
    flag.status = data.status
    flag.resolution = data.resolution
    if data.status == "open":
        flag.resolved_at, flag.resolved_by_id = None, None
    else:
        flag.resolved_at, flag.resolved_by_id = clock.now(), actor_id
    await session.flush()
    await timeline.record_event(
        session,
        team_id=team_id,
        property_id=flag.property_id,
        kind="flag_resolved",
        actor_id=actor_id,
        data={
            "flag_id": str(flag.id),
            "field": flag.field,
            "status": flag.status,
            "resolution": flag.resolution,
        },
    )
    return flag


# --- pipeline summary ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StageSummary:
    stage: str
    count: int
    estimated_value: Decimal


async def stage_summary(session: AsyncSession, *, team_id: uuid.UUID) -> list[StageSummary]:
    """Count live properties and sum their estimated values per pipeline stage, every stage listed."""
    rows = await session.execute(
        select(Property.stage, func.count(), func.coalesce(func.sum(Property.estimated_value), 0))
        .where(Property.team_id == team_id, Property.deleted_at.is_(None))
        .group_by(Property.stage)
    )
    found = {stage: (count, Decimal(total or 0)) for stage, count, total in rows}
    return [StageSummary(stage, *found.get(stage, (0, Decimal(0)))) for stage in STAGES]
