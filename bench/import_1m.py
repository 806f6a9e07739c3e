"""Import of a realistic 1,000,000-row lead list through the engine (the `reos import` path),
against a raw COPY of the same file into a plain table in the same run, and against the bare
writes of what the import made (`schema_floor`: the same rows copied, table by table, into a
second team with one INSERT ... SELECT each: no reading, no normalising, no matching, only what
the schema's indexes, keys and triggers cost to write them; once with the per-row key checks, and
once without them, as the import's big inserts now write), and against `bulk_floor` (the same rows
into tables of their own, indexed after). Records wall time,
rows/s and the peak memory (VmHWM) of every process: this one, the normalising workers (and
the fork server they come from) and each PostgreSQL backend. Prints JSON.

    REOS_DATA_DIR=var/bench-import .venv/bin/python bench/import_1m.py --rows 1000000

`--first var/leads-100k.csv` imports that list into the team first, so the measured import
matches leads and owners the team already has (the case where the merging backend's memory
peaked; Imports, seventeenth pass).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench.leadgen import generate
from reos.db import embedded, migrate
from reos.db.session import make_database, team_session


def _status(pid: int) -> dict[str, str]:
    try:
        with open(f"/proc/{pid}/status") as handle:
            return dict(line.rstrip("\n").split(":\t", 1) for line in handle if ":\t" in line)
    except OSError:
        return {}


def _stat(pid: int) -> list[str] | None:
    """/proc/PID/stat's fields after the command name (so field n of proc(5) is index n - 3)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _cpu_ticks(pid: int) -> int | None:
    """User + system CPU time of a process so far, in clock ticks."""
    fields = _stat(pid)
    return int(fields[11]) + int(fields[12]) if fields else None


def _server_cpu_s(conn: psycopg.Connection[Any]) -> float:
    """CPU seconds the embedded server has used so far, every process of it: the postmaster
    with the children it has reaped (parallel index builds start and end workers) and the
    ones alive (the backends, the checkpointer, the WAL writer)."""
    row = conn.execute("select pg_backend_pid()").fetchone()
    backend = _stat(int(row[0])) if row else None
    postmaster = int(backend[1]) if backend else 0
    fields = _stat(postmaster) if postmaster else None
    if fields is None:
        return 0.0
    # utime, stime, cutime, cstime: its own time and that of the children it has waited for.
    ticks = sum(int(f) for f in fields[11:15]) + sum(_cpu_ticks(p) or 0 for p in _descendants(postmaster))
    return ticks / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(p) for p in handle.read().split()]
    except OSError:
        pass
    return found


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        for child in _children(todo.pop()):
            out.append(child)
            todo.append(child)
    return out


