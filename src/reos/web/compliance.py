"""The compliance page (rule set, check a contact, review queue, uploads, consent, opt-outs,
strict mode) and the per-point compliance partial the property and contact pages include."""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from reos.auth.permissions import Action
from reos.auth.principal import Principal
from reos.compliance import service as compliance
from reos.compliance.routes import rule_set_read, store_upload
from reos.compliance.schemas import AttemptCreate, CheckRequest, SettingsUpdate
from reos.deps import Permit, Reader, SessionDep
from reos.errors import AppError, Unprocessable
from reos.kit import clock
from reos.kit.ids import parse_id, parse_ids
from reos.kit.instants import wall_clock
from reos.teams import service as teams
from reos.web.account import back, form_fields
from reos.web.render import app_error_fields, field_errors, is_htmx, page, partial, redirect, toast_headers

router = APIRouter(include_in_schema=False)

Logger = Annotated[Principal, Depends(Permit(Action.log_contact))]
Uploader = Annotated[Principal, Depends(Permit(Action.upload_compliance_data))]
Reviewer = Annotated[Principal, Depends(Permit(Action.decide_review))]
GovernorEditor = Annotated[Principal, Depends(Permit(Action.edit_governor))]
CODE_LABELS = {
    "quiet_hours": "Quiet hours",
    "day_ban": "Day ban",
    "unknown_location": "Unknown location",
    "frequency_cap": "Frequency cap",
    "team_cap": "Team cap",
    "consent_missing": "Consent missing",
    "dnc": "Do-not-call",
    "dnc_unchecked": "DNC unchecked",
    "litigator": "Litigator",
    "opted_out": "Opted out",
    "review_pending": "Review pending",
    "unsubscribed": "Unsubscribed",
    "suppressed": "Suppressed",
    "do_not_contact": "Do not contact",
}


async def _context(principal: Principal, session: SessionDep) -> dict[str, Any]:
    team_id = principal.team_id
    reviews, _ = await compliance.list_reviews(session, team_id=team_id, limit=50)
    uploads, _ = await compliance.list_uploads(session, team_id=team_id, limit=10)
    opt_outs, _ = await compliance.list_opt_outs(session, team_id=team_id, active=True, limit=20)
    consents, _ = await compliance.list_consents(session, team_id=team_id, limit=20)
    team = await teams.get_team(session, team_id=team_id)
    return {
        "rules": rule_set_read(),
        "settings": await compliance.get_settings(session, team_id=team_id),
        "reviews": reviews,
        "uploads": uploads,
        "opt_outs": opt_outs,
        "consents": consents,
        "tz": team.timezone,
        "now": clock.now(),
        "code_labels": CODE_LABELS,
    }


@router.get("/compliance")
async def compliance_page(request: Request, principal: Reader, session: SessionDep) -> HTMLResponse:
    team = await teams.get_team(session, team_id=principal.team_id)
    return await page(
        request,
        "compliance.html",
        principal=principal,
        session=session,
        nav="compliance",
        form={
            "channel": "sms",
            "at": clock.now().astimezone(ZoneInfo(team.timezone)).strftime("%Y-%m-%d %H:%M"),
        },
        **await _context(principal, session),
    )


def _check_form(data: dict[str, str], tz: str) -> dict[str, Any]:
    """The form's values as the API's body: empty fields are absent, the local time gets the
    team's zone unless it carries an offset."""
    body: dict[str, Any] = {k: v for k, v in data.items() if k != "csrf_token" and v != ""}
    body["automated"] = data.get("automated") == "on"
    if "at" in body and len(body["at"]) <= 16:
        with contextlib.suppress(ValueError):  # else the model names the field
            body["at"] = datetime.fromisoformat(body["at"]).replace(tzinfo=ZoneInfo(tz)).isoformat()
    return body


