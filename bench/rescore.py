"""Rescoring a whole team of 1,000,000 properties, against raw SQL baselines in the same run.

A fresh database with one team; properties, one owner each (a third of them absentee, a fifth of
those out of state) and ~1.3 signals per property of the imported kinds are generated directly
in SQL as the owner (~13 minutes at a million; `--reuse` keeps an earlier run's database, brings
it to the latest migration and puts the team back as generated: no derived signals, no scores,
its two written tables rewritten packed).
Then, as the app role inside the team's context, as the job does it (`scoring.jobs.
rescore_in_parts`: parts of ~40,000 leads, two connections; `--one-transaction`: the same parts in
turn, in one transaction on one connection):

1. the first rescoring: derives the signals of equity, tenure and owners (kept on the lead since
   migration 0021), writes every score;
2. after a broad weight change (kinds most leads hold, and the gate): most scores change;
3. after a narrow weight change (two imported kinds): a fifth of the scores change;
4. with nothing changed: reads everything, writes nothing;
5. the same from the stored signals (`derive=False`).

2 and 3 run as the product runs a change of the settings: from the stored signals, deriving
nothing (`scoring.jobs.rescore_scores`).

Baselines: one `update properties set score = …` of every row of the team on one connection (the
cost of writing every score once, no reading of signals) and one `group by` over the signals (the
read side). Load averages with every figure. Prints JSON.

    REOS_DATA_DIR=var/bench-rescore .venv/bin/python bench/rescore.py --properties 1000000 --reuse
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql
from sqlalchemy import select, text

from reos.db import embedded, migrate
from reos.db.session import make_database, team_session
from reos.scoring import jobs as scoring_jobs
from reos.scoring import rules
from reos.scoring import service as scoring
from reos.scoring.models import ScoringSettings

NOW = datetime(2026, 7, 15, 16, 0, tzinfo=UTC)
IMPORTED_KINDS = [
    "tax_delinquent",
    "pre_foreclosure",
    "probate",
    "vacant",
    "code_violation",
    "eviction",
    "divorce",
    "tired_landlord",
]

GENERATE = """
insert into properties (id, team_id, created_at, updated_at, stage_changed_at, address, city, state, zip_code,
    stage, score, tags, custom, provenance, signal_kinds, estimated_value, mortgage_balance, last_sale_date)
select uuid_v7(), %(team)s, %(now)s, %(now)s, %(now)s,
    (100 + i %% 9000)::text || ' ' || 'STREET ' || (i %% 50000)::text || ' RD',
    'City ' || (i %% 700)::text, (array['FL','TX','GA','OH','AZ','NC','TN','OK'])[1 + (i %% 8)::int],
    lpad((10000 + i %% 89999)::text, 5, '0'),
    (array['new','new','new','outreach','outreach','qualified','negotiation','closed_lost'])
        [1 + (i %% 8)::int],
    0, '{}', '{}', '{}', '{}',
    case when i %% 10 = 0 then null else 80000 + (i * 7919) %% 600000 end,
    case when i %% 4 = 0 then 0 when i %% 10 = 1 then null else ((i * 104729) %% 500000) end,
    case when i %% 6 = 0 then null else date '2025-01-01' - ((i * 31) %% 14000)::int end
from generate_series(1::bigint, %(n)s) as i
"""

OWNERS = """
with p as (
    select id, address, city, state, zip_code, row_number() over () as i
    from properties where team_id = %(team)s
),
c as (
    insert into contacts (id, team_id, created_at, kind, first_name, last_name, street, city, state, zip_code)
    select uuid_v7(), %(team)s, %(now)s, 'person', 'Owner', p.i::text,
        case when p.i %% 3 = 0 then (p.i %% 777)::text || ' ELSEWHERE AVE' else p.address end,
        p.city,
        case when p.i %% 15 = 0 then 'CA' else p.state end,
        p.zip_code
    from p
    returning id, last_name
)
insert into property_contacts (id, team_id, created_at, property_id, contact_id, role)
select uuid_v7(), %(team)s, %(now)s, p.id, c.id, 'owner'
from c join p on p.i = c.last_name::bigint
"""

SIGNALS = """
insert into signals (id, team_id, created_at, updated_at, property_id, kind, source, observed_on, detail)
select uuid_v7(), %(team)s, %(now)s, %(now)s, p.id, k.kind, 'import',
    date '2026-07-15' - ((hashtext(p.id::text || k.kind) & 2047)), '{}'
