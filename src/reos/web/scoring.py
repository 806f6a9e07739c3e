"""Scoring pages: the weights page (`/scoring`: weight and half-life per signal, the equity gate,
a live preview of how the ranking would change, save → a rescoring job with its progress) and the
score breakdown the property page includes:

    {% include "scoring_breakdown.html" %}   with   **await score_context(principal, session, property_id)
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from reos.auth.principal import Principal
from reos.deps import Editor, Reader, ScoreWeightsEditor, SessionDep, get_database
from reos.errors import AppError
from reos.jobs import service as jobs
from reos.scoring import rules
from reos.scoring import service as scoring
from reos.scoring.models import SIGNAL_KINDS
from reos.scoring.schemas import ScoringSettingsUpdate, SignalCreate
from reos.web.account import form_fields
from reos.web.render import app_error_fields, field_errors, page, partial, redirect, toast_headers

router = APIRouter(include_in_schema=False)

SOURCE_LABELS = {"import": "Import", "manual": "By hand", "derived": "From the record"}
DETAIL_LABELS = {
    "equity_percent": "equity",
    "estimated_value": "value",
    "mortgage_balance": "mortgage",
    "last_sale_date": "last sale",
    "mailing_address": "mails to",
    "mailing_state": "mailing state",
    "property_state": "property in",
}


def _evidence_words(detail: dict[str, Any]) -> str:
    """The evidence of a signal in a few words ("equity 66.7 %", "mails to 12 Oak St, …")."""
    words = []
    for key, value in detail.items():
        if value is None or value == "":
            continue
        if key == "equity_percent":
            words.append(f"equity {value} %")
        elif key in ("estimated_value", "mortgage_balance"):
            words.append(f"{DETAIL_LABELS[key]} ${float(value):,.0f}")
        else:
            words.append(f"{DETAIL_LABELS.get(key, key.replace('_', ' '))} {value}")
    return " · ".join(words)


def _age_words(days: int) -> str:
    if days == 0:
        return "today"
    if days < 60:
        return f"{days} day{'s' if days != 1 else ''} ago"
    if days < 730:
        return f"{round(days / 30.4)} months ago"
    return f"{days / 365:.1f} years ago"


async def score_context(principal: Principal, session: SessionDep, property_id: uuid.UUID) -> dict[str, Any]:
    """What `scoring_breakdown.html` needs; the property page passes it along."""
    explained = await scoring.score_breakdown(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership
    )
    present = {f.kind for f in explained.breakdown.factors}
    return {
        "score_property_id": property_id,
        "explained": explained,
        "kind_labels": rules.KIND_LABELS,
        "source_labels": SOURCE_LABELS,
        "missing_kinds": [k for k in SIGNAL_KINDS if k not in present],
        "evidence_words": _evidence_words,
        "age_words": _age_words,
        "today": scoring.today().isoformat(),
        "signal_errors": {},
        "signal_sent": {},
    }


async def _breakdown(
    request: Request,
    principal: Principal,
    session: SessionDep,
    property_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    sent: dict[str, str] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    context = await score_context(principal, session, property_id)
    context["signal_errors"] = errors or {}
    # A refused signal keeps what was chosen: the form had gone back to its first kind and
    # today, and the next click recorded a signal nobody chose.
    context["signal_sent"] = sent or {}
    return partial(
        request,
        "scoring_breakdown.html",
        principal=principal,
        status_code=status_code,
        headers=headers,
        **context,
    )


@router.get("/properties/{property_id}/score")
async def breakdown_partial(
    request: Request, property_id: uuid.UUID, principal: Reader, session: SessionDep
) -> HTMLResponse:
    return await _breakdown(request, principal, session, property_id)


@router.post("/properties/{property_id}/signals")
async def add_signal(
    request: Request, property_id: uuid.UUID, principal: Editor, session: SessionDep
) -> Response:
    data = await form_fields(request)
    body: dict[str, Any] = {"kind": data.get("kind", "")}
    if data.get("observed_on"):
        body["observed_on"] = data["observed_on"]
    if data.get("note", "").strip():
        body["detail"] = {"note": data["note"].strip()[:500]}
    try:
        signal_in = SignalCreate.model_validate(body)
        await scoring.add_signal(
            session,
            team_id=principal.team_id,
            property_id=property_id,
            viewer=principal.membership,
            data=signal_in,
        )
    except ValidationError as exc:
        return await _breakdown(
            request, principal, session, property_id, errors=field_errors(exc), sent=data, status_code=422
        )
    except AppError as exc:
        if exc.status_code != 422:
            raise
        message, fields = app_error_fields(exc)
        return await _breakdown(
            request,
            principal,
            session,
            property_id,
            errors=fields or {"form": message or ""},
            sent=data,
            status_code=422,
        )
    label = rules.KIND_LABELS[signal_in.kind]
    return await _breakdown(
        request, principal, session, property_id, headers=toast_headers(f"{label} recorded")
    )


@router.post("/properties/{property_id}/signals/{kind}/delete")
async def remove_signal(
    request: Request, property_id: uuid.UUID, kind: str, principal: Editor, session: SessionDep
) -> Response:
    await scoring.remove_signal(
        session, team_id=principal.team_id, property_id=property_id, viewer=principal.membership, kind=kind
    )
    label = rules.KIND_LABELS.get(kind, kind)
    return await _breakdown(
        request, principal, session, property_id, headers=toast_headers(f"{label} removed")
    )


# --- the weights page --------------------------------------------------------------------------


def _form_values(settings: scoring.Settings) -> dict[str, str]:
    values = {"equity_gate_percent": str(settings.equity_gate_percent)}
    for kind, w in settings.weights.items():
        values[f"weight__{kind}"] = str(w.weight)
        values[f"half_life__{kind}"] = str(w.half_life_days)
    return values


def _update_from(values: dict[str, str]) -> ScoringSettingsUpdate:
    weights = {
        kind: {
            "weight": values.get(f"weight__{kind}", ""),
            "half_life_days": values.get(f"half_life__{kind}", ""),
        }
        for kind in SIGNAL_KINDS
    }
    return ScoringSettingsUpdate.model_validate(
        {"weights": weights, "equity_gate_percent": values.get("equity_gate_percent", "")}
    )


def _rows(values: dict[str, str], errors: dict[str, str]) -> list[dict[str, Any]]:
    """One row per kind, strongest default first, with its worth after a year for the hint."""
    rows = []
    for kind in sorted(SIGNAL_KINDS, key=lambda k: -rules.DEFAULT_WEIGHTS[k].weight):
        weight, half_life = values.get(f"weight__{kind}", ""), values.get(f"half_life__{kind}", "")
        try:
            after_year = int(weight) * rules.decay(365, int(half_life))
            hint = f"{after_year:.1f} pts after a year"
        except (ValueError, ZeroDivisionError):
            hint = ""
        rows.append(
            {
                "kind": kind,
                "label": rules.KIND_LABELS[kind],
                "weight": weight,
                "half_life": half_life,
                "hint": hint,
                "weight_error": errors.get(f"weights.{kind}.weight"),
                "half_life_error": errors.get(f"weights.{kind}.half_life_days"),
                "default": rules.DEFAULT_WEIGHTS[kind],
            }
        )
    return rows


async def _status(principal: Principal, session: SessionDep) -> dict[str, Any]:
    """The latest rescoring run, and whether one is still to come (saved weights it has not seen)."""
    runs = [
        r
        for r in await jobs.list_runs(session, team_id=principal.team_id, limit=20)
        if r.task_name in scoring.RESCORE_TASKS
    ][:1]
    settings = await scoring.get_settings(session, team_id=principal.team_id)
    pending = settings.updated_at is not None and (
        not runs or runs[0].status == "running" or runs[0].updated_at < settings.updated_at
    )
    return {"runs": runs, "pending": pending}


async def _page(
    request: Request,
    principal: Principal,
    session: SessionDep,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    settings = await scoring.get_settings(session, team_id=principal.team_id)
    values = values or _form_values(settings)
    errors = errors or {}
    return await page(
        request,
        "scoring.html",
        principal=principal,
        session=session,
        nav="scoring",
        settings=settings,
        rows=_rows(values, errors),
        values=values,
        errors=errors,
        error=error,
        status_code=status_code,
        **await _status(principal, session),
    )


@router.get("/scoring")
async def scoring_page(request: Request, principal: Reader, session: SessionDep) -> HTMLResponse:
    return await _page(request, principal, session)


def _preview_partial(
    request: Request, principal: Principal, found: scoring.Preview, values: dict[str, str]
) -> HTMLResponse:
    return partial(
        request,
        "scoring_preview.html",
        principal=principal,
        preview=found,
        preview_errors={},
        hints=_rows(values, {}),
    )


# The page asks for its preview once it is shown (a million leads take seconds to rank):
# a reader's under the saved weights, an editor's under the form's values.
@router.get("/scoring/preview")
async def saved_preview_partial(request: Request, principal: Reader, session: SessionDep) -> HTMLResponse:
    settings = await scoring.get_settings(session, team_id=principal.team_id)
    found = await scoring.preview(
        session, get_database(request), team_id=principal.team_id, data=ScoringSettingsUpdate()
    )
    return _preview_partial(request, principal, found, _form_values(settings))


@router.post("/scoring/preview")
async def preview_partial(
    request: Request, principal: ScoreWeightsEditor, session: SessionDep
) -> HTMLResponse:
    values = await form_fields(request)
    try:
        data = _update_from(values)
    except ValidationError as exc:
        return partial(
            request,
            "scoring_preview.html",
            principal=principal,
            preview=None,
            preview_errors=field_errors(exc),
            hints=_rows(values, {}),
        )
    found = await scoring.preview(session, get_database(request), team_id=principal.team_id, data=data)
    return _preview_partial(request, principal, found, values)


@router.post("/scoring")
async def save_weights(request: Request, principal: ScoreWeightsEditor, session: SessionDep) -> Response:
    values = await form_fields(request)
    before = await scoring.get_settings(session, team_id=principal.team_id)
    try:
        data = _update_from(values)
        settings, _ = await scoring.update_settings(
            session,
            team_id=principal.team_id,
            actor=principal.membership,
            actor_email=principal.account.email,
            data=data,
        )
    except ValidationError as exc:
        return await _page(
            request, principal, session, values=values, errors=field_errors(exc), status_code=422
        )
    if settings.version == before.version:
        return redirect("/scoring", flash="Nothing changed", kind="info")
    return redirect("/scoring", flash=f"Weights saved as version {settings.version}; rescoring the team")


@router.get("/scoring/status")
async def status_partial(request: Request, principal: Reader, session: SessionDep) -> HTMLResponse:
    return partial(request, "scoring_status.html", principal=principal, **await _status(principal, session))
