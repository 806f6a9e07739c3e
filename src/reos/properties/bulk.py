"""Bulk actions: one change (stage, assign, tag, list, delete) over a selection — chosen ids, a
list or a whole filter — run as one job.

The selection is resolved when the job runs, and each property is changed through the same
service function a single edit uses, so the timeline, provenance and pipeline rules apply; a
property the change does not apply to is skipped with its reason. Progress is written in short
transactions of its own (and announced live) while the job's own transaction holds the changes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reos.db.session import team_session
from reos.errors import AppError, NotFound, Unprocessable
from reos.events import service as events
from reos.jobs import service as jobs
from reos.jobs.queue import JobInfo, defer, runtime, task
from reos.kit import clock
from reos.kit.filters import FilterDocument
from reos.kit.leads_lock import lock_leads
from reos.kit.pagination import keyset_page
from reos.lists import service as lists
from reos.properties import listing
from reos.properties import service as properties
from reos.properties.models import BulkAction, Property
from reos.properties.schemas import Stage, Tags
from reos.teams.models import Membership

BulkKind = Literal["stage", "assign", "tag", "untag", "add_to_list", "remove_from_list", "delete"]
MAX_IDS = 10_000
MAX_ERRORS = 200
CHUNK = 200
TASK_NAME = "properties.bulk_apply"
LABELS = {
    "stage": "Changing stage",
    "assign": "Assigning",
    "tag": "Adding tags",
    "untag": "Removing tags",
    "add_to_list": "Adding to a list",
    "remove_from_list": "Removing from a list",
    "delete": "Deleting",
}


class Selection(BaseModel):
    """Exactly one of: chosen ids, a list (smart or static), or a whole filter."""

    model_config = ConfigDict(extra="forbid")

    ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_IDS)
    list_id: uuid.UUID | None = None
    filter: FilterDocument | None = None

    @model_validator(mode="after")
    def _one(self) -> Selection:
        given = [k for k in ("ids", "list_id", "filter") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of ids, list_id or filter")
        if self.ids is not None and not self.ids:
            raise ValueError("ids is empty")
        return self


class BulkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: BulkKind
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="stage: {stage, reason}; assign: {assigned_to_id}; tag, untag: {tags}; "
        "add_to_list, remove_from_list: {list_id}; delete: {}",
    )
    selection: Selection


class BulkActionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    action: BulkKind
    params: dict[str, Any]
    selection: dict[str, Any]
    status: Literal["queued", "running", "completed", "failed"]
    total: int | None
    done: int
    summary: dict[str, Any] = Field(description="{changed, unchanged, skipped, errors: [{id, reason}]}")
    created_by_id: uuid.UUID | None
    created_at: Any
    finished_at: Any


class BulkActionPage(BaseModel):
    items: list[BulkActionRead]
    next_cursor: str | None


class _StageParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    stage: Stage
    reason: str | None = Field(default=None, max_length=500)


class _AssignParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assigned_to_id: uuid.UUID | None


class _TagParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tags: Tags = Field(min_length=1)


class _ListParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    list_id: uuid.UUID


class _NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


_PARAMS: dict[str, type[BaseModel]] = {
    "stage": _StageParams,
    "assign": _AssignParams,
    "tag": _TagParams,
    "untag": _TagParams,
    "add_to_list": _ListParams,
    "remove_from_list": _ListParams,
    "delete": _NoParams,
}


def _checked_params(action: str, params: dict[str, Any]) -> dict[str, Any]:
    try:
        parsed = _PARAMS[action].model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(["params", *(str(p) for p in first["loc"])])
        raise Unprocessable(f"{path}: {first['msg']}", details={"field": path}) from None
    return parsed.model_dump(mode="json")


async def start(
    session: AsyncSession, *, team_id: uuid.UUID, actor: Membership, request: BulkRequest
) -> BulkAction:
    """Check the request, record the bulk action and defer its job (with this transaction)."""
    params = _checked_params(request.action, request.params)
    if request.action == "assign" and params["assigned_to_id"] is not None:
        active = await session.scalar(
            select(Membership.id).where(
                Membership.team_id == team_id,
                Membership.id == uuid.UUID(params["assigned_to_id"]),
                Membership.is_active,
            )
        )
        if active is None:
            raise Unprocessable(
                "params.assigned_to_id is not an active member of this team",
                details={"field": "params.assigned_to_id"},
            )
    if request.action in ("add_to_list", "remove_from_list"):
        await lists.static_list_or_raise(
            session, team_id=team_id, list_id=uuid.UUID(params["list_id"]), field="params.list_id"
        )
    selection = request.selection
    if selection.filter is not None:
        await listing.check_filter(session, team_id=team_id, doc=selection.filter)
    if selection.list_id is not None:
        await lists.get_list_or_raise(session, team_id=team_id, list_id=selection.list_id)
    bulk = BulkAction(
        team_id=team_id,
        action=request.action,
        params=params,
        selection=selection.model_dump(mode="json", exclude_none=True),
        status="queued",
        done=0,
        summary={},
        created_by_id=actor.id,
    )
    session.add(bulk)
    await session.flush()
    await defer(session, apply_bulk, team_id=team_id, bulk_action_id=bulk.id)
    await events.publish(session, team_id=team_id, type="bulk.progress", data=_progress(bulk))
    return bulk


def _progress(bulk: BulkAction | _Progress) -> dict[str, Any]:
    return {
        "id": str(bulk.id),
        "action": bulk.action,
        "status": bulk.status,
        "done": bulk.done,
        "total": bulk.total,
        "summary": bulk.summary,
    }


@dataclass
class _Progress:
    """Where a running job is. Kept apart from the job's BulkAction row, which the job's own
    transaction must not touch (and so lock) until the end: progress updates that row from
    short transactions of their own."""

    id: uuid.UUID
    action: str
    total: int
    done: int = 0
    status: str = "running"
    summary: dict[str, Any] = field(default_factory=dict)


async def get_bulk_action(
    session: AsyncSession, *, team_id: uuid.UUID, bulk_action_id: uuid.UUID
) -> BulkAction:
    bulk: BulkAction | None = await session.scalar(
        select(BulkAction).where(BulkAction.team_id == team_id, BulkAction.id == bulk_action_id)
    )
    if bulk is None:
        raise NotFound("bulk action not found", details={"id": str(bulk_action_id)})
    return bulk


async def list_bulk_actions(
    session: AsyncSession, *, team_id: uuid.UUID, limit: int | None = None, cursor: str | None = None
) -> tuple[list[BulkAction], str | None]:
    query = select(BulkAction).where(BulkAction.team_id == team_id)
    return await keyset_page(
        session, query, created=BulkAction.created_at, row_id=BulkAction.id, limit=limit, cursor=cursor
    )


# --- the job ---------------------------------------------------------------------------------


async def _resolve(
    session: AsyncSession, bulk: BulkAction, viewer: Membership | None
) -> tuple[list[uuid.UUID], list[dict[str, str]]]:
    """The ids to change now, in order, and the chosen ids that are gone (deleted, or not
    visible to the member who started the action)."""
    selection = bulk.selection
    team_id = bulk.team_id
    if "ids" in selection:
        wanted = list(dict.fromkeys(uuid.UUID(i) for i in selection["ids"]))
        query, _ = await listing.select_properties(
            session, team_id=team_id, spec=listing.PropertyQuery(), viewer=viewer
        )
        found = set(
            await session.scalars(query.with_only_columns(Property.id).where(Property.id.in_(wanted)))
        )
        gone = [{"id": str(i), "reason": "not found"} for i in wanted if i not in found]
        return [i for i in wanted if i in found], gone
    if "list_id" in selection:
        spec = listing.PropertyQuery(list_id=uuid.UUID(selection["list_id"]))
    else:
        spec = listing.PropertyQuery(filter=FilterDocument.model_validate(selection["filter"]))
    return await listing.matching_ids(session, team_id=team_id, spec=spec, viewer=viewer), []


async def _apply_one(
    session: AsyncSession, bulk: BulkAction, prop: Property, actor: Membership | None
) -> bool:
    """Change one property; True if it changed. Raises AppError when the change does not apply."""
    params, team_id = bulk.params, bulk.team_id
    actor_id = actor.id if actor is not None else None
    if bulk.action == "stage":
        reason = params.get("reason") or "bulk change"
        return await properties.change_stage(
            session, team_id=team_id, prop=prop, to_stage=params["stage"], reason=reason, actor_id=actor_id
        )
    if bulk.action == "assign":
        assignee = uuid.UUID(params["assigned_to_id"]) if params.get("assigned_to_id") else None
        return await properties.assign(
            session, team_id=team_id, prop=prop, assignee_id=assignee, actor_id=actor_id
        )
    if bulk.action in ("tag", "untag"):
        tags = list(params["tags"])
        add, remove = (tags, []) if bulk.action == "tag" else ([], tags)
        return await properties.change_tags(
            session, team_id=team_id, prop=prop, add=add, remove=remove, actor_id=actor_id
        )
    if bulk.action in ("add_to_list", "remove_from_list"):
        list_id = uuid.UUID(params["list_id"])
        if bulk.action == "add_to_list":
            changed, _ = await lists.add_members(session, team_id=team_id, list_id=list_id, ids=[prop.id])
        else:
            changed, _ = await lists.remove_members(session, team_id=team_id, list_id=list_id, ids=[prop.id])
        return changed > 0
    assert bulk.action == "delete"
    return await properties.soft_delete(
        session,
        team_id=team_id,
        prop=prop,
        actor_id=actor_id,
        actor_account_id=actor.account_id if actor is not None else None,
    )


async def _report(team_id: uuid.UUID, bulk: _Progress, info: JobInfo) -> None:
    """Progress in its own short transaction, so pages and the API see it while the job runs."""
    assert runtime.database is not None
    async with team_session(runtime.database, team_id) as side:
        await side.execute(
            update(BulkAction)
            .where(BulkAction.team_id == team_id, BulkAction.id == bulk.id)
            .values(status=bulk.status, done=bulk.done, total=bulk.total)
        )
        await events.publish(side, team_id=team_id, type="bulk.progress", data=_progress(bulk))
    await jobs.report_progress(
        runtime.database,
        team_id=team_id,
        job_id=info.job_id,
        task_name=TASK_NAME,
        label=LABELS[bulk.action],
        done=bulk.done,
        total=bulk.total,
    )


async def _run(session: AsyncSession, info: JobInfo, bulk: BulkAction) -> None:
    team_id = bulk.team_id
    actor = await session.get(Membership, bulk.created_by_id) if bulk.created_by_id else None
    ids, gone = await _resolve(session, bulk, actor)
    summary: dict[str, Any] = {
        "changed": 0,
        "unchanged": 0,
        "skipped": len(gone),
        "errors": gone[:MAX_ERRORS],
    }
    progress = _Progress(id=bulk.id, action=bulk.action, total=len(ids) + len(gone), done=len(gone))
    await _report(team_id, progress, info)
    step = max(1, progress.total // 50)
    reported = progress.done
    for start_at in range(0, len(ids), CHUNK):
        chunk = ids[start_at : start_at + CHUNK]
        rows = {p.id: p for p in await session.scalars(select(Property).where(Property.id.in_(chunk)))}
        for prop_id in chunk:
            try:
                async with session.begin_nested():
                    changed = await _apply_one(session, bulk, rows[prop_id], actor)
            except AppError as exc:
                summary["skipped"] += 1
                if len(summary["errors"]) < MAX_ERRORS:
                    summary["errors"].append({"id": str(prop_id), "reason": exc.message})
            else:
                summary["changed" if changed else "unchanged"] += 1
            progress.done += 1
            if progress.done - reported >= step and progress.done < progress.total:
                reported = progress.done
                await _report(team_id, progress, info)
    bulk.status, bulk.total, bulk.done = "completed", progress.total, progress.done
    bulk.summary, bulk.finished_at = summary, clock.now()
    await session.flush()
    await events.publish(session, team_id=team_id, type="bulk.progress", data=_progress(bulk))
    assert runtime.database is not None
    await jobs.report_progress(
        runtime.database,
        team_id=team_id,
        job_id=info.job_id,
        task_name=TASK_NAME,
        label=LABELS[bulk.action],
        done=progress.done,
        total=progress.total,
        status="completed",
    )


async def _mark_failed(team_id: uuid.UUID, bulk_id: uuid.UUID, reason: str) -> None:
    assert runtime.database is not None
    async with team_session(runtime.database, team_id) as side:
        bulk = await side.scalar(
            select(BulkAction).where(BulkAction.team_id == team_id, BulkAction.id == bulk_id)
        )
        if bulk is None:
            return
        bulk.status, bulk.finished_at = "failed", clock.now()
        bulk.summary = {**bulk.summary, "failure": reason[:500]}
        await side.flush()
        await events.publish(side, team_id=team_id, type="bulk.progress", data=_progress(bulk))


@task(name=TASK_NAME, queue="imports")
async def apply_bulk(session: AsyncSession, info: JobInfo, *, team_id: str, bulk_action_id: str) -> None:
    team = uuid.UUID(team_id)
    bulk = await session.scalar(
        select(BulkAction).where(BulkAction.team_id == team, BulkAction.id == uuid.UUID(bulk_action_id))
    )
    # A job that already finished (a replay, a retried worker) changes nothing again.
    if bulk is None or bulk.status in ("completed", "failed"):
        return
    try:
        await lock_leads(session, team)
        await _run(session, info, bulk)
    except Exception as exc:
        await _mark_failed(team, bulk.id, f"{type(exc).__name__}: {exc}")
        raise


def summary_line(bulk: BulkAction) -> str:
    """The result in one sentence, for toasts and the table page."""
    s = bulk.summary
    return f"{s.get('changed', 0)} changed, {s.get('unchanged', 0)} unchanged, {s.get('skipped', 0)} skipped"
