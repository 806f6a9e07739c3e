"""`reos serve` runs a worker process beside the web server and restarts it if it dies, so one
command is a whole product. Production runs `reos serve --no-worker` and `reos worker` apart.

The worker ends with the server however the server ends: `stop` on a normal exit (SIGTERM
included, see `reos.cli.serve`), and the worker's own watch of its parent (`SUPERVISOR_PID`,
`reos.jobs.worker`) when the server is killed outright."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import structlog

log = structlog.get_logger(__name__)
# Set in the worker's environment to the supervising process's pid.
SUPERVISOR_PID = "REOS_SUPERVISOR_PID"


class WorkerSupervisor:
    def __init__(self, command: list[str] | None = None, max_backoff: float = 30.0):
        self.command = command or [sys.executable, "-m", "reos.cli", "worker"]
        self.max_backoff = max_backoff
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)

    def start(self) -> None:
        self._spawn()
        self._thread.start()

    def _spawn(self) -> None:
        env = {**os.environ, SUPERVISOR_PID: str(os.getpid())}
        self._process = subprocess.Popen(self.command, env=env)
        log.info("supervisor.worker_started", pid=self._process.pid)

    def _watch(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            process = self._process
            if process is not None and process.poll() is not None and not self._stopping.is_set():
                log.warning("supervisor.worker_exited", code=process.returncode, restart_in=backoff)
                if self._stopping.wait(backoff):
                    return
                backoff = min(backoff * 2, self.max_backoff)
                self._spawn()
            elif process is not None and process.poll() is None:
                backoff = 1.0
            self._stopping.wait(0.5)

    def stop(self, timeout: float = 20.0) -> None:
        self._stopping.set()
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.terminate()  # SIGTERM: Procrastinate finishes the running jobs, then exits
        deadline = time.monotonic() + timeout
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if process.poll() is None:
            process.kill()
