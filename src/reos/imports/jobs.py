"""The import job: run the engine over the stored file, then ask for the team's rescoring."""

from __future__ import annotations

import os
import uuid

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reos.imports import service as imports
from reos.imports.models import Import
from reos.jobs import service as jobs
from reos.jobs.queue import JobInfo, runtime, task
from reos.scoring import jobs as scoring_jobs

log = structlog.get_logger(__name__)
TASK_NAME = "imports.run"


@task(name=TASK_NAME, queue="imports")
async def run_import(session: AsyncSession, info: JobInfo, *, team_id: str, import_id: str) -> None:
    team = uuid.UUID(team_id)
    imp = await session.scalar(
        select(Import).where(Import.team_id == team, Import.id == uuid.UUID(import_id))
    )
    # A finished import (a replayed or retried job) is not run again.
    if imp is None or imp.status not in ("queued", "running"):
        return
    db = runtime.database
    assert db is not None

    async def post(label: str, done: int, total: int | None, status: str = "running") -> None:
        await jobs.report_progress(
            db,
            team_id=team,
            job_id=info.job_id,
            task_name=TASK_NAME,
            label=f"Importing {imp.filename}{label}",
            done=done,
            total=total,
            status=status,
        )

    async def report(found: Import, done: int, total: int | None) -> None:
        await post("", done, total, "completed" if found.status == "completed" else "running")

    async def saving(phase: str, rows: int) -> None:
        await post(f": {imports.phase_label(phase)}", rows, rows)

    path = await imports.file_to_path(imp)
    try:
        # A savepoint, so a failure leaves the job's transaction usable to record it.
        async with session.begin_nested():
            await imports.execute(session, db=db, imp=imp, path=path, on_progress=report, on_step=saving)
    except Exception as exc:
        log.exception("import.failed", import_id=import_id)
        await imports.mark_failed(db, imp, f"{type(exc).__name__}: {exc}")
        return
    finally:
        os.unlink(path)
    # Scores follow the new signals and values: one rescoring of the team, with this commit.
    imp.rescore_job_id = await scoring_jobs.rescore_for(session, team_id=team)
    await imports.tell_importer(session, imp)
