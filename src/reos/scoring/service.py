"""Signals, the team's scoring settings, set-based rescoring in SQL and the explained score.

The score's formula lives in `reos.scoring.rules`; `_RESCORE_SQL` below computes the very same
thing set-based (integer micro-points, the gate as an exact fraction) for a team, a range of its
property ids or one property, and a test checks that the two agree on every property of the demo
team. Time is a parameter (`as_of`), never `now()`.

Derived signals come from the property's own facts and its owners' mailing addresses (source
`derived`). They live on the lead, `properties.derived_signals` ({kind: the day first found}),
not as `signals` rows: the score write the rescoring makes anyway carries them (migration 0021).
A kind goes when its fact stops holding, and a signal from an import or a person of the same kind
always wins. The same statement derives them and scores from the signals as they then stand,
writing a lead only when its score, kinds or derived signals differ:

- `high_equity`: equity ≥ 50 % of the estimated value;
- `free_and_clear`: an estimated value and no mortgage balance (none or 0);
- `long_tenure`: last sold 15 or more years ago;
- `absentee_owner`: the owners (and co-owners) have a mailing street and none of them gets mail
  at the property (its street line, with or without its unit, and its ZIP);
- `out_of_state_owner`: the owners have a mailing state and none of them is in the property's state.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from reos.audit import service as audit
from reos.db.session import Database, team_session
from reos.errors import Conflict, NotFound, Unprocessable
from reos.events import service as events
from reos.kit import address, clock
from reos.kit.leads_lock import lock_leads
from reos.properties import service as properties
from reos.properties.models import Property
from reos.scoring import rules
from reos.scoring.models import SIGNAL_KINDS, ScoringSettings, Signal
from reos.scoring.schemas import ScoringSettingsUpdate, SignalCreate
from reos.teams.models import Membership

# --- SQL (kept as data; `{only_*}` narrow a statement to one property) -------------------------

# A mailing line's rest after the property's street line is a unit when it starts with a USPS
# designator as the normaliser writes them ("APT 4B", "# 12"), not a directional ("100 MAIN ST E").
_UNIT_START = "^(" + "|".join(re.escape(d) for d in address.unit_designators()) + ")( |$|[0-9])"

# The lead's own facts, one row per lead of the part, and what its owners' mailing addresses say.
_FACTS_SQL = """
props as materialized (
    select p.id, p.address, p.unit, p.zip_code, p.state, p.equity_percent, p.estimated_value,
           p.mortgage_balance, p.last_sale_date, p.score, p.signal_kinds, p.derived_signals
    from properties p
    where p.team_id = :team_id {only_p}
),
owners as (
    select pc.property_id,
           bool_or(c.street is not null and c.zip_code is not null) as any_mailing,
           -- Mail at the property: its street line and ZIP, with no unit, or with a unit
           -- (the importer keeps it on the line) whose number is the property's. A property
           -- without a unit is the whole building: any unit in it counts. "APT 4B" and
           -- "UNIT 4B" are one unit; another unit of the same building is elsewhere.
           bool_or(left(c.zip_code, 5) = left(p.zip_code, 5) and (
                   upper(c.street) = upper(p.address)
                   or (starts_with(upper(c.street), upper(p.address) || ' ')
                       and substr(upper(c.street), length(p.address) + 2) ~ :unit_start
                       and (p.unit is null
                            or regexp_replace(upper(c.street), '^.*[ #]', '')
                               = regexp_replace(upper(p.unit), '^.*[ #]', '')))))
               as gets_mail_there,
           bool_or(c.state is not null) as any_state,
           bool_or(c.state = p.state) as in_state,
           (array_agg(concat_ws(', ', c.street, c.city, c.state || ' ' || c.zip_code) order by c.id)
               filter (where c.street is not null))[1] as mailing,
           (array_agg(c.state order by c.id) filter (where c.state <> p.state))[1] as mailing_state
    from property_contacts pc
    join props p on p.id = pc.property_id
    -- One index probe per owner link: a part of the team never hashes all its contacts.
    cross join lateral (
        select c.id, c.street, c.city, c.state, c.zip_code
        from contacts c
        where c.team_id = pc.team_id and c.id = pc.contact_id
        offset 0
    ) c
    where pc.team_id = :team_id and pc.role in ('owner', 'co_owner') {only_pc}
    group by pc.property_id
),
-- The derived kinds whose fact holds now, one row each.
held as (
    select p.id as property_id, k.kind, p.derived_signals ->> k.kind as since,
           p.equity_percent, p.estimated_value, p.mortgage_balance, p.last_sale_date, p.state,
           o.mailing, o.mailing_state
    from props p
    left join owners o on o.property_id = p.id
    cross join lateral (values
        ('high_equity', p.equity_percent >= :high_equity),
        ('free_and_clear', p.estimated_value > 0 and coalesce(p.mortgage_balance, 0) = 0),
        ('long_tenure', p.last_sale_date <= :tenure_cutoff),
        ('absentee_owner', o.any_mailing and not coalesce(o.gets_mail_there, false)),
        ('out_of_state_owner', o.any_state and not coalesce(o.in_state, false))
    ) as k(kind, holds)
    where k.holds
)
"""

# What an import or a person recorded for the part's leads.
_STORED_ROWS_SQL = """
stored as materialized (
    select s.property_id, s.kind::text as kind, s.observed_on
    from signals s
    where s.team_id = :team_id {only_s}
)
"""

# The derived signals as they stand once the statement is done: each kind that holds, dated the
# day it was first found. A kind an import or a person recorded stays in the map: theirs wins
# where signals are counted (`_KEPT_SQL`), and the record's comes back with its first date when
# theirs goes (an undone import does not make a lead's long tenure fresh).
_DERIVED_SQL = (
    _FACTS_SQL
    + ","
    + _STORED_ROWS_SQL
    + """,
