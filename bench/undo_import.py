"""Undo of the latest completed import in the database of `REOS_DATA_DIR`, timed whole and
statement by statement (the slowest first), through `imports.service.undo` as the API runs it.

    REOS_DATA_DIR=var/demo-u .venv/bin/reos demo
    REOS_DATA_DIR=var/demo-u .venv/bin/reos import var/leads-100k.csv --team "Sunbelt Acquisitions"
    REOS_DATA_DIR=var/demo-u .venv/bin/python bench/undo_import.py
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import psycopg
from sqlalchemy import event

from reos.db.session import make_database, resolve_urls, team_session
from reos.imports import service
from reos.settings import get_settings


async def main() -> None:
    app_url, owner_url = resolve_urls(get_settings())
    with psycopg.connect(owner_url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        found = conn.execute(
            "select team_id, id, filename from imports where status = 'completed'"
            " order by created_at desc limit 1"
        ).fetchone()
    if found is None:
        raise SystemExit("no completed import to undo here")
    team_id, import_id, filename = found
    db = make_database(app_url, owner_url)
    statements: list[tuple[float, str]] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info["began"] = time.perf_counter()

    @event.listens_for(db.engine.sync_engine, "after_cursor_execute")
    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append((time.perf_counter() - conn.info["began"], " ".join(statement.split())[:80]))

    began = time.perf_counter()
    async with team_session(db, team_id) as session:
        undone = await service.undo(session, team_id=team_id, import_id=import_id, actor=None)
    took = time.perf_counter() - began
    await db.engine.dispose()
    print(
        json.dumps(
            {
                "import": filename,
                "undo_s": round(took, 2),
                "report": undone.undo_report,
                "slowest": [
                    {"s": round(s, 2), "statement": text} for s, text in sorted(statements)[::-1][:6]
                ],
            },
            indent=2,
            default=str,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
