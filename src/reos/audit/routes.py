"""Reading the audit log: team admins their team's, operators the whole instance's."""

from __future__ import annotations

from fastapi import APIRouter

from reos.audit import service as audit
from reos.audit.schemas import AuditEventRead, AuditPage
from reos.db.session import enter_operator_view
from reos.deps import Operator, SessionDep, UserManager
from reos.kit.routing import DocstringRoute

router = APIRouter(tags=["audit"], route_class=DocstringRoute)


@router.get("/api/v1/audit")
async def list_audit(
    principal: UserManager,
    session: SessionDep,
    action: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> AuditPage:
    """List the team's audit events, newest first."""
    rows, next_cursor = await audit.list_events(
        session, team_id=principal.team_id, action=action, limit=limit, cursor=cursor
    )
    return AuditPage(items=[AuditEventRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/api/v1/ops/audit")
async def list_audit_everywhere(
    principal: Operator,
    session: SessionDep,
    action: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> AuditPage:
    """List audit events of every team and of the instance (operators)."""
    await enter_operator_view(session)
    rows, next_cursor = await audit.list_events(
        session, team_id=None, action=action, limit=limit, cursor=cursor
    )
    return AuditPage(items=[AuditEventRead.model_validate(r) for r in rows], next_cursor=next_cursor)
