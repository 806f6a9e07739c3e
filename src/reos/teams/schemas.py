"""Request and response shapes for accounts, teams, members, invitations and settings."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator

from reos.kit import address
from reos.kit.zones import time_zones
from reos.teams.models import Role

Password = Annotated[str, Field(min_length=10, max_length=256)]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _normalise_email(value: str) -> str:
    return value.strip().lower()


Email = Annotated[EmailStr, AfterValidator(_normalise_email)]


class RegisterRequest(BaseModel):
    email: Email
    password: Password
    full_name: str = Field(min_length=1, max_length=200)
    team_name: str = Field(min_length=1, max_length=200)


class LoginRequest(BaseModel):
    email: Email
    password: str = Field(min_length=1, max_length=256)
    team_id: uuid.UUID | None = None


class RefreshRequest(BaseModel):
    refresh_token: str


class ChangePasswordRequest(BaseModel):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: Password


class ResetRequest(BaseModel):
    email: Email


class ResetConfirm(BaseModel):
    token: str = Field(min_length=10, max_length=200)
    new_password: Password


class SwitchTeamRequest(BaseModel):
    team_id: uuid.UUID


class InviteCreate(BaseModel):
    email: Email
    role: Role = Role.agent


class InviteToken(BaseModel):
    token: str = Field(min_length=10, max_length=200)


class InviteAccept(InviteToken):
    full_name: str | None = Field(default=None, max_length=200)
    password: str = Field(min_length=1, max_length=256)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    is_operator: bool


class TeamChoice(BaseModel):
    id: uuid.UUID
    name: str
    role: Role


class BusinessHours(BaseModel):
    """Opening and closing time per weekday; a missing or null day is closed."""

    model_config = ConfigDict(extra="forbid")

    mon: tuple[str, str] | None = None
    tue: tuple[str, str] | None = None
    wed: tuple[str, str] | None = None
    thu: tuple[str, str] | None = None
    fri: tuple[str, str] | None = None
    sat: tuple[str, str] | None = None
    sun: tuple[str, str] | None = None

    @field_validator(*DAYS)
    @classmethod
    def _valid_span(cls, value: tuple[str, str] | None) -> tuple[str, str] | None:
        if value is None:
            return None
        start, end = value
        if not _HHMM.match(start) or not _HHMM.match(end):
            raise ValueError("times must be HH:MM (24-hour)")
        if start >= end:
            raise ValueError("opening time must be before closing time")
        return value


class TeamRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    timezone: str
    business_hours: dict[str, Any]
    postal_address: str | None
    brand_name: str | None
    brand_color: str
    logo_url: str | None
    agents_see_assigned_only: bool
    created_at: datetime


class TeamSettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: str | None = None
    business_hours: BusinessHours | None = None
    postal_address: str | None = Field(default=None, max_length=500)
    brand_name: str | None = Field(default=None, max_length=200)
    brand_color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    logo_url: str | None = Field(default=None, max_length=500)
    agents_see_assigned_only: bool | None = None

    @field_validator("postal_address")
    @classmethod
    def _mailing_address(cls, value: str | None) -> str | None:
        # Commercial email must carry a valid physical postal address (CAN-SPAM), and the
        # footer prints this one: a street and a place a letter can reach, or nothing yet.
        if value is None or not value.strip():
            return None
        lines = [line.strip() for line in value.splitlines() if line.strip()]
        if address.split_place(", ".join(lines)) is None:
            raise ValueError(
                "write the street (or PO box), then the city, state and ZIP, "
                "e.g. 2100 N Florida Ave, Suite 300, Tampa, FL 33602"
            )
        return "\n".join(lines)

    @field_validator("logo_url")
    @classmethod
    def _secure_logo(cls, value: str | None) -> str | None:
        # The app and its share links are served over HTTPS, where browsers block or rewrite
        # http:// images; a logo must be reachable as https.
        if value is None or not value.strip():
            return None
        value = value.strip()
        if not re.fullmatch(r"https://[^\s/?#]+\.[^\s/?#]+(?:[/?#]\S*)?", value):
            raise ValueError(
                "the logo must be an https:// address of an image, e.g. https://example.com/logo.png"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and value not in time_zones():
            raise ValueError(f"unknown time zone {value!r}; use an IANA name like America/Chicago")
        return value


class MemberRead(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    email: str
    full_name: str
    role: Role
    is_active: bool
    created_at: datetime


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    is_active: bool | None = None


class InvitationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    role: Role
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


class InvitationPreview(BaseModel):
    team_name: str
    email: str
    role: Role
    account_exists: bool


class MarketBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    states: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(default_factory=list)
    counties: list[Annotated[str, Field(min_length=1, max_length=120)]] = Field(default_factory=list)
    zip_codes: list[Annotated[str, Field(pattern=r"^[0-9]{5}$")]] = Field(default_factory=list)


class MarketCreate(MarketBase):
    pass


class MarketUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=120)
    states: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] | None = None
    counties: list[Annotated[str, Field(min_length=1, max_length=120)]] | None = None
    zip_codes: list[Annotated[str, Field(pattern=r"^[0-9]{5}$")]] | None = None


class MarketRead(MarketBase):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime


class AuthResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserRead
    team: TeamChoice
    teams: list[TeamChoice]


class MeResponse(BaseModel):
    user: UserRead
    team: TeamChoice
    teams: list[TeamChoice]