class PeakMemory:
    """Polls VmHWM (the kernel's own peak RSS) of this process's and the database's processes,
    and the peak of their private memory (RssAnon, sampled every 0.25 s).

    A PostgreSQL backend's RSS also counts every page of the server's shared buffer cache it
    has touched, which all backends share and which is allocated once: with large
    `shared_buffers` the busiest backend's VmHWM grows towards the cache's size whatever the
    backend itself holds. The private figure is what each process adds.

    It also adds up the CPU time each process spent while it ran (user + system, from the
    last sample; a process that existed before counts from the first): on two cores, the sum
    over two is the shortest the run could take however well its parts overlapped."""

    def __init__(self, postmaster: int):
        self.postmaster = postmaster
        self.peaks: dict[int, tuple[str, int]] = {}
        self.private: dict[int, int] = {}
        self.cpu_first: dict[int, int] = {}
        self.cpu_last: dict[int, int] = {}
        self._started = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        me = os.getpid()
        for pid, role in (
            [(me, "bench (parent)")]
            + [(p, "child") for p in _descendants(me)]
            + [(p, "postgres") for p in [self.postmaster, *_descendants(self.postmaster)]]
        ):
            status = _status(pid)
            if "VmHWM" not in status:
                continue
            kib = int(status["VmHWM"].split()[0])
            name = status.get("Name", "?")
            label = role if role != "child" else f"child ({name})"
            if role == "postgres":
                label = f"postgres ({name})"
            old = self.peaks.get(pid)
            if old is None or kib > old[1]:
                self.peaks[pid] = (label, kib)
            if "RssAnon" in status:
                self.private[pid] = max(self.private.get(pid, 0), int(status["RssAnon"].split()[0]))
            ticks = _cpu_ticks(pid)
            if ticks is not None:
                self.cpu_first.setdefault(pid, ticks if not self._started else 0)
                self.cpu_last[pid] = ticks
        self._started = True

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            self._sample()

    def __enter__(self) -> PeakMemory:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def report(self) -> list[dict[str, Any]]:
        rows = [
            {
                "pid": pid,
                "process": label,
                "peak_mib": round(kib / 1024, 1),
                "peak_private_mib": round(self.private.get(pid, 0) / 1024, 1),
            }
            for pid, (label, kib) in self.peaks.items()
        ]
        return sorted(rows, key=lambda r: -r["peak_mib"])

    def cpu_report(self) -> dict[str, Any]:
        """CPU seconds by process (those that used at least 0.1 s) and in all."""
        tick = os.sysconf("SC_CLK_TCK")
        used = {
            pid: (self.cpu_last[pid] - self.cpu_first.get(pid, 0)) / tick
            for pid in self.cpu_last
            if pid in self.peaks
        }
        return {
            "total_s": round(sum(used.values()), 1),
            "by_process": [
                {"pid": pid, "process": self.peaks[pid][0], "cpu_s": round(seconds, 1)}
                for pid, seconds in sorted(used.items(), key=lambda kv: -kv[1])
                if seconds >= 0.1
            ],
        }


async def make_team(owner: str, app: str, name: str = "Import bench") -> uuid.UUID:
    from reos.teams import service as teams

    db = make_database(app, owner)
    try:
        async with team_session(db, None) as session:
            await teams.create_user(
                session,
                email=f"bench-{uuid.uuid4().hex[:8]}@example.com",
                password="bench-password-2024",
                full_name="Bench",
                team_name=name,
                operator=False,
            )
    finally:
        await db.dispose()
    with psycopg.connect(owner.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute(
            "select id from teams where name = %s order by created_at desc limit 1", (name,)
        ).fetchone()
    assert row is not None
    return uuid.UUID(str(row[0]))


def copy_baseline(owner: str, path: Path) -> float:
    """A raw COPY of the file into a plain table of text columns: the floor for any import."""
    with open(path, "rb") as handle:
        header = handle.readline().decode("utf-8-sig").strip().split(",")
    columns = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(h)) for h in header)
    with psycopg.connect(owner.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute("drop table if exists bench_raw_leads")
        conn.execute(sql.SQL("create table bench_raw_leads ({})").format(columns))
        began = time.perf_counter()
        # LATIN1 takes every byte: the file mixes UTF-8 and Windows-1252 rows on purpose.
        statement = "copy bench_raw_leads from stdin (format csv, header true, encoding 'LATIN1')"
        with conn.cursor() as cursor, open(path, "rb") as handle, cursor.copy(statement) as copy:
            while block := handle.read(1024 * 1024):
                copy.write(block)
        elapsed = time.perf_counter() - began
        conn.execute("drop table bench_raw_leads")
    return elapsed


# The lead tables in the order the merge writes them, with the references each row carries to
# rows of the others (re-pointed to the copies through the id maps).
FLOOR_TABLES = (
    ("properties", {}),
    ("contacts", {}),
    ("contact_points", {"contact_id": "contacts"}),
    ("property_contacts", {"property_id": "properties", "contact_id": "contacts"}),
    ("signals", {"property_id": "properties"}),
)
# Lead tables written by triggers on the ones above (what finds a property, under its id):
# the schema floor's inserts write them as the import's do; the bulk floor copies them itself.
TRIGGER_TABLES = ("property_lookup",)


def _floor_insert(
    conn: psycopg.Connection[Any], table: str, refs: dict[str, str], target: uuid.UUID, maps: str
) -> sql.Composed:
    """The schema floor's copy of `table`'s rows of a team (the caller passes the source team):
    new ids and references through the id maps named `{maps}{table}`, every other reference to
    another table null."""
    columns = conn.execute(
        "select column_name, is_nullable = 'YES' from information_schema.columns "
        "where table_name = %s and is_generated = 'NEVER' order by ordinal_position",
        (table,),
    ).fetchall()
    # Columns of foreign keys to tables other than teams and the mapped ones: null.
    foreign = {
        r[0]
        for r in conn.execute(
            "select a.attname from pg_constraint c join pg_attribute a "
            "on a.attrelid = c.conrelid and a.attnum = any(c.conkey) "
            "where c.conrelid = %s::regclass and c.contype = 'f'",
            (table,),
        )
    } - {"team_id", *refs}
    values: list[sql.Composable] = []
    joins: list[sql.Composable] = []
    for name, nullable in columns:
        if name == "id":
            values.append(sql.SQL("m.new"))
        elif name == "team_id":
            values.append(sql.Literal(str(target)) + sql.SQL("::uuid"))
        elif name in refs:
            alias = sql.Identifier(f"r_{name}")
            joins.append(
                sql.SQL("join {} {} on {}.old = t.{}").format(
                    sql.Identifier(f"{maps}{refs[name]}"), alias, alias, sql.Identifier(name)
                )
            )
            values.append(sql.SQL("{}.new").format(alias))
        elif name in foreign and nullable:
            values.append(sql.NULL)
        else:
            values.append(sql.SQL("t.{}").format(sql.Identifier(name)))
    return sql.SQL(
        "insert into {table} ({columns}) select {values} from {table} t "
        "join {map} m on m.old = t.id {joins} where t.team_id = %s order by m.new"
    ).format(
        table=sql.Identifier(table),
        columns=sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns),
        values=sql.SQL(", ").join(values),
        map=sql.Identifier(f"{maps}{table}"),
        joins=sql.SQL(" ").join(joins),
    )


