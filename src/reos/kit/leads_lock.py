"""One lock per team over its leads, for the jobs that write many of them at once.

An import's merge, its undo and a bulk action take it alone (exclusive); the parts of a
rescoring take it together (shared), so they still run side by side. Each takes it first in its
transaction, before it locks a single row: two writers of one team then wait for each other
instead of deadlocking over rows they lock in different orders (a bulk action goes in the list's
order, rescoring in ranges of ids, an import in its file's). It is a transaction-level advisory
lock, released at commit or rollback, and PostgreSQL queues a new request behind a waiting one,
so a bulk action waiting for a rescoring's current parts is not starved by the next ones.

A single lead's edit does not take it: it locks one row, which cannot close a cycle.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

_KEY = "hashtext('reos.leads'), hashtext(CAST(:t AS text))"
LOCK_NOT_AVAILABLE = "55P03"


async def lock_leads(
    session: AsyncSession,
    team_id: uuid.UUID,
    *,
    shared: bool = False,
    wait: bool = True,
    timeout_ms: int | None = None,
) -> bool:
    """Take the team's leads lock for this transaction. Without `wait`, False at once if another
    transaction holds it; with `timeout_ms`, False once that long has passed (the transaction is
    then aborted: the caller answers and rolls back)."""
    mode = "_shared" if shared else ""
    if not wait:
        got = await session.scalar(
            text(f"SELECT pg_try_advisory_xact_lock{mode}({_KEY})"), {"t": str(team_id)}
        )
        return bool(got)
    if timeout_ms is not None:
        await session.execute(text("SELECT set_config('lock_timeout', :ms, true)"), {"ms": f"{timeout_ms}ms"})
    try:
        await session.execute(text(f"SELECT pg_advisory_xact_lock{mode}({_KEY})"), {"t": str(team_id)})
    except OperationalError as exc:
        if timeout_ms is not None and getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            return False
        raise
    if timeout_ms is not None:
        await session.execute(text("SELECT set_config('lock_timeout', '0', true)"))
    return True