fresh as (
    select h.property_id, h.kind, coalesce(h.since, :as_of_text) as since, h.since is null as added
    from held h
),
derived as (
    select f.property_id, jsonb_object_agg(f.kind, f.since) as found
    from fresh f
    group by f.property_id
)
"""
)

# The evidence of one lead's derived signals, read from its record when they are shown.
_EVIDENCE_SQL = (
    "with "
    + _FACTS_SQL
    + """
select h.kind,
       case h.kind
           when 'high_equity' then jsonb_build_object('equity_percent', h.equity_percent)
           when 'free_and_clear' then jsonb_build_object(
               'estimated_value', h.estimated_value, 'mortgage_balance', h.mortgage_balance)
           when 'long_tenure' then jsonb_build_object('last_sale_date', h.last_sale_date)
           when 'absentee_owner' then jsonb_build_object('mailing_address', h.mailing)
           else jsonb_build_object('mailing_state', h.mailing_state, 'property_state', h.state)
       end as detail
from held h
"""
)


def _gate_sql(alias: str, gate: str) -> str:
    """The equity gate as (numerator, denominator): `rules.gate_fraction` in SQL."""
    keep = f"{gate} <= 0 or {alias}.equity_percent is null or {alias}.equity_percent >= {gate}"
    return (
        f"case when {keep} then 1::bigint else greatest(({alias}.equity_percent * 10)::bigint, 0) end as n, "
        f"case when {keep} then 1::bigint else ({gate} * 10)::bigint end as d"
    )


def _micro_sql(weights: str) -> str:
    """A signal's micro-points: `rules.micro_points` in SQL."""
    return (
        f"floor({weights}.weight * power(0.5::float8, least("
        f"greatest(cast(:as_of as date) - s.observed_on, 0)::float8 / {weights}.half_life, "
        f"{rules.MAX_HALF_LIVES}::float8)) * {rules.SCALE} + 0.5)::bigint"
    )


def _score_sql(micro: str, gate: str) -> str:
    """`rules.score_from` in SQL: integer division of non-negative bigints rounds down."""
    s = rules.SCALE
    return (
        f"least({rules.MAX_SCORE}, (2 * coalesce({micro}, 0) * {gate}.n + {gate}.d * {s}) "
        f"/ (2 * {gate}.d * {s}))::smallint"
    )


_WEIGHTS_SQL = (
    "select * from unnest(cast(:kinds as text[]), cast(:{w} as int[]), cast(:{h} as int[])) "
    "as w(kind, weight, half_life)"
)

# After a change of weights or the gate only the scores move: the signals are read as they
# stand (derived ones are kept current by the facts' own rescoring, imports and the nightly run),
# which spares the derivation, most of a rescoring that writes nothing.
_STORED_SQL = (
    """
props as materialized (
    select p.id, p.equity_percent, p.score, p.signal_kinds, p.derived_signals,
           p.deleted_at is null and p.merged_into_id is null as live
    from properties p
    where p.team_id = :team_id {only_p}
),"""
    + _STORED_ROWS_SQL
    + """,
derived as (
    select p.id as property_id, p.derived_signals as found from props p where p.derived_signals <> '{{}}'
)
"""
)