@router.post("/compliance/check")
async def check_contact(request: Request, principal: Reader, session: SessionDep) -> HTMLResponse:
    """Check a contact from the form; the answer (or the field errors) replaces the result."""
    data = await form_fields(request)
    team = await teams.get_team(session, team_id=principal.team_id)
    errors: dict[str, str] = {}
    answer = None
    try:
        body = CheckRequest.model_validate(_check_form(data, team.timezone))
        answer = await compliance.check(
            session,
            team_id=principal.team_id,
            channel=body.channel,
            to=body.to,
            at=body.at,
            mailing_zip=body.mailing_zip,
            property_zip=body.property_zip,
            subject=body.subject,
            automated=body.automated,
        )
    except ValidationError as exc:
        errors = field_errors(exc)
    except AppError as exc:
        message, errors = app_error_fields(exc)
        if message:
            errors["form"] = message
        for detail in exc.details if isinstance(exc.details, list) else []:
            errors[detail["field"]] = detail["message"][:1].upper() + detail["message"][1:]
    return partial(
        request,
        "compliance/_check_result.html",
        principal=principal,
        answer=answer,
        errors=errors,
        tz=team.timezone,
        code_labels=CODE_LABELS,
        status_code=422 if errors else 200,
    )


@router.post("/compliance/reviews/{review_id}/decision")
async def decide_review(
    review_id: uuid.UUID, request: Request, principal: Reviewer, session: SessionDep
) -> Response:
    # Another team's review is a 404 whatever the form says.
    await compliance.get_review_or_raise(session, team_id=principal.team_id, review_id=review_id)
    data = await form_fields(request)
    decision = data.get("decision", "")
    if decision not in ("opted_out", "not_opt_out"):
        return redirect("/compliance#reviews", flash="Choose opt-out or not an opt-out", kind="error")
    await compliance.decide_review(
        session,
        team_id=principal.team_id,
        review_id=review_id,
        decision=decision,
        note=data.get("note") or None,
        decided_by_id=principal.membership.id,
        actor_account_id=principal.account.id,
    )
    words = "recorded as an opt-out" if decision == "opted_out" else "released: not an opt-out"
    return redirect("/compliance#reviews", flash=f"Review {words}")


@router.post("/compliance/settings")
async def update_settings(request: Request, principal: GovernorEditor, session: SessionDep) -> Response:
    data = await form_fields(request)
    try:
        update = SettingsUpdate(
            strict_dnc=data.get("strict_dnc") == "on",
            team_cap=int(data["team_cap"]) if data.get("team_cap") else None,
        )
    except (ValidationError, ValueError):
        return redirect(
            "/compliance#settings", flash="The team cap is a whole number from 1 to 100", kind="error"
        )
    await compliance.update_settings(
        session, team_id=principal.team_id, data=update, actor_account_id=principal.account.id
    )
    return redirect("/compliance#settings", flash="Governor settings saved")


@router.post("/compliance/uploads")
async def upload_list(request: Request, principal: Uploader, session: SessionDep) -> Response:
    form = await request.form()
    file = form.get("file")
    kind = str(form.get("kind") or "")
    if not isinstance(file, UploadFile) or not file.filename:
        return redirect("/compliance#uploads", flash="Choose a file to upload", kind="error")
    if kind not in ("registry", "litigator", "internal", "suppression"):
        return redirect("/compliance#uploads", flash="Choose what the file is", kind="error")
    raw_date = str(form.get("downloaded_on") or "")
    try:
        downloaded_on = datetime.fromisoformat(raw_date).date() if raw_date else None
    except ValueError:
        return redirect("/compliance#uploads", flash="The download date is not a date", kind="error")
    stored, size = await store_upload(principal.team_id, file)
    try:
        await compliance.create_upload(
            session,
            team_id=principal.team_id,
            kind=kind,
            filename=file.filename,
            stored_path=stored,
            size_bytes=size,
            downloaded_on=downloaded_on,
            created_by_id=principal.membership.id,
            actor_account_id=principal.account.id,
        )
    except AppError as exc:
        return redirect("/compliance#uploads", flash=exc.message, kind="error")
    return redirect("/compliance#uploads", flash=f"{file.filename} uploaded; it is being read")


@router.get("/compliance/uploads/{upload_id}/progress")
async def upload_progress(
    upload_id: uuid.UUID, request: Request, principal: Reader, session: SessionDep
) -> HTMLResponse:
    row = await compliance.get_upload_or_raise(session, team_id=principal.team_id, upload_id=upload_id)
    team = await teams.get_team(session, team_id=principal.team_id)
    return partial(request, "compliance/_upload_row.html", principal=principal, u=row, tz=team.timezone)


