"""Request and response shapes of the governor."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from reos.kit.address import normalise_zip
from reos.kit.instants import InstantAsWritten

Channel = Literal["sms", "call", "email"]
PhoneChannel = Literal["sms", "call"]
ConsentChannel = Literal["sms", "call", "email", "all"]
Outcome = Literal["connected", "no_answer", "voicemail", "busy", "wrong_number", "sent", "failed", "other"]
SuppressionReason = Literal["unsubscribed", "hard_bounce", "complaint"]
UploadKind = Literal["registry", "litigator", "internal", "suppression"]
ZipCode = Annotated[str, AfterValidator(normalise_zip)]
Value = Annotated[str, Field(min_length=1, max_length=320)]
Note = Annotated[str, Field(max_length=500)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CheckRequest(_In):
    channel: Channel
    to: Value = Field(description="an E.164 phone number or an email address")
    at: InstantAsWritten = Field(
        description="the instant of the prospective contact (ISO-8601 with an offset)"
    )
    mailing_zip: ZipCode | None = None
    property_zip: ZipCode | None = None
    subject: Annotated[str, Field(max_length=100)] | None = Field(
        default=None, description="the property the contact is about (its id); none = every subject"
    )
    automated: bool = False


class ReasonRead(BaseModel):
    code: str
    message: str


class CheckResult(BaseModel):
    allowed: bool
    reasons: list[ReasonRead]
    warnings: list[ReasonRead]
    next_allowed_at: datetime | None
    rule_set: str


class LocationRead(BaseModel):
    state: str | None
    tz: str
    source: str


class DecisionRead(CheckResult):
    point_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    channel: Channel
    to: str
    locations: list[LocationRead]


class BatchItem(_In):
    channel: Channel
    point_id: uuid.UUID
    property_id: uuid.UUID | None = None
    automated: bool = False


class BatchRequest(_In):
    at: InstantAsWritten | None = None
    items: Annotated[list[BatchItem], Field(min_length=1, max_length=10_000)]


class BatchResult(BaseModel):
    items: list[DecisionRead]


class SettingsRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    strict_dnc: bool
    team_cap: int | None


class SettingsUpdate(_In):
    strict_dnc: bool | None = None
    team_cap: Annotated[int, Field(ge=1, le=100)] | None = None


class AttemptCreate(_In):
    channel: PhoneChannel
    point_id: uuid.UUID
    property_id: uuid.UUID | None = None
    at: InstantAsWritten | None = Field(default=None, description="when it happened; default now")
    outcome: Outcome = "other"
    note: Note | None = None


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    channel: Channel
    point_id: uuid.UUID | None
    value: str
    contact_id: uuid.UUID | None
    property_id: uuid.UUID | None
    at: datetime
    automated: bool
    outcome: str
    note: str | None
    rule_set: str
    warnings: list[str]
    created_at: datetime


class AttemptPage(BaseModel):
    items: list[AttemptRead]
    next_cursor: str | None


class OptOutCreate(_In):
    point_id: uuid.UUID
    channel: Channel | None = None
    note: Note | None = None


class OptInCreate(_In):
    contact_id: uuid.UUID
    note: Note | None = None


class OptOutRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    contact_id: uuid.UUID | None
    point_id: uuid.UUID | None
    value: str
    channel: Channel
    source: str
    keyword: str | None
    message: str | None
    received_at: datetime
    revoked_at: datetime | None
    revoke_source: str | None
    created_at: datetime


class OptOutPage(BaseModel):
    items: list[OptOutRead]
    next_cursor: str | None


class ConsentCreate(_In):
    point_id: uuid.UUID
    action: Literal["given", "revoked"] = "given"
    channel: ConsentChannel
    method: Annotated[str, Field(min_length=1, max_length=40)]
    source: Annotated[str, Field(min_length=1, max_length=200)]
    text_shown: Annotated[str, Field(max_length=5000)] | None = None
    evidence: Annotated[str, Field(max_length=2000)] | None = None
    recorded_at: InstantAsWritten | None = Field(
        default=None, description="when consent was given; default now"
    )


class ConsentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    contact_id: uuid.UUID | None
    point_id: uuid.UUID | None
    value: str
    action: str
    channel: ConsentChannel
    method: str
    source: str
    text_shown: str | None
    evidence: str | None
    recorded_at: datetime
    recorded_by_id: uuid.UUID | None
    created_at: datetime


class ConsentPage(BaseModel):
    items: list[ConsentRead]
    next_cursor: str | None


class DncNumberCreate(_In):
    phone: Annotated[str, Field(min_length=1, max_length=40)]
    kind: Literal["internal", "litigator"] = "internal"
    note: Annotated[str, Field(max_length=300)] | None = None


class DncNumberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    phone: str
    kind: str
    upload_id: uuid.UUID | None
    note: str | None
    created_at: datetime


class SuppressionCreate(_In):
    email: Value
    reason: SuppressionReason
    note: Annotated[str, Field(max_length=300)] | None = None


class SuppressionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    reason: SuppressionReason
    source: str
    note: str | None
    created_at: datetime


class UploadRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: UploadKind
    filename: str
    size_bytes: int
    downloaded_on: date | None
    status: str
    bytes_read: int
    rows_read: int
    rows_added: int
    rows_rejected: int
    area_codes: list[str]
    error: str | None
    created_at: datetime
    finished_at: datetime | None


class UploadPage(BaseModel):
    items: list[UploadRead]
    next_cursor: str | None


class HoldUpdate(_In):
    do_not_contact: bool
    reason: Annotated[str, Field(max_length=300)] | None = None


class InboundText(_In):
    # The body is evidence: kept exactly as received.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    phone: Annotated[str, Field(min_length=1, max_length=40)] = Field(description="the phone it came from")
    body: Annotated[str, Field(max_length=2000)]
    at: InstantAsWritten | None = None


class InboundResult(BaseModel):
    outcome: Literal["opt_out", "opt_in", "help", "review", "none"]
    keyword: str | None
    contact_id: uuid.UUID | None
    review_id: uuid.UUID | None


class ReviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    contact_id: uuid.UUID | None
    point_id: uuid.UUID | None
    value: str
    message: str
    keyword: str
    received_at: datetime
    due_at: datetime
    status: str
    decided_at: datetime | None
    note: str | None


class ReviewPage(BaseModel):
    items: list[ReviewRead]
    next_cursor: str | None


class ReviewDecision(_In):
    decision: Literal["opted_out", "not_opt_out"]
    note: Note | None = None


class StateRuleRead(BaseModel):
    state: str
    window: str
    day_bans: list[str]
    holidays: bool
    source: str


class RuleSetRead(BaseModel):
    version: str
    effective: str
    federal: StateRuleRead
    states: list[StateRuleRead]
    cap_states: list[str]
    cap_limit: int
    cap_hours: int
    consent_states: list[str]
    dnc_max_age_days: int
    opt_out_keywords: list[str]
    opt_in_keywords: list[str]
    help_keywords: list[str]
