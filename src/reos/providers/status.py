"""Last success and last error of each provider, for the operators' provider-status page.

Written in its own short transaction: a failing send rolls its job back, but the error must
still be visible."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from reos.kit import clock
from reos.providers.models import ProviderStatus


async def _upsert(name: str, implementation: str, *, error: str | None) -> None:
    from reos.db.session import team_session
    from reos.jobs.queue import runtime

    if runtime.database is None:
        return
    now = clock.now()
    values: dict[str, object] = {"name": name, "implementation": implementation, "updated_at": now}
    if error is None:
        values["last_success_at"] = now
    else:
        values["last_error"] = error[:2000]
        values["last_error_at"] = now
    async with team_session(runtime.database, None) as session:
        stmt = insert(ProviderStatus).values(**values)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["name"], set_={k: v for k, v in values.items() if k != "name"}
            )
        )


async def record_success(name: str, implementation: str) -> None:
    await _upsert(name, implementation, error=None)


async def record_error(name: str, implementation: str, error: BaseException) -> None:
    await _upsert(name, implementation, error=f"{type(error).__name__}: {error}")


async def list_status(session: AsyncSession) -> dict[str, ProviderStatus]:
    rows = await session.scalars(select(ProviderStatus))
    return {row.name: row for row in rows.all()}


async def overview(session: AsyncSession) -> list[dict[str, object]]:
    """Every provider with its implementation in this process and its last recorded outcome."""
    from reos.providers import registry

    recorded = await list_status(session)
    rows: list[dict[str, object]] = []
    for name, implementation in registry.current().implementations().items():
        row = recorded.get(name)
        rows.append(
            {
                "name": name,
                "implementation": implementation,
                "last_success_at": row.last_success_at if row else None,
                "last_error": row.last_error if row else None,
                "last_error_at": row.last_error_at if row else None,
            }
        )
    return rows
