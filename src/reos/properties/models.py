"""Properties and what hangs off them directly: custom field definitions, data flags, the
timeline's events and bulk actions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from reos.db.base import Base, TenantChildMixin, TenantMixin, tenant_table_args
from reos.kit import clock

# Which leads the GIN over tags holds; a tag filter repeats it so the planner can use the index.
TAGGED = "cardinality(tags) > 0"
STAGES = (
    "new",
    "outreach",
    "qualified",
    "negotiation",
    "under_contract",
    "closed_won",
    "closed_lost",
    "archived",
)
PROPERTY_TYPES = (
    "single_family",
    "multi_family",
    "condo",
    "townhouse",
    "mobile_home",
    "land",
    "commercial",
    "other",
)
CUSTOM_FIELD_TYPES = ("text", "number", "date", "boolean", "choice")
FLAG_STATUSES = ("open", "confirmed", "fixed", "rejected")
BULK_ACTIONS = ("stage", "assign", "tag", "untag", "add_to_list", "remove_from_list", "delete")
BULK_STATUSES = ("queued", "running", "completed", "failed")


def one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    return CheckConstraint(f"{column} in (" + ", ".join(f"'{v}'" for v in values) + ")", name=name)


class Property(Base, TenantMixin):
    __tablename__ = "properties"
    # Columns computed by the database (equity, the de-duplication keys) come back with the INSERT or UPDATE
    # itself, so an answer never needs a lazy load after a write.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012 - SQLAlchemy reads it from the class
    __table_args__ = tenant_table_args(
        one_of("stage", STAGES, "stage_valid"),
        one_of("property_type", PROPERTY_TYPES, "property_type_valid"),
        CheckConstraint("score between 0 and 100", name="score_range"),
        ForeignKeyConstraint(["team_id", "created_by_id"], ["memberships.team_id", "memberships.id"]),
        ForeignKeyConstraint(["team_id", "assigned_to_id"], ["memberships.team_id", "memberships.id"]),
        ForeignKeyConstraint(
            ["team_id", "market_id"], ["markets.team_id", "markets.id"], ondelete="SET NULL (market_id)"
        ),
        ForeignKeyConstraint(["team_id", "merged_into_id"], ["properties.team_id", "properties.id"]),
        # Keyset pagination of the list orders; live rows only, as every list reads them.
        Index(
            "ix_properties_team_id_created_at_id",
            "team_id",
            "created_at",
            "id",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "ix_properties_team_id_updated_at_id",
            "team_id",
            "updated_at",
            "id",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        # Every sort by score (score, created_at, id: the list breaks a score's ties by age)
        # read from the index alone (migrations 0008 and 0019).
        Index(
            "ix_properties_team_id_score_created_at_id",
            "team_id",
            "score",
            "created_at",
            "id",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        # A stage's leads by score, and (with the value carried) the board's count and value
        # per stage as an index-only scan; the same per assignee for the board's filter.
        Index(
            "ix_properties_team_id_stage_score_created_at_id",
            "team_id",
            "stage",
            "score",
            "created_at",
            "id",
            postgresql_where=text("deleted_at IS NULL"),
            postgresql_include=["estimated_value"],
        ),
        Index(
            "ix_properties_team_id_assigned_to_id_stage",
            "team_id",
            "assigned_to_id",
            "stage",
            postgresql_where=text("deleted_at IS NULL AND assigned_to_id IS NOT NULL"),
            postgresql_include=["estimated_value"],
        ),
        Index(
            "ix_properties_team_id_assigned_to_id",
            "team_id",
            "assigned_to_id",
            postgresql_where=text("assigned_to_id IS NOT NULL"),
        ),
        Index(
            "ix_properties_team_id_assigned_to_id_updated_at",
            "team_id",
            "assigned_to_id",
            "updated_at",
            postgresql_where=text("deleted_at IS NULL AND assigned_to_id IS NOT NULL"),
        ),
        # The merge link's referencing side: deleting a property checks it (migration 0011).
        Index(
            "ix_properties_team_id_merged_into_id",
            "team_id",
            "merged_into_id",
            postgresql_where=text("merged_into_id IS NOT NULL"),
        ),
        ForeignKeyConstraint(
            ["team_id", "import_id"], ["imports.team_id", "imports.id"], ondelete="SET NULL (import_id)"
        ),
        Index(
            "ix_properties_team_id_market_id",
            "team_id",
            "market_id",
            postgresql_where=text("market_id IS NOT NULL"),
        ),
        # Tagged leads only: a tag filter names the same condition (properties.listing).
        Index(
            "ix_properties_tags",
            "tags",
            postgresql_using="gin",
            postgresql_where=text(TAGGED),
        ),
    )

    address: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(40))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2))
    zip_code: Mapped[str] = mapped_column(String(10))
    county: Mapped[str | None] = mapped_column(String(100))
    apn: Mapped[str | None] = mapped_column(String(64))
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    property_type: Mapped[str | None] = mapped_column(String(20))
    bedrooms: Mapped[int | None] = mapped_column(Integer)
    bathrooms: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    square_feet: Mapped[int | None] = mapped_column(Integer)
    lot_size_sqft: Mapped[int | None] = mapped_column(Integer)
    year_built: Mapped[int | None] = mapped_column(Integer)
    assessed_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    estimated_value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    mortgage_balance: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    # Derived in the database so that filters and sorts on equity use an index-able column and
    # can never disagree with the values they come from.
    equity: Mapped[Decimal | None] = mapped_column(
        Numeric(14, 2), Computed("estimated_value - coalesce(mortgage_balance, 0)", persisted=True)
    )
    equity_percent: Mapped[Decimal | None] = mapped_column(
        Numeric(6, 1),
        Computed(
            "CASE WHEN estimated_value > 0 THEN "
            "round((estimated_value - coalesce(mortgage_balance, 0)) * 100 / estimated_value, 1) END",
            persisted=True,
        ),
    )
    last_sale_date: Mapped[date | None] = mapped_column(Date)
    last_sale_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list, server_default="{}")
    # Values of the team's custom fields, keyed by the definition's key (typed by `CustomField`).
    custom: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    market_id: Mapped[uuid.UUID | None] = mapped_column()
    stage: Mapped[str] = mapped_column(String(20), default="new")
    stage_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    # The propensity score (0-100) kept by the scoring domain; 0 until it has scored the lead.
    score: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column()
    # The member working this lead; with the team setting `agents_see_assigned_only`, agents
    # see only the leads assigned to them.
    assigned_to_id: Mapped[uuid.UUID | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    # Where each field's value came from, for the fields whose origin differs from the row's
    # own (a manual edit, later an enrichment): {field: {source, by, at, ...}}. A field absent
    # here came with the row itself (its creator or its import), so an import writes nothing
    # per field.
    provenance: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column()
    # The import that created the row (its mapping tells each field's column), if any.
    import_id: Mapped[uuid.UUID | None] = mapped_column()
    # The kinds of its signals (scoring.Signal), kept here so that list filters on signals
    # read one row; the scoring domain keeps it in step.
    signal_kinds: Mapped[list[str]] = mapped_column(ARRAY(String(30)), default=list, server_default="{}")
    # The signals its own record shows (the scoring domain's derived kinds: high equity, absentee
    # owner, ...), each with the day it was first found: {kind: "YYYY-MM-DD"}. On the row that
    # the score write rewrites anyway, not a `signals` row each: the first rescoring after a
    # million-lead import spent most of its time inserting 1.8 M such rows (migration 0021).
    derived_signals: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict, server_default="{}")
    score_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PropertyLookup(Base, TenantChildMixin):
    """What finds a property, one row per property under the property's own id: its search
    words and its de-duplication keys.

    Kept out of `properties` because a rescoring rewrites up to a million rows of it (`score` is
    indexed, so no update is HOT and each new row version goes into every index): the GIN over
    the words and the text-keyed btree over the address key, whose every entry lands on a random
    page, were a third of each such write, for values a score never changes (migration 0019).
    Triggers on `properties` write it in the same transaction: one statement per insert, a row
    when the address, the county or the APN changes. The database functions are each value's
    one definition, which the import's matching calls too:
    - `property_search_vector()`: one `simple` vector (no stemming, no stop words) over the
      address parts and the APN, so "quillfeather" and "quill:*" both find "4417 QUILLFEATHER LN";
    - `property_address_key()`: street + unit + ZIP (5 digits), upper case;
    - `property_apn_key()`: the APN's letters and digits + the county without "County", or null
      without both."""

    __tablename__ = "property_lookup"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["team_id", "id"], ["properties.team_id", "properties.id"], ondelete="CASCADE"),
        Index("ix_property_lookup_search", "search", postgresql_using="gin"),
        # De-duplication of imports: APN + county, else street + unit + ZIP.
        Index("ix_property_lookup_team_id_address_key", "team_id", "address_key"),
        Index(
            "ix_property_lookup_team_id_apn_key",
            "team_id",
            "apn_key",
            postgresql_where=text("apn_key IS NOT NULL"),
        ),
    )

    search: Mapped[str] = mapped_column(TSVECTOR)
    address_key: Mapped[str] = mapped_column(String(260))
    apn_key: Mapped[str | None] = mapped_column(String(200))


class CustomField(Base, TenantMixin):
    """A team's own property field: its key in `Property.custom`, label and type."""

    __tablename__ = "custom_fields"
    __table_args__ = tenant_table_args(
        UniqueConstraint("team_id", "key"),
        one_of("type", CUSTOM_FIELD_TYPES, "type_valid"),
        CheckConstraint("key ~ '^[a-z][a-z0-9_]{0,39}$'", name="key_format"),
    )

    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(10))
    choices: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list, server_default="{}")
    position: Mapped[int] = mapped_column(Integer, default=0)


