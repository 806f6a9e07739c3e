"""Start a separate PostgreSQL on a TCP port (password auth), run a command against it, stop it.

`make test` uses this to run the database tests with DATABASE_URL / DATABASE_OWNER_URL pointing
at a server that is not the embedded one, the way a production deployment is configured.
The binaries are pgserver's (the same PostgreSQL 16 the product embeds); PostgreSQL refuses to
run as root, so as root it runs as the unprivileged `pgserver` user, as pgserver itself does.

    python scripts/external_postgres.py -- pytest tests/db
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

with warnings.catch_warnings():
    # platformdirs warns when XDG_RUNTIME_DIR is unset (as in CI); harmless here.
    warnings.simplefilter("ignore")
    from pgserver._commands import POSTGRES_BIN_PATH

OWNER_PASSWORD = "owner-pw-external"
APP_PASSWORD = "app-pw-external"
RUN_AS = "pgserver"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    try:
        pwd.getpwnam(RUN_AS)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", RUN_AS], check=True)
    return ["runuser", "-u", RUN_AS, "--", *cmd]


def main() -> int:
    args = sys.argv[1:]
    if args and args[0] == "--":
        args = args[1:]
    if not args:
        print(__doc__)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="reos-extpg-"))
    pgdata = workdir / "data"
    pwfile = workdir / "pw"
    pwfile.write_text(OWNER_PASSWORD + "\n")
    if os.geteuid() == 0:
        as_user(["true"])  # make sure the user exists before chown
        uid = pwd.getpwnam(RUN_AS).pw_uid
        os.chown(workdir, uid, uid)
        os.chown(pwfile, uid, uid)
        workdir.chmod(0o755)
    port = free_port()
    bin_ = Path(POSTGRES_BIN_PATH)
    try:
        subprocess.run(
            as_user(
                [
                    str(bin_ / "initdb"),
                    "-D",
                    str(pgdata),
                    "-U",
                    "postgres",
                    "--auth=scram-sha-256",
                    f"--pwfile={pwfile}",
                    "--encoding=UTF8",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            as_user(
                [
                    str(bin_ / "pg_ctl"),
                    "-D",
                    str(pgdata),
                    "-w",
                    "-l",
                    str(workdir / "log"),
                    "-o",
                    f"-h 127.0.0.1 -p {port} -k {workdir}",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        env = dict(os.environ, PGPASSWORD=OWNER_PASSWORD)
        subprocess.run(
            [
                str(bin_ / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-qc",
                f"create role reos_owner login createrole createdb password '{OWNER_PASSWORD}'",
                "-qc",
                "create database reos_ext owner reos_owner",
            ],
            check=True,
            env=env,
        )
        env = dict(os.environ)
        # As in a managed PostgreSQL: the owner is not a superuser, only CREATEROLE and the
        # database's owner, so row-level security holds it too once FORCE is on.
        env["DATABASE_OWNER_URL"] = f"postgresql://reos_owner:{OWNER_PASSWORD}@127.0.0.1:{port}/reos_ext"
        env["DATABASE_URL"] = f"postgresql://reos_app_ext:{APP_PASSWORD}@127.0.0.1:{port}/reos_ext"
        print(f"external PostgreSQL on 127.0.0.1:{port}; running: {' '.join(args)}", flush=True)
        return subprocess.run(args, env=env).returncode
    finally:
        subprocess.run(
            as_user([str(bin_ / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
