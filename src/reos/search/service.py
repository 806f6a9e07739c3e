"""Global search: properties (address, APN, owners, phones, emails) and contacts (names,
phones, emails) from one box, using the lead list's own search clause."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from reos.contacts import service as contacts
from reos.contacts.models import Contact
from reos.properties import listing
from reos.properties.models import Property
from reos.teams.models import Membership


@dataclass(frozen=True)
class SearchResult:
    properties: list[Property]
    contacts: list[Contact]


async def search(
    session: AsyncSession, *, team_id: uuid.UUID, text: str, limit: int, viewer: Membership | None
) -> SearchResult:
    text = text.strip()
    if not text:
        return SearchResult([], [])
    props, _ = await listing.list_properties(session, team_id=team_id, q=text, limit=limit, viewer=viewer)
    people = await contacts.search_contacts(session, team_id=team_id, text=text, limit=limit, viewer=viewer)
    return SearchResult(props, people)