class DataFlag(Base, TenantMixin):
    """A report that a field of a property looks wrong, and what became of it."""

    __tablename__ = "data_flags"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(
            ["team_id", "property_id"], ["properties.team_id", "properties.id"], ondelete="CASCADE"
        ),
        ForeignKeyConstraint(["team_id", "raised_by_id"], ["memberships.team_id", "memberships.id"]),
        ForeignKeyConstraint(["team_id", "resolved_by_id"], ["memberships.team_id", "memberships.id"]),
        one_of("status", FLAG_STATUSES, "status_valid"),
        Index("ix_data_flags_team_id_property_id", "team_id", "property_id"),
        Index("ix_data_flags_team_id_status_created_at", "team_id", "status", "created_at"),
    )

    property_id: Mapped[uuid.UUID] = mapped_column()
    field: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(10), default="open")
    comment: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    raised_by_id: Mapped[uuid.UUID | None] = mapped_column()
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class BulkAction(Base, TenantMixin):
    """One bulk change over a selection (ids, a list or a whole filter), run as one job."""

    __tablename__ = "bulk_actions"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["team_id", "created_by_id"], ["memberships.team_id", "memberships.id"]),
        one_of("action", BULK_ACTIONS, "action_valid"),
        one_of("status", BULK_STATUSES, "status_valid"),
        Index("ix_bulk_actions_team_id_created_at_id", "team_id", "created_at", "id"),
    )

    action: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # {"ids": [...]} or {"list_id": ...} or {"filter": {...}}: resolved when the job runs.
    selection: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    total: Mapped[int | None] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    # {"changed": n, "unchanged": n, "skipped": n, "errors": [...]}
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
