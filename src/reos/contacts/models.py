"""Contacts, their contact points (phones, emails) and their roles on properties."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from reos.db.base import Base, TenantChildMixin, TenantMixin, tenant_table_args

CONTACT_KINDS = ("person", "entity")
POINT_KINDS = ("phone", "email")
POINT_STATUSES = ("unknown", "valid", "wrong")
LINE_TYPES = ("unknown", "mobile", "landline", "voip")
ROLES = ("owner", "co_owner", "heir", "tenant", "buyer", "other")


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    return CheckConstraint(f"{column} in (" + ", ".join(f"'{v}'" for v in values) + ")", name=name)


class Contact(Base, TenantMixin):
    """A person or an entity (LLC, trust, estate) that owns, inherits, rents or buys property."""

    __tablename__ = "contacts"
    __table_args__ = tenant_table_args(
        _one_of("kind", CONTACT_KINDS, "kind_valid"),
        # Keyset pagination of the default list order.
        Index("ix_contacts_team_id_created_at_id", "team_id", "created_at", "id"),
        Index("ix_contacts_search", "search", postgresql_using="gin"),
        ForeignKeyConstraint(
            ["team_id", "import_id"], ["imports.team_id", "imports.id"], ondelete="SET NULL (import_id)"
        ),
    )

    kind: Mapped[str] = mapped_column(String(10), default="person")
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    entity_name: Mapped[str | None] = mapped_column(String(200))
    street: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(2))
    zip_code: Mapped[str | None] = mapped_column(String(10))
    notes: Mapped[str | None] = mapped_column(Text)
    # The import that created it (undo removes what an import created and nothing else).
    import_id: Mapped[uuid.UUID | None] = mapped_column()
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Names as one `simple` text-search vector, for the global search box.
    search: Mapped[str] = mapped_column(
        TSVECTOR,
        Computed(
            "to_tsvector('simple'::regconfig, coalesce(first_name, '') || ' ' || "
            "coalesce(last_name, '') || ' ' || coalesce(entity_name, ''))",
            persisted=True,
        ),
        deferred=True,
    )

    # Read-only: points are written through their own rows; the database cascades deletes.
    points: Mapped[list[ContactPoint]] = relationship(
        lazy="raise",
        viewonly=True,
        order_by=lambda: [ContactPoint.kind, ContactPoint.position, ContactPoint.created_at],
    )


class ContactPoint(Base, TenantChildMixin):
    """A phone number (E.164) or an email address (lower case), unique per team, with its own
    facts: valid or wrong, line type, DNC flag and when it was checked. Opt-outs and consent
    belong to the governor's stores and will be shown beside these fields."""

    __tablename__ = "contact_points"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(
            ["team_id", "contact_id"], ["contacts.team_id", "contacts.id"], ondelete="CASCADE"
        ),
        _one_of("kind", POINT_KINDS, "kind_valid"),
        _one_of("status", POINT_STATUSES, "status_valid"),
        _one_of("line_type", LINE_TYPES, "line_type_valid"),
        Index("ix_contact_points_team_id_contact_id", "team_id", "contact_id"),
        # The same phone or email is one point per team, whoever it belongs to. The pattern
        # operator class also serves the prefix search on phone digits and email addresses (no
        # trigram extension embedded), and its equality is the default's, so one index does
        # both and `ON CONFLICT (team_id, kind, value)` infers it (migration 0015).
        Index(
            "uq_contact_points_team_id_value_kind",
            "team_id",
            "value",
            "kind",
            unique=True,
            postgresql_ops={"value": "varchar_pattern_ops"},
        ),
        ForeignKeyConstraint(
            ["team_id", "import_id"], ["imports.team_id", "imports.id"], ondelete="SET NULL (import_id)"
        ),
    )

    contact_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(320))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="unknown")
    line_type: Mapped[str] = mapped_column(String(10), default="unknown")
    dnc: Mapped[bool] = mapped_column(Boolean, default=False)
    dnc_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    import_id: Mapped[uuid.UUID | None] = mapped_column()


class PropertyContact(Base, TenantChildMixin):
    """A contact's role on a property; a contact may hold several roles on many properties."""

    __tablename__ = "property_contacts"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(
            ["team_id", "property_id"], ["properties.team_id", "properties.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(
            ["team_id", "contact_id"], ["contacts.team_id", "contacts.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("team_id", "property_id", "contact_id", "role"),
        _one_of("role", ROLES, "role_valid"),
        Index("ix_property_contacts_team_id_contact_id", "team_id", "contact_id"),
        ForeignKeyConstraint(
            ["team_id", "import_id"], ["imports.team_id", "imports.id"], ondelete="SET NULL (import_id)"
        ),
    )

    property_id: Mapped[uuid.UUID] = mapped_column()
    contact_id: Mapped[uuid.UUID] = mapped_column()
    role: Mapped[str] = mapped_column(String(10))
    import_id: Mapped[uuid.UUID | None] = mapped_column()

    contact: Mapped[Contact] = relationship(lazy="raise", viewonly=True)
