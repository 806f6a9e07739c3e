"""The embedded PostgreSQL (pgserver) used when no DATABASE_URL is set."""

from __future__ import annotations

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
    return True


def start(data_dir: Path) -> tuple[str, str]:
    """Start (or reuse) the embedded server; return (owner_url, app_url) for database `reos`.

    A stale `postmaster.pid` left by a killed server is handled by PostgreSQL itself on start:
    it checks that the pid in the file is no longer running before taking the lock over.
    """
    pgdata = data_dir / "pg"
    data_dir.mkdir(parents=True, exist_ok=True)
    if pgdata.exists():
        _prune_dead_handles(pgdata)
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