def _make_map(conn: psycopg.Connection[Any], table: str, name: str, source: uuid.UUID, *, temp: bool) -> None:
    """The id map `name` of `table`'s rows of team `source` (old id, new time-ordered id), indexed
    and analysed: a TEMP table for one connection, an unlogged one for several."""
    kind = sql.SQL("temp table {} on commit drop" if temp else "unlogged table {}").format(
        sql.Identifier(name)
    )
    conn.execute(
        sql.SQL(
            "create {} as select id as old, uuid_v7() as new from {} where team_id = %s order by id"
        ).format(kind, sql.Identifier(table)),
        (source,),
    )
    conn.execute(sql.SQL("create index on {} (old)").format(sql.Identifier(name)))
    conn.execute(sql.SQL("analyze {}").format(sql.Identifier(name)))


def schema_floor(
    owner: str, source: uuid.UUID, target: uuid.UUID, *, checked: bool = True
) -> dict[str, float]:
    """Copy the lead rows of team `source` into the empty team `target`, one INSERT ... SELECT
    per table in id order (new time-ordered ids, references re-pointed, every other reference
    to another table left null), as the owner, in one transaction rolled back at the end: the
    cost of writing these rows into this schema with nothing else done. Without `checked`, the
    per-row foreign-key checks are off, as the import's big inserts now write (migration 0024;
    the triggers still fire). Seconds per table."""
    seconds: dict[str, float] = {}
    with psycopg.connect(owner.replace("postgresql+psycopg://", "postgresql://")) as conn:
        if not checked:
            conn.execute("set local session_replication_role = replica")
        cpu = 0.0
        for table, refs in FLOOR_TABLES:
            _make_map(conn, table, f"map_{table}", source, temp=True)
            statement = _floor_insert(conn, table, refs, target, "map_")
            began, cpu_began = time.perf_counter(), _server_cpu_s(conn)
            conn.execute(statement, (source,))
            seconds[table] = round(time.perf_counter() - began, 2)
            cpu += _server_cpu_s(conn) - cpu_began
        seconds["server cpu of the inserts"] = round(cpu, 1)
        conn.rollback()
    return seconds


