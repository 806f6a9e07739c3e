"""The import wizard and the import history.

    /imports                     history (drafts first) and the upload form
    /imports/upload              file → a draft import → its mapping step
    /imports/{id}/mapping        one row per column of the file: what it becomes, sample values,
                                 a saved mapping to apply; the preview re-renders as it changes
    /imports/{id}/start          the draft starts as a background import (and the mapping can be
                                 saved as a preset on the way)
    /imports/{id}                progress while it runs, then the report: counts, first bad rows,
                                 the full error file, undo and what undo did

Every step calls `reos.imports.service`, as the JSON API does.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from reos.auth.principal import Principal
from reos.deps import Importer, Reader, SessionDep
from reos.errors import AppError, Conflict, Unprocessable
from reos.imports import engine, mapping, reader
from reos.imports import service as imports
from reos.imports.models import Import
from reos.teams import service as teams
from reos.web.account import form_fields
from reos.web.render import page, partial, redirect

router = APIRouter(include_in_schema=False)

SAMPLES = 3
HISTORY_PAGE = 25
STATUS_WORDS = {
    "draft": "Draft",
    "queued": "Queued",
    "running": "Running",
    "completed": "Completed",
    "failed": "Failed",
    "undone": "Undone",
}
TARGET_CHOICES = [
    (group, [(t, mapping.target_label(t)) for t in targets]) for group, targets in mapping.TARGET_GROUPS
]
CLASH = "Two columns are set to the same field; fix the marked rows"


def _sentence(exc: AppError) -> str:
    return exc.message[:1].upper() + exc.message[1:]


def _size(num: int) -> str:
    if num < 1024:
        return f"{num:,} bytes"
    if num < 1024 * 1024:
        return f"{num / 1024:,.1f} KB"
    return f"{num / (1024 * 1024):,.1f} MB"


# --- history and upload ------------------------------------------------------------------------


async def _member_names(principal: Principal, session: SessionDep) -> dict[uuid.UUID, str]:
    return {m.id: m.full_name for m in await teams.list_members(session, team_id=principal.team_id)}


async def _history(
    request: Request,
    principal: Principal,
    session: SessionDep,
    *,
    cursor: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rows, next_cursor = await imports.list_imports(
        session, team_id=principal.team_id, limit=HISTORY_PAGE, cursor=cursor, drafts=True
    )
    return await page(
        request,
        "imports.html",
        principal=principal,
        session=session,
        nav="imports",
        rows=rows,
        names=await _member_names(principal, session),
        next_url=f"/imports?{urlencode({'cursor': next_cursor})}" if next_cursor else None,
        paged=cursor is not None,
        error=error,
        status_words=STATUS_WORDS,
        saving_words=imports.saving_words,
        size_words=_size,
        max_mib=imports.MAX_UPLOAD_BYTES // (1024 * 1024),
        status_code=status_code,
    )


@router.get("/imports")
async def history(
    request: Request, principal: Reader, session: SessionDep, cursor: str | None = None
) -> HTMLResponse:
    return await _history(request, principal, session, cursor=cursor)


@router.post("/imports/upload")
async def upload(request: Request, principal: Importer, session: SessionDep) -> Response:
    # The form was read (and its closing arranged) by the CSRF check of `current_principal`.
    form = await request.form()
    return await _upload(request, principal, session, form.get("file"))


async def _upload(request: Request, principal: Principal, session: SessionDep, file: Any) -> Response:
    if not isinstance(file, UploadFile) or not file.filename:
        return await _history(
            request, principal, session, error="Choose a CSV or Excel file to import", status_code=422
        )
    try:
        draft = await imports.create_draft(
            session,
            team_id=principal.team_id,
            actor=principal.membership,
            upload=file.file,
            filename=file.filename,
        )
    except AppError as exc:
        if exc.status_code not in (413, 415, 422):
            raise
        message = exc.message if exc.message.startswith(file.filename) else f"{file.filename}: {exc.message}"
        return await _history(request, principal, session, error=message, status_code=exc.status_code)
    return redirect(f"/imports/{draft.id}/mapping")


# --- the mapping step --------------------------------------------------------------------------


def _form_mapping(values: dict[str, str], headers: list[str]) -> tuple[dict[str, str], dict[int, str]]:
    """{target: column} from the form's one select per column (`col__{index}`), and the columns
    whose choice clashes with an earlier column's."""
    chosen: dict[str, str] = {}
    where: dict[str, int] = {}
    clashes: dict[int, str] = {}
    for index, header in enumerate(headers):
        target = values.get(f"col__{index}", "")
        if not target:
            continue
        if target not in mapping.TARGETS:
            clashes[index] = f"{target!r} is not a field this import knows"
        elif target in chosen:
            clashes[index] = (
                f"{mapping.target_label(target)} is already the column “{headers[where[target]]}”"
            )
        else:
            chosen[target] = header
            where[target] = index
    return chosen, clashes


