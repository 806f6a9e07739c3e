"""The lead list at a million properties: each list shape timed through the API (real HTTP to
`reos serve --no-worker` on 127.0.0.1, bearer token) and as the raw SQL the API runs for it (the
same statement and parameters, captured from the product's own query builder, run on the app
role with `app.team_id` set), in the same run; the pipeline board's numbers; and shape 1 under
wrk (32 connections, 30 s) against the bare-ASGI baseline. Prints JSON (and the plans).

The shapes are timed in pairs, one request then the same page as SQL, so both halves of "API
minus SQL" see the same moment of this shared machine (its speed drifts by a third within a
minute). The API half is a keep-alive HTTP/1.1 client on a plain socket, so the figure is the
server's and not the client library's; httpx's time for the same requests is kept beside it.

    make bench-list        (or: .venv/bin/python bench/lead_list.py)

The data set (bench/lead_list_data.py) is generated once in `--data-dir` and reused.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import lead_list_data as data  # noqa: E402
from bench.http_load import BIN, Scraper, bare_asgi, free_port, wait_until_up, wrk  # noqa: E402


def load() -> float:
    return round(os.getloadavg()[0], 2)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): the server's own work per
    request, whatever share of a core the loaded machine gives it."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentiles(times_ms: list[float]) -> dict[str, float]:
    ordered = sorted(times_ms)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"p50": round(statistics.median(ordered), 2), "p95": at(0.95), "p99": at(0.99)}


# --- the shapes --------------------------------------------------------------------------------


def shapes(ds: data.Dataset) -> dict[str, dict[str, Any]]:
    """Query parameters of GET /api/v1/properties for each shape (limit 50 everywhere)."""
    agent = ds.members[3]
    return {
        "1_default_by_score": {},
        "2_outreach_score_70_by_score": {
            "stage": "outreach",
            "filter": json.dumps({"all": [{"field": "score", "op": "gte", "value": 70}]}),
            "sort": "-score",
        },
        "3_assignee_qualified_negotiation_by_update": {
            "filter": json.dumps(
                {
                    "all": [
                        {"field": "assigned_to_id", "op": "eq", "value": str(agent)},
                        {"field": "stage", "op": "in", "value": ["qualified", "negotiation"]},
                    ]
                }
            ),
            "sort": "-updated_at",
        },
        "4_smart_list_by_score": {"list_id": str(ds.smart_list_id)},
    }


# --- the SQL the API runs ----------------------------------------------------------------------


class Captured:
    """The statements the product's query builder sends, with their parameters."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, Any]] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        self.statements.append((statement, params))


async def _capture(
    app_url: str, owner_url: str, ds: data.Dataset, run: Callable[..., Any]
) -> list[tuple[str, Any]]:
    from sqlalchemy import event, select

    from reos.db.session import TEAM_KEY, make_database
    from reos.teams.models import Membership

    db = make_database(app_url, owner_url, pool_pre_ping=False)
    captured = Captured()
    try:
        async with db.sessionmaker() as session:
            session.info[TEAM_KEY] = ds.team_id
            viewer = await session.scalar(select(Membership).where(Membership.id == ds.admin_membership_id))
            event.listen(db.engine.sync_engine, "before_cursor_execute", captured)
            await run(session, viewer)
            await session.rollback()
    finally:
        await db.dispose()
    return captured.statements


def list_sql(app_url: str, owner_url: str, ds: data.Dataset, params: dict[str, Any]) -> tuple[str, Any]:
    """The page query of GET /api/v1/properties with `params`, as the product builds it."""
    from reos.kit.filters import parse_document, parse_sort
    from reos.properties import listing
    from reos.properties.listing_routes import _READ_COLUMNS

    async def run(session: Any, viewer: Any) -> None:
        spec = listing.PropertyQuery(
            stage=params.get("stage"),
            filter=parse_document(params.get("filter")),
            sort=parse_sort(params.get("sort")),
            list_id=uuid.UUID(params["list_id"]) if "list_id" in params else None,
        )
        await listing.list_property_rows(
            session,
            team_id=ds.team_id,
            columns=_READ_COLUMNS,
            spec=spec,
            limit=50,
            cursor=params.get("cursor"),
            viewer=viewer,
        )

    statements = asyncio.run(_capture(app_url, owner_url, ds, run))
    pages = [s for s in statements if "FROM properties" in s[0] and "LIMIT" in s[0]]
    return pages[-1]