# The unchecked schema floor split over two connections, as a merge committed in two parts
# (two-phase commit) could write: the leads and their signals on one, the owners, their phones
# and emails and the roles on the other. With the per-row checks off, a role may name a lead the
# other connection has not committed.
SPLIT_TABLES = (("properties", "signals"), ("contacts", "contact_points", "property_contacts"))


def schema_floor_split(owner: str, source: uuid.UUID, target: uuid.UUID) -> dict[str, Any]:
    """The unchecked schema floor's rows written on two connections at once, each in its own
    transaction rolled back at the end. The id maps are unlogged tables both can read, made
    before the clock starts and dropped after. Wall seconds, and seconds per table."""
    url = owner.replace("postgresql+psycopg://", "postgresql://")
    refs = dict(FLOOR_TABLES)
    maps = "bench_split_map_"
    with psycopg.connect(url, autocommit=True) as conn:
        for table, _ in FLOOR_TABLES:
            name = f"{maps}{table}"
            conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier(name)))
            _make_map(conn, table, name, source, temp=False)

    def write(tables: tuple[str, ...]) -> dict[str, float]:
        seconds: dict[str, float] = {}
        with psycopg.connect(url) as conn:
            conn.execute("set local session_replication_role = replica")
            statements = [(t, _floor_insert(conn, t, refs[t], target, maps)) for t in tables]
            for table, statement in statements:
                began = time.perf_counter()
                conn.execute(statement, (source,))
                seconds[table] = round(time.perf_counter() - began, 2)
            conn.rollback()
        return seconds

    try:
        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(SPLIT_TABLES)) as pool:
            parts = list(pool.map(write, SPLIT_TABLES))
        wall = round(time.perf_counter() - began, 2)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            for table, _ in FLOOR_TABLES:
                conn.execute(sql.SQL("drop table if exists {}").format(sql.Identifier(f"{maps}{table}")))
    return {"wall_s": wall, "connections": parts}


