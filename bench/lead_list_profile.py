"""Where the time of one lead-list request goes: N requests of one shape through the ASGI app
in-process (no network, no uvicorn, no HTTP client: the ASGI messages are made here), against
the data set of bench/lead_list.py. First the CPU time per request without a profiler (best of
`--rounds` rounds), then the same requests under cProfile: the functions with the most cumulative and
own time (`PROFILE_CALLERS=name` adds who called `name`).

    .venv/bin/python bench/lead_list_profile.py --requests 300 [--shape 1]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import lead_list, lead_list_data  # noqa: E402


async def run(args: argparse.Namespace) -> None:
    import reos.db.models  # noqa: F401 - every model registered before the first query
    from reos.app import create_app
    from reos.db import embedded
    from reos.db.session import make_database
    from reos.settings import get_settings

    owner_url, app_url = embedded.start(args.data_dir)
    ds = lead_list_data.existing(owner_url)
    assert ds is not None, "generate the data set first (bench/lead_list.py)"
    db = make_database(app_url, owner_url)
    app = create_app(get_settings(), database=db)
    params: dict[str, Any] = {**list(lead_list.shapes(ds).values())[args.shape - 1], "limit": 50}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        login = await client.post(
            "/api/v1/auth/login",
            json={"email": lead_list_data.ADMIN_EMAIL, "password": lead_list_data.PASSWORD},
        )
        token = login.json()["access_token"]
    call = asgi_get(app, "/api/v1/properties", urlencode(params), token)
    for _ in range(30):
        await call()
    rounds = []
    for _ in range(args.rounds):
        started = time.process_time()
        for _ in range(args.requests):
            await call()
        rounds.append((time.process_time() - started) / args.requests * 1000)
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for _ in range(args.requests):
        await call()
    profile.disable()
    elapsed = time.perf_counter() - started
    await db.dispose()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    if os.environ.get("PROFILE_CALLERS"):
        stats.print_callers(os.environ["PROFILE_CALLERS"])
    print(out.getvalue())
    print(
        f"CPU per request without the profiler: best {min(rounds):.2f} ms, rounds "
        + " / ".join(f"{r:.2f}" for r in rounds)
    )
    print(
        f"{args.requests} requests of shape {args.shape} in {elapsed:.2f} s under the profiler: "
        f"{elapsed / args.requests * 1000:.2f} ms each (load average {os.getloadavg()[0]:.2f})"
    )


def asgi_get(app: Any, path: str, query: str, token: str) -> Callable[[], Awaitable[None]]:
    """One GET through the ASGI app as uvicorn would send it; raises unless it answers 200."""
    headers = [
        (b"host", b"bench"),
        (b"authorization", f"Bearer {token}".encode()),
        (b"accept", b"*/*"),
    ]

    async def call() -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": list(headers),
            "client": ("127.0.0.1", 50000),
            "server": ("bench", 80),
            "state": {},
        }
        status = 0

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        if status != 200:
            raise RuntimeError(f"{path}?{query} answered {status}")

    return call


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=str(ROOT / "var" / "bench-list"))
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--shape", type=int, default=1, choices=(1, 2, 3, 4))
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds; the best is reported")
    args = parser.parse_args()
    args.data_dir = Path(args.data_dir).resolve()
    os.environ.setdefault("REOS_DATA_DIR", str(args.data_dir))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if os.environ.get("PROFILE_UVLOOP"):
        import uvloop

        uvloop.run(run(args))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
