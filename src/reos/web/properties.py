"""Properties: the team's list (search, stage filter, keyset pages) and a create form."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from reos.auth.principal import Principal
from reos.deps import Editor, Reader, SessionDep
from reos.errors import AppError, BadRequest, NotFound, Unprocessable
from reos.kit.filters import FilterDocument, parse_document, parse_sort
from reos.lists import service as lists
from reos.properties import listing
from reos.properties import service as properties
from reos.properties.models import STAGES
from reos.properties.schemas import PropertyCreate
from reos.teams import service as teams
from reos.web.account import form_fields
from reos.web.render import app_error_fields, field_errors, page, redirect

router = APIRouter(include_in_schema=False)

FORM_FIELDS = (
    "address",
    "unit",
    "city",
    "state",
    "zip_code",
    "county",
    "apn",
    "bedrooms",
    "bathrooms",
    "square_feet",
    "year_built",
    "estimated_value",
    "stage",
)
NUMERIC = {"bedrooms", "bathrooms", "square_feet", "year_built", "estimated_value"}


# Columns of the table: (key, label, kind) — kind picks the cell's format.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("city", "City", "text"),
    ("county", "County", "text"),
    ("zip_code", "ZIP", "text"),
    ("apn", "APN", "text"),
    ("property_type", "Type", "type"),
    ("bedrooms", "Beds", "int"),
    ("bathrooms", "Baths", "num"),
    ("square_feet", "Sq ft", "int"),
    ("lot_size_sqft", "Lot sq ft", "int"),
    ("year_built", "Built", "year"),
    ("assessed_value", "Assessed", "money"),
    ("estimated_value", "Est. value", "money"),
    ("mortgage_balance", "Mortgage", "money"),
    ("equity", "Equity", "money"),
    ("equity_percent", "Equity %", "pct"),
    ("last_sale_date", "Last sale", "date"),
    ("last_sale_price", "Last sale price", "money"),
    ("tags", "Tags", "tags"),
    ("stage", "Stage", "stage"),
    ("stage_changed_at", "In stage since", "when"),
    ("score", "Score", "score"),
    ("assigned_to_id", "Assigned to", "member"),
    ("created_at", "Added", "when"),
    ("updated_at", "Updated", "when"),
)
DEFAULT_COLUMNS = ("bedrooms", "estimated_value", "equity_percent", "stage", "score")
FIELD_LABELS = {
    "address": "Address",
    "unit": "Unit",
    "state": "State",
    "market_id": "Market",
    "list": "On list",
    **{key: label for key, label, _ in COLUMNS},
}
SORT_CHOICES = (
    ("-score", "Score, highest first"),
    ("-created_at", "Newest first"),
    ("created_at", "Oldest first"),
    ("-estimated_value", "Value, highest first"),
    ("estimated_value", "Value, lowest first"),
    ("-equity_percent", "Equity %, highest first"),
    ("address", "Address, A to Z"),
    ("city", "City, A to Z"),
    ("-stage_changed_at", "Stage changed, recent first"),
    ("-updated_at", "Recently updated"),
)


def _field_meta(
    fields: dict[str, Any], members: list[Any], markets: list[Any], saved_lists: list[Any]
) -> list[dict[str, Any]]:
    """What the filter builder needs of each field: label, type, operators, choices."""
    options: dict[str, list[list[str]]] = {
        "assigned_to_id": [[str(m.id), m.full_name] for m in members if m.is_active],
        "market_id": [[str(m.id), m.name] for m in markets],
        "list": [[str(s.id), s.name] for s in saved_lists],
    }
    meta = []
    for name, spec in fields.items():
        if name == "q":
            continue
        label = spec.label or FIELD_LABELS.get(name, name.replace("_", " ").capitalize())
        choices = options.get(name) or [[c, c.replace("_", " ").capitalize()] for c in spec.choices]
        meta.append(
            {
                "name": name,
                "label": label,
                "type": spec.type,
                "ops": sorted(spec.operators),
                "choices": choices,
            }
        )
    return sorted(meta, key=lambda m: (m["name"].startswith("custom."), m["label"]))


def _columns_of(raw: list[str] | None) -> list[str]:
    known = {key for key, _, _ in COLUMNS}
    chosen = [c for c in (raw or []) if c in known]
    return chosen or list(DEFAULT_COLUMNS)


async def _list_page(
    request: Request,
    principal: Principal,
    session: SessionDep,
    *,
    params: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    duplicate: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    params = {k: v for k, v in (params or {}).items() if v}
    q = params.get("q", "").strip()
    stage = params.get("stage", "")
    stage = stage if stage in STAGES else ""
    deleted = params.get("deleted") == "true"
    sort = params.get("sort", "")
    cursor = params.get("cursor")
    list_id: uuid.UUID | None = None
    if params.get("list_id"):
        try:
            list_id = uuid.UUID(params["list_id"])
        except ValueError:
            raise NotFound("list not found") from None
    active = (
        await lists.get_list_or_raise(session, team_id=principal.team_id, list_id=list_id)
        if list_id
        else None
    )
    filter_error: str | None = None
    rows: list[Any] = []
    next_cursor: str | None = None
    try:
        doc = parse_document(params.get("filter") or None)
        rows, next_cursor = await listing.list_properties(
            session,
            team_id=principal.team_id,
            q=q or None,
            stage=stage or None,
            filter=doc,
            sort=parse_sort(sort),
            list_id=list_id,
            deleted=deleted,
            limit=25,
            cursor=cursor,
            viewer=principal.membership,
        )
    except Unprocessable as exc:
        filter_error = exc.message
        doc = FilterDocument()
    except BadRequest as exc:
        filter_error = exc.message
    kept = {k: v for k, v in params.items() if k in ("q", "stage", "filter", "sort", "list_id", "deleted")}
    members = await teams.list_members(session, team_id=principal.team_id)
    markets = await teams.list_markets(session, team_id=principal.team_id)
    saved_lists = await lists.all_lists(session, team_id=principal.team_id)
    fields = await listing.property_fields(session, team_id=principal.team_id)
    custom_columns = [
        (name, spec.label or name, "custom") for name, spec in fields.items() if name.startswith("custom.")
    ]
    total = (
        await listing.count_matching(
            session,
            team_id=principal.team_id,
            spec=listing.PropertyQuery(
                filter=doc, q=q or None, stage=stage or None, list_id=list_id, deleted=deleted
            ),
            viewer=principal.membership,
        )
        if filter_error is None
        else 0
    )
    return await page(
        request,
        "properties.html",
        principal=principal,
        session=session,
        nav="properties",
        rows=rows,
        total=total,
        q=q,
        stage=stage,
        sort=sort,
        deleted=deleted,
        stages=STAGES,
        active_list=active,
        saved_lists=saved_lists,
        filter_doc=doc.model_dump(mode="json", exclude_none=True),
        filter_error=filter_error,
        field_meta=_field_meta(fields, members, markets, saved_lists),
        members={str(m.id): m.full_name for m in members},
        member_choices=[(str(m.id), m.full_name) for m in members if m.is_active],
        columns=[*COLUMNS, *custom_columns],
        visible_columns=_columns_of(active.columns if active else None),
        list_columns=bool(active and active.columns),
        sort_choices=SORT_CHOICES,
        paged=cursor is not None,
        base_query=urlencode(kept),
        export_url="/api/v1/properties/export.csv" + (f"?{urlencode(kept)}" if kept else ""),
        next_url=f"/properties?{urlencode({**kept, 'cursor': next_cursor})}" if next_cursor else None,
        values=values or {"stage": "new"},
        errors=errors or {},
        error=error,
        duplicate=duplicate,
        form_open=bool(errors or error or duplicate),
        status_code=status_code,
    )


@router.get("/properties")
async def properties_page(
    request: Request,
    principal: Reader,
    session: SessionDep,
    q: str = Query(default="", max_length=200),
    stage: str = "",
    filter: str = Query(default="", max_length=20_000),
    sort: str = Query(default="", max_length=400),
    list_id: str = "",
    deleted: str = "",
    cursor: str | None = None,
) -> HTMLResponse:
    params = {
        "q": q,
        "stage": stage,
        "filter": filter,
        "sort": sort,
        "list_id": list_id,
        "deleted": deleted,
        "cursor": cursor or "",
    }
    return await _list_page(request, principal, session, params=params)


@router.post("/properties")
async def create_property(request: Request, principal: Editor, session: SessionDep) -> Response:
    data = await form_fields(request)
    values = {k: data.get(k, "") for k in FORM_FIELDS}
    # Empty optional inputs mean "unknown", not an empty string; an empty state or ZIP is a
    # missing one ("Required"), not "'' is not a US state code".
    payload: dict[str, Any] = {
        k: v for k, v in values.items() if v != "" or k not in (*NUMERIC, "state", "zip_code")
    }
    for key in ("unit", "county", "apn"):
        payload[key] = values[key] or None
    if values["estimated_value"]:
        payload["estimated_value"] = values["estimated_value"].replace(",", "").replace("$", "")
    try:
        body = PropertyCreate.model_validate(payload)
        # Imports merge a property the team already has; a hand-added one is checked the same
        # way, and added anyway only when the person says it is another property.
        same = (
            None
            if data.get("duplicate_ok")
            else await properties.same_place(session, team_id=principal.team_id, data=body)
        )
        if same is not None:
            return await _list_page(
                request, principal, session, values=values, duplicate=same, status_code=409
            )
        prop = await properties.create_property(
            session, team_id=principal.team_id, created_by_id=principal.membership.id, data=body
        )
    except ValidationError as exc:
        return await _list_page(
            request, principal, session, values=values, errors=field_errors(exc), status_code=422
        )
    except AppError as exc:
        error, errors = app_error_fields(exc)
        return await _list_page(
            request,
            principal,
            session,
            values=values,
            errors=errors,
            error=error,
            status_code=exc.status_code,
        )
    return redirect("/properties", flash=f"{prop.address}, {prop.city} is added to the pipeline.")
