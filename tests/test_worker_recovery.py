"""A worker killed with SIGKILL in the middle of a job: the job runs again on another worker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from reos.jobs import maintenance, queue
from tests.fixtures.db import Urls

ROOT = Path(__file__).resolve().parents[1]
STALLED_AFTER = 2.0


def _worker(db_urls: Urls, markers: Path) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        DATABASE_URL=db_urls.app_libpq,
        DATABASE_OWNER_URL=db_urls.owner_libpq,
        MARKER_DIR=str(markers),
        JOB_STALLED_AFTER_SECONDS=str(STALLED_AFTER),
        LOG_LEVEL="INFO",
    )
    return subprocess.Popen([sys.executable, "-m", "tests.fixtures.slow_worker"], cwd=ROOT, env=env)


async def _wait_for(path: Path, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} did not appear"
        await asyncio.sleep(0.1)
    return path.read_text()


async def test_a_killed_workers_job_runs_again_elsewhere(
    db_urls: Urls, job_queue: None, tmp_path: Path
) -> None:
    job_id = await queue.queue_app.configure_task(name="testing.slow", queue="maintenance").defer_async(
        label="survivor"
    )
    first = _worker(db_urls, tmp_path)
    second: subprocess.Popen[bytes] | None = None
    try:
        first_pid = int(await _wait_for(tmp_path / "started-1"))
        assert first_pid == first.pid
        first.send_signal(signal.SIGKILL)  # no chance to clean up: the job stays "doing"
        first.wait(timeout=10)
        await asyncio.sleep(STALLED_AFTER + 1.5)  # the dead worker's heartbeat goes stale

        saved = queue.runtime.stalled_after_seconds
        queue.runtime.stalled_after_seconds = STALLED_AFTER
        try:
            retried = await maintenance.retry_stalled_jobs()
        finally:
            queue.runtime.stalled_after_seconds = saved
        assert retried >= 1

        second = _worker(db_urls, tmp_path)
        done = await _wait_for(tmp_path / "done")
        pid, attempt, label = done.split()
        assert int(pid) == second.pid != first_pid
        assert attempt == "2" and label == "survivor"
        status = await queue.queue_app.job_manager.get_job_status_async(job_id)
        deadline = time.monotonic() + 10
        while status.value != "succeeded" and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            status = await queue.queue_app.job_manager.get_job_status_async(job_id)
        assert status.value == "succeeded"
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
