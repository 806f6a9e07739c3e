"""The property page: details with provenance and flags, owners and their points, the
timeline with notes, tasks, pipeline moves, trash and merge. The contact page beside it."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from reos.auth.principal import Principal
from reos.contacts import service as contacts
from reos.contacts.schemas import ContactCreate, ContactPointCreate
from reos.deps import Deleter, Editor, Reader, SessionDep
from reos.errors import AppError
from reos.kit import clock
from reos.properties import pipeline
from reos.properties import service as properties
from reos.properties.models import PROPERTY_TYPES, STAGES
from reos.properties.schemas import FlagCreate, FlagUpdate, PropertyUpdate
from reos.search import service as search
from reos.teams import service as teams
from reos.timeline import service as timeline
from reos.web.account import form_fields, safe_next
from reos.web.render import app_error_fields, field_errors, page, partial, redirect
from reos.web.scoring import score_context
from reos.web.tasks import property_tasks_context

router = APIRouter(include_in_schema=False)

# The details card: (field, label, kind) in display order; kind picks the formatting.
DETAILS = (
    ("property_type", "Type", "choice"),
    ("bedrooms", "Beds", "int"),
    ("bathrooms", "Baths", "decimal"),
    ("square_feet", "Living area (sq ft)", "int"),
    ("lot_size_sqft", "Lot (sq ft)", "int"),
    ("year_built", "Year built", "year"),
    ("assessed_value", "Assessed value", "money"),
    ("estimated_value", "Estimated value", "money"),
    ("mortgage_balance", "Mortgage balance", "money"),
    ("last_sale_date", "Last sale", "date"),
    ("last_sale_price", "Last sale price", "money"),
    ("apn", "APN", "text"),
    ("county", "County", "text"),
    ("latitude", "Latitude", "decimal"),
    ("longitude", "Longitude", "decimal"),
)
EDIT_FIELDS = (
    "address",
    "unit",
    "city",
    "state",
    "zip_code",
    *(f for f, _, _ in DETAILS),
    "market_id",
    "tags",
)
SOURCES = {"manual": "Entered by hand", "merge": "From a merged duplicate", "import": "Imported"}


def _duration(delta: timedelta) -> str:
    days = delta.days
    if days >= 1:
        return f"{days} day" + ("s" if days != 1 else "")
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} h" if hours else "under an hour"


def _member_names(members: list[Any]) -> dict[str, str]:
    return {str(m.id): m.full_name for m in members}


async def _page(
    request: Request,
    principal: Principal,
    session: SessionDep,
    property_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    prop = await properties.get_property_or_raise(
        session,
        team_id=principal.team_id,
        property_id=property_id,
        viewer=principal.membership,
        include_deleted=True,
    )
    team_id = principal.team_id
    members = await teams.list_members(session, team_id=team_id)
    definitions = await properties.custom_field_definitions(session, team_id=team_id)
    # The page reads the source import for its link, so provenance is built from it here rather
    # than through `field_origins`, which would read it (and the custom fields) again.
    source_import = await properties.source_import(session, team_id=team_id, prop=prop)
    origins = {
        o.field: o
        for o in properties.provenance(
            prop, definitions, dict(source_import.mapping) if source_import is not None else {}
        )
    }
    flags = await properties.list_flags(session, team_id=team_id, property_id=prop.id)
    links = await contacts.list_property_contacts(
        session, team_id=team_id, property_id=prop.id, viewer=principal.membership, include_deleted=True
    )
    items = await timeline.property_timeline(session, team_id=team_id, property_id=prop.id, limit=100)
    markets = await teams.list_markets(session, team_id=team_id)
    merged_into = None
    if prop.merged_into_id is not None:
        merged_into = await properties.get_property(
            session, team_id=team_id, property_id=prop.merged_into_id, include_deleted=True
        )
    return await page(
        request,
        "property.html",
        principal=principal,
        session=session,
        nav="properties",
        prop=prop,
        details=DETAILS,
        field_labels={
            **{name: label for name, label, _ in DETAILS},
            "address": "Street",
            "zip_code": "ZIP",
            "tags": "Tags",
            **{f"custom.{d.key}": d.label for d in definitions},
        },
        definitions=definitions,
        origins=origins,
        source_import=source_import,
        sources=SOURCES,
        flags=flags,
        open_flags={f.field for f in flags if f.status == "open"},
        links=links,
        point_ids=[p.id for link in links for p in link.contact.points],
        timeline=items,
        names=_member_names(members),
        markets=markets,
        market_names={m.id: m.name for m in markets},
        stages=STAGES,
        stage_labels=pipeline.STAGE_LABELS,
        moves=pipeline.moves_from(prop.stage),
        next_move=pipeline.next_stage(prop.stage),
        days_in_stage=_duration(clock.now() - prop.stage_changed_at),
        property_types=PROPERTY_TYPES,
        merged_into=merged_into,
        errors=errors or {},
        error=error,
        values=values,
        edit_open=bool(errors or error),
        status_code=status_code,
        **await property_tasks_context(principal, session, property_id=prop.id),
        # A trashed lead has no live score to explain.
        **(await score_context(principal, session, prop.id) if prop.deleted_at is None else {}),
    )


@router.get("/properties/{property_id}")
async def property_page(
    request: Request, property_id: uuid.UUID, principal: Reader, session: SessionDep
) -> HTMLResponse:
    return await _page(request, principal, session, property_id)


def _update_payload(data: dict[str, str]) -> dict[str, Any]:
    """Form values as an update: empty optional inputs mean "unknown" (null); money accepts
    "$245,000"; tags are comma-separated."""
    payload: dict[str, Any] = {}
    for field in EDIT_FIELDS:
        if field not in data:
            continue
        value = data[field].strip()
        if field == "tags":
            payload["tags"] = [t for t in (p.strip() for p in value.split(",")) if t]
        elif field in ("address", "city", "state", "zip_code"):
            payload[field] = value
        elif value == "":
            payload[field] = None
        elif field.endswith(("_value", "_price", "_balance")):
            payload[field] = value.replace(",", "").replace("$", "")
        else:
            payload[field] = value
    custom = {k[7:]: v.strip() for k, v in data.items() if k.startswith("custom.")}
    if custom:
        payload["custom"] = {k: (v if v != "" else None) for k, v in custom.items()}
    return payload


@router.post("/properties/{property_id}")
async def edit_property(
    request: Request, property_id: uuid.UUID, principal: Editor, session: SessionDep
) -> Response:
    data = await form_fields(request)
    payload = _update_payload(data)
    if "custom" in payload:
        # Form inputs are text; the service reads numbers and dates from text, booleans not.
        definitions = await properties.custom_field_definitions(session, team_id=principal.team_id)
        booleans = {d.key for d in definitions if d.type == "boolean"}
        for key, value in list(payload["custom"].items()):
            if value is not None and key in booleans:
                payload["custom"][key] = value == "true"
    try:
        body = PropertyUpdate.model_validate(payload)
        await properties.update_property(
            session,
            team_id=principal.team_id,
            property_id=property_id,
            data=body,
            viewer=principal.membership,
        )
    except ValidationError as exc:
        return await _page(
            request, principal, session, property_id, errors=field_errors(exc), values=data, status_code=422
        )
    except AppError as exc:
        if exc.status_code == 404:
            raise
        error, errors = app_error_fields(exc)
        return await _page(
            request,
            principal,
            session,
            property_id,
            errors=errors,
            error=error,
            values=data,
            status_code=exc.status_code,
        )
    return redirect(f"/properties/{property_id}", flash="Saved. Each change is on the timeline.")


@router.post("/properties/{property_id}/stage")
async def move_stage(
    request: Request, property_id: uuid.UUID, principal: Editor, session: SessionDep
) -> Response:
    data = await form_fields(request)
    prop = await properties.get_property_or_raise(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership
    )
    stage = data.get("stage", "")
    try:
        moved = await properties.change_stage(
            session,
            team_id=principal.team_id,
            prop=prop,
            to_stage=stage,
            reason=data.get("reason") or None,
            actor_id=principal.membership.id,
        )
    except AppError as exc:
        return redirect(f"/properties/{property_id}", flash=exc.message, kind="error")
    label = pipeline.STAGE_LABELS.get(stage, stage)
    return redirect(
        f"/properties/{property_id}", flash=f"Moved to {label}." if moved else f"Already in {label}."
    )


@router.post("/properties/{property_id}/notes")
async def add_note(
    request: Request, property_id: uuid.UUID, principal: Editor, session: SessionDep
) -> Response:
    # The resource first: another team's id is a 404 whatever the form says.
    await properties.get_property_or_raise(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership
    )
    data = await form_fields(request)
    body = data.get("body", "").strip()
    if not body:
        return redirect(f"/properties/{property_id}#timeline", flash="A note needs some text.", kind="error")
    await properties.add_note(
        session,
        team_id=principal.team_id,
        property_id=property_id,
        body=body[:20_000],
        viewer=principal.membership,
    )
    return redirect(f"/properties/{property_id}#timeline", flash="Note added.")


@router.post("/properties/{property_id}/flags")
async def raise_flag(
    request: Request, property_id: uuid.UUID, principal: Editor, session: SessionDep
) -> Response:
    # The resource first: another team's id is a 404 whatever the form says.
    await properties.get_property_or_raise(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership
    )
    data = await form_fields(request)
    try:
        body = FlagCreate.model_validate(
            {"field": data.get("field", ""), "comment": data.get("comment") or None}
        )
        await properties.raise_flag(
            session,
            team_id=principal.team_id,
            property_id=property_id,
            data=body,
            viewer=principal.membership,
        )
    except ValidationError as exc:
        return redirect(
            f"/properties/{property_id}", flash="; ".join(field_errors(exc).values()), kind="error"
        )
    except AppError as exc:
        if exc.status_code == 404:
            raise
        return redirect(f"/properties/{property_id}", flash=exc.message, kind="error")
    return redirect(
        f"/properties/{property_id}#flags", flash="Flag raised: the team will see it on this page."
    )


@router.post("/flags/{flag_id}")
async def resolve_flag(
    request: Request, flag_id: uuid.UUID, principal: Editor, session: SessionDep
) -> Response:
    await properties.get_flag_or_raise(
        session, team_id=principal.team_id, flag_id=flag_id, viewer=principal.membership
    )
    data = await form_fields(request)
    try:
        body = FlagUpdate.model_validate(
            {"status": data.get("status", ""), "resolution": data.get("resolution") or None}
        )
    except ValidationError as exc:
        return redirect(
            safe_next(data.get("next") or "/properties"),
            flash="; ".join(field_errors(exc).values()),
            kind="error",
        )
    flag = await properties.resolve_flag(
        session, team_id=principal.team_id, flag_id=flag_id, data=body, viewer=principal.membership
    )
    return redirect(
        f"/properties/{flag.property_id}#flags", flash=f"Flag on {flag.field} marked {flag.status}."
    )


@router.post("/properties/{property_id}/delete")
async def delete_property(property_id: uuid.UUID, principal: Deleter, session: SessionDep) -> Response:
    prop = await properties.delete_property(
        session,
        team_id=principal.team_id,
        property_id=property_id,
        actor_account_id=principal.account.id,
        viewer=principal.membership,
    )
    return redirect(
        f"/properties/{prop.id}", flash="Moved to the trash. Restore brings it back with everything on it."
    )


@router.post("/properties/{property_id}/restore")
async def restore_property(property_id: uuid.UUID, principal: Deleter, session: SessionDep) -> Response:
    try:
        await properties.restore_property(
            session,
            team_id=principal.team_id,
            property_id=property_id,
            actor_account_id=principal.account.id,
            viewer=principal.membership,
        )
    except AppError as exc:
        if exc.status_code == 404:
            raise
        return redirect(f"/properties/{property_id}", flash=exc.message, kind="error")
    return redirect(f"/properties/{property_id}", flash="Restored.")


@router.get("/properties/{property_id}/merge-candidates")
async def merge_candidates(
    request: Request, property_id: uuid.UUID, principal: Reader, session: SessionDep, q: str = ""
) -> HTMLResponse:
    """Properties matching `q` to pick the duplicate from (htmx)."""
    # The resource first: another team's id is a 404 whatever the form says.
    await properties.get_property_or_raise(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership
    )
    found = await search.search(
        session, team_id=principal.team_id, text=q[:200], limit=8, viewer=principal.membership
    )
    rows = [p for p in found.properties if p.id != property_id]
    return partial(
        request, "property_merge_candidates.html", principal=principal, rows=rows, q=q, keep_id=property_id
    )


@router.post("/properties/{property_id}/merge")
async def merge_property(
    request: Request, property_id: uuid.UUID, principal: Deleter, session: SessionDep
) -> Response:
    # The resource first: another team's id is a 404 whatever the form says.
    await properties.get_property_or_raise(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership
    )
    data = await form_fields(request)
    try:
        duplicate_id = uuid.UUID(data.get("duplicate_id", ""))
    except ValueError:
        return redirect(
            f"/properties/{property_id}", flash="Pick the duplicate to merge first.", kind="error"
        )
    try:
        keep, filled, moved = await properties.merge_properties(
            session,
            team_id=principal.team_id,
            keep_id=property_id,
            duplicate_id=duplicate_id,
            viewer=principal.membership,
            actor_account_id=principal.account.id,
        )
    except AppError as exc:
        if exc.status_code == 404:
            raise
        return redirect(f"/properties/{property_id}", flash=exc.message, kind="error")
    parts = [f"{n} {kind.replace('_', ' ')}" for kind, n in moved.items()]
    summary = (
        "Merged. "
        + (f"Moved {', '.join(parts)}. " if parts else "")
        + (f"Filled {', '.join(filled)}." if filled else "")
    )
    return redirect(f"/properties/{keep.id}", flash=summary.strip())


@router.get("/contacts/{contact_id}")
async def contact_page(
    request: Request, contact_id: uuid.UUID, principal: Reader, session: SessionDep
) -> HTMLResponse:
    contact = await contacts.get_contact_or_raise(
        session, team_id=principal.team_id, contact_id=contact_id, viewer=principal.membership
    )
    owned = await contacts.contact_properties(
        session, team_id=principal.team_id, contact_id=contact.id, viewer=principal.membership
    )
    notes = await contacts.contact_notes(session, team_id=principal.team_id, contact_id=contact.id)
    members = await teams.list_members(session, team_id=principal.team_id)
    team = await teams.get_team(session, team_id=principal.team_id)
    return await page(
        request,
        "contact.html",
        principal=principal,
        session=session,
        nav="properties",
        contact=contact,
        owned=owned,
        notes=notes,
        names=_member_names(members),
        stage_labels=pipeline.STAGE_LABELS,
        point_ids=[p.id for p in contact.points],
        tz=team.timezone,
    )


@router.post("/contacts/{contact_id}/notes")
async def add_contact_note(
    request: Request, contact_id: uuid.UUID, principal: Editor, session: SessionDep
) -> Response:
    await contacts.get_contact_or_raise(
        session, team_id=principal.team_id, contact_id=contact_id, viewer=principal.membership
    )
    data = await form_fields(request)
    body = data.get("body", "").strip()
    if not body:
        return redirect(f"/contacts/{contact_id}", flash="A note needs some text.", kind="error")
    await contacts.add_note(
        session,
        team_id=principal.team_id,
        contact_id=contact_id,
        body=body[:20_000],
        viewer=principal.membership,
    )
    return redirect(f"/contacts/{contact_id}", flash="Note added.")


# --- owners, phones and emails added by hand (a lead from driving for dollars has none) ------


def _points_from(data: dict[str, str]) -> list[ContactPointCreate]:
    """The phone and email a form names (either may be empty), checked before anything is written."""
    wanted = []
    if data.get("phone", "").strip():
        dnc = data.get("phone_dnc") == "on"
        wanted.append(
            {
                "kind": "phone",
                "value": data["phone"],
                "line_type": data.get("phone_type") or "unknown",
                "dnc": dnc,
                "dnc_checked_at": clock.now().isoformat() if dnc else None,
            }
        )
    if data.get("email", "").strip():
        wanted.append({"kind": "email", "value": data["email"]})
    return [ContactPointCreate.model_validate(w) for w in wanted]


def _first_problem(exc: ValidationError | AppError) -> str:
    if isinstance(exc, ValidationError):
        field, message = next(iter(field_errors(exc).items()))
        return f"{field.replace('_', ' ').capitalize()}: {message}"
    found, fields = app_error_fields(exc)
    return found or next(iter(fields.values()), "That could not be saved.")


@router.post("/properties/{property_id}/owners")
async def add_owner(
    request: Request, property_id: uuid.UUID, principal: Editor, session: SessionDep
) -> Response:
    """A new contact with its role on the lead and, if given, a phone and an email
    (`contacts.add_owner`: all of it or nothing)."""
    await properties.get_property_or_raise(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership
    )
    data = await form_fields(request)
    back = f"/properties/{property_id}#owners"
    entity = data.get("entity_name", "").strip()
    role = data.get("role") or "owner"
    try:
        person = ContactCreate.model_validate(
            {
                "kind": "entity" if entity else "person",
                "first_name": None if entity else data.get("first_name", "").strip() or None,
                "last_name": None if entity else data.get("last_name", "").strip() or None,
                "entity_name": entity or None,
            }
        )
        await contacts.add_owner(
            session,
            team_id=principal.team_id,
            property_id=property_id,
            person=person,
            role=role,
            points=_points_from(data),
            viewer=principal.membership,
        )
    except (ValidationError, AppError) as exc:
        return _not_added(exc, back)
    name = entity or " ".join(p for p in (person.first_name, person.last_name) if p)
    return redirect(back, flash=f"{name} added as {role.replace('_', ' ')}.")


@router.post("/contacts/{contact_id}/points")
async def add_contact_point(
    request: Request, contact_id: uuid.UUID, principal: Editor, session: SessionDep
) -> Response:
    await contacts.get_contact_or_raise(
        session, team_id=principal.team_id, contact_id=contact_id, viewer=principal.membership
    )
    data = await form_fields(request)
    back = safe_next(data.get("next")) if data.get("next") else f"/contacts/{contact_id}#points"
    try:
        points = _points_from(data)
        if not points:
            return redirect(back, flash="Type a phone number or an email address.", kind="error")
        await contacts.add_points(
            session,
            team_id=principal.team_id,
            contact_id=contact_id,
            points=points,
            viewer=principal.membership,
        )
    except (ValidationError, AppError) as exc:
        return _not_added(exc, back)
    return redirect(back, flash=" and ".join(p.kind for p in points).capitalize() + " added.")


def _not_added(exc: ValidationError | AppError, back: str) -> Response:
    """A refused form's reason as a flash on the page it came from; other errors propagate."""
    if isinstance(exc, AppError) and exc.status_code not in (409, 422):
        raise exc
    return redirect(back, flash=f"Not added. {_first_problem(exc)}", kind="error")


@router.get("/search")
async def search_page(request: Request, principal: Reader, session: SessionDep, q: str = "") -> HTMLResponse:
    """The global search: a dropdown for htmx, a page otherwise."""
    found = await search.search(
        session, team_id=principal.team_id, text=q[:200], limit=8, viewer=principal.membership
    )
    if request.headers.get("HX-Request"):
        return partial(
            request,
            "search_results.html",
            principal=principal,
            found=found,
            q=q,
            stage_labels=pipeline.STAGE_LABELS,
        )
    return await page(
        request,
        "search.html",
        principal=principal,
        session=session,
        nav="properties",
        found=found,
        q=q,
        stage_labels=pipeline.STAGE_LABELS,
    )
