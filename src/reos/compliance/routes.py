"""Compliance API: the governor's check, its stores, the attempts ledger and the review queue."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Depends, File, Form, Query, UploadFile, status
from starlette.datastructures import UploadFile as StarletteUpload

from reos.auth.permissions import Action
from reos.auth.principal import Principal
from reos.compliance import ruleset
from reos.compliance import service as compliance
from reos.compliance.schemas import (
    AttemptCreate,
    AttemptPage,
    AttemptRead,
    BatchRequest,
    BatchResult,
    CheckRequest,
    CheckResult,
    ConsentCreate,
    ConsentPage,
    ConsentRead,
    DecisionRead,
    DncNumberCreate,
    DncNumberRead,
    HoldUpdate,
    InboundResult,
    InboundText,
    LocationRead,
    OptInCreate,
    OptOutCreate,
    OptOutPage,
    OptOutRead,
    ReasonRead,
    ReviewDecision,
    ReviewPage,
    ReviewRead,
    RuleSetRead,
    SettingsRead,
    SettingsUpdate,
    StateRuleRead,
    SuppressionCreate,
    SuppressionRead,
    UploadPage,
    UploadRead,
)
from reos.deps import Editor, Permit, Reader, SessionDep
from reos.errors import Unprocessable
from reos.kit.routing import DocstringRoute
from reos.settings import get_settings

router = APIRouter(prefix="/api/v1/compliance", tags=["compliance"], route_class=DocstringRoute)

Logger = Annotated[Principal, Depends(Permit(Action.log_contact))]
Uploader = Annotated[Principal, Depends(Permit(Action.upload_compliance_data))]
Reviewer = Annotated[Principal, Depends(Permit(Action.decide_review))]
GovernorEditor = Annotated[Principal, Depends(Permit(Action.edit_governor))]
MAX_UPLOAD_BYTES = 2 * 1024**3


def result(answer: compliance.Answer) -> CheckResult:
    d = answer.decision
    return CheckResult(
        allowed=d.allowed,
        reasons=[ReasonRead(code=r.code, message=r.message) for r in d.reasons],
        warnings=[ReasonRead(code=r.code, message=r.message) for r in d.warnings],
        next_allowed_at=d.next_allowed_at,
        rule_set=d.rule_set,
    )


def decision_read(answer: compliance.Answer) -> DecisionRead:
    return DecisionRead(
        **result(answer).model_dump(),
        point_id=answer.point_id,
        contact_id=answer.contact_id,
        channel=answer.ask.channel,
        to=answer.ask.value,
        locations=[LocationRead(state=p.state, tz=p.tz, source=p.source) for p in answer.decision.locations],
    )


def rule_set_read() -> RuleSetRead:
    rules = ruleset.current()

    def one(state: str, rule: ruleset.StateRule) -> StateRuleRead:
        return StateRuleRead(
            state=state,
            window=f"{rule.start:%H:%M}–{rule.end:%H:%M}",
            day_bans=[ruleset.WEEKDAYS[d].capitalize() for d in sorted(rule.banned_weekdays)],
            holidays=rule.holidays,
            source=rule.source,
        )

    return RuleSetRead(
        version=rules.version,
        effective=rules.effective,
        federal=one("all others", rules.federal),
        states=[one(code, rule) for code, rule in sorted(rules.states.items())],
        cap_states=sorted(rules.cap_states),
        cap_limit=rules.cap_limit,
        cap_hours=rules.cap_hours,
        consent_states=sorted(rules.consent_states),
        dnc_max_age_days=rules.dnc_max_age_days,
        opt_out_keywords=sorted(rules.opt_out),
        opt_in_keywords=sorted(rules.opt_in | rules.opt_in_when_opted_out),
        help_keywords=sorted(rules.help),
    )


@router.post("/check")
async def check(body: CheckRequest, principal: Reader, session: SessionDep) -> CheckResult:
    """Ask the governor whether a contact would be allowed; records and counts nothing."""
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
    return result(answer)


@router.post("/decisions")
async def decide_batch(body: BatchRequest, principal: Reader, session: SessionDep) -> BatchResult:
    """Decide many contact points at once (up to 10,000); records and counts nothing."""
    answers = await compliance.decide_points(
        session,
        team_id=principal.team_id,
        items=[(i.channel, i.point_id, i.property_id, i.automated) for i in body.items],
        at=body.at,
    )
    return BatchResult(items=[decision_read(a) for a in answers])


@router.get("/rules")
async def rules(principal: Reader) -> RuleSetRead:
    """Show the rule set in force and its version."""
    return rule_set_read()


@router.get("/settings")
async def get_settings_(principal: Reader, session: SessionDep) -> SettingsRead:
    """Show the team's governor settings (strict DNC mode, team cap)."""
    return SettingsRead.model_validate(await compliance.get_settings(session, team_id=principal.team_id))