def board_sql(
    app_url: str, owner_url: str, ds: data.Dataset, assignee: uuid.UUID | None
) -> list[tuple[str, Any]]:
    """The board's two queries (numbers per stage, first cards per stage)."""
    from reos.properties import board

    async def run(session: Any, viewer: Any) -> None:
        await board.board(
            session, team_id=ds.team_id, filters=board.Filters(assignee_id=assignee), viewer=viewer
        )

    statements = asyncio.run(_capture(app_url, owner_url, ds, run))
    totals = [
        s
        for s in statements
        if "GROUP BY" in s[0] and ("count(*)" in s[0] or "property_stage_counts" in s[0])
    ]
    cards = [s for s in statements if "row_number()" in s[0] or "LATERAL" in s[0] or "UNION ALL" in s[0]]
    return totals[-1:] + cards[-1:]


@contextmanager
def app_connection(app_url: str, team_id: uuid.UUID) -> Iterator[psycopg.Connection[Any]]:
    """A connection of the app role (RLS on) inside a transaction scoped to the team, as the
    product's sessions are."""
    with psycopg.connect(data._libpq(app_url)) as conn:
        conn.execute("select set_config('app.team_id', %s, true)", (str(team_id),))
        yield conn
        conn.rollback()


def time_sql(conn: psycopg.Connection[Any], statement: str, params: Any, n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        conn.execute(statement, params).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return times


def explain(conn: psycopg.Connection[Any], statement: str, params: Any) -> str:
    rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params).fetchall()
    return "\n".join(r[0] for r in rows)


# --- the API -----------------------------------------------------------------------------------


