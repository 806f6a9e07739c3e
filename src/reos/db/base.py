"""Declarative base with a naming convention, UUID keys and the tenant mixin."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, MetaData, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from reos.kit import clock
from reos.kit.ids import new_id

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class TenantMixin(IdMixin):
    """Every tenant row carries `team_id`; `(team_id, id)` is unique so that other tenant
    tables reference it with composite foreign keys and the database forbids crossing teams.
    Tenant models declare `__table_args__ = tenant_table_args(...)`."""

    team_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False
    )


class TenantChildMixin(IdMixin):
    """A tenant row that always hangs off a parent of its own team (a contact's phone, a
    property's signal): its composite key to that parent, which cascades, already says that the
    team exists and takes the row with the team. A direct key to `teams` would be checked again on
    every insert, and these are the tables an import writes millions of rows to (a tenth of
    inserting each phone; migration 0022). The model must declare such a cascading key;
    `tests/db/test_rls.py` checks that every tenant table is bound to its team one way or the other."""

    team_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)


def tenant_table_args(*extra: Any) -> tuple[Any, ...]:
    return (UniqueConstraint("team_id", "id"), *extra)
