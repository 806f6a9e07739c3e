"""`reos serve` and its worker end together. A SIGTERM to the server (`kill`, a service
manager's stop) stops the worker before the server exits; a server killed outright leaves no
worker behind, because the worker watches its parent. Both once ran on orphaned, holding jobs
and the embedded database's connections."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.db import Urls
from tests.test_cli import REOS, child_env


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has exited; only its parent's wait is missing


def _until(condition: object, what: str, seconds: float = 60) -> None:
    """Wait, bounded, for `condition()` (a callable) to hold."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {seconds} s")


@pytest.fixture
def served(db_urls: Urls) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`reos serve` on a free port against the test database: (the server, its worker's pid)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = child_env(
        DATABASE_URL=db_urls.app_libpq, DATABASE_OWNER_URL=db_urls.owner_libpq, LOG_LEVEL="WARNING"
    )
    server = subprocess.Popen(
        [str(REOS), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[int] = []
    try:

        def ready() -> bool:
            workers[:] = _children(server.pid)
            try:
                answered = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code
            except httpx.HTTPError:
                return False
            return bool(workers) and answered == 200

        _until(ready, "the server answering with its worker started", seconds=90)
        yield server, workers[0]
    finally:
        for pid in [server.pid, *workers]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        server.wait(timeout=30)


def test_sigterm_stops_the_worker_before_the_server_exits(
    served: tuple[subprocess.Popen[bytes], int],
) -> None:
    server, worker = served
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=60) == 0
    # The supervisor waited for it: gone by the time the server has exited.
    assert not _alive(worker)


def test_a_server_killed_outright_leaves_no_worker_behind(
    served: tuple[subprocess.Popen[bytes], int],
) -> None:
    server, worker = served
    server.send_signal(signal.SIGKILL)
    server.wait(timeout=30)
    assert _alive(worker)  # orphaned for now: nothing could stop it
    _until(lambda: not _alive(worker), "the orphaned worker stopping", seconds=60)
