"""The weight editor's preview at a million leads, against a raw SQL baseline in the same run.

Runs on the database `bench/rescore.py` leaves behind (run that first; this brings it to the
latest migration). Times `scoring.service.preview` (every lead scored under the saved and the
proposed settings, ranked, top 50 and who leaves it) as the API runs it, for three proposals,
`--rounds` times each. The baseline, as the owner on one connection: one `group by` over the
team's signals, reading what the preview reads and scoring nothing. Prints JSON.

    REOS_DATA_DIR=var/bench-rescore .venv/bin/python bench/score_preview.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

from reos.db import embedded, migrate
from reos.db.session import make_database, team_session
from reos.scoring import service as scoring
from reos.scoring.schemas import KindWeightIn, ScoringSettingsUpdate

NAME = "reos_bench_rescore"
PROPOSALS = {
    "one_weight": ScoringSettingsUpdate(
        weights={"absentee_owner": KindWeightIn(weight=40, half_life_days=365)}
    ),
    "weight_and_gate": ScoringSettingsUpdate(
        weights={"tax_delinquent": KindWeightIn(weight=0, half_life_days=30)}, equity_gate_percent=35
    ),
    "short_half_life": ScoringSettingsUpdate(weights={"vacant": KindWeightIn(weight=90, half_life_days=10)}),
}
BASELINES = {
    "baseline_group_signals": "select property_id, count(*) from signals where team_id = %(team)s group by 1",
}


def _load() -> float:
    return round(os.getloadavg()[0], 2)


async def measure(owner: str, app: str, team: uuid.UUID, rounds: int) -> dict[str, Any]:
    database = make_database(app, owner)
    out: dict[str, Any] = {}
    try:
        for name, proposal in PROPOSALS.items():
            took = []
            for _ in range(rounds):
                began = time.perf_counter()
                async with team_session(database, team) as session:
                    found = await scoring.preview(session, database, team_id=team, data=proposal)
                took.append(time.perf_counter() - began)
            out[f"preview_{name}_s"] = [round(t, 2) for t in took]
            out[f"preview_{name}_median_s"] = round(statistics.median(took), 2)
            out[f"preview_{name}_changed"] = found.changed
            out[f"preview_{name}_load"] = _load()
        out["leads"] = found.total
    finally:
        await database.dispose()
    return out


def baselines(owner_libpq: str, team: uuid.UUID, rounds: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with psycopg.connect(owner_libpq) as conn:
        for name, query in BASELINES.items():
            took = []
            for _ in range(rounds):
                began = time.perf_counter()
                conn.execute(query, {"team": team}).fetchall()
                took.append(time.perf_counter() - began)
            out[f"{name}_median_s"] = round(statistics.median(took), 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    owner, app = embedded.start(Path(os.environ.get("REOS_DATA_DIR", "var/bench-rescore")))
    owner, app = owner.replace("/reos?", f"/{NAME}?"), app.replace("/reos?", f"/{NAME}?")
    owner_libpq = owner.replace("postgresql+psycopg://", "postgresql://")
    try:
        migrate.upgrade(owner, app)
    except psycopg.OperationalError as exc:
        raise SystemExit(f"no database {NAME} here: run bench/rescore.py first ({exc})") from exc
    with psycopg.connect(owner_libpq) as conn:
        found = conn.execute(
            "select team_id from properties group by team_id order by count(*) desc limit 1"
        ).fetchone()
    if found is None:
        raise SystemExit("the benchmark team has no leads: run bench/rescore.py first")
    team = found[0]
    report: dict[str, Any] = {"load_before": _load()}
    report.update(baselines(owner_libpq, team, args.rounds))
    report.update(asyncio.run(measure(owner, app, team, args.rounds)))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