# Every signal that counts: the recorded ones, and the derived ones no recorded one overrides.
_KEPT_SQL = """
kept as (
    select s.property_id, s.kind, s.observed_on from stored s
    union all
    select d.property_id, e.key, e.value::date
    from derived d cross join lateral jsonb_each_text(d.found) e
    where not exists (select 1 from stored s where s.property_id = d.property_id and s.kind = e.key)
)
"""

# Scores from `kept` and `props`, written where the score, the kinds or the derived signals differ.
_SCORING_SQL = f"""
points as (
    select s.property_id,
           sum({_micro_sql("w")})::bigint as micro,
           array_agg(s.kind order by s.kind) as kinds
    from kept s join w on w.kind = s.kind
    group by s.property_id
),
-- Materialized, so the update joins only the leads that change to the table: inline, the planner
-- joined every lead of the part to it before the filter (90-100 ms of a 40,000-lead part, whether
-- nothing changed or all did).
scored as materialized (
    select p.id, coalesce(points.kinds, '{{{{}}}}') as kinds, {_score_sql("points.micro", "g")} as score,
           coalesce(d.found, '{{{{}}}}') as found
    from props p
    left join points on points.property_id = p.id
    left join derived d on d.property_id = p.id
    cross join lateral (select {_gate_sql("p", ":gate")}) g
    where p.score <> {_score_sql("points.micro", "g")}
       or p.signal_kinds::text[] <> coalesce(points.kinds, '{{{{}}}}')
       or p.derived_signals <> coalesce(d.found, '{{{{}}}}')
),
written as (
    update properties p
    set score = scored.score, signal_kinds = scored.kinds, derived_signals = scored.found,
        score_updated_at = :now
    from scored
    where p.team_id = :team_id {{only_p}} and p.id = scored.id
    returning 1
)
"""

_WITH_WEIGHTS = "with w as (" + _WEIGHTS_SQL.format(w="weights", h="half_lives") + "),"
_RESCORE_SQL = (
    _WITH_WEIGHTS
    + _DERIVED_SQL
    + ","
    + _KEPT_SQL
    + ","
    + _SCORING_SQL
    + """select (select count(*) from written) as changed,
       (select count(*) from fresh where added) as added,
       (select count(*) from props p cross join lateral jsonb_object_keys(p.derived_signals))
         - (select count(*) from fresh where not added) as removed"""
)
_RESCORE_STORED_SQL = (
    _WITH_WEIGHTS
    + _STORED_SQL
    + ","
    + _KEPT_SQL
    + ","
    + _SCORING_SQL
    + "select (select count(*) from written) as changed, 0 as added, 0 as removed"
)

# One part of the team (a range of ids, as a rescoring takes it) under both settings: its top
# `limit` leads by each score, each with its place among the part's leads of the same score, and
# the part's count of leads per score. `preview` ranks the team from these: a lead's rank is the
# leads with a higher score, then those of its score in earlier parts and earlier in its own.
# Whole-team windows over both scores sorted and hashed a million leads on disk (~10 s).
_PREVIEW_PART_SQL = (
    "with before_w as ("
    + _WEIGHTS_SQL.format(w="weights_before", h="half_lives_before")
    + "), after_w as ("
    + _WEIGHTS_SQL.format(w="weights_after", h="half_lives_after")
    + "),"
    + _STORED_SQL
    + ","
    + _KEPT_SQL
    + f""",
points as (
    select s.property_id,
           sum({_micro_sql("b")})::bigint as before_micro,
           sum({_micro_sql("a")})::bigint as after_micro
    from kept s
    join before_w b on b.kind = s.kind
    join after_w a on a.kind = s.kind
    group by s.property_id
),
scored as materialized (
    select p.id,
           {_score_sql("points.before_micro", "gb")} as score_before,
           {_score_sql("points.after_micro", "ga")} as score_after
    from props p
    left join points on points.property_id = p.id
    cross join lateral (select {_gate_sql("p", ":gate_before")}) gb
    cross join lateral (select {_gate_sql("p", ":gate_after")}) ga
    where p.live
),
shown as (
    (select id from scored order by score_after desc, id limit :limit)
    union
    (select id from scored order by score_before desc, id limit :limit)
),
placed as (
    select id, score_before, score_after,
           row_number() over (partition by score_before order by id) - 1 as ahead_before,
           row_number() over (partition by score_after order by id) - 1 as ahead_after
    from scored
)
select s.id, p.address, p.city, p.state, s.score_before, s.score_after, s.ahead_before, s.ahead_after,
       (select jsonb_object_agg(score_before, n)
          from (select score_before, count(*) as n from scored group by score_before) h) as before_counts,
       (select jsonb_object_agg(score_after, n)
          from (select score_after, count(*) as n from scored group by score_after) h) as after_counts,
       (select count(*) from scored where score_before <> score_after) as changed
from shown join placed s using (id)
join properties p on p.team_id = :team_id and p.id = s.id
"""
)