class RawClient:
    """A keep-alive HTTP/1.1 GET client on a plain socket: a request is one `sendall` of bytes
    built up front and a read of the answer by its Content-Length, so timing it measures the
    server (httpx spends ~0.65 ms of its own per request here, measured against the bare ASGI
    app)."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": "127.0.0.1", **headers}.items())

    def request(self, path: str, params: dict[str, Any]) -> Callable[[], tuple[int, bytes]]:
        raw = f"GET {path}?{urlencode(params)} HTTP/1.1\r\n{self.head}\r\n".encode()

        def call() -> tuple[int, bytes]:
            self.sock.sendall(raw)
            buf = b""
            while b"\r\n\r\n" not in buf:
                buf += self._recv()
            head, _, body = buf.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            fields = {k.strip().lower(): v.strip() for k, v in (line.split(b":", 1) for line in lines[1:])}
            length = int(fields[b"content-length"])
            while len(body) < length:
                body += self._recv()
            return int(lines[0].split()[1]), body

        return call

    def _recv(self) -> bytes:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        return chunk

    def close(self) -> None:
        self.sock.close()


def time_pairs(
    call: Callable[[], tuple[int, bytes]],
    conn: psycopg.Connection[Any],
    statement: str,
    params: Any,
    n: int,
) -> tuple[list[float], list[float], bytes]:
    """n (API, SQL) pairs, each request followed by the same page as SQL."""
    api, sql, body = [], [], b""
    for _ in range(n):
        started = time.perf_counter()
        status, body = call()
        api.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise RuntimeError(f"the API answered {status}: {body[:300]!r}")
        started = time.perf_counter()
        conn.execute(statement, params).fetchall()
        sql.append((time.perf_counter() - started) * 1000)
    return api, sql, body


def client_floor(port: int, n: int = 1000) -> dict[str, float]:
    """p50 of a GET with shape 2's parameters to the bare ASGI app through httpx and through
    `RawClient`: what each client adds to an "API" figure by itself."""
    params = {"stage": "outreach", "filter": '{"all":[{"field":"score","op":"gte","value":70}]}', "limit": 50}
    figures = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(100):
            client.get("/", params=params)
        times = []
        for _ in range(n):
            started = time.perf_counter()
            client.get("/", params=params)
            times.append((time.perf_counter() - started) * 1000)
        figures["httpx_p50_ms"] = round(statistics.median(times), 3)
    raw = RawClient(port, {})
    call = raw.request("/", params)
    for _ in range(100):
        call()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    raw.close()
    figures["raw_socket_p50_ms"] = round(statistics.median(times), 3)
    figures["load_average"] = load()
    return figures


def time_api(client: httpx.Client, path: str, params: dict[str, Any], n: int) -> tuple[list[float], Any]:
    times, body = [], None
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path, params=params)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        body = response.json()
    return times, body


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=str(ROOT / "var" / "bench-list"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300, help="timed requests per shape")
    parser.add_argument("--board-requests", type=int, default=20, help="timed board requests")
    parser.add_argument("--duration", type=int, default=30, help="wrk seconds (0: no wrk)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN ANALYZE of each query")
    parser.add_argument("--workers", type=int, default=1, help="reos serve --workers (web processes)")
    parser.add_argument("--wrk-only", action="store_true", help="skip the shapes and the board")
    args = parser.parse_args()
    say = lambda *a: print(*a, file=sys.stderr, flush=True)  # noqa: E731

    data_dir = Path(args.data_dir).resolve()
    os.environ["REOS_DATA_DIR"] = str(data_dir)
    from reos.db import embedded, migrate

    # This process holds the embedded server for the whole run (the API shares it).
    owner_url, app_url = embedded.start(data_dir)
    migrate.upgrade(owner_url, app_url)
    if drift := migrate.schema_drift(owner_url):
        raise SystemExit(
            f"{data_dir} differs from the models (migrated by a draft?); delete it:\n"
            + "\n".join(map(str, drift))
        )
    ds = data.existing(owner_url)
    if ds is None:
        say(f"generating {args.rows:,} properties in {data_dir} (once)")
        ds = data.generate(app_url, owner_url, rows=args.rows, say=say)
    results: dict[str, Any] = {
        "rows_in_team": ds.rows,
        "cores": os.cpu_count(),
        "requests_per_shape": args.requests,
        "web_workers": args.workers,
        "shapes": {},
        "board": {},
    }
    with psycopg.connect(data._libpq(owner_url), autocommit=True) as conn:
        conn.execute("analyze properties")
    port = free_port()
    env = dict(os.environ, REOS_DATA_DIR=str(data_dir), LOG_LEVEL="WARNING")
    server = subprocess.Popen(
        [str(BIN / "reos"), "serve", "--no-worker", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    plans: list[str] = []
    try:
        wait_until_up(f"{base}/health", timeout=120)
        token = httpx.post(
            f"{base}/api/v1/auth/login", json={"email": data.ADMIN_EMAIL, "password": data.PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        raw = RawClient(port, headers)
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            wanted = {} if args.wrk_only else shapes(ds)
            first_page = client.get("/api/v1/properties", params={"limit": 50}).json()
            if not args.wrk_only:
                wanted["1b_default_second_page"] = {"cursor": first_page["next_cursor"]}
            for name, params in wanted.items():
                params = {**params, "limit": 50}
                say(f"shape {name}")
                probe = client.get("/api/v1/properties", params=params)
                if probe.status_code != 200:
                    results["shapes"][name] = {"status": probe.status_code, "answer": probe.json()}
                    say(f"  {json.dumps(results['shapes'][name])}")
                    continue
                httpx_api, _ = time_api(client, "/api/v1/properties", params, args.requests)
                statement, sql_params = list_sql(app_url, owner_url, ds, params)
                call = raw.request("/api/v1/properties", params)
                with app_connection(app_url, ds.team_id) as conn:
                    time_pairs(call, conn, statement, sql_params, 20)  # warm up
                    cpu_before = cpu_seconds(server.pid)
                    api_load = load()
                    api, sql, raw_body = time_pairs(call, conn, statement, sql_params, args.requests)
                    server_cpu_ms = (cpu_seconds(server.pid) - cpu_before) / args.requests * 1000
                    plan = explain(conn, statement, sql_params)
                plans.append(f"-- {name}\n{statement}\n{sql_params}\n{plan}")
                body = json.loads(raw_body)
                api_p, sql_p = percentiles(api), percentiles(sql)
                results["shapes"][name] = {
                    "rows": len(body["items"]),
                    "api_ms": api_p,
                    "sql_ms": sql_p,
                    "api_minus_sql_p50_ms": round(api_p["p50"] - sql_p["p50"], 2),
                    "pairwise_api_minus_sql_p50_ms": round(
                        statistics.median(x - y for x, y in zip(api, sql, strict=True)), 2
                    ),
                    "api_httpx_p50_ms": percentiles(httpx_api)["p50"],
                    "server_cpu_ms_per_request": round(server_cpu_ms, 2) if args.workers == 1 else None,
                    "load_average": [api_load, load()],
                }
                say(f"  {json.dumps(results['shapes'][name])}")
            boards = () if args.wrk_only else (("unfiltered", None), ("by_assignee", ds.members[3]))
            for name, assignee in boards:
                say(f"board {name}")
                params = {"assignee_id": str(assignee)} if assignee else {}
                time_api(client, "/api/v1/pipeline", params, 2)
                api, body = time_api(client, "/api/v1/pipeline", params, args.board_requests)
                api_load = load()
                figures: dict[str, Any] = {"api_ms": percentiles(api), "stages": len(body)}
                with app_connection(app_url, ds.team_id) as conn:
                    for part, (statement, sql_params) in zip(
                        ("numbers_sql_ms", "cards_sql_ms"),
                        board_sql(app_url, owner_url, ds, assignee),
                        strict=True,
                    ):
                        time_sql(conn, statement, sql_params, 2)
                        figures[part] = percentiles(
                            time_sql(conn, statement, sql_params, args.board_requests)
                        )
                        plans.append(
                            f"-- board {name} {part}\n{statement}\n{explain(conn, statement, sql_params)}"
                        )
                figures["load_average"] = [api_load, load()]
                results["board"][name] = figures
                say(f"  {json.dumps(figures)}")
        raw.close()
        if args.duration:
            say(f"wrk shape 1, {args.connections} connections, {args.duration} s")
            scraper = Scraper(f"{base}/metrics")
            scraper.start()
            results["wrk_shape_1"] = wrk(
                f"{base}/api/v1/properties?limit=50",
                connections=args.connections,
                duration=args.duration,
                headers=headers,
            )
            scraper.stop.set()
            scraper.join()
            results["wrk_shape_1"]["metrics_scrapes"] = {
                "count": len(scraper.times),
                "failures": scraper.failures,
                "max_ms": round(max(scraper.times), 1) if scraper.times else None,
            }
            results["wrk_shape_1"]["load_average"] = load()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    with bare_asgi() as port:
        results["client_floor_bare_asgi"] = client_floor(port)
        say(f"clients against the bare ASGI app: {json.dumps(results['client_floor_bare_asgi'])}")
        if args.duration:
            results["wrk_baseline_bare_asgi"] = wrk(
                f"http://127.0.0.1:{port}/", connections=args.connections, duration=args.duration
            )
            results["wrk_baseline_bare_asgi"]["load_average"] = load()
    if args.plans:
        print("\n\n".join(plans), file=sys.stderr)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
    sys.exit(main())
