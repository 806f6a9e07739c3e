"""The embedded PostgreSQL (pgserver) used when no DATABASE_URL is set."""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from pathlib import Path

import psycopg
from psycopg import sql

DATABASE = "reos"
APP_ROLE = "reos_app"


def _prune_dead_handles(pgdata: Path) -> None:
    """pgserver counts the processes using a server in `.handle_pids.json`; a process killed
    with SIGKILL never removes itself, so its pid would keep the server from ever stopping."""
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text())
    except ValueError:
        handles.unlink()
        return
    alive = [pid for pid in pids if _pid_alive(int(pid))]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A killed process stays in the table as a zombie until init reaps it (seconds under some
    container inits, never under one that does not reap); `kill(pid, 0)` still succeeds."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone, or no /proc (macOS): kill(pid, 0) has answered
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]


def _clear_stale_lock(pgdata: Path) -> None:
    """Remove the lock files (`postmaster.pid` and the socket's `.s.PGSQL.<port>.lock`) of a
    server killed with SIGKILL while its pid is a zombie: pgserver and PostgreSQL both take a
    zombie for a running server and refuse to start.

    PostgreSQL's own interlock is kept: the file goes only when its postmaster is dead and no
    process is attached to the shared memory segment it names (Linux `/proc/sysvipc/shm`);
    anywhere else PostgreSQL decides, as it does once the dead pid has been reaped.
    """
    lock = pgdata / "postmaster.pid"
    try:
        lines = lock.read_text().splitlines()
        pid = int(lines[0])
        shmid = int(lines[6].split()[1])
        segments = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    except (OSError, IndexError, ValueError):
        return
    if _pid_alive(pid):
        return
    for segment in segments:
        fields = segment.split()  # key shmid perms size cpid lpid nattch ...
        if int(fields[1]) == shmid and int(fields[6]) > 0:
            return
    socket_lock = Path(lines[4]) / f".s.PGSQL.{lines[3]}.lock"
    with contextlib.suppress(OSError, IndexError, ValueError):
        if int(socket_lock.read_text().splitlines()[0]) == pid:
            socket_lock.unlink()
    lock.unlink(missing_ok=True)


def start(data_dir: Path) -> tuple[str, str]:
    """Start (or reuse) the embedded server; return (owner_url, app_url) for database `reos`.

    A stale `postmaster.pid` left by a killed server is handled by PostgreSQL itself on start:
    it checks that the pid in the file is no longer running before taking the lock over (and
    `_clear_stale_lock` covers the time a killed postmaster remains a zombie).
    """
    pgdata = data_dir / "pg"
    data_dir.mkdir(parents=True, exist_ok=True)
    if pgdata.exists():
        _prune_dead_handles(pgdata)
        _clear_stale_lock(pgdata)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (as in CI); harmless here.
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import get_server

        server = get_server(pgdata, cleanup_mode="stop")
    base = server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
    socket_dir = base.split("host=", 1)[1]
    ensure_database(f"postgresql://postgres@/postgres?host={socket_dir}", DATABASE)
    owner = f"postgresql+psycopg://postgres@/{DATABASE}?host={socket_dir}"
    app = f"postgresql+psycopg://{APP_ROLE}@/{DATABASE}?host={socket_dir}"
    return owner, app


def ensure_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