def _columns(table: reader.Table, used: dict[str, str]) -> list[dict[str, Any]]:
    """One entry per column of the file: its header, a few non-empty sample values, its target."""
    samples: list[list[str]] = [[] for _ in table.headers]
    for seen, cells in enumerate(table.rows):
        for index, cell in enumerate(cells[: len(table.headers)]):
            value = cell.strip()[:60]
            if value and len(samples[index]) < SAMPLES and value not in samples[index]:
                samples[index].append(value)
        if seen >= 200 or all(len(s) >= SAMPLES for s in samples):
            break
    by_column = {column: target for target, column in used.items()}
    return [
        {"index": i, "header": h, "samples": samples[i], "target": by_column.get(h, "")}
        for i, h in enumerate(table.headers)
    ]


async def _preview_context(
    imp: Import, data: bytes, used: dict[str, str], clashes: dict[int, str]
) -> dict[str, Any]:
    if clashes:
        return {"preview": None, "preview_error": CLASH}
    try:
        found = await imports.draft_preview(imp, data, used)
    except Unprocessable as exc:
        return {"preview": None, "preview_error": _sentence(exc)}
    refused = sum(1 for r in found["rows"] if not r["lands"])
    return {"preview": found, "preview_error": None, "refused": refused}


async def _mapping_page(
    request: Request,
    principal: Principal,
    session: SessionDep,
    imp: Import,
    data: bytes,
    *,
    used: dict[str, str],
    clashes: dict[int, str] | None = None,
    on_duplicate: str = "update",
    preset_name: str = "",
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    table = imports.open_draft(imp, data)
    clashes = clashes or {}
    return await page(
        request,
        "import_mapping.html",
        principal=principal,
        session=session,
        nav="imports",
        imp=imp,
        columns=_columns(table, used),
        sheets=table.sheets,
        choices=TARGET_CHOICES,
        clashes=clashes,
        presets=await imports.list_presets(session, team_id=principal.team_id),
        on_duplicate=on_duplicate,
        preset_name=preset_name,
        error=error,
        notice=notice,
        size_words=_size,
        mapped=len(used),
        status_code=status_code,
        **await _preview_context(imp, data, used, clashes),
    )


@router.get("/imports/{import_id}/mapping")
async def mapping_step(
    request: Request,
    import_id: uuid.UUID,
    principal: Importer,
    session: SessionDep,
    preset: uuid.UUID | None = None,
) -> Response:
    imp = await imports.get_import(session, team_id=principal.team_id, import_id=import_id, drafts=True)
    if imp is not None and imp.status != "draft":
        return redirect(f"/imports/{imp.id}")
    imp = await imports.get_draft_or_raise(session, team_id=principal.team_id, import_id=import_id)
    data = await imports.draft_file(imp)
    used = dict(imp.mapping)
    notice = None
    if preset is not None:
        saved = await imports.get_preset_or_raise(session, team_id=principal.team_id, preset_id=preset)
        headers = set(imports.open_draft(imp, data).headers)
        used = {t: c for t, c in saved.mapping.items() if c in headers and t in mapping.TARGETS}
        missing = sorted(c for c in saved.mapping.values() if c not in headers)
        notice = f"Applied “{saved.name}”" + (
            f"; this file has no column {', '.join(f'“{c}”' for c in missing)}" if missing else ""
        )
    return await _mapping_page(request, principal, session, imp, data, used=used, notice=notice)


async def _other_sheet(request: Request, imp: Import) -> str | None:
    """What to say when the form was drawn for another sheet than the draft now reads (a page
    kept by the browser's Back after the sheet was changed): its columns are another sheet's."""
    sent = (await request.form()).get("sheet")
    if not isinstance(sent, str) or imp.sheet is None or sent == imp.sheet:
        return None
    return (
        f"This page showed the columns of the sheet “{sent}”, but the import now reads “{imp.sheet}”. "
        "Check its columns below and start again."
    )


@router.post("/imports/{import_id}/preview")
async def preview_partial(
    request: Request, import_id: uuid.UUID, principal: Importer, session: SessionDep
) -> HTMLResponse:
    imp = await imports.get_draft_or_raise(session, team_id=principal.team_id, import_id=import_id)
    values = await form_fields(request)
    data = await imports.draft_file(imp)
    headers = imports.open_draft(imp, data).headers
    used, clashes = _form_mapping(values, headers)
    stale = await _other_sheet(request, imp)
    preview = {"preview": None, "preview_error": stale} if stale else None
    return partial(
        request,
        "import_preview.html",
        principal=principal,
        oob=True,
        total=len(headers),
        mapped=len(used),
        clashes=clashes,
        **(preview or await _preview_context(imp, data, used, clashes)),
    )


@router.post("/imports/{import_id}/start")
async def start(request: Request, import_id: uuid.UUID, principal: Importer, session: SessionDep) -> Response:
    found = await imports.get_import(
        session, team_id=principal.team_id, import_id=import_id, drafts=True, lock=True
    )
    if found is not None and found.status != "draft":
        # A second click on Start (or the form sent again) finds it queued or further on: it shows
        # the run. The lock above makes a click racing the first wait for it, so one job is queued.
        return redirect(f"/imports/{found.id}")
    imp = imports.draft_or_raise(found, import_id)
    values = await form_fields(request)
    data = await imports.draft_file(imp)
    stale = await _other_sheet(request, imp)
    if stale:
        return await _mapping_page(
            request, principal, session, imp, data, used=imp.mapping, error=stale, status_code=409
        )
    headers = imports.open_draft(imp, data).headers
    used, clashes = _form_mapping(values, headers)
    on_duplicate = values.get("on_duplicate", "update")
    preset_name = values.get("preset_name", "")

    async def again(error: str) -> HTMLResponse:
        return await _mapping_page(
            request,
            principal,
            session,
            imp,
            data,
            used=used,
            clashes=clashes,
            on_duplicate=on_duplicate,
            preset_name=preset_name,
            error=error,
            status_code=422,
        )

    if clashes:
        return await again(CLASH)
    try:
        await imports.start_draft(
            session,
            imp=imp,
            given=used,
            on_duplicate=on_duplicate,
            preset_name=preset_name or None,
            data=data,
        )
    except AppError as exc:
        if exc.status_code not in (409, 422):
            raise
        return await again(_sentence(exc))
    saved = f"; mapping saved as “{preset_name}”" if preset_name else ""
    return redirect(f"/imports/{imp.id}", flash=f"Import of {imp.filename} started{saved}")


@router.post("/imports/{import_id}/sheet")
async def choose_sheet(
    request: Request, import_id: uuid.UUID, principal: Importer, session: SessionDep
) -> Response:
    # Locked: a Start racing this change waits for it, and then finds the sheet it reads.
    found = await imports.get_import(
        session, team_id=principal.team_id, import_id=import_id, drafts=True, lock=True
    )
    imp = imports.draft_or_raise(found, import_id)
    # As sent: a sheet's name may end in a space, which the form's tidied fields would drop.
    raw = (await request.form()).get("sheet")
    sheet = raw if isinstance(raw, str) else ""
    try:
        if not sheet:
            raise Unprocessable("choose a sheet to read", details={"field": "sheet"})
        await imports.choose_sheet(session, imp=imp, sheet=sheet)
    except Unprocessable as exc:
        data = await imports.draft_file(imp)
        return await _mapping_page(
            request, principal, session, imp, data, used=imp.mapping, error=_sentence(exc), status_code=422
        )
    return redirect(
        f"/imports/{imp.id}/mapping", flash=f"Reading the sheet “{imp.sheet}”; its columns were matched again"
    )


@router.post("/imports/{import_id}/discard")
async def discard(import_id: uuid.UUID, principal: Importer, session: SessionDep) -> Response:
    imp = await imports.get_draft_or_raise(session, team_id=principal.team_id, import_id=import_id)
    await imports.discard_draft(session, imp=imp)
    return redirect("/imports", flash=f"{imp.filename} discarded", kind="info")


# --- progress, report, undo --------------------------------------------------------------------


async def _report_context(principal: Principal, session: SessionDep, imp: Import) -> dict[str, Any]:
    errors = []
    if imp.status in ("completed", "undone"):
        errors = await imports.first_errors(session, team_id=principal.team_id, import_id=imp.id)
    return {
        "ranking": await imports.rescoring_state(session, imp),
        "imp": imp,
        "percent": imports.percent_done(imp),
        "merge_step": imports.merge_step(imp.phase),
        "merge_steps": len(engine.MERGE_STEPS),
        "steps_percent": imports.steps_percent(imp.phase),
        "saving": imports.saving_words(imp),
        "counts": imp.counts or {},
        "errors": errors,
        "status_words": STATUS_WORDS,
        "target_label": mapping.target_label,
    }


async def _imported(principal: Principal, session: SessionDep, import_id: uuid.UUID) -> Import | Response:
    imp = await imports.get_import(session, team_id=principal.team_id, import_id=import_id, drafts=True)
    if imp is not None and imp.status == "draft":
        return redirect(f"/imports/{imp.id}/mapping")
    return await imports.get_import_or_raise(session, team_id=principal.team_id, import_id=import_id)


@router.get("/imports/{import_id}")
async def report(request: Request, import_id: uuid.UUID, principal: Reader, session: SessionDep) -> Response:
    imp = await _imported(principal, session, import_id)
    if isinstance(imp, Response):
        return imp
    names = await _member_names(principal, session)
    return await page(
        request,
        "import_report.html",
        principal=principal,
        session=session,
        nav="imports",
        by=names.get(imp.created_by_id) if imp.created_by_id else None,
        size_words=_size,
        **await _report_context(principal, session, imp),
    )


@router.get("/imports/{import_id}/status")
async def status_partial(
    request: Request, import_id: uuid.UUID, principal: Reader, session: SessionDep
) -> HTMLResponse:
    imp = await imports.get_import_or_raise(session, team_id=principal.team_id, import_id=import_id)
    return partial(
        request, "import_status.html", principal=principal, **await _report_context(principal, session, imp)
    )


@router.post("/imports/{import_id}/undo")
async def undo(import_id: uuid.UUID, principal: Importer, session: SessionDep) -> Response:
    try:
        imp = await imports.undo(
            session,
            team_id=principal.team_id,
            import_id=import_id,
            actor=principal.membership,
            actor_email=principal.account.email,
        )
    except Conflict as exc:
        return redirect(f"/imports/{import_id}", flash=_sentence(exc), kind="error")
    report = imp.undo_report or {}
    kept = report.get("kept", {}).get("properties", 0)
    removed = report.get("removed", {}).get("properties", 0)
    words = f"Import undone: {removed:,} properties removed"
    if kept:
        words += f", {kept:,} kept because they were worked on since"
    return redirect(f"/imports/{imp.id}", flash=words)
