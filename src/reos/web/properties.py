"""Properties: the team's list (search, stage filter, keyset pages) and a create form."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from reos.auth.principal import Principal
from reos.deps import Editor, Reader, SessionDep
from reos.errors import AppError
from reos.properties import listing
from reos.properties import service as properties
from reos.properties.models import STAGES
from reos.properties.schemas import PropertyCreate
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


async def _list_page(
    request: Request,
    principal: Principal,
    session: SessionDep,
    *,
    q: str = "",
    stage: str = "",
    cursor: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    stage = stage if stage in STAGES else ""
    rows, next_cursor = await listing.list_properties(
        session,
        team_id=principal.team_id,
        q=q or None,
        stage=stage or None,
        limit=25,
        cursor=cursor,
        viewer=principal.membership,
    )
    filters = {k: v for k, v in (("q", q), ("stage", stage)) if v}
    next_url = f"/properties?{urlencode({**filters, 'cursor': next_cursor})}" if next_cursor else None
    return await page(
        request,
        "properties.html",
        principal=principal,
        session=session,
        nav="properties",
        rows=rows,
        q=q,
        stage=stage,
        stages=STAGES,
        paged=cursor is not None,
        next_url=next_url,
        values=values or {"stage": "new"},
        errors=errors or {},
        error=error,
        form_open=bool(errors or error),
        status_code=status_code,
    )


@router.get("/properties")
async def properties_page(
    request: Request,
    principal: Reader,
    session: SessionDep,
    q: str = Query(default="", max_length=200),
    stage: str = "",
    cursor: str | None = None,
) -> HTMLResponse:
    return await _list_page(request, principal, session, q=q.strip(), stage=stage, cursor=cursor)


@router.post("/properties")
async def create_property(request: Request, principal: Editor, session: SessionDep) -> Response:
    data = await form_fields(request)
    values = {k: data.get(k, "") for k in FORM_FIELDS}
    # Empty optional inputs mean "unknown", not an empty string.
    payload: dict[str, Any] = {k: v for k, v in values.items() if v != "" or k not in NUMERIC}
    for key in ("unit", "county", "apn"):
        payload[key] = values[key] or None
    if values["estimated_value"]:
        payload["estimated_value"] = values["estimated_value"].replace(",", "").replace("$", "")
    try:
        body = PropertyCreate.model_validate(payload)
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
