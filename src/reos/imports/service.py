"""Imports: preview, start, run, read, the error report, undo, and saved mapping presets."""

from __future__ import annotations

import asyncio
import csv
import functools
import hashlib
import io
import itertools
import json
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import IO, Any, cast

import anyio
from sqlalchemy import delete, select, text, tuple_, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from reos.audit import service as audit
from reos.db.session import Database, team_session
from reos.errors import Conflict, NotFound, Unprocessable
from reos.events import service as events
from reos.imports import engine, mapping, normalise, reader
from reos.imports.models import PRESET_NAME_MAX, Import, ImportRowError, MappingPreset
from reos.jobs import service as jobs
from reos.kit import clock
from reos.kit.leads_lock import lock_leads
from reos.kit.pagination import keyset_page
from reos.notifications import service as notifications
from reos.providers import registry as providers
from reos.scoring.models import KINDS_OF_LEAD_SQL
from reos.teams.models import Membership

PREVIEW_ROWS = 20
# How long an undo waits for the team's leads lock before it answers 409.
UNDO_WAIT_MS = 15_000
# A million-row list with five phones and emails a row is ~300 MB. Uploads are streamed to
# storage and from it to the job's temporary file, never held in memory, so the bound is disk.
MAX_UPLOAD_BYTES = 2 * 1024**3
COUNT_KEYS = ("total", "created", "updated", "unchanged", "duplicates", "errors")
ProgressSink = Callable[[Import, int, int | None], Awaitable[None]]
# Hears each phase after reading as it starts (a merge step of `engine.MERGE_STEPS`, or "waiting"
# for another import of the team) and how many rows were read; `phase_label` words it.
StepSink = Callable[[str, int], Awaitable[None]]

# What each phase of a running import is doing, in the words of its progress page.
PHASE_WORDS = {
    "reading": "reading the file",
    "waiting": "waiting for the team's other import to finish",
    "matching": "matching rows to the team's leads",
    "properties": "saving properties and signals",
    "owners": "saving owners",
    "roles": "linking owners to their properties",
    "points": "saving phones and emails",
    "finishing": "recording problems and finishing",
}


# --- preview ---------------------------------------------------------------------------------


def looks_like_leads(headers: list[str]) -> bool:
    """A header row with a street address column: which sheet of a workbook holds the list."""
    return "address" in mapping.guess_mapping(headers)


def open_table(stream: IO[bytes], filename: str, sheet: str | None = None) -> reader.Table:
    """`reader.open_table` choosing, in a workbook, the sheet that holds the lead list."""
    return reader.open_table(stream, filename, sheet=sheet or None, wanted=looks_like_leads)


def _mapping_for(table: reader.Table, given: dict[str, Any] | None) -> dict[str, str]:
    if given is None:
        if not looks_like_leads(table.headers):
            raise Unprocessable(
                "no column looks like the street address; send a mapping with an address column",
                details={"field": "mapping.address", "columns": table.headers},
            )
        return mapping.guess_mapping(table.headers)
    return mapping.check_mapping(given, table.headers)


def preview(
    upload: IO[bytes], *, filename: str, given: dict[str, Any] | None, sheet: str | None = None
) -> dict[str, Any]:
    """The guessed (or given) mapping, the first rows as they would land and the problems found."""
    return preview_table(open_table(upload, filename, sheet), given)


def preview_table(table: reader.Table, given: dict[str, Any] | None) -> dict[str, Any]:
    used = _mapping_for(table, given)
    plan = normalise.Plan.build(table.headers, used)
    rows = []
    problems = []
    for number, cells in enumerate(table.rows, start=1):
        if number > PREVIEW_ROWS:
            break
        if normalise.blank(cells):
            continue
        row = normalise.normalise_row(plan, number, cells)
        values = {
            k: (str(v) if v is not None and not isinstance(v, (str, int, list)) else v)
            for k, v in row.values.items()
        }
        rows.append(
            {
                "row_number": number,
                "lands": not row.refused,
                "property": values,
                "owners": [{k: v for k, v in vars(person).items() if v is not None} for person in row.people],
                "points": [
                    {"kind": p.kind, "value": p.value, "line_type": p.line_type, "dnc": p.dnc}
                    for p in row.points
                ],
                "signals": row.signals,
            }
        )
        problems += [
            {"row_number": number, "column": c, "reason": r, "row_lands": not row.refused}
            for c, r in row.problems
        ]
    mapped = set(used.values())
    return {
        "format": table.format,
        "delimiter": table.delimiter,
        "sheets": table.sheets,
        "sheet": table.sheet,
        "columns": table.headers,
        "mapping": used,
        "unmapped_columns": [h for h in table.headers if h not in mapped],
        "targets": list(mapping.TARGETS),
        "rows": rows,
        "problems": problems,
    }


# --- start and run -------------------------------------------------------------------------------


def _measure_upload(upload: IO[bytes]) -> tuple[int, str]:
    """The upload's size and SHA-256, read through once in blocks (it is never held whole)."""
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    while block := upload.read(1024 * 1024):
        size += len(block)
        if size > MAX_UPLOAD_BYTES:
            raise Unprocessable(
                f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB; import it with "
                "`reos import FILE --team TEAM` on the server",
                details={"field": "file"},
            )
        digest.update(block)
    upload.seek(0)
    return size, digest.hexdigest()


