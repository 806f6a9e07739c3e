"""The embedded PostgreSQL: data survives a restart, and a server killed with SIGKILL (stale
`postmaster.pid`, stale pgserver handles) is recovered on the next start.

Each start runs in its own process, as `reos serve` would: pgserver stops the server when the
last process using it exits, so a second process really starts it again.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="DATABASE_URL is set: this run uses an external PostgreSQL, the embedded one is not used",
)

# Runs in a child process: start the embedded server in argv[1], then write or read a row.
# "abandon" leaves without any clean-up (no atexit handlers), like a process killed with -9.
SCRIPT = """
import os, sys
from pathlib import Path
import psycopg
from reos.db import embedded

owner, _app = embedded.start(Path(sys.argv[1]))
with psycopg.connect(owner.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
    if sys.argv[2] == "write":
        conn.execute("create table keep (note text)")
        conn.execute("insert into keep values ('written before the restart')")
    rows = conn.execute("select note from keep").fetchall()
print(repr(rows), flush=True)
if "abandon" in sys.argv[3:]:
    os._exit(0)
"""


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Short, under /tmp: the server's Unix socket lives in the data folder (~100 chars max).
    path = Path(tempfile.mkdtemp(prefix="reos-", dir="/tmp"))
    yield path
    pid = _postmaster_pid(path)
    if pid is not None:
        _kill(pid)
    shutil.rmtree(path, ignore_errors=True)


def _run(data_dir: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DATABASE_OWNER_URL")}
    # Cache bytecode outside the repository: with PYTHONDONTWRITEBYTECODE every child would
    # compile every module it imports again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "reos-test-pycache")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(data_dir), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


def _postmaster_pid(data_dir: Path) -> int | None:
    lock = data_dir / "pg" / "postmaster.pid"
    if not lock.exists():
        return None
    return int(lock.read_text().splitlines()[0])


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


ROW = "[('written before the restart',)]"


def test_data_survives_a_restart(data_dir: Path) -> None:
    assert _run(data_dir, "write") == ROW
    # The first process exited and stopped the server: nothing holds the lock any more.
    assert _postmaster_pid(data_dir) is None
    assert _run(data_dir, "read") == ROW


def test_a_server_killed_with_sigkill_is_recovered(data_dir: Path) -> None:
    assert _run(data_dir, "write", "abandon") == ROW
    pid = _postmaster_pid(data_dir)
    assert pid is not None, "the abandoned server should still be running"
    _kill(pid)
    # The lock file of the dead server stays behind, and so does the dead process's handle.
    assert _postmaster_pid(data_dir) == pid

    assert _run(data_dir, "read") == ROW
    # That start's own server has stopped cleanly behind it: no lock left over.
    assert _postmaster_pid(data_dir) is None
