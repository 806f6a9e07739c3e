"""Governor throughput: decisions per second for a batch of 10,000 contacts whose DNC,
opt-out, consent and cap state is in the database, against a raw SQL baseline in the same run
(one hand-written query reading the same state for the same numbers, with no decision logic).
Prints JSON: the median of `--runs` batches after `--warmup` uncounted ones (the first batch of a
process builds the ZIP table and fills the memos; its time is reported apart), wall and CPU
seconds, the state read alone, and the load average (the machine is shared).

    REOS_DATA_DIR=var/bench-compliance .venv/bin/python bench/compliance_decisions.py --contacts 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from reos.compliance import service as compliance
from reos.compliance.ruleset import current
from reos.db import embedded, migrate
from reos.db.session import make_database, team_session

NOW = datetime(2026, 7, 15, 16, 0, tzinfo=UTC)  # a Wednesday, noon on the East coast
AREA_CODES = ["212", "305", "312", "404", "512", "602", "713", "813", "904", "918", "410", "205", "504"]
ZIPS = ["10001", "33602", "60601", "30303", "78701", "85001", "77002", "32202", "74103", "21201", "35203"]
BASELINE = """
select p.value,
  exists(select 1 from dnc_numbers d where d.team_id = p.team_id and d.phone = p.value) as dnc,
  exists(select 1 from opt_outs o where o.team_id = p.team_id and o.revoked_at is null
         and (o.contact_id = p.contact_id or o.value = p.value)) as opted_out,
  (select count(*) from contact_attempts a where a.team_id = p.team_id and a.contact_id = p.contact_id
         and a.at > %(since)s and a.at <= %(now)s) as attempts,
  (select c.action from consent_records c where c.team_id = p.team_id and c.value = p.value
         order by c.recorded_at desc limit 1) as consent
