"""Imports, their bad rows, what each import changed (for undo) and saved column mappings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from reos.db.base import Base, TenantMixin, tenant_table_args

IMPORT_STATUSES = ("draft", "queued", "running", "completed", "failed", "undone")
CHANGE_ACTIONS = ("created", "updated")


class Import(Base, TenantMixin):
    __tablename__ = "imports"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["team_id", "created_by_id"], ["memberships.team_id", "memberships.id"]),
        CheckConstraint(
            "status in (" + ", ".join(f"'{s}'" for s in IMPORT_STATUSES) + ")", name="status_valid"
        ),
        CheckConstraint("on_duplicate in ('update', 'skip')", name="on_duplicate_valid"),
        CheckConstraint("format in ('csv', 'xlsx')", name="format_valid"),
        Index("ix_imports_team_id_created_at_id", "team_id", "created_at", "id"),
    )

    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(10))
    # The worksheet read, for a workbook: its name as the workbook has it (Excel stops at 31
    # characters, other writers do not).
    sheet: Mapped[str | None] = mapped_column(Text)
    # Where the uploaded file is kept (the storage provider's key) and its digest.
    file_key: Mapped[str] = mapped_column(String(500))
    file_sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    # {target_field: source_column}, as used (guessed or given).
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONB)
    on_duplicate: Mapped[str] = mapped_column(String(10), default="update")
    status: Mapped[str] = mapped_column(String(10), default="queued")
    # {total, created, updated, unchanged, duplicates, errors}: counts of file rows.
    counts: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int | None] = mapped_column(Integer)
    # While it runs: "reading", then the merge's step (`engine.MERGE_STEPS`); null otherwise.
    phase: Mapped[str | None] = mapped_column(String(40))
    error: Mapped[str | None] = mapped_column(Text)
    # What undo did and what it left because the lead had gained activity since.
    undo_report: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The team's rescoring that scores what the import (or its undo) changed: the job queued
    # then, or the one already waiting that stands for it.
    rescore_job_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ImportRowError(Base, TenantMixin):
    """One bad row of a file: its number (1 = first data row), the column and why."""

    __tablename__ = "import_errors"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["team_id", "import_id"], ["imports.team_id", "imports.id"], ondelete="CASCADE"),
        Index("ix_import_errors_team_id_import_id_row_number", "team_id", "import_id", "row_number"),
    )

    import_id: Mapped[uuid.UUID] = mapped_column()
    row_number: Mapped[int] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    # The raw row as read, so the error file can be fixed and imported again.
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class ImportChange(Base, TenantMixin):
    """A property an import created or changed, with the values it replaced (for undo)."""

    __tablename__ = "import_changes"
    __table_args__ = tenant_table_args(
        ForeignKeyConstraint(["team_id", "import_id"], ["imports.team_id", "imports.id"], ondelete="CASCADE"),
        ForeignKeyConstraint(
            ["team_id", "property_id"], ["properties.team_id", "properties.id"], ondelete="CASCADE"
        ),
        UniqueConstraint("team_id", "import_id", "property_id"),
        CheckConstraint("action in ('created', 'updated')", name="action_valid"),
        Index("ix_import_changes_team_id_property_id", "team_id", "property_id"),
    )

    import_id: Mapped[uuid.UUID] = mapped_column()
    property_id: Mapped[uuid.UUID] = mapped_column()
    action: Mapped[str] = mapped_column(String(10))
    # For an update: {field: [old, new]} of the fields the import changed.
    fields: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


PRESET_NAME_MAX = 120


class MappingPreset(Base, TenantMixin):
    """A saved column mapping (e.g. "PropStream export"), reused for the next file."""

    __tablename__ = "mapping_presets"
    __table_args__ = tenant_table_args(UniqueConstraint("team_id", "name"))

    name: Mapped[str] = mapped_column(String(PRESET_NAME_MAX))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONB)
