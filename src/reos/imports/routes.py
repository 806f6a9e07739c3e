"""Imports over HTTP: preview, start, status, history, the error report, undo, mapping presets."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse

from reos.deps import Importer, Reader, SessionDep, get_database
from reos.errors import Unprocessable
from reos.imports import engine
from reos.imports import service as imports
from reos.imports.models import Import
from reos.imports.schemas import (
    ImportCounts,
    ImportPage,
    ImportPreview,
    ImportProgress,
    ImportRead,
    ImportStarted,
    PresetCreate,
    PresetRead,
    PresetUpdate,
)
from reos.kit import jsontext
from reos.kit.routing import DocstringRoute

router = APIRouter(prefix="/api/v1/imports", tags=["imports"], route_class=DocstringRoute)


SHEET = Form(
    default=None,
    description="the worksheet of an XLSX workbook to read; without it, the first whose header row "
    "has a street address",
)


def _mapping(raw: str | None) -> dict[str, Any] | None:
    if raw is None or not raw.strip():
        return None
    try:
        value = jsontext.loads(raw)
    except json.JSONDecodeError as exc:
        raise Unprocessable(f"mapping is not valid JSON: {exc.msg}", details={"field": "mapping"}) from None
    if not isinstance(value, dict):
        raise Unprocessable(
            "mapping must be a JSON object {target_field: source_column}", details={"field": "mapping"}
        )
    return value


def _read(imp: Import) -> ImportRead:
    return ImportRead(
        id=imp.id,
        status=imp.status,
        filename=imp.filename,
        format=imp.format,
        sheet=imp.sheet,
        size_bytes=imp.size_bytes,
        mapping=imp.mapping,
        on_duplicate=imp.on_duplicate,
        counts=ImportCounts.model_validate(imp.counts),
        progress=ImportProgress(
            rows_done=imp.rows_done,
            rows_total=imp.rows_total,
            percent=imports.percent_done(imp),
            phase=imp.phase,
            step=imports.merge_step(imp.phase),
            steps=len(engine.MERGE_STEPS),
        ),
        error=imp.error,
        undo_report=imp.undo_report,
        created_by_id=imp.created_by_id,
        created_at=imp.created_at,
        started_at=imp.started_at,
        finished_at=imp.finished_at,
        undone_at=imp.undone_at,
    )


@router.post("/preview")
async def preview_import(
    principal: Importer,
    file: UploadFile = File(description="CSV or XLSX lead list"),
    mapping: str | None = Form(
        default=None, description="JSON {target_field: source_column}; guessed if absent"
    ),
    sheet: str | None = SHEET,
) -> ImportPreview:
    """Show the guessed mapping, the first rows as they would land and the problems found."""
    answer = imports.preview(file.file, filename=file.filename or "", given=_mapping(mapping), sheet=sheet)
    return ImportPreview.model_validate(answer)


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def start_import(
    principal: Importer,
    session: SessionDep,
    file: UploadFile = File(description="CSV or XLSX lead list"),
    mapping: str | None = Form(
        default=None, description="JSON {target_field: source_column}; guessed if absent"
    ),
    on_duplicate: str = Form(default="update", description="update or skip properties the team already has"),
    sheet: str | None = SHEET,
) -> ImportStarted:
    """Start importing a file as a background job."""
    imp = await imports.start(
        session,
        team_id=principal.team_id,
        actor=principal.membership,
        upload=file.file,
        filename=file.filename or "",
        given=_mapping(mapping),
        on_duplicate=on_duplicate,
        sheet=sheet,
    )
    return ImportStarted(id=imp.id, status="queued")


@router.get("")
async def list_imports(
    principal: Reader, session: SessionDep, limit: int | None = None, cursor: str | None = None
) -> ImportPage:
    """List the team's imports, newest first."""
    rows, next_cursor = await imports.list_imports(
        session, team_id=principal.team_id, limit=limit, cursor=cursor
    )
    return ImportPage(items=[_read(r) for r in rows], next_cursor=next_cursor)


@router.get("/presets")
async def list_presets(principal: Reader, session: SessionDep) -> list[PresetRead]:
    """List the team's saved column mappings."""
    return [
        PresetRead.model_validate(p) for p in await imports.list_presets(session, team_id=principal.team_id)
    ]


@router.post("/presets", status_code=status.HTTP_201_CREATED)
async def create_preset(body: PresetCreate, principal: Importer, session: SessionDep) -> PresetRead:
    """Save a column mapping under a name."""
    preset = await imports.create_preset(
        session, team_id=principal.team_id, name=body.name, value=body.mapping
    )
    return PresetRead.model_validate(preset)


@router.get("/presets/{preset_id}")
async def get_preset(preset_id: uuid.UUID, principal: Reader, session: SessionDep) -> PresetRead:
    """Show a saved column mapping."""
    preset = await imports.get_preset_or_raise(session, team_id=principal.team_id, preset_id=preset_id)
    return PresetRead.model_validate(preset)


@router.patch("/presets/{preset_id}")
async def update_preset(
    preset_id: uuid.UUID, body: PresetUpdate, principal: Importer, session: SessionDep
) -> PresetRead:
    """Rename a saved mapping or change its columns."""
    preset = await imports.update_preset(
        session, team_id=principal.team_id, preset_id=preset_id, name=body.name, value=body.mapping
    )
    return PresetRead.model_validate(preset)


@router.delete("/presets/{preset_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_preset(preset_id: uuid.UUID, principal: Importer, session: SessionDep) -> Response:
    """Delete a saved mapping."""
    await imports.delete_preset(session, team_id=principal.team_id, preset_id=preset_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{import_id}")
async def get_import(import_id: uuid.UUID, principal: Reader, session: SessionDep) -> ImportRead:
    """Show an import: its status, counts and progress."""
    return _read(await imports.get_import_or_raise(session, team_id=principal.team_id, import_id=import_id))


@router.get("/{import_id}/errors", response_class=StreamingResponse)
async def import_errors(import_id: uuid.UUID, principal: Reader, request: Request) -> StreamingResponse:
    """Download the bad rows as CSV: row number, column, reason and the row as read."""
    db = get_database(request)
    rows = imports.error_csv(db, team_id=principal.team_id, import_id=import_id)
    first = await anext(rows)  # a missing import is a 404 before the stream starts

    async def body() -> Any:
        yield first
        async for part in rows:
            yield part

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{import_id}-errors.csv"'},
    )


@router.post("/{import_id}/undo")
async def undo_import(import_id: uuid.UUID, principal: Importer, session: SessionDep) -> ImportRead:
    """Undo an import: remove what it created (unless worked on since) and restore the fields it changed."""
    imp = await imports.undo(
        session,
        team_id=principal.team_id,
        import_id=import_id,
        actor=principal.membership,
        actor_email=principal.account.email,
    )
    return _read(imp)
