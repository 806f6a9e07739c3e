"""Smart lists (a saved filter, run again on every read) and static lists (a fixed set of
properties): create, change, delete, members — always inside one team."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Text, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from reos.errors import Conflict, NotFound, Unprocessable
from reos.kit import clock, filters
from reos.kit.filters import FilterDocument
from reos.kit.ids import new_id
from reos.kit.pagination import keyset_page
from reos.lists.models import ListMember, SavedList
from reos.lists.schemas import ListCreate, ListUpdate
from reos.properties import listing
from reos.properties.models import Property
from reos.properties.service import visible
from reos.teams.models import Membership


async def list_lists(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    kind: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> tuple[list[SavedList], str | None]:
    query = select(SavedList).where(SavedList.team_id == team_id)
    if kind:
        query = query.where(SavedList.kind == kind)
    return await keyset_page(
        session, query, created=SavedList.created_at, row_id=SavedList.id, limit=limit, cursor=cursor
    )


async def all_lists(session: AsyncSession, *, team_id: uuid.UUID) -> list[SavedList]:
    """Every list of the team by name (a team keeps tens of lists, not thousands)."""
    rows = await session.scalars(
        select(SavedList).where(SavedList.team_id == team_id).order_by(SavedList.name).limit(500)
    )
    return list(rows)


async def get_list(session: AsyncSession, *, team_id: uuid.UUID, list_id: uuid.UUID) -> SavedList | None:
    saved: SavedList | None = await session.scalar(
        select(SavedList).where(SavedList.team_id == team_id, SavedList.id == list_id)
    )
    return saved


async def get_list_or_raise(session: AsyncSession, *, team_id: uuid.UUID, list_id: uuid.UUID) -> SavedList:
    saved = await get_list(session, team_id=team_id, list_id=list_id)
    if saved is None:
        raise NotFound("list not found", details={"id": str(list_id)})
    return saved


async def _check_name(
    session: AsyncSession, *, team_id: uuid.UUID, name: str, other_than: uuid.UUID | None = None
) -> None:
    query = select(SavedList.id).where(SavedList.team_id == team_id, SavedList.name == name)
    if other_than is not None:
        query = query.where(SavedList.id != other_than)
    if await session.scalar(query) is not None:
        raise Conflict(f"a list named {name!r} already exists", details={"field": "name"})


async def _checked_filter(
    session: AsyncSession, *, team_id: uuid.UUID, doc: FilterDocument
) -> dict[str, object]:
    await listing.check_filter(session, team_id=team_id, doc=doc)
    return doc.model_dump(mode="json", exclude_none=True)


async def _checked_columns(session: AsyncSession, *, team_id: uuid.UUID, columns: list[str]) -> list[str]:
    known = await listing.property_fields(session, team_id=team_id)
    for i, name in enumerate(columns):
        if name not in known or name in ("q", "list"):
            raise Unprocessable(f"columns[{i}]: unknown column {name!r}", details={"field": f"columns[{i}]"})
    return list(dict.fromkeys(columns))


async def create_list(
    session: AsyncSession, *, team_id: uuid.UUID, created_by_id: uuid.UUID | None, data: ListCreate
) -> SavedList:
    if data.kind == "smart" and data.filter is None:
        raise Unprocessable("a smart list needs a filter", details={"field": "filter"})
    if data.kind == "static" and data.filter is not None:
        raise Unprocessable(
            "a static list holds chosen properties, not a filter; make a smart list instead",
            details={"field": "filter"},
        )
    await _check_name(session, team_id=team_id, name=data.name)
    saved = SavedList(
        team_id=team_id,
        name=data.name,
        kind=data.kind,
        filter=await _checked_filter(session, team_id=team_id, doc=data.filter) if data.filter else None,
        columns=await _checked_columns(session, team_id=team_id, columns=data.columns)
        if data.columns
        else None,
        created_by_id=created_by_id,
    )
    session.add(saved)
    await session.flush()
    return saved


async def update_list(
    session: AsyncSession, *, team_id: uuid.UUID, list_id: uuid.UUID, data: ListUpdate
) -> SavedList:
    saved = await get_list_or_raise(session, team_id=team_id, list_id=list_id)
    if data.name is not None and data.name != saved.name:
        await _check_name(session, team_id=team_id, name=data.name, other_than=saved.id)
        saved.name = data.name
    if data.filter is not None:
        if saved.kind != "smart":
            raise Unprocessable("a static list has no filter", details={"field": "filter"})
        if saved.id in listing.referenced_lists(data.filter):
            raise Unprocessable(
                f"filter: the smart list {saved.name!r} refers to itself", details={"field": "filter"}
            )
        saved.filter = await _checked_filter(session, team_id=team_id, doc=data.filter)
    if data.columns is not None:
        saved.columns = await _checked_columns(session, team_id=team_id, columns=data.columns)
    saved.updated_at = clock.now()
    await session.flush()
    return saved


async def delete_list(session: AsyncSession, *, team_id: uuid.UUID, list_id: uuid.UUID) -> None:
    saved = await get_list_or_raise(session, team_id=team_id, list_id=list_id)
    # A smart list whose filter names this one would answer every read with "no list" once it
    # is gone, so the delete is refused and names them; the text match only narrows the read.
    candidates = await session.scalars(
        select(SavedList).where(
            SavedList.team_id == team_id,
            SavedList.kind == "smart",
            SavedList.id != saved.id,
            SavedList.filter.cast(Text).contains(str(saved.id)),
        )
    )
    referring = sorted(
        other.name
        for other in candidates
        if saved.id in listing.referenced_lists(filters.parse_document(other.filter))
    )
    if referring:
        raise Conflict(
            f"{saved.name!r} is used in the filter of "
            + ", ".join(repr(name) for name in referring)
            + "; change those smart lists first",
            details={"lists": referring},
        )
    await session.delete(saved)
    await session.flush()


async def static_list_or_raise(
    session: AsyncSession, *, team_id: uuid.UUID, list_id: uuid.UUID, field: str = "list_id"
) -> SavedList:
    saved = await get_list_or_raise(session, team_id=team_id, list_id=list_id)
    if saved.kind != "static":
        raise Unprocessable(
            "only a static list has members; a smart list follows its filter", details={"field": field}
        )
    return saved


async def _visible_ids(
    session: AsyncSession, *, team_id: uuid.UUID, ids: Sequence[uuid.UUID], viewer: Membership | None
) -> set[uuid.UUID]:
    query = select(Property.id).where(
        Property.team_id == team_id, Property.id.in_(ids), Property.deleted_at.is_(None)
    )
    return set(await session.scalars(await visible(session, query, team_id=team_id, viewer=viewer)))


async def add_members(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    list_id: uuid.UUID,
    ids: Sequence[uuid.UUID],
    viewer: Membership | None = None,
) -> tuple[int, int]:
    """Put properties on a static list; (added, already there). An id that is not a property
    of the team is a 404 naming it, and nothing is added."""
    saved = await static_list_or_raise(session, team_id=team_id, list_id=list_id)
    wanted = list(dict.fromkeys(ids))
    found = await _visible_ids(session, team_id=team_id, ids=wanted, viewer=viewer)
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        raise NotFound("property not found", details={"ids": missing[:20]})
    now = clock.now()
    added = await session.scalars(
        insert(ListMember)
        .values(
            [
                {
                    "id": new_id(),
                    "created_at": now,
                    "team_id": team_id,
                    "list_id": saved.id,
                    "property_id": i,
                }
                for i in wanted
            ]
        )
        .on_conflict_do_nothing(index_elements=["team_id", "list_id", "property_id"])
        .returning(ListMember.id)
    )
    count = len(added.all())
    saved.updated_at = clock.now()
    await session.flush()
    return count, len(wanted) - count


async def remove_members(
    session: AsyncSession, *, team_id: uuid.UUID, list_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> tuple[int, int]:
    """Take properties off a static list; (removed, were not on it)."""
    saved = await static_list_or_raise(session, team_id=team_id, list_id=list_id)
    wanted = list(dict.fromkeys(ids))
    removed = await session.scalars(
        delete(ListMember)
        .where(
            ListMember.team_id == team_id, ListMember.list_id == saved.id, ListMember.property_id.in_(wanted)
        )
        .returning(ListMember.id)
    )
    count = len(removed.all())
    saved.updated_at = clock.now()
    await session.flush()
    return count, len(wanted) - count
