"""Request and response shapes for properties, custom fields, flags and merges."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from reos.kit.address import normalise_state, normalise_zip

Stage = Literal[
    "new", "outreach", "qualified", "negotiation", "under_contract", "closed_won", "closed_lost", "archived"
]
PropertyType = Literal[
    "single_family", "multi_family", "condo", "townhouse", "mobile_home", "land", "commercial", "other"
]
StateCode = Annotated[str, AfterValidator(normalise_state)]
ZipCode = Annotated[str, AfterValidator(normalise_zip)]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]
Money = Annotated[Decimal, Field(ge=0, le=10**12, decimal_places=2)]


def _tags(values: list[str]) -> list[str]:
    """Tags are trimmed, lower case and unique, in the order given."""
    seen: dict[str, None] = {}
    for value in values:
        tag = " ".join(value.split()).lower()
        if not tag:
            raise ValueError("a tag cannot be empty")
        if len(tag) > 60:
            raise ValueError(f"tag {tag[:20]!r}… is longer than 60 characters")
        seen.setdefault(tag, None)
    return list(seen)


Tags = Annotated[list[str], Field(max_length=50), AfterValidator(_tags)]


class PropertyFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    unit: str | None = Field(default=None, max_length=40)
    county: str | None = Field(default=None, max_length=100)
    apn: str | None = Field(default=None, max_length=64)
    latitude: Decimal | None = Field(default=None, ge=-90, le=90, decimal_places=6)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180, decimal_places=6)
    property_type: PropertyType | None = None
    bedrooms: int | None = Field(default=None, ge=0, le=100)
    bathrooms: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=1)
    square_feet: int | None = Field(default=None, ge=0, le=10_000_000)
    lot_size_sqft: int | None = Field(default=None, ge=0, le=2_000_000_000)
    year_built: int | None = Field(default=None, ge=1600, le=2100)
    assessed_value: Money | None = None
    estimated_value: Money | None = None
    mortgage_balance: Money | None = None
    last_sale_date: date | None = None
    last_sale_price: Money | None = None
    market_id: uuid.UUID | None = None
    assigned_to_id: uuid.UUID | None = Field(default=None, description="member (id) working this lead")


class PropertyCreate(PropertyFields):
    address: Text200
    city: Annotated[str, Field(min_length=1, max_length=100)]
    state: StateCode
    zip_code: ZipCode
    stage: Stage = "new"
    tags: Tags = Field(default_factory=list)
    custom: dict[str, Any] = Field(default_factory=dict, description="values of the team's custom fields")


class PropertyUpdate(PropertyFields):
    address: Text200 | None = None
    city: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    state: StateCode | None = None
    zip_code: ZipCode | None = None
    stage: Stage | None = None
    stage_reason: str | None = Field(default=None, max_length=500, description="why the stage changes")
    tags: Tags | None = None
    custom: dict[str, Any] | None = Field(
        default=None, description="custom field values to set; a null value clears that field"
    )


class PropertyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    address: str
    unit: str | None
    city: str
    state: str
    zip_code: str
    county: str | None
    apn: str | None
    latitude: Decimal | None
    longitude: Decimal | None
    property_type: PropertyType | None
    bedrooms: int | None
    bathrooms: Decimal | None
    square_feet: int | None
    lot_size_sqft: int | None
    year_built: int | None
    assessed_value: Decimal | None
    estimated_value: Decimal | None
    mortgage_balance: Decimal | None
    equity: Decimal | None
    equity_percent: Decimal | None
    last_sale_date: date | None
    last_sale_price: Decimal | None
    tags: list[str]
    custom: dict[str, Any]
    market_id: uuid.UUID | None
    stage: Stage
    stage_changed_at: datetime
    score: int
    assigned_to_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    merged_into_id: uuid.UUID | None


class PropertyPage(BaseModel):
    items: list[PropertyRead]
    next_cursor: str | None


class StageChange(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    stage: Stage
    reason: str | None = Field(default=None, max_length=500)


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duplicate_id: uuid.UUID = Field(description="the property merged into this one, then removed")


class MergeResult(BaseModel):
    property: PropertyRead
    filled: list[str] = Field(description="fields of the kept property filled from the duplicate")
    moved: dict[str, int] = Field(description="rows moved to the kept property, per kind")


class FieldOrigin(BaseModel):
    field: str
    value: Any
    source: str = Field(description="manual, import, merge, enrichment")
    by: uuid.UUID | None = Field(description="member who set it, when by hand")
    at: datetime
    detail: dict[str, Any] = Field(default_factory=dict)


CustomFieldType = Literal["text", "number", "date", "boolean", "choice"]


class CustomFieldCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="lower case, digits, underscores")
    label: str = Field(min_length=1, max_length=100)
    type: CustomFieldType
    choices: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=100
    )
    position: int = Field(default=0, ge=0, le=10_000, description="order on forms, smallest first")


class CustomFieldUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: str | None = Field(default=None, min_length=1, max_length=100)
    choices: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, max_length=100
    )
    position: int | None = Field(default=None, ge=0, le=10_000)


class CustomFieldRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    key: str
    label: str
    type: CustomFieldType
    choices: list[str]
    position: int


FlagStatus = Literal["open", "confirmed", "fixed", "rejected"]


class FlagCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    field: str = Field(min_length=1, max_length=60)
    comment: str | None = Field(default=None, max_length=2000)


class FlagUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: FlagStatus
    resolution: str | None = Field(default=None, max_length=2000)


class FlagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    property_id: uuid.UUID
    field: str
    status: FlagStatus
    comment: str | None
    resolution: str | None
    raised_by_id: uuid.UUID | None
    resolved_by_id: uuid.UUID | None
    created_at: datetime
    resolved_at: datetime | None