def bulk_floor(owner: str, source: uuid.UUID, maintenance_mem: str = "64MB") -> dict[str, Any]:
    """The same rows written the way only a table of their own allows: into new tables with no
    index (each `LIKE` its lead table, with its defaults, checks and generated columns), then
    every index of the lead table built with CREATE INDEX, then every foreign key added (and so
    validated, references between the lead tables pointing at the copies). As the owner, in one
    transaction rolled back at the end. What any storage that defers index maintenance to after
    a bulk load (a partition per team or per import) would still pay on this machine; the
    board-count triggers are left out (one GROUP BY would replace them). Seconds per step."""
    steps: dict[str, float] = {}
    indexes: dict[str, float] = {}
    tables = [*(table for table, _ in FLOOR_TABLES), *TRIGGER_TABLES]
    with psycopg.connect(owner.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(sql.SQL("set local maintenance_work_mem = {}").format(sql.Literal(maintenance_mem)))

        cpu = [0.0]

        def timed(name: str, statement: sql.Composable | str, params: Any = None) -> float:
            began, cpu_began = time.perf_counter(), _server_cpu_s(conn)
            conn.execute(statement, params)
            took = time.perf_counter() - began
            cpu[0] += _server_cpu_s(conn) - cpu_began
            steps[name] = round(steps.get(name, 0.0) + took, 2)
            return took

        for table in tables:
            copy = sql.Identifier(f"bulk_{table}")
            conn.execute(
                sql.SQL(
                    "create table {} (like {} including defaults including generated including constraints)"
                ).format(copy, sql.Identifier(table))
            )
            columns = sql.SQL(", ").join(
                sql.Identifier(r[0])
                for r in conn.execute(
                    "select column_name from information_schema.columns "
                    "where table_name = %s and is_generated = 'NEVER' order by ordinal_position",
                    (table,),
                )
            )
            timed(
                f"{table}: rows",
                sql.SQL(
                    "insert into {copy} ({columns}) "
                    "select {columns} from {table} where team_id = %s order by id"
                ).format(copy=copy, columns=columns, table=sql.Identifier(table)),
                (source,),
            )
            for name, definition in conn.execute(
                "select indexname, indexdef from pg_indexes where tablename = %s order by indexname", (table,)
            ).fetchall():
                # "CREATE [UNIQUE] INDEX name ON public.table USING ..." for the copy.
                rewritten = definition.replace(
                    f" INDEX {name} ON public.{table} ", f" INDEX bulk_{name} ON public.bulk_{table} ", 1
                )
                indexes[name] = round(timed(f"{table}: indexes", rewritten), 2)
            conn.execute(sql.SQL("analyze {}").format(copy))
        for table in tables:
            for name, definition in conn.execute(
                "select conname, pg_get_constraintdef(oid) from pg_constraint "
                "where conrelid = %s::regclass and contype = 'f' order by conname",
                (table,),
            ).fetchall():
                for other in tables:
                    definition = definition.replace(f"REFERENCES {other}(", f"REFERENCES bulk_{other}(")
                timed(
                    f"{table}: foreign keys",
                    sql.SQL("alter table {} add constraint {} ").format(
                        sql.Identifier(f"bulk_{table}"), sql.Identifier(f"bulk_{name}")
                    )
                    + sql.SQL(definition),  # type: ignore[arg-type] - the catalogue's own text
                )
        conn.rollback()
    return {
        "seconds": round(sum(steps.values()), 2),
        "server_cpu_s": round(cpu[0], 1),
        "maintenance_work_mem": maintenance_mem,
        "steps": steps,
        "indexes": dict(sorted(indexes.items(), key=lambda item: -item[1])),
    }


# The server's write-ahead log while the import runs: its volume, how much of it is whole pages
# written again after a checkpoint, and the checkpoints the volume forced.
WAL_COUNTERS = (
    "wal_bytes",
    "wal_records",
    "wal_full_page_images",
    "checkpoints_requested",
    "checkpoints_timed",
)


def wal_state(owner: str) -> dict[str, Any]:
    with psycopg.connect(owner.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        wal_bytes, records, fpi = conn.execute(
            "SELECT wal_bytes, wal_records, wal_fpi FROM pg_stat_wal"
        ).fetchone()
        requested, timed = conn.execute(
            "SELECT checkpoints_req, checkpoints_timed FROM pg_stat_bgwriter"
        ).fetchone()
        settings = dict(
            conn.execute(
                "SELECT name, setting || coalesce(unit, '') FROM pg_settings"
                " WHERE name IN ('max_wal_size', 'checkpoint_timeout', 'shared_buffers', 'wal_compression')"
            ).fetchall()
        )
    return {
        "wal_bytes": int(wal_bytes),
        "wal_records": int(records),
        "wal_full_page_images": int(fpi),
        "checkpoints_requested": int(requested),
        "checkpoints_timed": int(timed),
        "settings": settings,
    }


async def run_import(
    owner: str, app: str, team: uuid.UUID, path: Path, workers: int
) -> tuple[float, dict[str, Any]]:
    from reos.imports import service as imports
    from reos.jobs import queue

    db = make_database(app, owner)
    queue.configure(db)
    import psycopg_pool

    pool = psycopg_pool.AsyncConnectionPool(
        app.replace("postgresql+psycopg://", "postgresql://"), min_size=1, max_size=2, open=False
    )
    await pool.open(wait=True)
    await queue.queue_app.open_async(pool)
    try:
        began = time.perf_counter()
        imp = await imports.import_path(db, team_id=team, path=str(path), workers=workers)
        elapsed = time.perf_counter() - began
        from reos.imports import engine

        return elapsed, {**imp.counts, "merge_seconds": dict(engine.LAST_TIMINGS)}
    finally:
        await queue.queue_app.close_async()
        await pool.close()
        await db.dispose()


async def rescore_after(app: str, owner: str, team: uuid.UUID) -> dict[str, Any]:
    """The full rescoring the import queues, run as its job runs it (parts, two connections),
    timed: what the team waits, after the import, for the scores of what it brought."""
    from reos.scoring import jobs as scoring_jobs

    db = make_database(app, owner)
    try:
        began = time.perf_counter()
        done = await scoring_jobs.rescore_in_parts(db, team_id=team)
        return {
            "seconds": round(time.perf_counter() - began, 2),
            "parts": done.parts,
            "scores_written": done.result.changed,
            "derived_added": done.result.derived_added,
            "derived_removed": done.result.derived_removed,
        }
    finally:
        await db.dispose()


# What a bulk path would give its index builds: well inside the 512 MiB a process may use.
BULK_MAINTENANCE_MEM = "256MB"


# The benchmark's own database on the embedded server, made afresh by each full run.
BENCH_DATABASE = "reos_bench_import"


def floors(owner: str, app: str, source: uuid.UUID, floor_name: str) -> dict[str, Any]:
    """The schema floor (into a new, empty team named `floor_name`) and the bulk floor of the
    rows of team `source`, as the JSON report carries them."""
    floor_team = asyncio.run(make_team(owner, app, name=floor_name))
    began = time.perf_counter()
    floor = schema_floor(owner, source, floor_team)
    took = round(time.perf_counter() - began, 2)
    began = time.perf_counter()
    unchecked = schema_floor(owner, source, floor_team, checked=False)
    unchecked_s = round(time.perf_counter() - began, 2)
    return {
        "schema_floor_s": took,
        "schema_floor_seconds": floor,
        "schema_floor_unchecked_s": unchecked_s,
        "schema_floor_unchecked_seconds": unchecked,
        "schema_floor_unchecked_two_connections": schema_floor_split(owner, source, floor_team),
        "bulk_floor": bulk_floor(owner, source, BULK_MAINTENANCE_MEM),
    }


def floors_only(*, split: bool = False) -> None:
    """Both floors against the "Import bench" team an earlier run left in its database; with
    `split`, only the unchecked schema floor on one connection and on two, alternating twice."""
    owner, app = embedded.start(Path(os.environ.get("REOS_DATA_DIR", "var/bench-import")))
    owner = owner.replace("/reos?", f"/{BENCH_DATABASE}?")
    app = app.replace("/reos?", f"/{BENCH_DATABASE}?")
    with psycopg.connect(owner.replace("postgresql+psycopg://", "postgresql://")) as conn:
        found = conn.execute("select id from teams where name = 'Import bench'").fetchone()
    if found is None:
        raise SystemExit("no earlier run here: run bench/import_1m.py without --floors-only first")
    load_before = os.getloadavg()
    name = f"Import bench floor {uuid.uuid4().hex[:6]}"
    if split:
        target = asyncio.run(make_team(owner, app, name=name))
        measured: dict[str, Any] = {"one_connection": [], "two_connections": []}
        for _ in range(2):
            began = time.perf_counter()
            one = schema_floor(owner, found[0], target, checked=False)
            measured["one_connection"].append({"wall_s": round(time.perf_counter() - began, 2), **one})
            measured["two_connections"].append(schema_floor_split(owner, found[0], target))
    else:
        measured = floors(owner, app, found[0], name)
    print(
        json.dumps(
            {
                **measured,
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "cpus": os.cpu_count(),
            },
            indent=2,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--first",
        type=Path,
        default=None,
        help="a list imported before the measured one: the team then has leads and owners to match",
    )
    parser.add_argument("--explain", type=Path, default=None, help="write each merge statement's plan here")
    parser.add_argument(
        "--floors-only",
        action="store_true",
        help="no import: measure both floors on the rows an earlier run left in its database",
    )
    parser.add_argument(
        "--no-floors", action="store_true", help="the import and what follows it, without the two floors"
    )
    parser.add_argument(
        "--split-floor-only",
        action="store_true",
        help="no import: the unchecked schema floor on one connection and on two, on an earlier run's rows",
    )
    args = parser.parse_args()
    if args.floors_only or args.split_floor_only:
        floors_only(split=args.split_floor_only)
        return
    path = args.file or Path(
        f"var/leads-{args.rows // 1000}k.csv" if args.rows < 1_000_000 else "var/leads-1m.csv"
    )
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        generate(path, rows=args.rows)
    data_dir = Path(os.environ.get("REOS_DATA_DIR", "var/bench-import"))
    owner, app = embedded.start(data_dir)
    name = BENCH_DATABASE
    admin = owner.replace("postgresql+psycopg://", "postgresql://").replace("/reos?", "/postgres?")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    owner, app = owner.replace("/reos?", f"/{name}?"), app.replace("/reos?", f"/{name}?")
    migrate.upgrade(owner, app)
    team = asyncio.run(make_team(owner, app))
    if args.first is not None:
        asyncio.run(run_import(owner, app, team, args.first, args.workers))
    postmaster = (
        int((data_dir / "pgdata" / "postmaster.pid").read_text().split()[0])
        if (data_dir / "pgdata" / "postmaster.pid").exists()
        else 0
    )
    if not postmaster:
        found = list(data_dir.rglob("postmaster.pid"))
        postmaster = int(found[0].read_text().split()[0]) if found else 0
    load_before = os.getloadavg()
    baseline = copy_baseline(owner, path)
    wal_before = wal_state(owner)
    with PeakMemory(postmaster) as memory:
        from reos.imports import engine

        engine.EXPLAIN = [] if args.explain else None
        elapsed, counts = asyncio.run(run_import(owner, app, team, path, args.workers))
        if args.explain and engine.EXPLAIN is not None:
            args.explain.write_text("\n\n".join(engine.EXPLAIN) + "\n")
    load_after = os.getloadavg()
    wal_after = wal_state(owner)
    merge_seconds = counts.pop("merge_seconds")
    # A small list into the team the big one just filled: what a user importing ten leads waits.
    small = path.with_name("leads-small-10.csv")
    generate(small, rows=10, seed=11)
    small_elapsed, small_counts = asyncio.run(run_import(owner, app, team, small, 1))
    measured = {} if args.no_floors else floors(owner, app, team, "Import bench floor")
    # After the floors, which copy what the import wrote: not the signals the rescoring derives.
    # Its own connections, so each backend's peak is the rescoring's alone.
    with PeakMemory(postmaster) as rescoring_memory:
        rescoring = asyncio.run(rescore_after(app, owner, team))
    rescoring["peak_memory"] = rescoring_memory.report()[:4]
    rows = counts.get("total", 0)
    print(
        json.dumps(
            {
                "file": str(path),
                "first": str(args.first) if args.first else None,
                "file_mib": round(path.stat().st_size / 2**20, 1),
                "rows": rows,
                "counts": counts,
                "copy_baseline_s": round(baseline, 2),
                "copy_baseline_rows_per_s": round(rows / baseline) if baseline else None,
                "import_s": round(elapsed, 2),
                "import_rows_per_s": round(rows / elapsed) if elapsed else None,
                "import_vs_copy": round(elapsed / baseline, 2) if baseline else None,
                "workers": args.workers,
                "merge_seconds": merge_seconds,
                "rescoring_after_the_import": rescoring,
                **measured,
                "small_import_into_the_team": {
                    "seconds": round(small_elapsed, 2),
                    "counts": {k: v for k, v in small_counts.items() if k != "merge_seconds"},
                    "merge_seconds": {k: v for k, v in small_counts["merge_seconds"].items() if v >= 0.05},
                },
                "wal_during_the_import": {
                    "settings": wal_after["settings"],
                    **{k: wal_after[k] - wal_before[k] for k in WAL_COUNTERS},
                },
                "peak_memory": memory.report(),
                "cpu_during_the_import": memory.cpu_report(),
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in load_after],
                "cpus": os.cpu_count(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
