"""Smart and static lists over HTTP."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from reos.deps import Editor, Reader, SessionDep
from reos.kit.routing import DocstringRoute
from reos.lists import service as lists
from reos.lists.schemas import ListCreate, ListKind, ListPage, ListRead, ListUpdate, MemberIds, MembersChanged
from reos.properties import listing
from reos.properties.schemas import PropertyPage, PropertyRead

router = APIRouter(prefix="/api/v1/lists", tags=["lists"], route_class=DocstringRoute)


@router.get("")
async def list_lists(
    principal: Reader,
    session: SessionDep,
    kind: ListKind | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> ListPage:
    """List the team's smart and static lists, newest first."""
    rows, next_cursor = await lists.list_lists(
        session, team_id=principal.team_id, kind=kind, limit=limit, cursor=cursor
    )
    return ListPage(items=[ListRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_list(body: ListCreate, principal: Editor, session: SessionDep) -> ListRead:
    """Create a smart list (a saved filter) or a static list."""
    saved = await lists.create_list(
        session, team_id=principal.team_id, created_by_id=principal.membership.id, data=body
    )
    return ListRead.model_validate(saved)


@router.get("/{list_id}")
async def get_list(list_id: uuid.UUID, principal: Reader, session: SessionDep) -> ListRead:
    """Show one list."""
    return ListRead.model_validate(
        await lists.get_list_or_raise(session, team_id=principal.team_id, list_id=list_id)
    )


@router.patch("/{list_id}")
async def update_list(
    list_id: uuid.UUID, body: ListUpdate, principal: Editor, session: SessionDep
) -> ListRead:
    """Rename a list, change a smart list's filter or the columns it shows."""
    saved = await lists.update_list(session, team_id=principal.team_id, list_id=list_id, data=body)
    return ListRead.model_validate(saved)


@router.delete("/{list_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_list(list_id: uuid.UUID, principal: Editor, session: SessionDep) -> Response:
    """Delete a list (its properties stay); refused while a smart list filters on it."""
    await lists.delete_list(session, team_id=principal.team_id, list_id=list_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{list_id}/members")
async def add_members(
    list_id: uuid.UUID, body: MemberIds, principal: Editor, session: SessionDep
) -> MembersChanged:
    """Put properties on a static list."""
    added, already = await lists.add_members(
        session, team_id=principal.team_id, list_id=list_id, ids=body.ids, viewer=principal.membership
    )
    return MembersChanged(changed=added, unchanged=already)


@router.delete("/{list_id}/members")
async def remove_members(
    list_id: uuid.UUID, body: MemberIds, principal: Editor, session: SessionDep
) -> MembersChanged:
    """Take properties off a static list."""
    removed, absent = await lists.remove_members(
        session, team_id=principal.team_id, list_id=list_id, ids=body.ids
    )
    return MembersChanged(changed=removed, unchanged=absent)


@router.get("/{list_id}/properties")
async def list_properties(
    list_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    limit: int | None = None,
    cursor: str | None = None,
) -> PropertyPage:
    """List the properties of a list (a smart list in its own sort), one keyset page at a time."""
    rows, next_cursor = await listing.list_properties(
        session,
        team_id=principal.team_id,
        list_id=list_id,
        limit=limit,
        cursor=cursor,
        viewer=principal.membership,
    )
    return PropertyPage(items=[PropertyRead.model_validate(r) for r in rows], next_cursor=next_cursor)