@router.patch("/settings")
async def update_settings(
    body: SettingsUpdate, principal: GovernorEditor, session: SessionDep
) -> SettingsRead:
    """Change the team's governor settings."""
    settings = await compliance.update_settings(
        session, team_id=principal.team_id, data=body, actor_account_id=principal.account.id
    )
    return SettingsRead.model_validate(settings)


@router.get("/attempts")
async def list_attempts(
    principal: Reader,
    session: SessionDep,
    contact_id: uuid.UUID | None = None,
    property_id: uuid.UUID | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> AttemptPage:
    """List contact attempts, newest first."""
    rows, next_cursor = await compliance.list_attempts(
        session,
        team_id=principal.team_id,
        contact_id=contact_id,
        property_id=property_id,
        limit=limit,
        cursor=cursor,
    )
    return AttemptPage(items=[AttemptRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/attempts", status_code=status.HTTP_201_CREATED)
async def log_attempt(body: AttemptCreate, principal: Logger, session: SessionDep) -> AttemptRead:
    """Log a call or text made by hand; refused with every reason when the governor says no."""
    attempt = await compliance.log_attempt(
        session, team_id=principal.team_id, data=body, created_by_id=principal.membership.id
    )
    return AttemptRead.model_validate(attempt)


@router.get("/opt-outs")
async def list_opt_outs(
    principal: Reader,
    session: SessionDep,
    active: bool | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> OptOutPage:
    """List opt-outs, newest first."""
    rows, next_cursor = await compliance.list_opt_outs(
        session, team_id=principal.team_id, active=active, limit=limit, cursor=cursor
    )
    return OptOutPage(items=[OptOutRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/opt-outs", status_code=status.HTTP_201_CREATED)
async def opt_out(body: OptOutCreate, principal: Logger, session: SessionDep) -> OptOutRead:
    """Record an opt-out by hand; it holds the whole person on every channel."""
    row = await compliance.opt_out(
        session,
        team_id=principal.team_id,
        point_id=body.point_id,
        channel=body.channel,
        message=body.note,
        created_by_id=principal.membership.id,
        actor_account_id=principal.account.id,
    )
    return OptOutRead.model_validate(row)


@router.post("/opt-ins")
async def opt_in(body: OptInCreate, principal: Uploader, session: SessionDep) -> dict[str, int]:
    """Opt a person back in by hand (lifts every active opt-out of theirs)."""
    lifted = await compliance.opt_in(
        session,
        team_id=principal.team_id,
        contact_id=body.contact_id,
        message=body.note,
        revoked_by_id=principal.membership.id,
        actor_account_id=principal.account.id,
    )
    return {"lifted": lifted}


@router.post("/inbound")
async def inbound(body: InboundText, principal: Logger, session: SessionDep) -> InboundResult:
    """Record a text received from a contact: opt-out, opt-in, help, or a review item."""
    found = await compliance.receive_text(
        session,
        team_id=principal.team_id,
        phone=body.phone,
        body=body.body,
        at=body.at,
        actor_account_id=principal.account.id,
    )
    return InboundResult(
        outcome=found.outcome,
        keyword=found.keyword,
        contact_id=found.contact_id,
        review_id=found.review.id if found.review is not None else None,
    )


@router.get("/reviews")
async def list_reviews(
    principal: Reader,
    session: SessionDep,
    status_: Literal["pending", "opted_out", "not_opt_out"] | None = Query(default="pending", alias="status"),
    limit: int | None = None,
    cursor: str | None = None,
) -> ReviewPage:
    """List review items (pending ones by default), newest first."""
    rows, next_cursor = await compliance.list_reviews(
        session, team_id=principal.team_id, status=status_, limit=limit, cursor=cursor
    )
    return ReviewPage(items=[ReviewRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/reviews/{review_id}/decision")
async def decide_review(
    review_id: uuid.UUID, body: ReviewDecision, principal: Reviewer, session: SessionDep
) -> ReviewRead:
    """Decide a review item: an opt-out, or not (which releases the person)."""
    item = await compliance.decide_review(
        session,
        team_id=principal.team_id,
        review_id=review_id,
        decision=body.decision,
        note=body.note,
        decided_by_id=principal.membership.id,
        actor_account_id=principal.account.id,
    )
    return ReviewRead.model_validate(item)


@router.get("/consents")
async def list_consents(
    principal: Reader,
    session: SessionDep,
    point_id: uuid.UUID | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> ConsentPage:
    """List consent records, newest first."""
    rows, next_cursor = await compliance.list_consents(
        session, team_id=principal.team_id, point_id=point_id, limit=limit, cursor=cursor
    )
    return ConsentPage(items=[ConsentRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/consents", status_code=status.HTTP_201_CREATED)
async def record_consent(body: ConsentCreate, principal: Uploader, session: SessionDep) -> ConsentRead:
    """Append a consent record (given or revoked) to the ledger."""
    row = await compliance.record_consent(
        session,
        team_id=principal.team_id,
        data=body,
        recorded_by_id=principal.membership.id,
        actor_account_id=principal.account.id,
    )
    return ConsentRead.model_validate(row)


@router.post("/dnc-numbers", status_code=status.HTTP_201_CREATED)
async def add_dnc_number(body: DncNumberCreate, principal: Logger, session: SessionDep) -> DncNumberRead:
    """Put a number on the internal do-not-call list or a litigator list."""
    row = await compliance.add_dnc_number(
        session,
        team_id=principal.team_id,
        data=body,
        created_by_id=principal.membership.id,
        actor_account_id=principal.account.id,
    )
    return DncNumberRead.model_validate(row)


@router.post("/suppressions", status_code=status.HTTP_201_CREATED)
async def add_suppression(body: SuppressionCreate, principal: Logger, session: SessionDep) -> SuppressionRead:
    """Suppress an email address (unsubscribed, hard bounce or complaint)."""
    row = await compliance.add_suppression(
        session, team_id=principal.team_id, data=body, created_by_id=principal.membership.id
    )
    return SuppressionRead.model_validate(row)


@router.put("/contacts/{contact_id}/do-not-contact")
async def set_hold(
    contact_id: uuid.UUID, body: HoldUpdate, principal: Editor, session: SessionDep
) -> HoldUpdate:
    """Set or clear a contact's do-not-contact flag."""
    flag = await compliance.set_hold(
        session,
        team_id=principal.team_id,
        contact_id=contact_id,
        data=body,
        created_by_id=principal.membership.id,
        actor_account_id=principal.account.id,
    )
    return HoldUpdate(do_not_contact=flag, reason=body.reason)


async def store_upload(team_id: uuid.UUID, file: StarletteUpload) -> tuple[str, int]:
    """Stream the uploaded file to the data folder in 1 MiB chunks; (path, size)."""
    folder = get_settings().data_dir / "compliance-uploads" / str(team_id)
    await anyio.Path(folder).mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4()}.txt"
    size = 0
    async with await anyio.open_file(path, "wb") as out:
        while chunk := await file.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                await out.aclose()
                await anyio.Path(path).unlink(missing_ok=True)
                raise Unprocessable(
                    "file: larger than 2 GiB", details=[{"field": "file", "message": "larger than 2 GiB"}]
                )
            await out.write(chunk)
    return str(Path(path)), size


@router.post("/uploads", status_code=status.HTTP_202_ACCEPTED)
async def upload(
    principal: Uploader,
    session: SessionDep,
    file: UploadFile = File(description="CSV or the registry's text format, one number per line"),
    kind: Literal["registry", "litigator", "internal", "suppression"] = Form(),
    downloaded_on: dt.date | None = Form(default=None),
) -> UploadRead:
    """Upload a DNC registry, litigator, internal or email-suppression file; it is read in the background."""
    stored, size = await store_upload(principal.team_id, file)
    row = await compliance.create_upload(
        session,
        team_id=principal.team_id,
        kind=kind,
        filename=file.filename or "upload.txt",
        stored_path=stored,
        size_bytes=size,
        downloaded_on=downloaded_on,
        created_by_id=principal.membership.id,
        actor_account_id=principal.account.id,
    )
    return UploadRead.model_validate(row)


@router.get("/uploads")
async def list_uploads(
    principal: Reader, session: SessionDep, limit: int | None = None, cursor: str | None = None
) -> UploadPage:
    """List uploaded lists with their progress, newest first."""
    rows, next_cursor = await compliance.list_uploads(
        session, team_id=principal.team_id, limit=limit, cursor=cursor
    )
    return UploadPage(items=[UploadRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/uploads/{upload_id}")
async def get_upload(upload_id: uuid.UUID, principal: Reader, session: SessionDep) -> UploadRead:
    """Show one upload and its progress."""
    row = await compliance.get_upload_or_raise(session, team_id=principal.team_id, upload_id=upload_id)
    return UploadRead.model_validate(row)
