"""A real server for the browser tests: uvicorn in a thread on the test database, a `reos worker`
process beside it, and what the tests share (Chromium's flags, viewport sizes, screenshots)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import uvicorn

from reos.app import create_app
from reos.db.session import make_database
from reos.jobs import queue as jobs_queue
from reos.providers import registry as providers
from reos.settings import get_settings
from tests.fixtures.db import Urls

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "e2e-password-2024"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


class LiveServer:
    """Uvicorn in a background thread with its own event loop and its own Database (the test
    session's database object belongs to the test loop and cannot be shared across loops),
    plus a real `reos worker` process on the same database, which sends the emails."""

    def __init__(self, urls: Urls):
        self.urls = urls
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server: uvicorn.Server | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="e2e-uvicorn", daemon=True)
        self.worker: subprocess.Popen[bytes] | None = None
        self.worker_log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__
        # create_app() points the process-wide job runtime and providers at the server's
        # database; the other tests of this process get theirs back afterwards.
        self._runtime = dataclasses.replace(jobs_queue.runtime)
        self._providers = providers.current()

    def _run(self) -> None:
        async def serve() -> None:
            database = make_database(self.urls.app, self.urls.owner, pool_size=4, max_overflow=4)
            app = create_app(get_settings(), database)
            config = uvicorn.Config(app, log_level="warning", access_log=False, ws="none", lifespan="on")
            self.server = uvicorn.Server(config)
            try:
                await self.server.serve(sockets=[self.sock])
            finally:
                await database.dispose()

        try:
            asyncio.run(serve())
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            self.error = exc

    def __enter__(self) -> LiveServer:
        env = {**os.environ, "DATABASE_URL": self.urls.app_libpq, "DATABASE_OWNER_URL": self.urls.owner_libpq}
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "reos.cli", "worker", "--concurrency", "2"],
            env=env,
            stdout=self.worker_log,
            stderr=subprocess.STDOUT,
        )
        self.thread.start()
        # Generous: a cold start compiles phonenumbers' geocoder data, slow on a busy machine.
        deadline = time.monotonic() + 90
        while not (self.server and self.server.started):
            if self.error or not self.thread.is_alive():
                raise RuntimeError(f"the test server did not start: {self.error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start within 90 s")
            time.sleep(0.05)
        return self

    def worker_output(self) -> str:
        self.worker_log.seek(0)
        return self.worker_log.read().decode(errors="replace")[-3000:]

    def __exit__(self, *exc: object) -> None:
        if self.server:
            self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
        if self.worker is not None:
            self.worker.terminate()
            try:
                self.worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()
        self.worker_log.close()
        for field in dataclasses.fields(self._runtime):
            setattr(jobs_queue.runtime, field.name, getattr(self._runtime, field.name))
        providers.use(self._providers)


def invitation_link(server: LiveServer, email: str) -> str:
    """The link of the invitation emailed to `email` (the worker's mock provider records it in
    the outbox), pointed at the live server instead of PUBLIC_URL."""
    deadline = time.monotonic() + 30
    with psycopg.connect(server.urls.app_libpq, autocommit=True) as conn:
        while True:
            row = conn.execute(
                "select text_body from outbox_messages where to_address = %s and kind = 'invitation' "
                "order by created_at desc limit 1",
                (email,),
            ).fetchone()
            if row is not None:
                break
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no invitation email recorded for {email}; worker:\n{server.worker_output()}"
                )
            time.sleep(0.1)
    match = re.search(r"https?://\S+/invite/accept\?token=[A-Za-z0-9_\-]+", row[0])
    assert match, f"no invitation link in {row[0]!r}"
    link = urlsplit(match.group(0))
    return f"{server.url}{link.path}?{link.query}"