async def start(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    actor: Membership | None,
    upload: IO[bytes],
    filename: str,
    given: dict[str, Any] | None,
    on_duplicate: str = "update",
    sheet: str | None = None,
    defer_job: bool = True,
) -> Import:
    """Check the file and mapping, keep the file, record the import and defer its job."""
    _check_on_duplicate(on_duplicate)
    table = open_table(upload, filename, sheet)
    used = _mapping_for(table, given)
    imp = await _keep_upload(
        session, team_id=team_id, actor=actor, upload=upload, filename=filename, table=table, used=used
    )
    imp.on_duplicate = on_duplicate
    await _queue(session, imp, defer_job=defer_job)
    return imp


def _check_on_duplicate(on_duplicate: str) -> None:
    if on_duplicate not in ("update", "skip"):
        raise Unprocessable("on_duplicate must be update or skip", details={"field": "on_duplicate"})


async def _keep_upload(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    actor: Membership | None,
    upload: IO[bytes],
    filename: str,
    table: reader.Table,
    used: dict[str, str],
    status: str = "queued",
) -> Import:
    """Record the import row and store its file under the row's id, streamed from the upload."""
    size, sha = await asyncio.to_thread(_measure_upload, upload)
    imp = Import(
        team_id=team_id,
        filename=(filename or "upload")[:255],
        format=table.format,
        sheet=table.sheet,
        file_key="",
        file_sha256=sha,
        size_bytes=size,
        mapping=used,
        on_duplicate="update",
        status=status,
        counts=dict.fromkeys(COUNT_KEYS, 0),
        rows_done=0,
        created_by_id=actor.id if actor is not None else None,
    )
    session.add(imp)
    await session.flush()
    imp.file_key = f"imports/{team_id}/{imp.id}/source.{table.format}"
    storage = providers.current().storage
    await storage.put_file(imp.file_key, upload)
    if table.format == "csv" and size > DRAFT_HEAD_BYTES:
        # Previews read the first rows only; a draft keeps them apart so each change of the
        # mapping does not read a file of hundreds of megabytes again.
        upload.seek(0)
        await storage.put(_head_key(imp), _head(upload.read(DRAFT_HEAD_BYTES)))
    await session.flush()
    return imp


async def _queue(session: AsyncSession, imp: Import, *, defer_job: bool = True) -> None:
    imp.status = "queued"
    await session.flush()
    if defer_job:
        from reos.imports.jobs import run_import
        from reos.jobs.queue import defer

        await defer(session, run_import, team_id=imp.team_id, import_id=imp.id)
    await events.publish(session, team_id=imp.team_id, type="import.progress", data=progress_data(imp))


# --- drafts: the web wizard's file while its columns are mapped ----------------------------------

DRAFT_HEAD_BYTES = 1024 * 1024
# A workbook's draft keeps the first rows of its sheet: opening a workbook parses its
# whole shared-string table (7 s for an Excel file of 100,000 rows), and the mapping step opened
# it for every change of a column.
DRAFT_HEAD_ROWS = 500
DRAFT_MAX_AGE = timedelta(days=1)


def _head_key(imp: Import) -> str:
    return f"imports/{imp.team_id}/{imp.id}/head.csv"


def _workbook_head_key(imp: Import) -> str:
    return f"imports/{imp.team_id}/{imp.id}/head.json"


def _table_head(table: reader.Table) -> bytes:
    """A workbook sheet's header and first rows, and the workbook's sheets, as JSON: cells
    exactly as the reader gave them (as CSV, a header with more semicolons than commas had been
    split on them when read back)."""
    rows = list(itertools.islice(table.rows, DRAFT_HEAD_ROWS))
    head = {"sheets": table.sheets, "sheet": table.sheet, "headers": table.headers, "rows": rows}
    return json.dumps(head, ensure_ascii=False).encode()


def _head_table(data: bytes) -> reader.Table:
    head = json.loads(data)
    return reader.Table(
        "xlsx", head["headers"], iter(head["rows"]), sheets=head["sheets"], sheet=head["sheet"]
    )


def _head(head: bytes) -> bytes:
    """The file's first megabyte, cut after its last whole line."""
    cut = head.rfind(b"\n")
    return head[: cut + 1] if cut > 0 else head


async def create_draft(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    actor: Membership | None,
    upload: IO[bytes],
    filename: str,
) -> Import:
    """Keep an uploaded file as a draft import with the mapping guessed from its headers (which
    may still lack the address: the person mapping the columns chooses it)."""
    table = open_table(upload, filename)
    # Taken before the file is read again to be kept: the workbook streams from it.
    head = _table_head(table) if table.format == "xlsx" else None
    imp = await _keep_upload(
        session,
        team_id=team_id,
        actor=actor,
        upload=upload,
        filename=filename,
        table=table,
        used=mapping.guess_mapping(table.headers),
        status="draft",
    )
    if head is not None:
        await providers.current().storage.put(_workbook_head_key(imp), head)
    return imp


async def get_draft_or_raise(session: AsyncSession, *, team_id: uuid.UUID, import_id: uuid.UUID) -> Import:
    found = await get_import(session, team_id=team_id, import_id=import_id, drafts=True)
    return draft_or_raise(found, import_id)


