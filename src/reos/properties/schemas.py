"""Request and response shapes for properties."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from reos.kit.address import normalise_state, normalise_zip

Stage = Literal[
    "new", "outreach", "qualified", "negotiation", "under_contract", "closed_won", "closed_lost", "archived"
]
StateCode = Annotated[str, AfterValidator(normalise_state)]
ZipCode = Annotated[str, AfterValidator(normalise_zip)]
Text200 = Annotated[str, Field(min_length=1, max_length=200)]


class PropertyFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    unit: str | None = Field(default=None, max_length=40)
    county: str | None = Field(default=None, max_length=100)
    apn: str | None = Field(default=None, max_length=64)
    bedrooms: int | None = Field(default=None, ge=0, le=100)
    bathrooms: Decimal | None = Field(default=None, ge=0, le=100, decimal_places=1)
    square_feet: int | None = Field(default=None, ge=0, le=10_000_000)
    year_built: int | None = Field(default=None, ge=1600, le=2100)
    estimated_value: Decimal | None = Field(default=None, ge=0, le=10**12, decimal_places=2)
    assigned_to_id: uuid.UUID | None = Field(default=None, description="member (id) working this lead")


class PropertyCreate(PropertyFields):
    address: Text200
    city: Annotated[str, Field(min_length=1, max_length=100)]
    state: StateCode
    zip_code: ZipCode
    stage: Stage = "new"


class PropertyUpdate(PropertyFields):
    address: Text200 | None = None
    city: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    state: StateCode | None = None
    zip_code: ZipCode | None = None
    stage: Stage | None = None


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
    bedrooms: int | None
    bathrooms: Decimal | None
    square_feet: int | None
    year_built: int | None
    estimated_value: Decimal | None
    stage: Stage
    assigned_to_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime | None


class PropertyPage(BaseModel):
    items: list[PropertyRead]
    next_cursor: str | None