RESCORE_TASK = "scoring.rescore_team"
# After a change of the settings: the scores from the stored signals, nothing derived.
RESCORE_SCORES_TASK = "scoring.rescore_scores"
RESCORE_TASKS = (RESCORE_TASK, RESCORE_SCORES_TASK)


IdRange = tuple[uuid.UUID, uuid.UUID | None]


def _part(property_id: uuid.UUID | None, ids: IdRange | None) -> dict[str, str]:
    """Narrow the statement to one property, or to the properties whose id is in [lo, hi)."""
    if property_id is not None:
        return {
            "only_pc": "and pc.property_id = :property_id",
            "only_p": "and p.id = :property_id",
            "only_s": "and s.property_id = :property_id",
        }
    if ids is None:
        return {"only_pc": "", "only_p": "", "only_s": ""}
    hi = ids[1] is not None
    return {
        alias: f"and {column} >= :lo" + (f" and {column} < :hi" if hi else "")
        for alias, column in (("only_pc", "pc.property_id"), ("only_p", "p.id"), ("only_s", "s.property_id"))
    }


def today() -> date:
    return clock.now().astimezone(UTC).date()


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# --- settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    weights: dict[str, rules.KindWeight]
    equity_gate_percent: int
    version: int
    updated_by_id: uuid.UUID | None
    updated_at: datetime | None


async def _settings_row(session: AsyncSession, *, team_id: uuid.UUID) -> ScoringSettings | None:
    row: ScoringSettings | None = await session.scalar(
        select(ScoringSettings).where(ScoringSettings.team_id == team_id)
    )
    return row


async def get_settings(session: AsyncSession, *, team_id: uuid.UUID) -> Settings:
    """The team's settings; a team that never changed them scores with the defaults (version 1)."""
    row = await _settings_row(session, team_id=team_id)
    if row is None:
        return Settings(dict(rules.DEFAULT_WEIGHTS), rules.DEFAULT_GATE_PERCENT, 1, None, None)
    return Settings(
        rules.weights_from_json(row.weights),
        row.equity_gate_percent,
        row.version,
        row.updated_by_id,
        row.updated_at,
    )


def merged(current: Settings, data: ScoringSettingsUpdate) -> tuple[dict[str, rules.KindWeight], int]:
    """The proposed weights and gate: `data` over the current settings."""
    weights = dict(current.weights)
    for kind, value in data.weights.items():
        weights[kind] = rules.KindWeight(value.weight, value.half_life_days)
    gate = current.equity_gate_percent if data.equity_gate_percent is None else data.equity_gate_percent
    return weights, gate


async def update_settings(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    actor: Membership,
    actor_email: str,
    data: ScoringSettingsUpdate,
) -> tuple[Settings, int | None]:
    """Change weights and the gate; when anything changed, bump the version, audit it and defer
    the team's rescoring (with this transaction). Answers the settings and the job's id."""
    current = await get_settings(session, team_id=team_id)
    weights, gate = merged(current, data)
    if weights == current.weights and gate == current.equity_gate_percent:
        return current, None
    row = await _settings_row(session, team_id=team_id)
    now = clock.now()
    if row is None:
        row = ScoringSettings(team_id=team_id, version=1)
        session.add(row)
    row.weights = rules.weights_to_json(weights)
    row.equity_gate_percent = gate
    row.version = current.version + 1
    row.updated_by_id, row.updated_at = actor.id, now
    await session.flush()
    changed = {
        k: {"from": rules.weights_to_json(current.weights)[k], "to": rules.weights_to_json(weights)[k]}
        for k in SIGNAL_KINDS
        if weights[k] != current.weights[k]
    }
    details: dict[str, Any] = {"version": row.version, "weights": changed}
    if gate != current.equity_gate_percent:
        details["equity_gate_percent"] = {"from": current.equity_gate_percent, "to": gate}
    await audit.record(
        session,
        action="scoring.settings_changed",
        team_id=team_id,
        actor_account_id=actor.account_id,
        actor_email=actor_email,
        target_type="scoring_settings",
        target_id=row.id,
        details=details,
    )
    from reos.scoring.jobs import defer_rescore

    job_id = await defer_rescore(session, team_id=team_id, derive=False)
    return await get_settings(session, team_id=team_id), job_id


