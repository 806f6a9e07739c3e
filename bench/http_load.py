"""HTTP load: 32 connections for 30 s with wrk on 127.0.0.1, against
  (a) a bare ASGI app under uvicorn (the baseline),
  (b) the product's /health,
  (c) the product's authenticated list GET /api/v1/properties?limit=50 (demo team),
while /metrics is scraped every 0.5 s to catch a stalled event loop. Prints JSON.

    make bench-http        (or: .venv/bin/python bench/http_load.py --duration 30 --connections 32)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def bare_asgi() -> Iterator[int]:
    """The baseline app (`bench/baseline_app.py`) under uvicorn on a free port, while inside."""
    port = free_port()
    baseline = subprocess.Popen(
        [str(BIN / "uvicorn"), "bench.baseline_app:app", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/")
        yield port
    finally:
        baseline.terminate()
        baseline.wait()


def wait_until_up(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def wrk(
    url: str, *, connections: int, duration: int, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout

    def seconds(value: str) -> float:
        number, unit = float(re.match(r"[\d.]+", value).group()), re.sub(r"[\d.]", "", value)  # type: ignore[union-attr]
        return number * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]

    latency = {p: seconds(v) * 1000 for p, v in re.findall(r"\s+(50|75|90|99)%\s+(\S+)", out)}
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": requests,
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "latency_ms": {"p50": latency.get("50"), "p90": latency.get("90"), "p99": latency.get("99")},
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


class Scraper(threading.Thread):
    """Scrapes /metrics during the load: a stalled event loop shows as a slow or failed scrape."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.times: list[float] = []
        self.failures = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(self.url, timeout=10) as response:
                    response.read()
                self.times.append((time.perf_counter() - started) * 1000)
            except OSError:
                self.failures += 1
            self.stop.wait(0.5)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    results: dict[str, Any] = {
        "connections": args.connections,
        "duration_s": args.duration,
        "cores": os.cpu_count(),
    }
    with bare_asgi() as port:
        results["baseline_bare_asgi"] = wrk(
            f"http://127.0.0.1:{port}/", connections=args.connections, duration=args.duration
        )

    data_dir = Path(tempfile.mkdtemp(prefix="reos-bench-"))
    env = dict(os.environ, REOS_DATA_DIR=str(data_dir), LOG_LEVEL="WARNING")
    subprocess.run([str(BIN / "reos"), "demo"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "reos"), "serve", "--no-worker", "--port", str(port)], env=env, stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/health")
        login = urllib.request.Request(
            f"{base}/api/v1/auth/login",
            data=json.dumps({"email": "demo@example.com", "password": "demo-password-123"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(login) as response:
            token = json.load(response)["access_token"]
        for name, url, headers in (
            ("reos_health", f"{base}/health", None),
            (
                "reos_properties_list",
                f"{base}/api/v1/properties?limit=50",
                {"Authorization": f"Bearer {token}"},
            ),
        ):
            scraper = Scraper(f"{base}/metrics")
            scraper.start()
            results[name] = wrk(url, connections=args.connections, duration=args.duration, headers=headers)
            scraper.stop.set()
            scraper.join()
            results[name]["metrics_scrapes"] = {
                "count": len(scraper.times),
                "failures": scraper.failures,
                "max_ms": round(max(scraper.times), 1) if scraper.times else None,
            }
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
