"""Global search API."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from reos.deps import Reader, SessionDep
from reos.kit.routing import DocstringRoute
from reos.search import service as search

router = APIRouter(prefix="/api/v1/search", tags=["search"], route_class=DocstringRoute)


class PropertyHit(BaseModel):
    id: uuid.UUID
    address: str
    unit: str | None
    city: str
    state: str
    zip_code: str
    stage: str


class ContactHit(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    points: list[str] = Field(description="the contact's phones and emails")


class SearchAnswer(BaseModel):
    q: str
    properties: list[PropertyHit]
    contacts: list[ContactHit]


@router.get("")
async def search_everything(
    principal: Reader,
    session: SessionDep,
    q: str = Query(min_length=1, max_length=200, description="address, APN, owner name, phone or email"),
    limit: int = Query(default=10, ge=1, le=50),
) -> SearchAnswer:
    """Find properties and contacts from one box (prefixes, any case)."""
    found = await search.search(
        session, team_id=principal.team_id, text=q, limit=limit, viewer=principal.membership
    )
    return SearchAnswer(
        q=q,
        properties=[PropertyHit.model_validate(p, from_attributes=True) for p in found.properties],
        contacts=[
            ContactHit(
                id=c.id,
                name=c.entity_name or " ".join(n for n in (c.first_name, c.last_name) if n),
                kind=c.kind,
                points=[p.value for p in c.points],
            )
            for c in found.contacts
        ],
    )