from contact_points p
where p.team_id = %(team)s and p.value = any(%(values)s)
"""


async def setup(owner: str, app: str, contacts: int) -> tuple[uuid.UUID, list[uuid.UUID], list[str]]:
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
    team = uuid.UUID(reply.json()["team"]["id"])
    rng = random.Random(7)
    contact_ids = [uuid.uuid4() for _ in range(contacts)]
    point_ids = [uuid.uuid4() for _ in range(contacts)]
    phones = [f"+1{AREA_CODES[i % len(AREA_CODES)]}{2000000 + i:07d}" for i in range(contacts)]
    with psycopg.connect(owner.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("select set_config('app.team_id', %s, false)", (str(team),))
        with conn.cursor().copy(
            "copy contacts (id, team_id, kind, first_name, zip_code, created_at) from stdin"
        ) as cp:
            for i, cid in enumerate(contact_ids):
                cp.write_row((cid, team, "person", f"Owner {i}", ZIPS[i % len(ZIPS)], NOW))
        with conn.cursor().copy(
            "copy contact_points (id, team_id, contact_id, kind, value, is_primary, position, status, "
            "line_type, dnc, dnc_checked_at, created_at) from stdin"
        ) as cp:
            for i, (pid, cid) in enumerate(zip(point_ids, contact_ids, strict=True)):
                checked = NOW - timedelta(days=rng.choice([3, 10, 45])) if i % 4 else None
                cp.write_row(
                    (
                        pid,
                        team,
                        cid,
                        "phone",
                        phones[i],
                        True,
                        0,
                        "valid",
                        "mobile",
                        i % 17 == 0,
                        checked,
                        NOW,
                    )
                )
        with conn.cursor().copy("copy dnc_numbers (id, team_id, phone, kind, created_at) from stdin") as cp:
            for i in range(0, contacts, 7):
                cp.write_row((uuid.uuid4(), team, phones[i], "registry" if i % 2 else "internal", NOW))
            for i in range(0, contacts, 97):
                cp.write_row((uuid.uuid4(), team, phones[i], "litigator", NOW))
        with conn.cursor().copy(
            "copy opt_outs (id, team_id, contact_id, point_id, value, channel, source, received_at, "
            "created_at) from stdin"
        ) as cp:
            for i in range(0, contacts, 11):
                cp.write_row(
                    (uuid.uuid4(), team, contact_ids[i], point_ids[i], phones[i], "sms", "keyword", NOW, NOW)
                )
        with conn.cursor().copy(
            "copy consent_records (id, team_id, contact_id, point_id, value, action, channel, method, "
            "source, recorded_at, created_at) from stdin"
        ) as cp:
            for i in range(0, contacts, 13):
                cp.write_row(
                    (
                        uuid.uuid4(),
                        team,
                        contact_ids[i],
                        point_ids[i],
                        phones[i],
                        "given",
                        "all",
                        "web form",
                        "bench",
                        NOW - timedelta(days=30),
                        NOW,
                    )
                )
        with conn.cursor().copy(
            "copy contact_attempts (id, team_id, channel, point_id, value, contact_id, at, automated, "
            "outcome, rule_set, created_at) from stdin"
        ) as cp:
            for i in range(0, contacts, 3):
                for k in range(1 + i % 4):
                    cp.write_row(
                        (
                            uuid.uuid4(),
                            team,
                            "call" if k % 2 else "sms",
                            point_ids[i],
                            phones[i],
                            contact_ids[i],
                            NOW - timedelta(hours=2 + 5 * k),
                            False,
                            "no_answer",
                            "us-2025.1",
                            NOW,
                        )
                    )
        conn.execute("analyze")
    return team, point_ids, phones


async def measure(
    owner: str,
    app: str,
    team: uuid.UUID,
    point_ids: list[uuid.UUID],
    phones: list[str],
    runs: int,
    warmup: int,
) -> dict[str, Any]:
    database = make_database(app, owner)
    asks = [
        compliance.Ask(channel="sms" if i % 2 else "call", value=phone, at=NOW, automated=i % 5 == 0)
        for i, phone in enumerate(phones)
    ]
    governor: list[float] = []
    cpu: list[float] = []
    reads: list[float] = []
    blocked = 0
    cold = 0.0
    for run in range(warmup + runs):
        async with team_session(database, team) as session:
            await session.connection()
            started, cpu_started = time.perf_counter(), time.process_time()
            answers = await compliance.decide_many(session, team_id=team, asks=asks)
            elapsed, cpu_used = time.perf_counter() - started, time.process_time() - cpu_started
            blocked = sum(1 for a in answers if not a.decision.allowed)
            del answers  # as a request would: the answers do not outlive the batch
            # The database half alone (the same queries, no decisions), for the split.
            read_started = time.perf_counter()
            with compliance._collector_paused():  # as inside decide_many
                await compliance._load(session, team, asks, current())
            read = time.perf_counter() - read_started
        if run < warmup:
            cold = cold or elapsed  # the first batch of a process fills the ZIP table and the memos
            continue
        governor.append(elapsed)
        cpu.append(cpu_used)
        reads.append(read)
    await database.dispose()
    baseline: list[float] = []
    with psycopg.connect(app.replace("postgresql+psycopg://", "postgresql://")) as conn:
        for _ in range(runs):
            with conn.transaction():
                conn.execute("select set_config('app.team_id', %s, true)", (str(team),))
                started = time.perf_counter()
                rows = conn.execute(
                    BASELINE, {"team": team, "values": phones, "since": NOW - timedelta(hours=24), "now": NOW}
                ).fetchall()
                baseline.append(time.perf_counter() - started)
                assert len(rows) == len(phones)
    n = len(phones)
    g, b = statistics.median(governor), statistics.median(baseline)
    r, c = statistics.median(reads), statistics.median(cpu)
    return {
        "contacts": n,
        "runs": runs,
        "warmup_runs": warmup,
        "governor_seconds_cold_first_batch": round(cold, 4) if warmup else None,
        "governor_seconds_runs": [round(x, 3) for x in governor],
        "governor_seconds_median": round(g, 4),
        "governor_decisions_per_second": round(n / g),
        "governor_cpu_seconds_median": round(c, 4),
        "governor_decisions_per_cpu_second": round(n / c),
        "state_read_seconds_median": round(r, 4),
        "decisions_in_memory_seconds_median_estimate": round(max(g - r, 0.0), 4),
        "baseline_raw_sql_seconds_median": round(b, 4),
        "baseline_rows_per_second": round(n / b),
        "governor_vs_baseline": round(b / g, 2),
        "blocked": blocked,
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1, help="batches run first and not counted")
    args = parser.parse_args()
    data_dir = Path(os.environ.get("REOS_DATA_DIR", "var/bench-compliance"))
    owner, app = embedded.start(data_dir)
    name = "reos_bench_compliance"
    admin = owner.replace("postgresql+psycopg://", "postgresql://").replace("/reos?", "/postgres?")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    owner, app = owner.replace("/reos?", f"/{name}?"), app.replace("/reos?", f"/{name}?")
    migrate.upgrade(owner, app)
    team, point_ids, phones = asyncio.run(setup(owner, app, args.contacts))
    load_before = [round(x, 2) for x in os.getloadavg()]
    result = asyncio.run(measure(owner, app, team, point_ids, phones, args.runs, args.warmup))
    print(json.dumps({**result, "load_average_before": load_before}, indent=2))


if __name__ == "__main__":
    main()
