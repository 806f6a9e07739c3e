"""The import engine: stream the file, normalise rows on every core, COPY them into staging
tables, then merge with set-based SQL — all inside the caller's transaction.

1. The parent reads rows in chunks and hands them to worker processes (bounded: a few chunks
   in flight), which return each chunk as COPY text for four TEMP tables: rows, owners,
   phones/emails and problems.
2. The staging rows get their de-duplication keys with the same expressions as the generated
   columns of `properties` (APN + county, else street + unit + ZIP5); the first row of a key
   wins, the rest are `duplicates`; winners are matched with the team's live properties.
3. New properties are inserted; matched ones are updated (only the fields that differ, each
   change kept in `import_changes` for undo) or left alone (`on_duplicate = skip`).
4. Owners are de-duplicated by name + mailing address (in the file and against the team's
   contacts), points by value (unique per team: an existing point is reused and its skip-trace
   facts refreshed), then roles and signals are added where missing.

COPY FROM cannot write to tables under row-level security, so only the TEMP tables are copied
into; every write to a tenant table is an INSERT … SELECT under the team's policy. The big
inserts (leads, owners, roles, points) may run without PostgreSQL's per-row key checks: they lock
what they reference first and count broken references after (`_insert`).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from reos.db.session import Database, team_session
from reos.imports import normalise
from reos.imports.normalise import CONTACT_COLUMNS, ERROR_COLUMNS, POINT_COLUMNS, ROW_COLUMNS, Chunk, Plan
from reos.kit.leads_lock import lock_leads
from reos.scoring.models import KINDS_OF_LEAD_SQL

CHUNK_ROWS = 5000
# Files smaller than this are normalised in-process: starting workers costs more than it saves.
POOL_MIN_BYTES = 4 * 1024 * 1024
# Hears (rows landed in staging, rows taken from the file): workers run a few chunks ahead, so
# the second is what the file's position measures.
Progress = Callable[[int, int], Awaitable[None]]
# The merge's steps in order, as `merge` announces them (`imports.phase`): on a big file they are
# most of the run, so the progress page names the one under way instead of sitting at 99 %.
MERGE_STEPS = ("matching", "properties", "owners", "roles", "points", "finishing")
Step = Callable[[str], Awaitable[None]]
# How `merge` runs one statement (timed, or explained under the benchmark).
Run = Callable[..., Awaitable[Any]]
# Seconds per merge statement of the last import in this process (read by the benchmark).
LAST_TIMINGS: dict[str, float] = {}
# Set to a list by the benchmark (`--explain`): each writing merge statement then runs under
# EXPLAIN (ANALYZE, BUFFERS) and its plan, with the time of every trigger, is appended here.
EXPLAIN: list[str] | None = None

STAGING = """
CREATE TEMP TABLE imp_rows (
    row_no int, new_id uuid, address text, unit text, city text, state text, zip_code text,
    county text, apn text, latitude numeric, longitude numeric, property_type text, bedrooms int,
    bathrooms numeric, square_feet int, lot_size_sqft int, year_built int, assessed_value numeric,
    estimated_value numeric, mortgage_balance numeric, last_sale_date date, last_sale_price numeric,
    tags text[], signal_kinds text[]
) ON COMMIT DROP;
CREATE TEMP TABLE imp_contacts (
    row_no int, contact_id uuid, role text, kind text, first_name text, last_name text,
    entity_name text, street text, city text, state text, zip_code text
) ON COMMIT DROP;
CREATE TEMP TABLE imp_points (
    row_no int, kind text, value text, position int, line_type text, dnc boolean, source_column text
) ON COMMIT DROP;
CREATE TEMP TABLE imp_errors (
    row_no int, source_column text, reason text, raw jsonb, landed boolean
) ON COMMIT DROP;
"""

# The property fields an import writes, compared and updated one by one.
FIELDS = (
    "address", "unit", "city", "state", "zip_code", "county", "apn", "latitude", "longitude",
    "property_type", "bedrooms", "bathrooms", "square_feet", "lot_size_sqft", "year_built",
    "assessed_value", "estimated_value", "mortgage_balance", "last_sale_date", "last_sale_price",
)  # fmt: skip

OWNER_KEY = (
    "upper(coalesce({t}.entity_name, concat_ws(' ', {t}.first_name, {t}.last_name))) || '|' || "
    "upper(coalesce({t}.street, '')) || '|' || left(coalesce({t}.zip_code, ''), 5)"
)


@dataclass
class Outcome:
    counts: dict[str, int]
    touched: int  # properties created or changed (for the rescoring that follows)


# --- reading and normalising -------------------------------------------------------------------


def _batches(rows: Iterator[list[str]], size: int) -> Iterator[list[list[str]]]:
    batch: list[list[str]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _pool(workers: int) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("forkserver")
    # Workers fork from a small server that has imported only the normaliser and built its
    # tables, not the app.
    context.set_forkserver_preload(["reos.imports.worker"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


async def _copy(raw: Any, table: str, columns: tuple[str, ...], payload: bytes) -> None:
    if not payload:
        return
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    async with raw.cursor() as cursor, cursor.copy(statement) as copy:
        await copy.write(payload)


async def _load(raw: Any, chunk: Chunk) -> None:
    await _copy(raw, "imp_rows", ROW_COLUMNS, chunk.stage)
    await _copy(raw, "imp_contacts", CONTACT_COLUMNS, chunk.contacts)
    await _copy(raw, "imp_points", POINT_COLUMNS, chunk.points)
    await _copy(raw, "imp_errors", ERROR_COLUMNS, chunk.errors)


async def stage(
    session: AsyncSession,
    *,
    rows: Iterator[list[str]],
    plan: Plan,
    size_bytes: int,
    progress: Progress | None = None,
    workers: int = 2,
) -> tuple[int, int]:
    """Read, normalise and COPY every row into the TEMP staging tables; (rows, refused rows)."""
    await session.execute(text(STAGING))
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    total = refused = 0
    next_report = time.monotonic() + 1.0
    batches = _batches(rows, CHUNK_ROWS)
    first = 1

    async def next_batch() -> list[list[str]] | None:
        return await asyncio.to_thread(next, batches, None)

    async def landed(chunk: Chunk) -> None:
        nonlocal total, refused, next_report
        await _load(raw, chunk)
        total += chunk.rows
        refused += chunk.refused
        if progress is not None and time.monotonic() >= next_report:
            next_report = time.monotonic() + 1.0
            await progress(total, first - 1)

    if size_bytes < POOL_MIN_BYTES or workers < 2:
        while (batch := await next_batch()) is not None:
            start, first = first, first + len(batch)
            await landed(normalise.process_chunk(plan, start, batch))
        return total, refused

    loop = asyncio.get_running_loop()
    pending: deque[asyncio.Future[Chunk]] = deque()
    with _pool(workers) as pool:
        try:
            while (batch := await next_batch()) is not None:
                future: Future[Chunk] = pool.submit(normalise.process_chunk, plan, first, batch)
                pending.append(asyncio.wrap_future(future, loop=loop))
                first += len(batch)
                # A few chunks in flight keep both cores busy while memory stays bounded.
                while len(pending) > workers * 2:
                    await landed(await pending.popleft())
            while pending:
                await landed(await pending.popleft())
        finally:
            for waiting in pending:
                waiting.cancel()
    return total, refused


# --- merging -------------------------------------------------------------------------------------


def _params(
    team_id: uuid.UUID, import_id: uuid.UUID, now: datetime, actor: uuid.UUID | None
) -> dict[str, Any]:
    return {"t": team_id, "i": import_id, "now": now, "today": now.date(), "by": actor}


# An import that writes this many leads refreshes the planner's statistics of the lead tables
# before it commits (migration 0014). Without it a re-import or an undo right after a big import
# planned for a team of a handful of rows and looped over the real one once per row (a 50,000-row
# re-import ran for five minutes). Below it, the statistics cannot be off by more than this many
# rows, and a small import into a big team plans index probes instead of reading the team.
ANALYZE_AFTER_ROWS = 1000

# The lead tables whose statistics the matching plans with (all that `reos_analyze_leads()` covers).
LEAD_TABLES = ("properties", "property_lookup", "contacts", "contact_points", "property_contacts", "signals")
# A table never analysed, or whose live rows differ from the planner's count by more than
# autovacuum's margin (50 rows + 10 %). Not autovacuum's own test, rows changed since the last
# ANALYZE: an import analyses inside its transaction, so its own rows count as changed once it
# commits, and the next import, moments later, would analyse everything again (1.8 s at a
# million leads) for statistics that already hold them.
STALE_STATISTICS_SQL = """
SELECT coalesce(bool_or(c.reltuples < 0
                        OR abs(s.n_live_tup - c.reltuples) > 50 + 0.1 * c.reltuples), false)
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
WHERE s.schemaname = 'public' AND s.relname = ANY(:tables)
"""


async def refresh_stale_statistics(db: Database, team_id: uuid.UUID) -> bool:
    """Analyse the lead tables now if the planner's row counts are off; True if it did. Called
    before a merge, in a short transaction of its own (an ANALYZE holds its lock until commit,
    and the merge's transaction may last minutes). The demo team's 5,000 leads,
    loaded a moment before a 100,000-row import, were planned as one lead: the matching looped
    over the file once per lead and ran for ten minutes instead of one second."""
    async with team_session(db, team_id) as session:
        if not await session.scalar(text(STALE_STATISTICS_SQL), {"tables": list(LEAD_TABLES)}):
            return False
        await session.execute(text("SELECT reos_analyze_leads()"))
        return True


class BrokenReferences(RuntimeError):
    """Rows an import wrote with the per-row reference checks off point at rows that do not exist.
    The import fails and its transaction rolls back: nothing of it lands."""


# A big insert turns PostgreSQL's per-row foreign-key checks off (migration 0024) and checks its
# rows' references in one join afterwards. The checks also lock each referenced row the import
# did not write itself, so that nobody deletes it before the import commits. The insert locks
# those rows first instead. Above one such row per ten rows to write, the per-row checks stay: a
# re-import into the same team finds nearly every row and writes few, and locking every row it
# found would cost more than checking the few it writes.
LOCKS_PER_WRITTEN_ROW = 0.1

# The ids as an array: an index probe each, whatever the planner believes of the team's size (an
# `IN (subquery)` planned for a team of one row read the file's owners once per lead: 290 s).
LOCK_SQL = (
    "SELECT count(*) FROM (SELECT 1 FROM {table} WHERE team_id = :t "
    "AND id = ANY(ARRAY(SELECT DISTINCT x.id FROM ({ids}) AS x (id))) FOR KEY SHARE) x"
)


async def _references_unchecked(run: Run, p: dict[str, Any], *, counts: str, locks: tuple[str, ...]) -> bool:
    """Turn the per-row reference checks off for the next insert, if it pays; True if they are off.
    `counts` answers (rows to write, rows they reference that the import did not write);
    `locks` lock those rows FOR KEY SHARE, as the per-row checks would have."""
    rows, existing = (await run(text(counts), p)).one()
    if not rows or existing > LOCKS_PER_WRITTEN_ROW * rows:
        return False
    for lock in locks if existing else ():
        await run(text(lock), p)
    return bool((await run(text("SELECT reos_set_reference_checks(false)"))).scalar())


async def _insert(
    run: Run,
    p: dict[str, Any],
    insert: Any,
    *,
    counts: str,
    locks: tuple[str, ...] = (),
    broken: str | None = None,
    what: str,
) -> None:
    """Run one of the big inserts, with the per-row reference checks off where that pays
    (`_references_unchecked`). Then the checks go back on, and `broken` counts the rows it may
    have written whose references do not exist. It reads the staging rows the insert read, in a
    statement of its own, so its hash does not sit beside the insert's sort in memory. Any such
    row fails the import."""
    unchecked = await _references_unchecked(run, p, counts=counts, locks=locks)
    await run(insert, p)
    if not unchecked:
        return
    await run(text("SELECT reos_set_reference_checks(true)"))
    found = (await run(text(broken), p)).scalar() if broken else 0
    if found:
        raise BrokenReferences(f"{found} {what} would point at rows that do not exist; nothing was imported")


async def merge(
    session: AsyncSession,
    *,
    team_id: uuid.UUID,
    import_id: uuid.UUID,
    mapping: dict[str, str],
    on_duplicate: str,
    now: datetime,
    actor_id: uuid.UUID | None,
    on_step: Step | None = None,
) -> dict[str, int]:
    """Merge the staging tables into the team's data; the counts of landed rows by outcome.
    `on_step` hears each of `MERGE_STEPS` as it starts."""
    p = _params(team_id, import_id, now, actor_id)
    timings: dict[str, float] = {}

    async def step(name: str) -> None:
        if on_step is not None:
            await on_step(name)

    async def run(statement: Any, params: dict[str, Any] | None = None) -> Any:
        began = time.perf_counter()
        label = " ".join(str(statement).split())[:60]
        writes = label.startswith(("INSERT", "UPDATE", "DELETE", "WITH")) or (
            label.startswith("CREATE TEMP TABLE") and " AS " in label
        )
        if EXPLAIN is not None and writes:
            plan = await session.execute(text(f"EXPLAIN (ANALYZE, BUFFERS) {statement}"), params)
            EXPLAIN.append(label + "\n" + "\n".join(line for (line,) in plan))
            timings[label] = timings.get(label, 0.0) + time.perf_counter() - began
            return None
        result = await session.execute(statement, params)
        timings[label] = timings.get(label, 0.0) + time.perf_counter() - began
        return result

    if not await lock_leads(session, team_id, wait=False):
        await step("waiting")
        await lock_leads(session, team_id)
    await step("matching")
    # The import's own record, which every row it writes references: locked as the per-row
    # checks would lock it, since the big inserts below may skip those checks.
    if (await run(text(LOCK_SQL.format(table="imports", ids="SELECT CAST(:i AS uuid)")), p)).scalar() != 1:
        raise BrokenReferences("the import's own record is gone; nothing was imported")
    # Sorts and hashes over a few hundred thousand staging rows stay in memory (the default 4 MB
    # spilled the window of the points insert to disk); for this transaction only.
    await run(text("SET LOCAL work_mem = '64MB'"))
    # A hash may use work_mem itself, not twice it (PostgreSQL's default multiplier): matching
    # owners in a team that has some ran four big hashes at once, and the backend reached
    # 540 MiB of its own memory against the 512 MiB a process may use.
    await run(text("SET LOCAL hash_mem_multiplier = 1"))
    # TEMP tables are never auto-analysed (the others are analysed below, once filled); the
    # team's own tables carry fresh statistics (ANALYZE_AFTER_ROWS).
    await run(text("ANALYZE imp_rows"))
    # Each row's keys, whether an earlier row of the file holds one of them, and the team's
    # live property it matches (APN + county first, else street + unit + ZIP), by the same SQL
    # functions that keep each property's keys in `property_lookup` (migration 0019).
    await run(
        text(
            """
            CREATE TEMP TABLE imp_plan ON COMMIT DROP AS
            WITH k AS (
                SELECT row_no, new_id, property_apn_key(r.apn, r.county) AS apn_key,
                    property_address_key(r.address, r.unit, r.zip_code) AS address_key
                FROM imp_rows r
            ), w AS (
                SELECT k.*,
                       min(row_no) OVER (PARTITION BY address_key) AS first_by_address,
                       CASE WHEN apn_key IS NOT NULL THEN min(row_no)
                           OVER (PARTITION BY apn_key) END AS first_by_apn
                FROM k
            ), by_apn AS (
                SELECT DISTINCT ON (l.apn_key) l.apn_key, p.id
                FROM property_lookup l JOIN properties p ON p.team_id = :t AND p.id = l.id
                WHERE l.team_id = :t AND p.deleted_at IS NULL AND l.apn_key IS NOT NULL
                  AND l.apn_key IN (SELECT apn_key FROM k)
                ORDER BY l.apn_key, p.created_at, p.id
            ), by_address AS (
                SELECT DISTINCT ON (l.address_key) l.address_key, p.id
                FROM property_lookup l JOIN properties p ON p.team_id = :t AND p.id = l.id
                WHERE l.team_id = :t AND p.deleted_at IS NULL
                  AND l.address_key IN (SELECT address_key FROM k)
                ORDER BY l.address_key, p.created_at, p.id
            ), m AS (
                SELECT w.row_no, w.new_id,
                       w.first_by_address = w.row_no AND coalesce(w.first_by_apn = w.row_no,
                           true) AS first_in_file,
                       coalesce(a.id, b.id) AS target_id
                FROM w LEFT JOIN by_apn a ON a.apn_key = w.apn_key
                       LEFT JOIN by_address b ON b.address_key = w.address_key
            )
            SELECT row_no, new_id, target_id,
                   CASE WHEN NOT first_in_file THEN 'duplicate'
                        WHEN target_id IS NULL THEN 'create'
                        WHEN row_no = min(row_no) FILTER (WHERE first_in_file) OVER (PARTITION BY target_id)
                             THEN 'match'
                        ELSE 'duplicate' END AS action,
                   coalesce(target_id, new_id) AS property_id
            FROM m
            """
        ),
        p,
    )
    await run(text("CREATE INDEX ON imp_plan (row_no)"))
    await run(text("ANALYZE imp_plan"))
    await run(text("CREATE INDEX ON imp_plan (property_id)"))
    # TEMP tables are never auto-analysed: without statistics the planner guesses and can
    # pick nested loops over hundreds of thousands of rows.
    await run(text("ANALYZE imp_contacts"))
    await run(text("ANALYZE imp_points"))
    apply_matches = on_duplicate == "update"
    landed = "(f.action = 'create' OR f.action = 'match' AND :apply)"
    p["apply"] = apply_matches
    await run(text("CREATE TEMP TABLE imp_touched (property_id uuid) ON COMMIT DROP"))

    await step("properties")
    columns = ", ".join(FIELDS)
    # New leads reference their team, this import and the member who started it.
    await _insert(
        run,
        p,
        text(
            f"""
            INSERT INTO properties (id, team_id, created_at, updated_at, stage_changed_at, stage, score,
                                    {columns}, tags, custom, provenance, signal_kinds, import_id,
                                        created_by_id)
            SELECT r.new_id, :t, :now, :now, :now, 'new', 0, {", ".join("r." + c for c in FIELDS)},
                   coalesce(r.tags, '{{}}'), '{{}}', '{{}}', coalesce(r.signal_kinds, '{{}}'), :i, :by
            FROM imp_plan f JOIN imp_rows r USING (row_no)
            WHERE f.action = 'create'
            ORDER BY r.new_id
            """
        ),
        counts="SELECT count(*), CASE WHEN CAST(:by AS uuid) IS NULL THEN 0 ELSE 1 END FROM imp_plan"
        " WHERE action = 'create'",
        locks=(LOCK_SQL.format(table="memberships", ids="SELECT CAST(:by AS uuid)"),),
        # The member who started the import, locked before the insert if there is one.
        broken="""
            SELECT count(*) FROM imp_plan WHERE action = 'create' AND CAST(:by AS uuid) IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM memberships WHERE team_id = :t AND id = :by)
        """,
        what="leads",
    )

    if apply_matches:
        diffs = ",\n".join(
            f"'{c}', CASE WHEN r.{c} IS NOT NULL AND r.{c} IS DISTINCT FROM p.{c} "
            f"THEN jsonb_build_array(p.{c}, r.{c}) END"
            for c in FIELDS
        )
        tags_diff = (
            "'tags', CASE WHEN r.tags IS NOT NULL AND NOT (r.tags::varchar[] <@ p.tags) "
            "THEN jsonb_build_array(to_jsonb(p.tags), to_jsonb(ARRAY(SELECT DISTINCT unnest(p.tags "
            "|| r.tags::varchar[]) ORDER BY 1))) END"
        )
        await run(
            text(
                f"""
                CREATE TEMP TABLE imp_diff ON COMMIT DROP AS
                SELECT f.row_no, p.id AS property_id,
                       jsonb_strip_nulls(jsonb_build_object({diffs})
                           || jsonb_build_object({tags_diff})) AS fields
                FROM imp_plan f JOIN imp_rows r USING (row_no)
                JOIN properties p ON p.team_id = :t AND p.id = f.target_id
                WHERE f.action = 'match'
                """
            ),
            p,
        )
        await run(text("DELETE FROM imp_diff WHERE fields = '{}'::jsonb"))
        sets = ",\n".join(f"{c} = CASE WHEN d.fields ? '{c}' THEN r.{c} ELSE p.{c} END" for c in FIELDS)
        await run(
            text(
                f"""
                UPDATE properties p SET {sets},
                    tags = CASE WHEN d.fields ? 'tags'
                                THEN ARRAY(SELECT jsonb_array_elements_text(d.fields -> 'tags' -> 1))
                                ELSE p.tags END,
                    updated_at = :now,
                    provenance = p.provenance || (
                        SELECT jsonb_object_agg(key, jsonb_build_object(
                            'source', 'import', 'at', CAST(:now_text AS text), 'import_id', CAST(:i AS text),
                            'column', CAST(:mapping AS jsonb) ->> key))
                        FROM jsonb_object_keys(d.fields) AS key)
                FROM imp_diff d JOIN imp_rows r USING (row_no)
                WHERE p.team_id = :t AND p.id = d.property_id
                """
            ),
            {**p, "now_text": now.isoformat(), "mapping": _json(mapping)},
        )
        await run(
            text(
                """
                INSERT INTO import_changes (id, team_id, created_at, import_id, property_id, action, fields)
                SELECT uuid_v7(), :t, :now, :i, property_id, 'updated', fields FROM imp_diff
                """
            ),
            p,
        )
        await run(text("INSERT INTO imp_touched SELECT property_id FROM imp_diff"))

    # Signals: one per (property, kind); a signal the property already has is left alone.
    await run(
        text(
            """
            WITH added AS (
                INSERT INTO signals (id, team_id, created_at, updated_at, property_id, kind, source,
                                     observed_on, detail, import_id)
                SELECT uuid_v7(), :t, :now, :now, f.property_id, kind, 'import', :today,
                       jsonb_build_object('column', CAST(:mapping AS jsonb) ->> kind), :i
                FROM imp_plan f JOIN imp_rows r USING (row_no), unnest(r.signal_kinds) AS kind
                WHERE r.signal_kinds IS NOT NULL AND """
            + landed
            + """
                ORDER BY f.property_id
                ON CONFLICT (team_id, property_id, kind) DO NOTHING
                RETURNING property_id
            )
            INSERT INTO imp_touched SELECT DISTINCT a.property_id FROM added a
            JOIN imp_plan f ON f.property_id = a.property_id WHERE f.action = 'match'
            """
        ),
        {**p, "mapping": _json(mapping)},
    )
    if apply_matches:
        await run(
            text(
                """
                UPDATE properties p SET signal_kinds = """
                + KINDS_OF_LEAD_SQL
                + """
                WHERE p.team_id = :t AND p.id IN (SELECT property_id FROM imp_touched)
                """
            ),
            p,
        )

    # Owners: one contact per name + mailing address, reusing the team's own.
    await step("owners")
    # The team's owners the file names, in a statement of their own: inside the one below, the
    # hash of the file's owner keys ran beside its other hashes and sorts, and a backend
    # importing into a team with owners reached 540 MiB of its own memory.
    await run(
        text(
            f"""
            CREATE TEMP TABLE imp_owner_found ON COMMIT DROP AS
            SELECT DISTINCT ON (owner_key) owner_key, id FROM (
                SELECT id, created_at, {OWNER_KEY.format(t="x")} AS owner_key FROM contacts x
                WHERE x.team_id = :t) e
            WHERE owner_key IN (
                SELECT {OWNER_KEY.format(t="c")} FROM imp_contacts c JOIN imp_plan f USING (row_no)
                WHERE {landed})
            ORDER BY owner_key, created_at, id
            """
        ),
        p,
    )
    await run(text("ANALYZE imp_owner_found"))
    await run(
        text(
            f"""
            CREATE TEMP TABLE imp_owner ON COMMIT DROP AS
            WITH c AS (
                SELECT c.*, f.property_id, f.action, {OWNER_KEY.format(t="c")} AS owner_key
                FROM imp_contacts c JOIN imp_plan f USING (row_no)
                WHERE {landed}
            ), existing AS (SELECT owner_key, id FROM imp_owner_found)
            SELECT c.*, e.id AS existing_id,
                   coalesce(e.id, first_value(c.contact_id) OVER (PARTITION BY c.owner_key
                       ORDER BY c.row_no, c.role DESC))
                       AS final_id,
                   row_number() OVER (PARTITION BY c.row_no ORDER BY c.role DESC) = 1 AS holds_points
            FROM c LEFT JOIN existing e USING (owner_key)
            """
        ),
        p,
    )
    await run(text("ANALYZE imp_owner"))
    # A new contact references only its team and this import, both held since the start.
    await _insert(
        run,
        p,
        text(
            """
            INSERT INTO contacts (id, team_id, created_at, updated_at, kind, first_name, last_name,
                entity_name,
                                  street, city, state, zip_code, import_id)
            SELECT contact_id, :t, :now, :now, kind, first_name, last_name, entity_name, street, city, state,
                   zip_code, :i
            FROM imp_owner WHERE existing_id IS NULL AND contact_id = final_id
            ORDER BY contact_id
            """
        ),
        counts="SELECT count(*), 0 FROM imp_owner WHERE existing_id IS NULL AND contact_id = final_id",
        what="contacts",
    )
    await step("roles")
    # The leads and contacts the import found in the team, which new roles may name.
    await _insert(
        run,
        p,
        text(
            """
            WITH added AS (
                INSERT INTO property_contacts (id, team_id, created_at, property_id, contact_id, role,
                    import_id)
                SELECT uuid_v7(), :t, :now, property_id, final_id, role, :i
                FROM (SELECT DISTINCT property_id, final_id, role FROM imp_owner) o
                ORDER BY property_id, final_id
                ON CONFLICT (team_id, property_id, contact_id, role) DO NOTHING
                RETURNING property_id
            )
            INSERT INTO imp_touched SELECT DISTINCT a.property_id FROM added a
            JOIN imp_plan f ON f.property_id = a.property_id WHERE f.action = 'match'
            """
        ),
        # Each owner row names one of each (not de-duplicated: a bound is enough, and sorting a
        # million owners to count them cost a second).
        counts="""
            SELECT count(*), count(*) FILTER (WHERE action = 'match') + count(existing_id) FROM imp_owner
        """,
        locks=(
            LOCK_SQL.format(
                table="properties", ids="SELECT property_id FROM imp_owner WHERE action = 'match'"
            ),
            LOCK_SQL.format(
                table="contacts", ids="SELECT existing_id FROM imp_owner WHERE existing_id IS NOT NULL"
            ),
        ),
        broken="""
            SELECT count(*) FROM imp_owner o
            WHERE NOT EXISTS (SELECT 1 FROM properties x WHERE x.team_id = :t AND x.id = o.property_id)
               OR NOT EXISTS (SELECT 1 FROM contacts x WHERE x.team_id = :t AND x.id = o.final_id)
        """,
        what="roles",
    )

    # Points: unique per team by value; the first row that names one gives it its owner.
    await step("points")
    await run(
        text(
            """
            CREATE TEMP TABLE imp_point ON COMMIT DROP AS
            SELECT DISTINCT ON (pt.kind, pt.value) pt.row_no, pt.kind, pt.value, pt.position, pt.line_type,
                   pt.dnc,
                   o.final_id AS contact_id, o.existing_id IS NULL AS new_contact, o.property_id, o.action,
                   cp.id AS existing_id, cp.line_type AS old_line_type, cp.dnc AS old_dnc,
                   cp.dnc_checked_at AS old_checked
            FROM imp_points pt
            JOIN imp_owner o ON o.row_no = pt.row_no AND o.holds_points
            LEFT JOIN contact_points cp ON cp.team_id = :t AND cp.kind = pt.kind AND cp.value = pt.value
            ORDER BY pt.kind, pt.value, pt.row_no, pt.position
            """
        ),
        p,
    )
    await run(text("CREATE INDEX ON imp_point (value)"))
    await run(text("ANALYZE imp_point"))
    # The contacts the import found in the team, which new points may belong to. A new owner's
    # primary phone and email are those of the lowest position (Phone 1 before Phone 2), the
    # first row's when two rows give it one in the same column: one of each, as the contacts
    # API keeps it (`_make_only_primary`).
    await _insert(
        run,
        p,
        text(
            """
            WITH added AS (
                INSERT INTO contact_points (id, team_id, created_at, contact_id, kind, value,
                    is_primary, position,
                                            status, line_type, dnc, dnc_checked_at, import_id)
                SELECT uuid_v7(), :t, :now, contact_id, kind, value,
                       new_contact AND row_number() OVER (PARTITION BY contact_id, kind
                           ORDER BY position, row_no) = 1,
                       position,
                       'unknown', coalesce(line_type, 'unknown'), coalesce(dnc, false),
                       CASE WHEN dnc IS NOT NULL THEN :now END, :i
                FROM imp_point WHERE existing_id IS NULL
                ON CONFLICT (team_id, kind, value) DO NOTHING
                RETURNING value
            )
            INSERT INTO imp_touched SELECT DISTINCT i.property_id FROM added a
            JOIN imp_point i ON i.value = a.value WHERE i.action = 'match'
            """
        ),
        counts="""
            SELECT count(*), count(*) FILTER (WHERE NOT new_contact) FROM imp_point WHERE existing_id IS NULL
        """,
        locks=(
            LOCK_SQL.format(
                table="contacts",
                ids="SELECT contact_id FROM imp_point WHERE existing_id IS NULL AND NOT new_contact",
            ),
        ),
        broken="""
            SELECT count(*) FROM imp_point i WHERE i.existing_id IS NULL
              AND NOT EXISTS (SELECT 1 FROM contacts x WHERE x.team_id = :t AND x.id = i.contact_id)
        """,
        what="phones and emails",
    )
    # A point the team already has keeps its owner; the skip tracer's facts refresh it, and
    # the DNC check date moves only when the file says something the point did not know.
    await run(
        text(
            """
            WITH changed AS (
                UPDATE contact_points cp SET
                    line_type = coalesce(i.line_type, cp.line_type),
                    dnc = coalesce(i.dnc, cp.dnc),
                    dnc_checked_at = CASE WHEN i.dnc IS NOT NULL THEN :now ELSE cp.dnc_checked_at END
                FROM imp_point i
                WHERE cp.team_id = :t AND cp.id = i.existing_id
                  AND ((i.line_type IS NOT NULL AND i.line_type <> 'unknown' AND i.line_type <> cp.line_type)
                       OR (i.dnc IS NOT NULL AND (i.dnc <> cp.dnc OR cp.dnc_checked_at IS NULL)))
                RETURNING cp.id
            )
            INSERT INTO imp_touched SELECT DISTINCT i.property_id FROM changed c
            JOIN imp_point i ON i.existing_id = c.id WHERE i.action = 'match'
            """
        ),
        p,
    )

    await step("finishing")
    await run(
        text(
            """
            INSERT INTO import_errors (id, team_id, created_at, import_id, row_number, "column", reason, raw)
            SELECT uuid_v7(), :t, :now, :i, row_no, source_column,
                   CASE WHEN landed THEN reason
                       || ' (value skipped; the row was imported)' ELSE reason END, raw
            FROM imp_errors ORDER BY row_no
            """
        ),
        p,
    )
    counts = (
        await run(
            text(
                """
                SELECT count(*) FILTER (WHERE action = 'create'),
                       count(*) FILTER (WHERE action = 'match' AND property_id IN (SELECT property_id
                           FROM imp_touched)),
                       count(*) FILTER (WHERE action = 'match'),
                       count(*) FILTER (WHERE action = 'duplicate'),
                       (SELECT count(*) FROM imp_errors WHERE landed)
                FROM imp_plan
                """
            )
        )
    ).one()
    created, updated, matched, duplicates, warnings = (int(v) for v in counts)
    if created + updated >= ANALYZE_AFTER_ROWS:
        await run(text("SELECT reos_analyze_leads()"))
    LAST_TIMINGS.clear()
    LAST_TIMINGS.update({k: round(v, 3) for k, v in timings.items()})
    return {
        "created": created,
        "updated": updated if apply_matches else 0,
        "unchanged": matched - updated if apply_matches else matched,
        "duplicates": duplicates,
        "skipped": 0 if apply_matches else matched,
        "warnings": warnings,
    }


def _json(value: Any) -> str:
    import json

    return json.dumps(value)