# --- rescoring ---------------------------------------------------------------------------------


LEADS_PER_PART = 40_000
MAX_PARTS = 256


@dataclass(frozen=True)
class RescoreResult:
    changed: int
    derived_added: int
    derived_removed: int

    def __add__(self, other: RescoreResult) -> RescoreResult:
        return RescoreResult(
            self.changed + other.changed,
            self.derived_added + other.derived_added,
            self.derived_removed + other.derived_removed,
        )


async def rescore(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    at: datetime | None = None,
    property_id: uuid.UUID | None = None,
    ids: IdRange | None = None,
    weights: dict[str, rules.KindWeight] | None = None,
    gate: int | None = None,
    derive: bool = True,
) -> RescoreResult:
    """Derive signals from the facts and write the score and signal kinds of every property
    (one with `property_id`, those whose id is in `ids`), set-based, in one statement. Rows
    whose score and kinds are unchanged are not written. Rescoring is idempotent, so a team's
    parts can each commit on their own (`scoring.jobs.rescore_in_parts`). Without `derive`, the
    scores come from the signals as stored (after a change of the settings, which moves no
    fact)."""
    at = at or clock.now()
    as_of = at.astimezone(UTC).date()
    if weights is None or gate is None:
        settings = await get_settings(session, team_id=team_id)
        weights, gate = settings.weights, settings.equity_gate_percent
    if property_id is None:
        # Beside other parts, never beside an import or a bulk action (they deadlocked).
        await lock_leads(session, team_id, shared=True)
        # Many properties sort and hash many rows: room for it in memory, this transaction only.
        await session.execute(text("set local work_mem = '256MB'"))
        # Right after a big import the planner has no statistics for the new rows (the app role
        # may not ANALYZE) and estimates one row per join input; its nested loops then ran for
        # minutes over 45,000 leads. Over many properties this is hash joins by nature: say so
        # (the owners' contacts are probed through a LATERAL, which stays a nested loop).
        await session.execute(text("set local enable_nestloop = off"))
    kinds = list(SIGNAL_KINDS)
    row = (
        await session.execute(
            text((_RESCORE_SQL if derive else _RESCORE_STORED_SQL).format(**_part(property_id, ids))),
            {
                "team_id": team_id,
                "as_of": as_of,
                "as_of_text": as_of.isoformat(),
                "now": at,
                "property_id": property_id,
                "lo": ids[0] if ids else None,
                "hi": ids[1] if ids else None,
                "high_equity": rules.HIGH_EQUITY_PERCENT,
                "tenure_cutoff": _years_before(as_of, rules.LONG_TENURE_YEARS),
                "unit_start": _UNIT_START,
                "kinds": kinds,
                "weights": [weights[k].weight for k in kinds],
                "half_lives": [weights[k].half_life_days for k in kinds],
                "gate": gate,
            },
        )
    ).one()
    return RescoreResult(
        changed=int(row.changed), derived_added=int(row.added), derived_removed=int(row.removed)
    )


