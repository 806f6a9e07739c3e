"""What each index (and the board-count trigger) of `properties` costs a score write; with
`--signals`, what each index of `signals` costs inserting a signal per lead.

On the rescoring bench's team (run `bench/rescore.py` once first), a bare score update of
`--rows` consecutive leads, once per variant and round: each variant drops its parts inside the
transaction, times the update, and rolls everything back, so the table is as it was for the next.
The variants alternate within each round, so a slower minute of the shared machine falls on all of
them. The first variant is the schema as it is; each other one leaves out one part. Medians per
variant, and every timing, as JSON.

    REOS_DATA_DIR=var/bench-rescore .venv/bin/python bench/property_write_cost.py --rounds 4

Rolled-back updates still leave dead index entries; `bench/rescore.py --reuse` rebuilds the
indexes before it measures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import psycopg
from psycopg import sql

from reos.db import embedded

DATABASE = "reos_bench_rescore"


def variants(conn: psycopg.Connection, table: str) -> dict[str, list[str]]:
    """The schema as it is, then one variant per index of `table` that backs no key or unique
    constraint; for `properties` one without the board-count trigger on updates, for `signals`
    (once migration 0020 has dropped it) one with the index on a signal's kind."""
    found: dict[str, list[str]] = {"as it is": []}
    for (name,) in conn.execute(
        "select c.relname from pg_index i join pg_class c on c.oid = i.indexrelid "
        "where i.indrelid = %s::regclass and not i.indisunique order by 1",
        (table,),
    ):
        found[f"without {name}"] = [f"drop index {name}"]
    if table == "properties":
        found["without the board-count trigger"] = [
            "drop trigger property_stage_counts_updated on properties"
        ]
    elif "without ix_signals_team_id_kind" not in found:
        found["with (team_id, kind), as before migration 0020"] = [
            "create index ix_signals_team_id_kind on signals (team_id, kind)"
        ]
    return found


# A signal for each lead of the stretch, as an import records it (derived signals were rows
# like it until migration 0021), after the stretch's own of that kind are deleted (untimed, in
# the same rolled-back transaction).
SIGNAL_CLEAR = (
    "delete from signals where team_id = %s and kind = 'high_equity' and property_id between %s and %s"
)
SIGNAL_WRITE = (
    "insert into signals (id, team_id, created_at, updated_at, property_id, kind, source, observed_on, "
    "detail) "
    "select uuid_v7(), team_id, now(), now(), id, 'high_equity', 'import', current_date, '{}' "
    "from properties where team_id = %s and id between %s and %s order by id"
)
SCORE_WRITE = (
    "update properties set score = (score + 7) %% 101, score_updated_at = now() "
    "where team_id = %s and id between %s and %s"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=62_500, help="leads updated per timing")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--signals", action="store_true", help="time a signal per lead, by index of `signals`"
    )
    args = parser.parse_args()
    owner, _ = embedded.start(Path(os.environ.get("REOS_DATA_DIR", "var/bench-rescore")))
    url = owner.replace("postgresql+psycopg://", "postgresql://").replace("/reos?", f"/{DATABASE}?")
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "select team_id from properties group by team_id order by count(*) desc limit 1"
        ).fetchone()
        if row is None:
            raise SystemExit("no team: run bench/rescore.py first")
        team = row[0]
        conn.execute("select set_config('app.team_id', %s, false)", (str(team),))
        # The same stretch of ids every time, from the middle of the team.
        ids = [
            r[0]
            for r in conn.execute(
                "select id from properties where team_id = %s order by id offset %s limit %s",
                (team, args.rows * 4, args.rows),
            )
        ]
        low, high = ids[0], ids[-1]
        timings: dict[str, list[float]] = {}
        shapes = variants(conn, "signals" if args.signals else "properties")
        for _ in range(args.rounds):
            for name, drops in shapes.items():
                with conn.transaction(force_rollback=True):
                    for statement in drops:
                        conn.execute(sql.SQL(statement))
                    if args.signals:
                        conn.execute(SIGNAL_CLEAR, (team, low, high))
                    began = time.perf_counter()
                    conn.execute(SIGNAL_WRITE if args.signals else SCORE_WRITE, (team, low, high))
                    timings.setdefault(name, []).append(round(time.perf_counter() - began, 2))
        load = os.getloadavg()[0]
    print(
        json.dumps(
            {
                "write": "a signal per lead" if args.signals else "a score per lead",
                "rows": args.rows,
                "rounds": args.rounds,
                "median_s": {k: round(statistics.median(v), 2) for k, v in timings.items()},
                "timings_s": timings,
                "load_average_after": load,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