from properties p
cross join unnest(%(kinds)s::text[]) as k(kind)
where p.team_id = %(team)s and (hashtext(k.kind || p.id::text) & 1023) < 170
"""

BASELINE_WRITE = "update properties set score = (score + 1) %% 101 where team_id = %(team)s"
BASELINE_READ = (
    "select count(*) from (select property_id, count(*) from signals where team_id = %(team)s "
    "group by property_id) x"
)


async def register(owner: str, app: str) -> uuid.UUID:
    from reos.app import create_app
    from reos.settings import get_settings

    database = make_database(app, owner)
    api = create_app(get_settings(), database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://bench") as client:
        reply = await client.post(
            "/api/v1/auth/register",
            json={
                "email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
                "password": "bench-password-2024",
                "full_name": "Bench",
                "team_name": "Bench",
            },
        )
        assert reply.status_code == 201, reply.text
    await database.dispose()
    return uuid.UUID(reply.json()["team"]["id"])


def generate(owner_libpq: str, team: uuid.UUID, n: int) -> dict[str, Any]:
    started = time.perf_counter()
    params = {"team": team, "now": NOW, "n": n, "kinds": IMPORTED_KINDS}
    with psycopg.connect(owner_libpq, autocommit=True) as conn:
        conn.execute("select set_config('app.team_id', %s, false)", (str(team),))
        conn.execute(GENERATE, params)
        conn.execute(OWNERS, params)
        conn.execute(SIGNALS, params)
        # Indexes as built: a run's updates (and any rolled-back experiment) leave dead entries
        # and half-empty pages in them, which VACUUM clears but does not pack.
        conn.execute("reindex table properties")
        conn.execute("reindex table signals")
        conn.execute("vacuum analyze properties, contacts, property_contacts, signals")
        signals = conn.execute("select count(*) from signals where team_id = %s", (team,)).fetchone()
    return {
        "generate_seconds": round(time.perf_counter() - started, 1),
        "signals": signals[0] if signals else 0,
    }


def baseline(owner_libpq: str, team: uuid.UUID) -> dict[str, float]:
    out = {}
    with psycopg.connect(owner_libpq) as conn:
        conn.execute("select set_config('app.team_id', %s, false)", (str(team),))
        conn.execute("set work_mem = '256MB'")
        for name, query in (
            ("baseline_update_every_score", BASELINE_WRITE),
            ("baseline_group_signals", BASELINE_READ),
        ):
            started = time.perf_counter()
            conn.execute(query, {"team": team})
            conn.commit()
            out[name] = round(time.perf_counter() - started, 2)
            out[f"{name}_load"] = _load()
    return out


def _load() -> float:
    return round(os.getloadavg()[0], 2)


async def measure(owner: str, app: str, team: uuid.UUID, args: argparse.Namespace) -> dict[str, Any]:
    database = make_database(app, owner)
    out: dict[str, Any] = {}

    async def run(name: str, derive: bool = True) -> None:
        load = _load()
        started = time.perf_counter()
        parts: list[float] = []

        async def progress(done: int, total: int) -> None:
            parts.append(time.perf_counter() - started)

        if args.one_transaction:
            async with team_session(database, team) as session:
                result = await scoring.rescore_team(session, team_id=team, at=NOW, derive=derive)
        else:
            parted = await scoring_jobs.rescore_in_parts(
                database,
                team_id=team,
                at=NOW,
                parts=args.parts,
                connections=args.connections,
                progress=progress,
                derive=derive,
            )
            result = parted.result
        out[name] = {
            "seconds": round(time.perf_counter() - started, 2),
            "derive": derive,
            "changed": result.changed,
            "derived_added": result.derived_added,
            "derived_removed": result.derived_removed,
            "parts": len(parts),
            "first_part_done_at": round(parts[0], 2) if parts else None,
            "load": [load, _load()],
        }

    async def reweigh(changes: dict[str, rules.KindWeight], gate: int) -> None:
        async with team_session(database, team) as session:
            row = await session.scalar(select(ScoringSettings).where(ScoringSettings.team_id == team))
            if row is None:
                row = ScoringSettings(team_id=team, version=1)
                session.add(row)
            weights = rules.weights_from_json(row.weights) if row.weights else dict(rules.DEFAULT_WEIGHTS)
            weights.update(changes)
            row.weights, row.equity_gate_percent = rules.weights_to_json(weights), gate

    await run("first_rescore")
    if args.first_only:
        await database.dispose()
        return out
    # Kinds most leads hold (equity, tenure, owners' mail) and the gate: most scores move.
    await reweigh(
        {
            "high_equity": rules.KindWeight(14, 730),
            "free_and_clear": rules.KindWeight(15, 1825),
            "absentee_owner": rules.KindWeight(13, 1825),
            "long_tenure": rules.KindWeight(11, 3650),
        },
        25,
    )
    # A change of the settings rescores from the stored signals, as the product's job does.
    await run("rescore_after_broad_weight_change", derive=False)
    # Two imported kinds a quarter of the leads hold (the run reported before this one).
    await reweigh({"vacant": rules.KindWeight(40, 90), "tax_delinquent": rules.KindWeight(35, 500)}, 25)
    await run("rescore_after_narrow_weight_change", derive=False)
    await run("rescore_nothing_changed")
    await run("rescore_scores_nothing_changed", derive=False)
    async with team_session(database, team) as session:
        out["properties"] = await session.scalar(text("select count(*) from properties"))
    await database.dispose()
    return out


def reuse(owner_libpq: str, n: int) -> uuid.UUID | None:
    """The team of an earlier run with `n` properties, put back as generated: no derived
    signals, no scores, default settings, the indexes of its two written tables rebuilt. None
    when there is no such team."""
    with psycopg.connect(owner_libpq, autocommit=True) as conn:
        row = conn.execute(
            "select team_id from properties group by team_id having count(*) = %s", (n,)
        ).fetchone()
        if row is None:
            return None
        team: uuid.UUID = row[0]
        conn.execute("select set_config('app.team_id', %s, false)", (str(team),))
        conn.execute("delete from scoring_settings where team_id = %s", (team,))
        conn.execute(
            "update properties set score = 0, signal_kinds = '{}', derived_signals = '{}', "
            "score_updated_at = null "
            "where team_id = %s and (score <> 0 or signal_kinds <> '{}' or derived_signals <> '{}')",
            (team,),
        )
        # The tables as built: a run writes ~3 M row versions of `properties` (and any
        # rolled-back experiment more), whose dead space VACUUM frees but does not give back, so
        # the heap and its indexes grew run after run (the bare-update baseline went 30.6 ->
        # 42.9 s over five runs). VACUUM FULL rewrites both, packed.
        conn.execute("vacuum full properties, signals")
        conn.execute("vacuum analyze properties, contacts, property_contacts, signals")
    return team


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--properties", type=int, default=1_000_000)
    parser.add_argument("--connections", type=int, default=scoring.PART_CONNECTIONS)
    parser.add_argument("--parts", type=int, default=None, help="default: one per 40,000 leads")
    parser.add_argument(
        "--one-transaction",
        action="store_true",
        help="rescore in one transaction on one connection, the parts in turn (scoring.service.rescore_team)",
    )
    parser.add_argument("--first-only", action="store_true", help="only the first rescoring, no baselines")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the database of an earlier run (same --properties): migrate it, reset the scores",
    )
    args = parser.parse_args()
    data_dir = Path(os.environ.get("REOS_DATA_DIR", "var/bench-rescore"))
    owner, app = embedded.start(data_dir)
    name = "reos_bench_rescore"
    admin = owner.replace("postgresql+psycopg://", "postgresql://").replace("/reos?", "/postgres?")
    bench_owner = owner.replace("/reos?", f"/{name}?")
    owner_libpq = bench_owner.replace("postgresql+psycopg://", "postgresql://")
    report: dict[str, Any] = {"properties_requested": args.properties}
    team: uuid.UUID | None = None
    if args.reuse:
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if exists:
            migrate.upgrade(bench_owner, app.replace("/reos?", f"/{name}?"))
            drift = migrate.schema_drift(bench_owner)
            if drift:
                raise SystemExit(
                    "the kept database differs from the models (migrated by a draft?); "
                    "drop it or run without --reuse:\n" + "\n".join(map(str, drift))
                )
            team = reuse(owner_libpq, args.properties)
    if team is None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    owner, app = bench_owner, app.replace("/reos?", f"/{name}?")
    if team is None:
        migrate.upgrade(owner, app)
        team = asyncio.run(register(owner, app))
        report.update(generate(owner_libpq, team, args.properties))
    else:
        report["reused"] = True
    report.update(asyncio.run(measure(owner, app, team, args)))
    if not args.first_only:
        report.update(baseline(owner_libpq, team))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
