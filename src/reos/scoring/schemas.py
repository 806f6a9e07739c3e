"""Request and response shapes of signals, scores and scoring settings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reos.kit.jsontext import JsonObject
from reos.scoring.rules import MAX_HALF_LIFE_DAYS, MAX_WEIGHT

SignalKind = Literal[
    "absentee_owner",
    "out_of_state_owner",
    "tax_delinquent",
    "pre_foreclosure",
    "probate",
    "vacant",
    "high_equity",
    "free_and_clear",
    "long_tenure",
    "code_violation",
    "eviction",
    "divorce",
    "tired_landlord",
]
SignalSource = Literal["import", "manual", "derived"]


class SignalCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: SignalKind
    observed_on: date | None = Field(default=None, description="the day the fact was true; default today")
    detail: JsonObject = Field(default_factory=dict, description="evidence: case number, amount owed, …")


class SignalRead(BaseModel):
    """A signal an import or a person recorded, or one the property's record shows (source
    `derived`: no row of its own, so no id or times; dated the day it was first found)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID | None = Field(description="null for a derived signal")
    property_id: uuid.UUID
    kind: SignalKind
    source: SignalSource
    observed_on: date
    detail: dict[str, Any]
    import_id: uuid.UUID | None
    created_by_id: uuid.UUID | None
    created_at: datetime | None = Field(description="null for a derived signal")
    updated_at: datetime | None = Field(description="null for a derived signal")


class KindWeightIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weight: int = Field(ge=0, le=MAX_WEIGHT, description="points when fresh")
    half_life_days: int = Field(ge=1, le=MAX_HALF_LIFE_DAYS, description="days until it is worth half")


class ScoringSettingsUpdate(BaseModel):
    """Kinds left out keep their weight; the version goes up when anything changes."""

    model_config = ConfigDict(extra="forbid")

    weights: dict[SignalKind, KindWeightIn] = Field(default_factory=dict)
    equity_gate_percent: int | None = Field(default=None, ge=0, le=100)


class ScoringSettingsRead(BaseModel):
    weights: dict[str, KindWeightIn]
    equity_gate_percent: int
    version: int
    updated_by_id: uuid.UUID | None
    updated_at: datetime | None
    rescore_job_id: int | None = Field(default=None, description="the rescoring job a change deferred")


class Evidence(BaseModel):
    source: SignalSource
    observed_on: date
    detail: dict[str, Any]


class FactorRead(BaseModel):
    kind: SignalKind
    label: str
    weight: int
    half_life_days: int
    evidence: Evidence
    age_days: int
    decay: float = Field(description="0.5 ^ (age_days / half_life_days)")
    points: float = Field(description="weight × decay, before the equity gate and the cap")
    contribution: int = Field(description="whole points of the score; the factors add up to the score")


class GateRead(BaseModel):
    gate_percent: int
    equity_percent: Decimal | None
    applied: bool
    factor: float = Field(description="points are multiplied by this (equity % / gate %, at most 1)")


class CloseProbabilityRead(BaseModel):
    stage: str
    stage_base: Decimal = Field(description="chance of closing from this stage at score 50")
    score: int
    score_factor: Decimal = Field(description="0.5 + score / 100 (1 for settled stages)")
    probability: Decimal = Field(description="stage_base × score_factor, at most 0.95 while open")


class ExpectedValueRead(BaseModel):
    estimated_value: Decimal | None
    mortgage_balance: Decimal | None
    deal_value: Decimal | None = Field(description="estimated value − mortgage balance, at least 0")
    close_probability: Decimal
    expected_value: Decimal | None = Field(description="close probability × deal value")


class ScoreRead(BaseModel):
    property_id: uuid.UUID
    score: int
    stored_score: int = Field(description="the score as last written by rescoring (the list sorts by it)")
    score_updated_at: datetime | None
    version: int
    as_of: date
    points: float = Field(description="all factors' points before the gate and the cap")
    gated_points: float
    capped: bool
    factors: list[FactorRead]
    gate: GateRead
    close_probability: Decimal
    expected_value: Decimal | None
    close_probability_breakdown: CloseProbabilityRead
    expected_value_breakdown: ExpectedValueRead


class PreviewRequest(ScoringSettingsUpdate):
    limit: int = Field(default=50, ge=1, le=200)


class PreviewRow(BaseModel):
    property_id: uuid.UUID
    address: str
    city: str
    state: str
    rank_before: int
    rank_after: int
    score_before: int
    score_after: int


class PreviewRead(BaseModel):
    as_of: date
    items: list[PreviewRow] = Field(description="the top under the proposed weights")
    dropped: list[PreviewRow] = Field(description="today's top leads that would leave the top")
    changed: int = Field(description="leads of the team whose score would change")
    total: int


class RescoreResult(BaseModel):
    changed: int
    total: int