def draft_or_raise(found: Import | None, import_id: uuid.UUID) -> Import:
    """`found` when it is a draft; 404 when it is missing or no longer a draft."""
    if found is None or found.status != "draft":
        raise NotFound("draft import not found", details={"id": str(import_id)})
    return found


async def draft_file(imp: Import) -> bytes:
    """The draft's file as previews read it: its first megabyte when it is a large CSV, the
    first rows of its sheet (`_table_head`) when it is a workbook. A page reads it once and hands it to
    `open_draft`, `draft_preview` and `start_draft`."""
    storage = providers.current().storage
    key = _workbook_head_key(imp) if imp.format == "xlsx" else _head_key(imp)
    return await storage.get(key if await storage.exists(key) else imp.file_key)


def open_draft(imp: Import, data: bytes) -> reader.Table:
    """The draft's table from what `draft_file` gave: a workbook's kept head, or the file."""
    if imp.format == "xlsx" and data.startswith(b"{"):
        return _head_table(data)
    return open_table(io.BytesIO(data), imp.filename, imp.sheet if imp.format == "xlsx" else None)


async def draft_preview(imp: Import, data: bytes, given: dict[str, Any]) -> dict[str, Any]:
    """What `preview` answers for the draft's file and the mapping being edited."""
    return await asyncio.to_thread(lambda: preview_table(open_draft(imp, data), given))


async def choose_sheet(session: AsyncSession, *, imp: Import, sheet: str) -> Import:
    """Read another sheet of a draft's workbook: its columns are new, so the mapping is guessed
    again from its header row, and the first rows kept for the mapping step are its own."""
    if imp.format != "xlsx":
        raise Unprocessable("a CSV file has no sheets", details={"field": "sheet"})
    path = await file_to_path(imp)
    try:
        table, stream = await asyncio.to_thread(reader.open_path, path, imp.filename, sheet=sheet)
        try:
            head = await asyncio.to_thread(_table_head, table)
        finally:
            stream.close()
    finally:
        os.unlink(path)
    imp.sheet, imp.mapping = table.sheet, mapping.guess_mapping(table.headers)
    await session.flush()
    await providers.current().storage.put(_workbook_head_key(imp), head)
    return imp


async def start_draft(
    session: AsyncSession,
    *,
    imp: Import,
    given: dict[str, Any],
    on_duplicate: str,
    preset_name: str | None = None,
    data: bytes | None = None,
) -> Import:
    """Start a draft with the mapping chosen for it, saving the mapping as a preset on the way
    when named (`data`: the draft's file when the caller has read it already). Everything is
    checked before anything is written, so a refusal leaves the draft as it was."""
    _check_on_duplicate(on_duplicate)
    table = open_draft(imp, data if data is not None else await draft_file(imp))
    used = mapping.check_mapping(given, table.headers)
    if preset_name:
        await create_preset(session, team_id=imp.team_id, name=preset_name, value=used)
    imp.mapping, imp.on_duplicate = used, on_duplicate
    for key in (_head_key(imp), _workbook_head_key(imp)):
        await providers.current().storage.delete(key)
    await _queue(session, imp)
    return imp


async def discard_draft(session: AsyncSession, *, imp: Import) -> None:
    """Forget a draft and its file; 404 when it was started (or discarded) meanwhile."""
    if not await _forget(session, imp):
        raise NotFound("draft import not found", details={"id": str(imp.id)})


async def _forget(session: AsyncSession, imp: Import) -> bool:
    """Delete a draft and its files; False when it is no longer a draft. The row is locked
    first, so a start committed meanwhile wins and its import is kept."""
    where = (Import.team_id == imp.team_id, Import.id == imp.id)
    status = await session.scalar(select(Import.status).where(*where).with_for_update())
    if status != "draft":
        return False
    # Deleting an import runs the keys of the five lead tables that point at imports, and none
    # has an index on `import_id` (an import's writes would pay for it): each reads the team's
    # rows, 1.5-4.8 s at a million leads. A draft has written nothing, so there is nothing for
    # them to find; the row lock above keeps it a draft until this transaction ends.
    unchecked = bool(await session.scalar(text("SELECT reos_set_reference_checks(false)")))
    await session.execute(delete(Import).where(*where, Import.status == "draft"))
    if unchecked:
        await session.execute(text("SELECT reos_set_reference_checks(true)"))
    session.expunge(imp)
    storage = providers.current().storage
    for key in (imp.file_key, _head_key(imp), _workbook_head_key(imp)):
        if key:
            await storage.delete(key)
    return True


async def remove_stale_drafts(session: AsyncSession, *, team_id: uuid.UUID) -> int:
    """Drafts left for more than a day, with their files (the nightly maintenance runs it)."""
    stale = (
        await session.scalars(
            select(Import).where(
                Import.team_id == team_id,
                Import.status == "draft",
                Import.created_at < clock.now() - DRAFT_MAX_AGE,
            )
        )
    ).all()
    return sum([await _forget(session, imp) for imp in stale])


