"""Scoring API: a property's signals and explained score; the team's weights and their preview."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status

from reos.deps import Editor, Reader, ScoreWeightsEditor, SessionDep, get_database
from reos.kit.routing import DocstringRoute
from reos.scoring import service as scoring
from reos.scoring.schemas import (
    CloseProbabilityRead,
    Evidence,
    ExpectedValueRead,
    FactorRead,
    GateRead,
    KindWeightIn,
    PreviewRead,
    PreviewRequest,
    PreviewRow,
    ScoreRead,
    ScoringSettingsRead,
    ScoringSettingsUpdate,
    SignalCreate,
    SignalKind,
    SignalRead,
)

property_router = APIRouter(prefix="/api/v1/properties", tags=["scoring"], route_class=DocstringRoute)
router = APIRouter(prefix="/api/v1/scoring", tags=["scoring"], route_class=DocstringRoute)


@property_router.get("/{property_id}/signals")
async def list_signals(property_id: uuid.UUID, principal: Reader, session: SessionDep) -> list[SignalRead]:
    """List a property's motivated-seller signals with their source and date: those an import or
    a person recorded, and those derived from its record (no id; evidence as the record is now)."""
    rows = await scoring.list_signals(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership
    )
    return [SignalRead.model_validate(s) for s in rows]


@property_router.post("/{property_id}/signals", status_code=status.HTTP_201_CREATED)
async def add_signal(
    property_id: uuid.UUID, body: SignalCreate, principal: Editor, session: SessionDep, response: Response
) -> SignalRead:
    """Record a signal by hand (replacing the kind's earlier evidence) and rescore the property."""
    signal, created = await scoring.add_signal(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership, data=body
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return SignalRead.model_validate(signal)


@property_router.delete("/{property_id}/signals/{kind}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_signal(
    property_id: uuid.UUID, kind: SignalKind, principal: Editor, session: SessionDep
) -> Response:
    """Remove a signal an import or a person recorded, and rescore the property (a derived one of
    its kind comes back if the record shows it). A derived signal itself is a 409: it goes when
    the record stops showing it."""
    await scoring.remove_signal(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership, kind=kind
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def score_read(explained: scoring.Explained) -> ScoreRead:
    b, prop = explained.breakdown, explained.prop
    return ScoreRead(
        property_id=prop.id,
        score=b.score,
        stored_score=prop.score,
        score_updated_at=prop.score_updated_at,
        version=explained.settings.version,
        as_of=explained.as_of,
        points=b.points,
        gated_points=b.gated_points,
        capped=b.capped,
        factors=[
            FactorRead(
                kind=f.kind,
                label=f.label,
                weight=f.weight,
                half_life_days=f.half_life_days,
                evidence=Evidence(
                    source=f.evidence.source,
                    observed_on=f.evidence.observed_on,
                    detail=dict(f.evidence.detail),
                ),
                age_days=f.age_days,
                decay=f.decay,
                points=f.points,
                contribution=f.contribution,
            )
            for f in b.factors
        ],
        gate=GateRead(
            gate_percent=b.gate.gate_percent,
            equity_percent=b.gate.equity_percent,
            applied=b.gate.applied,
            factor=b.gate.factor,
        ),
        close_probability=explained.close.probability,
        expected_value=explained.value.expected_value,
        close_probability_breakdown=CloseProbabilityRead(
            stage=explained.close.stage,
            stage_base=explained.close.stage_base,
            score=explained.close.score,
            score_factor=explained.close.score_factor,
            probability=explained.close.probability,
        ),
        expected_value_breakdown=ExpectedValueRead(
            estimated_value=explained.value.estimated_value,
            mortgage_balance=explained.value.mortgage_balance,
            deal_value=explained.value.deal_value,
            close_probability=explained.value.close_probability,
            expected_value=explained.value.expected_value,
        ),
    )


@property_router.get("/{property_id}/score")
async def get_score(property_id: uuid.UUID, principal: Reader, session: SessionDep) -> ScoreRead:
    """Explain a property's score: every factor's weight, evidence, age and contribution."""
    explained = await scoring.score_breakdown(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership
    )
    return score_read(explained)


def settings_read(settings: scoring.Settings, job_id: int | None = None) -> ScoringSettingsRead:
    return ScoringSettingsRead(
        weights={
            k: KindWeightIn(weight=w.weight, half_life_days=w.half_life_days)
            for k, w in settings.weights.items()
        },
        equity_gate_percent=settings.equity_gate_percent,
        version=settings.version,
        updated_by_id=settings.updated_by_id,
        updated_at=settings.updated_at,
        rescore_job_id=job_id,
    )


@router.get("/settings")
async def get_settings(principal: Reader, session: SessionDep) -> ScoringSettingsRead:
    """Show the team's scoring weights, half-lives and equity gate."""
    return settings_read(await scoring.get_settings(session, team_id=principal.team_id))


@router.put("/settings")
async def update_settings(
    body: ScoringSettingsUpdate, principal: ScoreWeightsEditor, session: SessionDep
) -> ScoringSettingsRead:
    """Change weights or the equity gate; the team is rescored by a job."""
    settings, job_id = await scoring.update_settings(
        session,
        team_id=principal.team_id,
        actor=principal.membership,
        actor_email=principal.account.email,
        data=body,
    )
    return settings_read(settings, job_id)


@router.post("/preview")
async def preview(
    body: PreviewRequest, request: Request, principal: ScoreWeightsEditor, session: SessionDep
) -> PreviewRead:
    """Show how the top leads would change under proposed weights, writing nothing."""
    found = await scoring.preview(
        session,
        get_database(request),
        team_id=principal.team_id,
        data=ScoringSettingsUpdate(weights=body.weights, equity_gate_percent=body.equity_gate_percent),
        limit=body.limit,
    )
    return PreviewRead(
        as_of=found.as_of,
        items=[PreviewRow.model_validate(r, from_attributes=True) for r in found.items],
        dropped=[PreviewRow.model_validate(r, from_attributes=True) for r in found.dropped],
        changed=found.changed,
        total=found.total,
    )
