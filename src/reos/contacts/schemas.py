"""Request and response shapes for contacts, contact points and property links."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from reos.kit.address import normalise_state, normalise_zip
from reos.kit.instants import InstantAsWritten

ContactKind = Literal["person", "entity"]
PointKind = Literal["phone", "email"]
PointStatus = Literal["unknown", "valid", "wrong"]
LineType = Literal["unknown", "mobile", "landline", "voip"]
Role = Literal["owner", "co_owner", "heir", "tenant", "buyer", "other"]
StateCode = Annotated[str, AfterValidator(normalise_state)]
ZipCode = Annotated[str, AfterValidator(normalise_zip)]
Name100 = Annotated[str, Field(min_length=1, max_length=100)]


class ContactFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_name: Name100 | None = None
    last_name: Name100 | None = None
    entity_name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    street: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    city: Name100 | None = None
    state: StateCode | None = None
    zip_code: ZipCode | None = None
    notes: Annotated[str, Field(max_length=10_000)] | None = None


class ContactCreate(ContactFields):
    kind: ContactKind = "person"


class ContactUpdate(ContactFields):
    kind: ContactKind | None = None


class ContactPointFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    is_primary: bool = False
    position: int | None = Field(
        default=None, ge=0, le=10_000, description="order among the contact's points"
    )
    status: PointStatus = "unknown"
    line_type: LineType = "unknown"
    dnc: bool = False
    dnc_checked_at: InstantAsWritten | None = None


class ContactPointCreate(ContactPointFields):
    kind: PointKind
    value: Annotated[str, Field(min_length=1, max_length=320)] = Field(
        description="a phone number (US numbers need no country code) or an email address"
    )


class ContactPointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    value: Annotated[str, Field(min_length=1, max_length=320)] | None = None
    is_primary: bool | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)
    status: PointStatus | None = None
    line_type: LineType | None = None
    dnc: bool | None = None
    dnc_checked_at: InstantAsWritten | None = None


class ContactPointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    contact_id: uuid.UUID
    kind: PointKind
    value: str
    is_primary: bool
    position: int
    status: PointStatus
    line_type: LineType
    dnc: bool
    dnc_checked_at: datetime | None
    created_at: datetime


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: ContactKind
    first_name: str | None
    last_name: str | None
    entity_name: str | None
    street: str | None
    city: str | None
    state: str | None
    zip_code: str | None
    notes: str | None
    points: list[ContactPointRead]
    created_at: datetime
    updated_at: datetime | None


class ContactPage(BaseModel):
    items: list[ContactRead]
    next_cursor: str | None


class PropertyContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: uuid.UUID
    role: Role = "owner"


class PropertyContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    property_id: uuid.UUID
    contact_id: uuid.UUID
    role: Role
    contact: ContactRead
    created_at: datetime


class ContactMergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duplicate_id: uuid.UUID = Field(description="the contact merged into this one, then deleted")


class ContactMergeResult(BaseModel):
    contact: ContactRead
    filled: list[str] = Field(description="fields of the kept contact filled from the duplicate")
    moved: dict[str, int] = Field(description="rows moved to the kept contact, per kind")