def percent_done(imp: Import) -> int:
    """How far an import is, in whole percent: 100 only once it has finished (the row total is
    an estimate while the file is still being read)."""
    if imp.status in ("completed", "undone"):
        return 100
    done, total = imp.rows_done, imp.rows_total
    return min(99, done * 100 // total) if total else 0


def merge_step(phase: str | None) -> int | None:
    """The number (1-based) of the merge step under way, None before the merge or after it."""
    return engine.MERGE_STEPS.index(phase) + 1 if phase in engine.MERGE_STEPS else None


def steps_percent(phase: str | None) -> int:
    """How much of the merge is done, in whole percent of its steps (0 until the first ends)."""
    return ((merge_step(phase) or 1) - 1) * 100 // len(engine.MERGE_STEPS)


def phase_label(phase: str) -> str:
    """A phase in words, with its number when it is a merge step: "saving owners (step 3 of 6)"."""
    number = merge_step(phase)
    words = PHASE_WORDS[phase]
    return f"{words} (step {number} of {len(engine.MERGE_STEPS)})" if number else words


def saving_words(imp: Import) -> str | None:
    """What a running import is doing once its rows are read (waiting for the team's other
    import, or a merge step), in words; None while it reads, before it runs and once it ended."""
    if imp.status != "running" or imp.phase in (None, "reading"):
        return None
    return PHASE_WORDS[imp.phase]


def progress_data(imp: Import, done: int | None = None, total: int | None = None) -> dict[str, Any]:
    return {
        "id": str(imp.id),
        "status": imp.status,
        "phase": imp.phase,
        "rows_done": imp.rows_done if done is None else done,
        "rows_total": imp.rows_total if total is None else total,
        "counts": imp.counts,
    }


async def _side_update(db: Database, imp: Import, **values: Any) -> None:
    """Write the import's state in a short transaction of its own (the run's transaction must
    not hold that row's lock), and announce it."""
    async with team_session(db, imp.team_id) as side:
        await side.execute(
            update(Import).where(Import.team_id == imp.team_id, Import.id == imp.id).values(**values)
        )
        data = progress_data(imp)
        data.update({k: v for k, v in values.items() if k in ("status", "phase", "rows_done", "rows_total")})
        await events.publish(side, team_id=imp.team_id, type="import.progress", data=data)


async def execute(
    session: AsyncSession,
    *,
    db: Database,
    imp: Import,
    path: str,
    workers: int = 2,
    on_progress: ProgressSink | None = None,
    on_step: StepSink | None = None,
) -> Import:
    """Run an import over the file at `path` inside the session's transaction. Its phase (read,
    then each merge step) is written beside it, as its progress is."""
    started = clock.now()
    await _side_update(db, imp, status="running", started_at=started, phase="reading")
    # An import recorded before the sheet was kept (null) was mapped on the first worksheet.
    table, stream = await asyncio.to_thread(
        functools.partial(reader.open_path, path, imp.filename, sheet=imp.sheet)
    )
    try:
        plan = normalise.Plan.build(table.headers, mapping.check_mapping(imp.mapping, table.headers))
        size = (await anyio.Path(path).stat()).st_size

        async def progress(done: int, taken: int) -> None:
            estimate = None
            position = stream.tell() if table.format == "csv" else 0
            if position:
                # The rows taken from the file so far, not those landed, match its position:
                # scaling the landed ones guessed 43,000 rows for a file of 100,000.
                estimate = max(done, int(taken * size / position))
            await _side_update(db, imp, status="running", rows_done=done, rows_total=estimate)
            if on_progress is not None:
                await on_progress(imp, done, estimate)

        total, refused = await engine.stage(
            session, rows=table.rows, plan=plan, size_bytes=size, progress=progress, workers=workers
        )
    finally:
        stream.close()

    async def step(phase: str) -> None:
        await _side_update(db, imp, status="running", phase=phase, rows_done=total, rows_total=total)
        if on_step is not None:
            await on_step(phase, total)

    await engine.refresh_stale_statistics(db, imp.team_id)
    counts = await engine.merge(
        session,
        team_id=imp.team_id,
        import_id=imp.id,
        mapping=imp.mapping,
        on_duplicate=imp.on_duplicate,
        now=started,
        actor_id=imp.created_by_id,
        on_step=step,
    )
    imp.counts = {"total": total, "errors": refused, **counts}
    imp.status, imp.rows_done, imp.rows_total, imp.finished_at = "completed", total, total, clock.now()
    # Written by the side updates, not through this object, which may still hold null.
    imp.phase = None
    flag_modified(imp, "phase")
    await session.flush()
    await events.publish(session, team_id=imp.team_id, type="import.progress", data=progress_data(imp))
    if on_progress is not None:
        await on_progress(imp, total, total)
    return imp


async def mark_failed(db: Database, imp: Import, reason: str) -> None:
    imp.status = "failed"
    await _side_update(db, imp, status="failed", phase=None, error=reason[:2000], finished_at=clock.now())
    async with team_session(db, imp.team_id) as side:
        await tell_importer(side, imp, failed=reason)


async def tell_importer(session: AsyncSession, imp: Import, *, failed: str | None = None) -> None:
    """The member who started an import hears how it ended, in the inbox (and by email if
    they chose it): a big list runs for minutes, and nobody should have to watch it."""
    if imp.created_by_id is None:
        return
    if failed is None:
        c = imp.counts
        title = f"Import finished: {imp.filename}"
        refused = c.get("errors", 0)
        body = (
            f"{c.get('created', 0):,} new, {c.get('updated', 0):,} updated, "
            f"{c.get('unchanged', 0):,} unchanged; {refused:,} row{'' if refused == 1 else 's'} refused"
        )
    else:
        title, body = f"Import failed: {imp.filename}", failed[:500]
    await notifications.notify(
        session,
        team_id=imp.team_id,
        membership_id=imp.created_by_id,
        kind="import_finished",
        title=title,
        body=body,
        link=f"/imports/{imp.id}",
    )


async def file_to_path(imp: Import) -> str:
    """The stored upload, streamed to a temporary file the reader can read (caller deletes it)."""
    handle, path = tempfile.mkstemp(suffix=f".{imp.format}", prefix="reos-import-")
    try:
        with os.fdopen(handle, "wb") as out:
            await providers.current().storage.get_file(imp.file_key, out)
    except BaseException:
        os.unlink(path)
        raise
    return path


# How long after an import (or its undo) its report says how the scoring that follows went.
RESCORING_SHOWN = timedelta(days=1)


async def rescoring_state(session: AsyncSession, imp: Import) -> dict[str, Any] | None:
    """The team's full rescoring that follows an import or its undo (`imp.rescore_job_id`):
    queued, running (with its percent), completed or failed, and since when. Until it has run the
    new leads sit at score 0, last in the list's default order; None once that is a day old."""
    since = imp.undone_at if imp.status == "undone" else imp.finished_at
    job_id = imp.rescore_job_id
    if imp.status not in ("completed", "undone") or job_id is None or since is None:
        return None
    if clock.now() - since > RESCORING_SHOWN:
        return None
    run, failed = await jobs.job_outcome(session, team_id=imp.team_id, job_id=job_id)
    if failed is not None:
        return {"state": "failed", "at": failed.created_at, "percent": 0}
    if run is None:
        return {"state": "queued", "percent": 0}
    if run.status == "completed":
        return {"state": "completed", "at": run.updated_at, "percent": 100}
    percent = round(100 * run.done / run.total) if run.total else 0
    return {"state": "running", "at": run.created_at, "percent": percent}


# --- reading -------------------------------------------------------------------------------------


async def get_import(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    import_id: uuid.UUID,
    drafts: bool = False,
    lock: bool = False,
) -> Import | None:
    """The import; a draft (a file still being mapped in the web wizard) only when asked for.
    `lock`: the row is locked for this transaction (starting a draft: a second Start waits)."""
    query = select(Import).where(Import.team_id == team_id, Import.id == import_id)
    if not drafts:
        query = query.where(Import.status != "draft")
    if lock:
        query = query.with_for_update()
    found: Import | None = await session.scalar(query)
    return found


async def get_import_or_raise(session: AsyncSession, *, team_id: uuid.UUID, import_id: uuid.UUID) -> Import:
    found = await get_import(session, team_id=team_id, import_id=import_id)
    if found is None:
        raise NotFound("import not found", details={"id": str(import_id)})
    return found


async def list_imports(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    limit: int | None = None,
    cursor: str | None = None,
    drafts: bool = False,
) -> tuple[list[Import], str | None]:
    """The team's imports, newest first; drafts only when asked for (the web history shows them)."""
    query = select(Import).where(Import.team_id == team_id)
    if not drafts:
        query = query.where(Import.status != "draft")
    return await keyset_page(
        session, query, created=Import.created_at, row_id=Import.id, limit=limit, cursor=cursor
    )


async def first_errors(
    session: AsyncSession, *, team_id: uuid.UUID, import_id: uuid.UUID, limit: int = 50
) -> list[ImportRowError]:
    """The import's first bad rows and warnings by row number (the report page lists them)."""
    rows = await session.scalars(
        select(ImportRowError)
        .where(ImportRowError.team_id == team_id, ImportRowError.import_id == import_id)
        .order_by(ImportRowError.row_number, ImportRowError.id)
        .limit(limit)
    )
    return list(rows)


def _safe(value: str) -> str:
    # A cell starting like a formula is read as text by spreadsheets (OWASP CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


async def error_csv(db: Database, *, team_id: uuid.UUID, import_id: uuid.UUID) -> AsyncIterator[str]:
    """The bad rows as CSV: row number, column, reason, then the row as read (streamed by pages)."""
    async with team_session(db, team_id) as session:
        await get_import_or_raise(session, team_id=team_id, import_id=import_id)
    key: tuple[int, uuid.UUID] | None = None
    headers: list[str] | None = None
    while True:
        query = (
            select(ImportRowError)
            .where(ImportRowError.team_id == team_id, ImportRowError.import_id == import_id)
            .order_by(ImportRowError.row_number, ImportRowError.id)
            .limit(2000)
        )
        if key is not None:
            query = query.where(tuple_(ImportRowError.row_number, ImportRowError.id) > key)
        async with team_session(db, team_id) as session:
            rows = (await session.scalars(query)).all()
        buffer = io.StringIO()
        out = csv.writer(buffer)
        if headers is None:
            # The file's own columns, in its order, after the three report columns.
            headers = list(rows[0].raw.get("columns", [])) if rows and rows[0].raw else []
            out.writerow(["row_number", "column", "reason", *headers])
        for row in rows:
            raw = dict(
                zip((row.raw or {}).get("columns", []), (row.raw or {}).get("values", []), strict=False)
            )
            out.writerow(
                [
                    row.row_number,
                    _safe(row.column or ""),
                    _safe(row.reason),
                    *(_safe(str(raw.get(h, ""))) for h in headers),
                ]
            )
        yield buffer.getvalue()
        if len(rows) < 2000:
            return
        key = (rows[-1].row_number, rows[-1].id)


# --- undo ------------------------------------------------------------------------------------------

# What counts as activity on a property since its import (undo keeps such properties). Later
# work (messages, deals) adds its tables here.
ACTIVITY: tuple[tuple[str, str], ...] = (
    ("tasks", "has tasks"),
    ("notes", "has notes"),
    ("contact_attempts", "has logged calls or texts"),
    ("property_events", "has stage changes or edits"),
)
# What keeps a contact the import created (its history must not vanish with the undo).
CONTACT_USES: tuple[tuple[str, str], ...] = (
    ("tasks", "has tasks"),
    ("notes", "has notes"),
    ("contact_attempts", "has logged calls or texts"),
    ("opt_outs", "has opt-outs"),
    ("consent_records", "has consent records"),
    ("review_items", "has review items"),
    ("property_contacts", "is linked to a property the undo keeps"),
)
POINT_USES = ("opt_outs", "consent_records", "review_items", "contact_attempts")


def _rowcount(result: Any) -> int:
    """The rows a DELETE or UPDATE touched (a `CursorResult`, typed as plain `Result`)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


def activity_reasons(
    alias: str, column: str = "property_id", checks: tuple[tuple[str, str], ...] = ACTIVITY
) -> str:
    """SQL for the array of reasons a row (by `alias.id`) has gained activity; empty if none."""
    parts = [
        f"CASE WHEN EXISTS (SELECT 1 FROM {table} a WHERE a.team_id = {alias}.team_id "
        f"AND a.{column} = {alias}.id) THEN '{reason}' END"
        for table, reason in checks
    ]
    return f"array_remove(ARRAY[{', '.join(parts)}]::text[], NULL)"


async def undo(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    import_id: uuid.UUID,
    actor: Membership | None,
    actor_email: str | None = None,
) -> Import:
    """Remove what the import created, unless it has gained activity since; restore the fields it
    changed that still hold its values; report what was kept and why. Undoing twice is a no-op."""
    imp = await session.scalar(
        select(Import)
        .where(Import.team_id == team_id, Import.id == import_id, Import.status != "draft")
        .with_for_update()
    )
    if imp is None:
        raise NotFound("import not found", details={"id": str(import_id)})
    if imp.status == "undone":
        return imp
    if imp.status != "completed":
        raise Conflict(
            f"only a completed import can be undone (this one is {imp.status})",
            details={"status": imp.status},
        )
    # A rescoring's parts hold the lock a few seconds each (undo right after an import meets
    # the rescoring it queued); an import or a bulk action holds it for minutes.
    if not await lock_leads(session, team_id, timeout_ms=UNDO_WAIT_MS):
        raise Conflict(
            "the team's leads are being changed by another job (an import, a bulk action or "
            "rescoring): undo this import when it has finished",
            details={"reason": "leads_busy"},
        )
    p = {"t": team_id, "i": import_id, "now": clock.now()}
    # The import left fresh statistics behind (`engine.ANALYZE_AFTER_ROWS`): undoing it right
    # away plans for its real size.
    run = session.execute
    await run(
        text(
            f"""
            CREATE TEMP TABLE undo_props ON COMMIT DROP AS
            SELECT p.id, p.address, p.city, {activity_reasons("p")} AS reasons
            FROM properties p WHERE p.team_id = :t AND p.import_id = :i
            """
        ),
        p,
    )
    kept_rows = (
        await run(
            text(
                "SELECT id, address, city, reasons FROM undo_props WHERE reasons <> '{}' "
                "ORDER BY address LIMIT 200"
            )
        )
    ).all()
    kept_count = int((await run(text("SELECT count(*) FROM undo_props WHERE reasons <> '{}'"))).scalar_one())
    removed_props = _rowcount(
        await run(
            text(
                "DELETE FROM properties p USING undo_props u WHERE p.team_id = :t AND p.id = u.id "
                "AND u.reasons = '{}'"
            ),
            p,
        )
    )
    removed_roles = _rowcount(
        await run(
            text(
                "DELETE FROM property_contacts pc WHERE pc.team_id = :t AND pc.import_id = :i "
                "AND pc.property_id NOT IN (SELECT id FROM undo_props)"
            ),
            p,
        )
    )
    signal_props = (
        await run(
            text(
                "DELETE FROM signals s WHERE s.team_id = :t AND s.import_id = :i "
                "AND s.property_id NOT IN (SELECT id FROM undo_props) RETURNING s.property_id"
            ),
            p,
        )
    ).all()
    if signal_props:
        await run(
            text(
                f"UPDATE properties p SET signal_kinds = {KINDS_OF_LEAD_SQL} "
                "WHERE p.team_id = :t AND p.id = ANY(:ids)"
            ),
            {**p, "ids": list({r[0] for r in signal_props})},
        )

    # Fields the import changed: restored where they still hold what it wrote.
    restorable = ", ".join(
        f"{c} = CASE WHEN u.restore ? '{c}' THEN (jsonb_populate_record(NULL::properties, "
        f"u.restore)).{c} ELSE p.{c} END"
        for c in (*engine.FIELDS, "tags")
    )
    await run(
        text(
            """
            CREATE TEMP TABLE undo_fields ON COMMIT DROP AS
            SELECT ch.property_id, p.address,
                   (SELECT jsonb_object_agg(e.key, e.value -> 0) FROM jsonb_each(ch.fields) e
                     WHERE to_jsonb(p) -> e.key = e.value -> 1) AS restore,
                   ARRAY(SELECT e.key FROM jsonb_each(ch.fields) e
                     WHERE (to_jsonb(p) -> e.key) IS DISTINCT FROM e.value -> 1 ORDER BY e.key) AS kept
            FROM import_changes ch JOIN properties p ON p.team_id = ch.team_id AND p.id = ch.property_id
            WHERE ch.team_id = :t AND ch.import_id = :i AND ch.action = 'updated'
            """
        ),
        p,
    )
    await run(
        text(
            f"""
            UPDATE properties p SET {restorable},
                provenance = p.provenance - ARRAY(
                    SELECT k FROM jsonb_object_keys(u.restore) k
                        WHERE p.provenance -> k ->> 'import_id' = CAST(:i AS text)),
                updated_at = :now
            FROM undo_fields u WHERE p.team_id = :t AND p.id = u.property_id AND u.restore IS NOT NULL
            """
        ),
        p,
    )
    restored = (
        await run(
            text(
                "SELECT count(*) FILTER (WHERE restore IS NOT NULL), "
                "coalesce(sum((SELECT count(*) FROM jsonb_object_keys(restore))), 0) FROM undo_fields"
            )
        )
    ).one()
    kept_fields = (
        await run(
            text(
                "SELECT property_id, address, kept FROM undo_fields WHERE kept <> '{}' "
                "ORDER BY address LIMIT 200"
            )
        )
    ).all()

    # Points it added to contacts it did not create, unless the governor has history on them.
    point_uses = " AND ".join(
        f"NOT EXISTS (SELECT 1 FROM {t} x WHERE x.team_id = cp.team_id AND x.point_id = cp.id)"
        for t in POINT_USES
    )
    removed_points = _rowcount(
        await run(
            text(
                f"""
                DELETE FROM contact_points cp USING contacts c
                WHERE cp.team_id = :t AND cp.import_id = :i AND c.team_id = cp.team_id
                    AND c.id = cp.contact_id
                  AND c.import_id IS DISTINCT FROM :i AND {point_uses}
                """
            ),
            p,
        )
    )
    await run(
        text(
            f"""
            CREATE TEMP TABLE undo_contacts ON COMMIT DROP AS
            SELECT c.id, c.team_id, {activity_reasons("c", "contact_id", CONTACT_USES)} AS reasons
            FROM contacts c WHERE c.team_id = :t AND c.import_id = :i
            """
        ),
        p,
    )
    removed_contact_points = int(
        (
            await run(
                text(
                    "SELECT count(*) FROM contact_points cp JOIN undo_contacts u ON u.id = cp.contact_id "
                    "WHERE cp.team_id = :t AND u.reasons = '{}'"
                ),
                p,
            )
        ).scalar_one()
    )
    removed_contacts = _rowcount(
        await run(
            text(
                "DELETE FROM contacts c USING undo_contacts u WHERE c.team_id = :t AND c.id = u.id "
                "AND u.reasons = '{}'"
            ),
            p,
        )
    )
    kept_contacts = int(
        (await run(text("SELECT count(*) FROM undo_contacts WHERE reasons <> '{}'"))).scalar_one()
    )

    imp.undo_report = {
        "removed": {
            "properties": removed_props,
            "contacts": removed_contacts,
            "points": removed_points + removed_contact_points,
            "roles": removed_roles,
            "signals": len(signal_props),
        },
        "restored": {"properties": int(restored[0]), "fields": int(restored[1])},
        "kept": {
            "properties": kept_count,
            "contacts": kept_contacts,
            "property_details": [
                {"id": str(r.id), "address": f"{r.address}, {r.city}", "reasons": list(r.reasons)}
                for r in kept_rows
            ],
            "fields": [
                {
                    "property_id": str(r.property_id),
                    "address": r.address,
                    "fields": list(r.kept),
                    "reason": "changed since the import",
                }
                for r in kept_fields
            ],
        },
    }
    imp.status, imp.undone_at = "undone", clock.now()
    await session.flush()
    # The signals it brought are gone and the values and owners it changed are back: the
    # derived signals and scores follow in the rescoring, queued with this write.
    from reos.scoring import jobs as scoring_jobs

    imp.rescore_job_id = await scoring_jobs.rescore_for(session, team_id=team_id)
    await audit.record(
        session,
        action="import.undone",
        team_id=team_id,
        actor_account_id=actor.account_id if actor is not None else None,
        actor_email=actor_email,
        target_type="import",
        target_id=imp.id,
        details={"removed": imp.undo_report["removed"], "kept_properties": kept_count},
    )
    await events.publish(session, team_id=team_id, type="import.progress", data=progress_data(imp))
    return imp


# --- presets -----------------------------------------------------------------------------------


async def list_presets(session: AsyncSession, *, team_id: uuid.UUID) -> list[MappingPreset]:
    rows = await session.scalars(
        select(MappingPreset)
        .where(MappingPreset.team_id == team_id)
        .order_by(MappingPreset.name, MappingPreset.id)
    )
    return list(rows.all())


def _check_preset_mapping(value: dict[str, str]) -> dict[str, str]:
    known = set(mapping.TARGETS)
    for target, column in value.items():
        if target not in known:
            raise Unprocessable(
                f"mapping: unknown target field {target!r}", details={"field": "mapping", "target": target}
            )
        if not isinstance(column, str) or not column.strip():
            raise Unprocessable(
                f"mapping.{target}: the column must be a header name", details={"field": f"mapping.{target}"}
            )
    return value


async def get_preset_or_raise(
    session: AsyncSession, *, team_id: uuid.UUID, preset_id: uuid.UUID
) -> MappingPreset:
    found: MappingPreset | None = await session.scalar(
        select(MappingPreset).where(MappingPreset.team_id == team_id, MappingPreset.id == preset_id)
    )
    if found is None:
        raise NotFound("mapping preset not found", details={"id": str(preset_id)})
    return found


async def _save_unique(session: AsyncSession, name: str, change: Callable[[], object]) -> None:
    """Make `change` inside a savepoint: a name taken already rolls back only the savepoint, so
    the caller's transaction goes on (the import wizard redraws its page with the message).
    `begin_nested` flushes what is pending before the savepoint opens, so the change is made in
    it, not before it: made before, the duplicate had aborted the whole transaction."""
    try:
        async with session.begin_nested():
            change()
            await session.flush()
    except IntegrityError:
        raise Conflict(f"a preset named {name!r} exists already", details={"field": "name"}) from None


async def create_preset(
    session: AsyncSession, *, team_id: uuid.UUID, name: str, value: dict[str, str]
) -> MappingPreset:
    if not 1 <= len(name) <= PRESET_NAME_MAX:
        raise Unprocessable(
            f"a mapping's name has 1 to {PRESET_NAME_MAX} characters", details={"field": "name"}
        )
    preset = MappingPreset(team_id=team_id, name=name, mapping=_check_preset_mapping(value))
    await _save_unique(session, name, lambda: session.add(preset))
    return preset


async def update_preset(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    preset_id: uuid.UUID,
    name: str | None,
    value: dict[str, str] | None,
) -> MappingPreset:
    preset = await get_preset_or_raise(session, team_id=team_id, preset_id=preset_id)
    checked = _check_preset_mapping(value) if value is not None else preset.mapping
    renamed = name if name is not None else preset.name

    def change() -> None:
        preset.name, preset.mapping = renamed, checked

    await _save_unique(session, renamed, change)
    return preset


async def delete_preset(session: AsyncSession, *, team_id: uuid.UUID, preset_id: uuid.UUID) -> None:
    preset = await get_preset_or_raise(session, team_id=team_id, preset_id=preset_id)
    await session.delete(preset)
    await session.flush()


# --- from the shell --------------------------------------------------------------------------------


async def import_path(
    db: Database,
    *,
    team_id: uuid.UUID,
    path: str,
    given: dict[str, Any] | None = None,
    on_duplicate: str = "update",
    sheet: str | None = None,
    workers: int = 2,
    on_progress: ProgressSink | None = None,
    on_step: StepSink | None = None,
) -> Import:
    """Import a file on this machine (the `reos import` command): the same engine, run here.
    The file is read where it is, not copied into storage (it may be larger than an upload)."""
    if on_duplicate not in ("update", "skip"):
        raise Unprocessable("on_duplicate must be update or skip", details={"field": "on_duplicate"})

    def inspect() -> tuple[reader.Table, dict[str, str], str, int]:
        """The file's table, the mapping to use, its SHA-256 and size (blocking: run in a thread)."""
        digest = hashlib.sha256()
        size = 0
        with open(path, "rb") as stream:
            table = open_table(stream, path, sheet)
            used = _mapping_for(table, given)
            stream.seek(0)
            while block := stream.read(4 * 1024 * 1024):
                digest.update(block)
                size += len(block)
        return table, used, digest.hexdigest(), size

    table, used, sha256, size = await asyncio.to_thread(inspect)
    absolute = await anyio.Path(path).absolute()
    async with team_session(db, team_id) as session:
        imp = Import(
            team_id=team_id,
            filename=absolute.name[:255],
            format=table.format,
            sheet=table.sheet,
            file_key=f"local:{absolute}"[:500],
            file_sha256=sha256,
            size_bytes=size,
            mapping=used,
            on_duplicate=on_duplicate,
            status="queued",
            counts=dict.fromkeys(COUNT_KEYS, 0),
            rows_done=0,
        )
        session.add(imp)
    import_id = imp.id
    try:
        async with team_session(db, team_id) as session:
            imp = await get_import_or_raise(session, team_id=team_id, import_id=import_id)
            await execute(
                session, db=db, imp=imp, path=path, workers=workers, on_progress=on_progress, on_step=on_step
            )
            from reos.scoring import jobs as scoring_jobs

            imp.rescore_job_id = await scoring_jobs.rescore_for(session, team_id=team_id)
    except Exception as exc:
        # The rollback expired `imp`: record the failure on a fresh copy.
        async with team_session(db, team_id) as session:
            failed = await get_import_or_raise(session, team_id=team_id, import_id=import_id)
        await mark_failed(db, failed, f"{type(exc).__name__}: {exc}")
        raise
    return imp
