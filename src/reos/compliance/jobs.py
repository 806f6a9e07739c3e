"""Reading an uploaded DNC registry, litigator, internal or suppression file, streamed.

Files of millions of numbers are read line by line and written in batches, each batch in its
own transaction, so the upload's progress is visible while it runs and memory stays flat. A
retried job starts over: inserts ignore numbers already there, so nothing is counted twice.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import ARRAY, String, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from reos.compliance.models import DncUpload
from reos.db.session import team_session
from reos.jobs.queue import JobInfo, runtime, task
from reos.kit import clock

BATCH = 5_000
_DIGITS = re.compile(r"\d+")
_EMAIL = re.compile(r"^[^@\s,;\"']+@[^@\s,;\"']+\.[^@\s,;\"']+$")


def phone_of(line: str) -> str | None:
    """E.164 of the first US number on a line: the registry's "813,5550142" (area code, number)
    or any CSV column holding 10 digits (11 with a leading 1); None for a header or junk."""
    groups = _DIGITS.findall(line)
    joined = "".join(groups[:2]) if len(groups) >= 2 and len(groups[0]) == 3 and len(groups[1]) == 7 else ""
    for candidate in [joined, *("".join(_DIGITS.findall(cell)) for cell in line.split(","))]:
        if len(candidate) == 11 and candidate.startswith("1"):
            candidate = candidate[1:]
        if len(candidate) == 10 and candidate[0] not in "01" and candidate[3] not in "01":
            return "+1" + candidate
    return None


def email_of(line: str) -> str | None:
    for cell in line.replace(";", ",").split(","):
        cell = cell.strip().strip('"').strip().lower()
        if _EMAIL.match(cell):
            return cell
    return None


_INSERT_NUMBERS = text(
    "insert into dnc_numbers (id, team_id, phone, kind, upload_id, created_at) "
    "select uuid_v7(), :team_id, p, :kind, :upload_id, :now from unnest(:phones) as p "
    "on conflict (team_id, phone, kind) do nothing"
).bindparams(bindparam("phones", type_=ARRAY(String)))
_INSERT_EMAILS = text(
    "insert into email_suppressions (id, team_id, email, reason, source, created_at) "
    "select uuid_v7(), :team_id, e, :reason, 'upload', :now from unnest(:emails) as e "
    "on conflict (team_id, email, reason) do nothing"
).bindparams(bindparam("emails", type_=ARRAY(String)))


async def _write_batch(
    team_id: uuid.UUID, upload: dict[str, Any], values: list[str], progress: dict[str, Any]
) -> None:
    assert runtime.database is not None
    async with team_session(runtime.database, team_id) as session:
        if upload["kind"] == "suppression":
            result = await session.execute(
                _INSERT_EMAILS,
                {"team_id": team_id, "reason": "unsubscribed", "now": clock.now(), "emails": values},
            )
        else:
            result = await session.execute(
                _INSERT_NUMBERS,
                {
                    "team_id": team_id,
                    "kind": upload["kind"],
                    "upload_id": upload["id"],
                    "now": clock.now(),
                    "phones": values,
                },
            )
        progress["rows_added"] += max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
        await session.execute(
            update(DncUpload)
            .where(DncUpload.team_id == team_id, DncUpload.id == upload["id"])
            .values(
                status="running",
                bytes_read=progress["bytes_read"],
                rows_read=progress["rows_read"],
                rows_added=progress["rows_added"],
                rows_rejected=progress["rows_rejected"],
            )
        )


async def read_file(team_id: uuid.UUID, upload_id: uuid.UUID) -> None:
    """Stream the stored file into the team's lists, committing progress batch by batch."""
    assert runtime.database is not None
    async with team_session(runtime.database, team_id) as session:
        row = await session.scalar(
            select(DncUpload).where(DncUpload.team_id == team_id, DncUpload.id == upload_id)
        )
        if row is None or row.status == "completed":
            return  # deleted with its team, or a replay of a finished job: nothing to do
        upload: dict[str, Any] = {"id": row.id, "kind": row.kind, "path": row.stored_path}
    progress = {"bytes_read": 0, "rows_read": 0, "rows_added": 0, "rows_rejected": 0}
    area_codes: set[str] = set()
    batch: list[str] = []
    parse = email_of if upload["kind"] == "suppression" else phone_of
    handle = await asyncio.to_thread(Path(upload["path"]).open, "rb")
    try:
        while lines := await asyncio.to_thread(handle.readlines, 1 << 20):  # about 1 MiB at a time
            for raw in lines:
                progress["bytes_read"] += len(raw)
                line = raw.decode("utf-8", errors="replace").strip()
                if not line:
                    continue
                progress["rows_read"] += 1
                value = parse(line)
                if value is None:
                    progress["rows_rejected"] += 1
                    continue
                batch.append(value)
                if value.startswith("+1"):
                    area_codes.add(value[2:5])
                if len(batch) >= BATCH:
                    await _write_batch(team_id, upload, batch, progress)
                    batch = []
    finally:
        await asyncio.to_thread(handle.close)
    if batch:
        await _write_batch(team_id, upload, batch, progress)
    async with team_session(runtime.database, team_id) as session:
        await session.execute(
            update(DncUpload)
            .where(DncUpload.team_id == team_id, DncUpload.id == upload_id)
            .values(
                status="completed",
                area_codes=sorted(area_codes),
                finished_at=func.coalesce(DncUpload.finished_at, clock.now()),
                **progress,
            )
        )


@task(name="compliance.read_upload", queue="imports")
async def read_upload(session: AsyncSession, job: JobInfo, *, team_id: str, upload_id: str) -> None:
    team, upload = uuid.UUID(team_id), uuid.UUID(upload_id)
    try:
        await read_file(team, upload)
    except (OSError, UnicodeError, ValueError) as exc:
        # A missing or unreadable file will not get better with retries: the upload says why.
        await session.execute(
            update(DncUpload)
            .where(DncUpload.team_id == team, DncUpload.id == upload)
            .values(status="failed", error=str(exc)[:2000], finished_at=clock.now())
        )