@router.post("/compliance/inbound")
async def inbound_text(request: Request, principal: Logger, session: SessionDep) -> Response:
    """Record a text received from a contact (until the provider webhook brings them)."""
    data = await form_fields(request)
    try:
        found = await compliance.receive_text(
            session,
            team_id=principal.team_id,
            phone=data.get("phone", ""),
            body=data.get("body", ""),
            actor_account_id=principal.account.id,
        )
    except AppError as exc:
        return redirect("/compliance#inbound", flash=exc.message, kind="error")
    words = {
        "opt_out": "an opt-out: the person is opted out on every channel",
        "opt_in": "an opt-in: the person's opt-outs are lifted",
        "help": "a help request",
        "review": "possibly an opt-out: queued for review, the person is paused",
        "none": "no keyword",
    }[found.outcome]
    return redirect("/compliance#reviews", flash=f"Text recorded — {words}")


async def _points_context(
    session: SessionDep, principal: Principal, point_ids: list[uuid.UUID], property_id: uuid.UUID | None
) -> dict[str, Any]:
    states = await compliance.point_states(
        session, team_id=principal.team_id, point_ids=point_ids, property_id=property_id
    )
    team = await teams.get_team(session, team_id=principal.team_id)
    return {
        "states": [states[p] for p in point_ids if p in states],
        "property_id": property_id,
        "tz": team.timezone,
        "code_labels": CODE_LABELS,
    }


@router.get("/compliance/points")
async def points_partial(
    request: Request,
    principal: Reader,
    session: SessionDep,
    point_id: list[uuid.UUID] = Query(default=[], max_length=200),
    property_id: uuid.UUID | None = None,
) -> HTMLResponse:
    """Each point's compliance state in plain words, with the log-a-call/text form."""
    return partial(
        request,
        "compliance/_points.html",
        principal=principal,
        **await _points_context(session, principal, point_id, property_id),
    )


@router.post("/compliance/attempts")
async def log_attempt(request: Request, principal: Logger, session: SessionDep) -> Response:
    """Log a call or text by hand; refused with every reason when the governor says no."""
    data = await form_fields(request)
    refusal: compliance.ComplianceBlocked | None = None
    error: str | None = None
    try:
        sent: dict[str, Any] = {
            k: v
            for k, v in data.items()
            if k in ("channel", "point_id", "property_id", "outcome", "note") and v
        }
        if data.get("at_local"):
            # A call made earlier is logged at its own time, read in the team's time zone, and the
            # governor judges that moment (at night, "now" was always quiet hours).
            team = await teams.get_team(session, team_id=principal.team_id)
            moment = wall_clock(data["at_local"], team.timezone)
            if moment is None:
                raise Unprocessable("at: give the day and time it happened", details={"field": "at"})
            sent["at"] = moment.isoformat()
        body = AttemptCreate.model_validate(sent)
        await compliance.log_attempt(
            session, team_id=principal.team_id, data=body, created_by_id=principal.membership.id
        )
    except ValidationError as exc:
        error = "; ".join(f"{k}: {v}" for k, v in field_errors(exc).items())
    except compliance.ComplianceBlocked as exc:
        refusal = exc
    except AppError as exc:
        error = exc.message
    # The form's echo of what the page shows: anything that is not an id is ignored (a bad
    # value had been a 500 here, after the schema had already refused it).
    form = await request.form()
    point_ids = parse_ids(v for v in form.getlist("shown") if isinstance(v, str))
    property_id = parse_id(data.get("property_id"))
    if not is_htmx(request):
        if refusal is not None or error is not None:
            message = (refusal.message if refusal is not None else error) or ""
            return redirect(back(request), flash=message[:290], kind="error")
        return redirect(back(request), flash="Logged")
    headers = toast_headers("Logged") if refusal is None and error is None else {}
    return partial(
        request,
        "compliance/_points.html",
        principal=principal,
        refusal=refusal,
        error=error,
        refused_point=data.get("point_id"),
        headers=headers,
        status_code=200 if refusal is None and error is None else 409 if refusal else 422,
        **await _points_context(session, principal, point_ids, property_id),
    )
