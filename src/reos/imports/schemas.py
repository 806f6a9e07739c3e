"""Request and response shapes of imports and mapping presets."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reos.imports.models import PRESET_NAME_MAX

ImportStatus = Literal["queued", "running", "completed", "failed", "undone"]


class ImportCounts(BaseModel):
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    errors: int = 0
    skipped: int = Field(default=0, description="rows matching a property, left alone (on_duplicate = skip)")
    warnings: int = Field(
        default=0, description="values dropped from rows that landed (listed in the errors CSV)"
    )


class ImportProgress(BaseModel):
    rows_done: int
    rows_total: int | None = Field(description="an estimate while the file is read; exact once it is")
    percent: int = Field(description="of the rows read; 100 once the import has finished")
    phase: str | None = Field(
        description='while it runs: "reading", then the merge step under way (matching, properties, '
        "owners, roles, points, finishing); null otherwise"
    )
    step: int | None = Field(description="the number of that merge step, from 1; null while reading")
    steps: int = Field(description="how many merge steps there are")


class ImportStarted(BaseModel):
    id: uuid.UUID
    status: ImportStatus


class ImportRead(BaseModel):
    id: uuid.UUID
    status: ImportStatus
    filename: str
    format: Literal["csv", "xlsx"]
    sheet: str | None = Field(default=None, description="the worksheet read, for a workbook")
    size_bytes: int
    mapping: dict[str, str]
    on_duplicate: Literal["update", "skip"]
    counts: ImportCounts
    progress: ImportProgress
    error: str | None
    undo_report: dict[str, Any] | None
    created_by_id: uuid.UUID | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    undone_at: datetime | None


class ImportPage(BaseModel):
    items: list[ImportRead]
    next_cursor: str | None


class PreviewRow(BaseModel):
    row_number: int
    lands: bool
    property: dict[str, Any]
    owners: list[dict[str, Any]]
    points: list[dict[str, Any]]
    signals: list[str]


class PreviewProblem(BaseModel):
    row_number: int
    column: str | None
    reason: str
    row_lands: bool


class ImportPreview(BaseModel):
    format: Literal["csv", "xlsx"]
    delimiter: str | None
    sheets: list[str] = Field(description="a workbook's worksheets in order (empty for a CSV)")
    sheet: str | None = Field(
        description="the worksheet read: the one named, else the first whose headers hold a street address"
    )
    columns: list[str]
    mapping: dict[str, str] = Field(description="{target_field: source_column}")
    unmapped_columns: list[str]
    targets: list[str]
    rows: list[PreviewRow]
    problems: list[PreviewProblem]


PresetName = Annotated[str, Field(min_length=1, max_length=PRESET_NAME_MAX)]


class PresetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: PresetName
    mapping: dict[str, str] = Field(description="{target_field: source_column}")


class PresetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: PresetName | None = None
    mapping: dict[str, str] | None = None


class PresetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    mapping: dict[str, str]
    created_at: datetime