async def part_ranges(
    session: AsyncSession, *, team_id: uuid.UUID, parts: int | None = None
) -> list[IdRange]:
    """The id ranges a whole-team rescoring takes, in order: `parts` of them (default: about
    `LEADS_PER_PART` leads each) holding about the same number of the team's properties, and
    together every UUID, so a property created meanwhile still falls in one.

    One statement over a whole large team is far slower than its parts (it sorts and hashes
    every signal at once and spills to disk: 236 s against ~76 s in parts for a million
    leads). The bounds are read from the team's ids, not cut from the UUID space: time-ordered
    ids (`reos.kit.ids`) crowd into a narrow band of it. One walk of `(team_id, id)`."""
    counted = select(func.count()).select_from(Property).where(Property.team_id == team_id)
    leads = int(await session.scalar(counted) or 0)
    if parts is None:
        parts = min(MAX_PARTS, max(1, -(-leads // LEADS_PER_PART)))
    step = -(-leads // parts) if leads else 1
    bounds = list(
        await session.scalars(
            text(
                "select id from (select id, row_number() over (order by id) as n from properties "
                "where team_id = :team_id) x where n > 1 and (n - 1) % :step = 0 order by id"
            ),
            {"team_id": team_id, "step": step},
        )
    )
    lows = [uuid.UUID(int=0), *bounds]
    highs: list[uuid.UUID | None] = [*bounds, None]
    return list(zip(lows, highs, strict=True))


# Two statements at once keep two cores busy; more only queue behind each other.
PART_CONNECTIONS = 2
T = TypeVar("T")


async def each_part(
    database: Database,
    *,
    team_id: uuid.UUID,
    ranges: Sequence[IdRange],
    work: Callable[[AsyncSession, IdRange], Awaitable[T]],
    connections: int = PART_CONNECTIONS,
    done: Callable[[T], Awaitable[None]] | None = None,
) -> list[T]:
    """`work` on each id range, `connections` ranges at a time, each in a transaction of its own
    scoped to the team; `done(result)` once a range's transaction has committed. The results
    come back in the order of `ranges`."""
    results: list[T | None] = [None] * len(ranges)
    pending = iter(enumerate(ranges))

    async def worker() -> None:
        for index, ids in pending:  # shared: each range is taken by one of the connections
            async with team_session(database, team_id) as session:
                result = await work(session, ids)
            results[index] = result
            if done is not None:
                await done(result)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(max(1, min(connections, len(ranges)))):
                group.create_task(worker())
    except ExceptionGroup as failed:
        # Callers (a job's retry list, the request's error handler) must see the part's own
        # error, not the group around it.
        raise failed.exceptions[0] from failed
    return cast(list[T], results)


async def rescore_team(
    session: AsyncSession, *, team_id: uuid.UUID, at: datetime | None = None, derive: bool = True
) -> RescoreResult:
    """Rescore the whole team in this one transaction, part after part, and announce it
    (`scores.updated`) when any score changed. The job does the same on two connections
    (`scoring.jobs.rescore_in_parts`)."""
    at = at or clock.now()
    settings = await get_settings(session, team_id=team_id)
    totals = RescoreResult(0, 0, 0)
    for ids in await part_ranges(session, team_id=team_id):
        result = await rescore(
            session,
            team_id=team_id,
            at=at,
            ids=ids,
            weights=settings.weights,
            gate=settings.equity_gate_percent,
            derive=derive,
        )
        totals = totals + result
    if totals.changed:
        await events.publish(
            session,
            team_id=team_id,
            type="scores.updated",
            data={"changed": totals.changed, "version": settings.version},
        )
    return totals


async def rescore_property(session: AsyncSession, *, team_id: uuid.UUID, property_id: uuid.UUID) -> int:
    """Rescore one property now (after its signals or facts changed); answers its score."""
    result = await rescore(session, team_id=team_id, property_id=property_id)
    score = int(
        await session.scalar(
            select(Property.score).where(Property.team_id == team_id, Property.id == property_id)
        )
        or 0
    )
    # The statement wrote the row in SQL: a loaded object would answer its old score and signals
    # (the page shown after a signal is removed reads it in this same session).
    held = session.identity_map.get(identity_key(Property, property_id))
    if held is not None:
        await session.refresh(held, ["score", "signal_kinds", "derived_signals", "score_updated_at"])
    if result.changed:
        await events.publish(
            session,
            team_id=team_id,
            type="property.score",
            data={"property_id": str(property_id), "score": score},
        )
    return score


# --- signals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DerivedSignal:
    """A signal the lead's own record shows (`Property.derived_signals`). It has no row, so no
    id, import or author; its evidence is read from the record as it is now."""

    property_id: uuid.UUID
    kind: str
    observed_on: date
    detail: dict[str, Any]
    source: str = "derived"
    id: uuid.UUID | None = None
    import_id: uuid.UUID | None = None
    created_by_id: uuid.UUID | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


AnySignal = Signal | DerivedSignal


def derived_of(
    prop: Property, listed: Iterable[AnySignal], evidence: Mapping[str, dict[str, Any]] | None = None
) -> list[DerivedSignal]:
    """The lead's derived signals whose kind is not among `listed` (a recorded signal wins)."""
    taken = {s.kind for s in listed}
    found = prop.derived_signals or {}
    return [
        DerivedSignal(prop.id, kind, date.fromisoformat(day), dict((evidence or {}).get(kind, {})))
        for kind, day in found.items()
        if kind not in taken
    ]


async def _evidence(
    session: AsyncSession, *, team_id: uuid.UUID, prop: Property
) -> dict[str, dict[str, Any]]:
    """What the record says now for each derived kind that holds (the equity, the mailing address)."""
    if not prop.derived_signals:
        return {}
    as_of = today()
    rows = await session.execute(
        text(_EVIDENCE_SQL.format(**_part(prop.id, None))),
        {
            "team_id": team_id,
            "property_id": prop.id,
            "high_equity": rules.HIGH_EQUITY_PERCENT,
            "tenure_cutoff": _years_before(as_of, rules.LONG_TENURE_YEARS),
            "unit_start": _UNIT_START,
        },
    )
    return {r.kind: r.detail for r in rows}


async def _signals_of(session: AsyncSession, *, team_id: uuid.UUID, prop: Property) -> list[AnySignal]:
    recorded = list(
        await session.scalars(select(Signal).where(Signal.team_id == team_id, Signal.property_id == prop.id))
    )
    derived = derived_of(prop, recorded, await _evidence(session, team_id=team_id, prop=prop))
    return sorted([*recorded, *derived], key=lambda s: SIGNAL_KINDS.index(s.kind))


async def list_signals(
    session: AsyncSession, *, team_id: uuid.UUID, property_id: uuid.UUID, viewer: Membership | None
) -> list[AnySignal]:
    """The signals an import or a person recorded and those the record shows, in kind order."""
    prop = await properties.get_property_or_raise(
        session, team_id=team_id, property_id=property_id, viewer=viewer
    )
    return await _signals_of(session, team_id=team_id, prop=prop)


async def add_signal(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    property_id: uuid.UUID,
    viewer: Membership,
    data: SignalCreate,
) -> tuple[Signal, bool]:
    """Record a signal by hand; it replaces the kind's earlier evidence (one signal per kind, and
    over a derived one of its kind). Answers the signal and whether it is new. The property is
    rescored at once."""
    await properties.get_property_or_raise(session, team_id=team_id, property_id=property_id, viewer=viewer)
    observed_on = data.observed_on or today()
    if observed_on > today():
        raise Unprocessable("the day observed is in the future", details={"field": "observed_on"})
    signal: Signal | None = await session.scalar(
        select(Signal).where(
            Signal.team_id == team_id, Signal.property_id == property_id, Signal.kind == data.kind
        )
    )
    created = signal is None
    if signal is None:
        signal = Signal(team_id=team_id, property_id=property_id, kind=data.kind)
        session.add(signal)
    signal.source, signal.observed_on, signal.detail = "manual", observed_on, data.detail
    signal.import_id, signal.created_by_id, signal.updated_at = None, viewer.id, clock.now()
    await session.flush()
    await rescore_property(session, team_id=team_id, property_id=property_id)
    return signal, created


async def remove_signal(
    session: AsyncSession, *, team_id: uuid.UUID, property_id: uuid.UUID, viewer: Membership, kind: str
) -> None:
    """Remove a recorded signal and rescore the property (a derived fact that holds comes back).
    A derived signal goes only when the record stops showing it."""
    prop = await properties.get_property_or_raise(
        session, team_id=team_id, property_id=property_id, viewer=viewer
    )
    signal = await session.scalar(
        select(Signal).where(
            Signal.team_id == team_id, Signal.property_id == property_id, Signal.kind == kind
        )
    )
    if signal is None:
        if kind in (prop.derived_signals or {}):
            raise Conflict(
                "the signal is derived from the property's record; it goes when the record changes",
                details={"kind": kind},
            )
        raise NotFound("the property has no such signal", details={"kind": kind})
    await session.delete(signal)
    await session.flush()
    await rescore_property(session, team_id=team_id, property_id=property_id)


# --- the explained score -----------------------------------------------------------------------


@dataclass(frozen=True)
class Explained:
    prop: Property
    settings: Settings
    as_of: date
    breakdown: rules.Breakdown
    close: rules.CloseProbability
    value: rules.ExpectedValue


def explain(prop: Property, signals: Sequence[AnySignal], settings: Settings, as_of: date) -> Explained:
    """The score of `prop` from `signals` and its derived ones (those `signals` do not list)."""
    counted = [*signals, *derived_of(prop, signals)]
    facts = [rules.SignalFact(s.kind, s.observed_on, s.source, s.detail) for s in counted]
    result = rules.breakdown(
        facts,
        weights=settings.weights,
        equity_percent=prop.equity_percent,
        gate_percent=settings.equity_gate_percent,
        as_of=as_of,
    )
    close = rules.close_probability(score=result.score, stage=prop.stage)
    value = rules.expected_value(
        estimated_value=prop.estimated_value,
        mortgage_balance=prop.mortgage_balance,
        probability=close.probability,
    )
    return Explained(prop, settings, as_of, result, close, value)


async def score_breakdown(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    property_id: uuid.UUID,
    viewer: Membership | None,
    as_of: date | None = None,
) -> Explained:
    """Every factor of a property's score with its weight, evidence, age and contribution."""
    prop = await properties.get_property_or_raise(
        session, team_id=team_id, property_id=property_id, viewer=viewer
    )
    signals = await _signals_of(session, team_id=team_id, prop=prop)
    settings = await get_settings(session, team_id=team_id)
    return explain(prop, signals, settings, as_of or today())


# --- preview -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewRow:
    property_id: uuid.UUID
    address: str
    city: str
    state: str
    rank_before: int
    rank_after: int
    score_before: int
    score_after: int


@dataclass(frozen=True)
class Preview:
    as_of: date
    items: list[PreviewRow]
    dropped: list[PreviewRow]
    changed: int
    total: int


async def preview(
    session: AsyncSession,
    database: Database,
    *,
    team_id: uuid.UUID,
    data: ScoringSettingsUpdate,
    limit: int = 50,
) -> Preview:
    """How the top `limit` would change under proposed weights: ranks and scores before and
    after, both computed now from the same signals, in SQL, writing nothing. Ranks order by
    score, then age (id), as the list does. The settings come from `session`; the team is read
    part by part (`_PREVIEW_PART_SQL`) on connections of `database` (`each_part`)."""
    current = await get_settings(session, team_id=team_id)
    weights, gate = merged(current, data)
    ranges = await part_ranges(session, team_id=team_id)
    kinds = list(SIGNAL_KINDS)
    as_of = today()
    params = {
        "team_id": team_id,
        "as_of": as_of,
        "kinds": kinds,
        "weights_before": [current.weights[k].weight for k in kinds],
        "half_lives_before": [current.weights[k].half_life_days for k in kinds],
        "weights_after": [weights[k].weight for k in kinds],
        "half_lives_after": [weights[k].half_life_days for k in kinds],
        "gate_before": current.equity_gate_percent,
        "gate_after": gate,
        "limit": limit,
    }

    async def read(part: AsyncSession, ids: IdRange) -> Sequence[Any]:
        """The part's shown leads, each row carrying how many of its leads hold each score."""
        # A part's sorts and hashes stay in memory (the default 4 MB spilled them).
        await part.execute(text("set local work_mem = '64MB'"))
        sql = _PREVIEW_PART_SQL.format(**_part(None, ids))
        return (await part.execute(text(sql), {**params, "lo": ids[0], "hi": ids[1]})).all()

    parts = await each_part(database, team_id=team_id, ranges=ranges, work=read)
    counted = [
        (
            rows,
            Counter({int(k): n for k, n in rows[0].before_counts.items()}),
            Counter({int(k): n for k, n in rows[0].after_counts.items()}),
        )
        for rows in parts
        if rows
    ]
    before_all: Counter[int] = sum((b for _, b, _ in counted), Counter())
    after_all: Counter[int] = sum((a for _, _, a in counted), Counter())

    def rank(counts: Counter[int], earlier: Counter[int], score: int, ahead: int) -> int:
        """1 + the leads with a higher score + those of the same score in earlier parts and
        earlier in this one."""
        return sum(n for s, n in counts.items() if s > score) + earlier[score] + ahead + 1

    found: list[PreviewRow] = []
    earlier_before: Counter[int] = Counter()
    earlier_after: Counter[int] = Counter()
    for rows, before, after in counted:
        for r in rows:
            before_at = rank(before_all, earlier_before, r.score_before, r.ahead_before)
            after_at = rank(after_all, earlier_after, r.score_after, r.ahead_after)
            if before_at <= limit or after_at <= limit:
                shown = (before_at, after_at, r.score_before, r.score_after)
                found.append(PreviewRow(r.id, r.address, r.city, r.state, *shown))
        earlier_before += before
        earlier_after += after
    return Preview(
        as_of=as_of,
        items=sorted((r for r in found if r.rank_after <= limit), key=lambda r: r.rank_after),
        dropped=sorted((r for r in found if r.rank_after > limit), key=lambda r: r.rank_before),
        changed=sum(int(rows[0].changed) for rows, _, _ in counted),
        total=sum(before_all.values()),
    )
