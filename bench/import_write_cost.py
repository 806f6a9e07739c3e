"""What a foreign key or an index costs the rows a big import writes, in the import bench's team.

Run `bench/import_1m.py --rows 1000000` once first: this reads the team it left behind.
- `points`: `--rows` new phones for the team's contacts, inserted as the import does (in id
  order), as the schema is (as the owner, whom row security does not bind here); as the app
  role, so each row passes the team policy's check; with the direct key to `teams` that
  migration 0022 dropped; without the key to the row's import; with no per-row key check (the
  replication role, as the import's big inserts write since migration 0024); and without the
  primary key on `id` alone (the composite `(team_id, id)` stays).
- `lookup`: `--rows` lookup rows (search vector, address and APN keys) for random leads, as the
  trigger on `properties` writes them; without the search vector's GIN; with a 64 MB GIN pending
  list cleaned at the end; and the three values computed into a plain temp table.
- `draft`: deleting `--rows` draft imports of the team (copies of its import, each made a
  draft), with the keys that point at imports run as they are, and without them, as discarding
  a draft now deletes it (`imports.service._forget`).
Each variant makes its change inside a transaction, times the insert and rolls everything back.
The variants alternate within each round, so a slower minute of the shared machine falls on all
of them. Every timing and the medians, as JSON.

    REOS_DATA_DIR=var/bench-import .venv/bin/python bench/import_write_cost.py points --rounds 4
    REOS_DATA_DIR=var/bench-import .venv/bin/python bench/import_write_cost.py draft --rounds 4
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from reos.db import embedded

DATABASE = "reos_bench_import"

POINTS_SOURCE = """
create temp table src on commit drop as
select row_number() over () as n, c.team_id, c.id as contact_id, c.import_id,
       '+1999' || lpad((row_number() over ())::text, 7, '0') as v
from contacts c limit %s
"""
POINTS_INSERT = """
insert into contact_points (id, team_id, created_at, contact_id, kind, value, is_primary, position,
                            status, line_type, dnc, import_id)
select uuid_v7(), team_id, now(), contact_id, 'phone', v, false, 1, 'unknown', 'unknown', false, import_id
from src order by n
"""
POINTS = {
    "as it is": [],
    "as the app role (row security)": [
        "grant select on src to {app_role}",
        "select set_config('app.team_id', (select team_id::text from src limit 1), true)",
        "set local role {app_role}",
    ],
    "with the key to teams": [
        "alter table contact_points add constraint bench_team_key foreign key (team_id) "
        "references teams (id) on delete cascade not valid"
    ],
    "without the key to imports": [
        "alter table contact_points drop constraint fk_contact_points_team_id_import_id_imports"
    ],
    # As the import's big inserts now write (migration 0024): no per-row key checks at all.
    "without the per-row key checks": ["set local session_replication_role = replica"],
    "without the id-only primary key": ["alter table contact_points drop constraint pk_contact_points"],
}

LOOKUP_SOURCE = """
create temp table src on commit drop as
select row_number() over () as n, p.* from (select * from properties order by random() limit %s) p
"""
# New ids: the leads already have their lookup rows, so the key to `properties` goes for the
# length of the transaction in every variant.
LOOKUP_INSERT = """
insert into {table} (id, created_at, team_id, search, address_key, apn_key)
select uuid_v7(), now(), team_id, property_search_vector(address, unit, city, state, zip_code, county, apn),
       property_address_key(address, unit, zip_code), property_apn_key(apn, county)
from src order by n
"""
LOOKUP_BEFORE = ["alter table property_lookup drop constraint fk_property_lookup_team_id_id_properties"]
LOOKUP = {
    "as it is": [],
    "without the search GIN": ["drop index ix_property_lookup_search"],
    "GIN pending list 64 MB, cleaned": [
        "alter index ix_property_lookup_search set (gin_pending_list_limit = 65536)"
    ],
    "the values alone, into a temp table": [
        "create temp table sink (id uuid, created_at timestamptz, team_id uuid, search tsvector, "
        "address_key text, apn_key text) on commit drop"
    ],
}

DRAFT_SOURCE = """
create temp table src on commit drop as
select * from imports
where team_id = (select team_id from properties group by 1 order by count(*) desc limit 1)
order by created_at limit 1
"""
DRAFT_COPY = ("update src set id = uuid_v7(), status = 'draft'", "insert into imports select * from src")
DRAFT_DELETE = "delete from imports where team_id = (select team_id from src) and status = 'draft'"
DRAFT = {
    "as it is": [],
    "without the keys' actions (as a discard deletes a draft)": [
        "select set_config('app.team_id', (select team_id::text from src), true)",
        "select reos_set_reference_checks(false)",
    ],
}


def measure(conn: psycopg.Connection, kind: str, rows: int, rounds: int, app_role: str) -> dict[str, object]:
    variants = {"points": POINTS, "lookup": LOOKUP, "draft": DRAFT}[kind]
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, changes in variants.items():
            with conn.transaction(force_rollback=True):
                if kind == "points":
                    conn.execute(POINTS_SOURCE, (rows,))
                    insert = POINTS_INSERT
                elif kind == "draft":
                    conn.execute(DRAFT_SOURCE)
                    for _ in range(rows):
                        for statement in DRAFT_COPY:
                            conn.execute(statement)
                    insert = DRAFT_DELETE
                else:
                    conn.execute(LOOKUP_SOURCE, (rows,))
                    for statement in LOOKUP_BEFORE:
                        conn.execute(statement)
                    sink = "sink" if name.startswith("the values alone") else "property_lookup"
                    insert = LOOKUP_INSERT.format(table=sink)
                conn.execute("analyze src")
                for statement in changes:
                    conn.execute(statement.format(app_role=app_role))
                began = time.perf_counter()
                conn.execute(insert)
                if "cleaned" in name:
                    conn.execute("select gin_clean_pending_list('ix_property_lookup_search')")
                timings[name].append(round(time.perf_counter() - began, 4))
    return {
        "rows": rows,
        "medians": {name: round(statistics.median(values), 4) for name, values in timings.items()},
        "timings": timings,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=("points", "lookup", "draft"))
    parser.add_argument(
        "--rows", type=int, default=None, help="300,000 points, 100,000 lookup rows or 1 draft"
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows = args.rows or {"points": 300_000, "lookup": 100_000, "draft": 1}[args.kind]
    owner, app = embedded.start(Path(os.environ.get("REOS_DATA_DIR", "var/bench-import")))
    app_role = make_url(app).username or ""
    url = owner.replace("postgresql+psycopg://", "postgresql://").replace("/reos?", f"/{DATABASE}?")
    with psycopg.connect(url, autocommit=True) as conn:
        result = measure(conn, args.kind, rows, args.rounds, app_role)
        result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
