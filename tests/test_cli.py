"""The `reos` command: migrate, user create (operators), demo — in a subprocess on a fresh
embedded database, and in-process against a fresh database on the test server."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from reos import cli
from reos import demo as demo_data
from reos.app import create_app
from reos.db import migrate
from reos.db.session import Database, make_database, team_session
from reos.jobs import queue as jobs_queue
from reos.providers import registry
from reos.settings import Settings, get_settings
from reos.teams.models import Account
from tests.fixtures.api import PASSWORD, register, unique_email
from tests.fixtures.db import Urls, _with_database

REOS = Path(sys.executable).parent / "reos"


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: no setting of this test run leaks in, and compiled
    bytecode is cached outside the repository (PYTHONDONTWRITEBYTECODE would make every child
    compile every module again, seconds each)."""
    names = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in names}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "reos-test-pycache")
    return env | extra


# --- in a subprocess, on a fresh embedded database -----------------------------------------


@pytest.fixture
def embedded_dir() -> Iterator[Path]:
    # Short, under /tmp: the server's Unix socket lives in the data folder (~100 chars max).
    path = Path(tempfile.mkdtemp(prefix="reos-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def reos(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = child_env(REOS_DATA_DIR=str(data_dir), ARGON2_TIME_COST="1", ARGON2_MEMORY_KIB="1024")
    return subprocess.run(
        [str(REOS), *args], env=env, cwd=data_dir, capture_output=True, text=True, timeout=120
    )


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="DATABASE_URL is set: the embedded database is not used"
)
def test_migrate_and_create_an_operator_on_the_embedded_database(embedded_dir: Path) -> None:
    migrated = reos(embedded_dir, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "database is at the latest migration" in migrated.stdout
    assert (embedded_dir / "pg" / "PG_VERSION").exists()

    email = unique_email("operator")
    args = ("user", "create", "--email", email, "--full-name", "Olga Operator", "--password", PASSWORD)
    created = reos(embedded_dir, *args, "--team", "Ops", "--operator")
    assert created.returncode == 0, created.stderr
    assert f"created {email} (operator)" in created.stdout

    # A third start reuses the same data: the account is still there.
    again = reos(embedded_dir, *args)
    assert again.returncode == 1
    assert "already exists" in again.stderr


# --- in-process, on a fresh database of the test server ------------------------------------


@pytest.fixture
def fresh_db(db_urls: Urls) -> Iterator[Settings]:
    """An empty database next to the test database, migrated by the command under test."""
    name = f"reos_cli_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(db_urls.owner_libpq, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        yield Settings(
            _env_file=None,
            database_url=_with_database(db_urls.app, name),
            database_owner_url=_with_database(db_urls.owner, name),
        )
    finally:
        with psycopg.connect(db_urls.owner_libpq, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


async def invoke(monkeypatch: pytest.MonkeyPatch, settings: Settings, *args: str) -> Result:
    """Run the command as `reos <args>` would, with `settings` as its configuration. In a
    thread: the command runs its own event loop."""
    monkeypatch.setattr(cli, "_settings", lambda: settings)
    return await asyncio.to_thread(CliRunner().invoke, cli.app, list(args))


@pytest.fixture
def process_state() -> Iterator[None]:
    """`create_app` installs its providers and job runtime for the whole process: put the
    ones of the test run back after an app on another database."""
    providers, database = registry.current(), jobs_queue.runtime.database
    yield
    registry.use(providers)
    jobs_queue.runtime.database = database


@pytest.fixture
async def fresh_database(fresh_db: Settings, process_state: None) -> AsyncIterator[Database]:
    assert fresh_db.database_url and fresh_db.database_owner_url
    database = make_database(
        fresh_db.database_url.replace("postgresql://", "postgresql+psycopg://", 1),
        fresh_db.database_owner_url.replace("postgresql://", "postgresql+psycopg://", 1),
    )
    yield database
    await database.dispose()


async def account_counts(database: Database) -> tuple[int, int]:
    """(accounts, demo admins): accounts are instance-level rows, visible without a team."""
    async with team_session(database, None) as session:
        accounts = await session.scalar(select(func.count()).select_from(Account))
        demo_admins = await session.scalar(
            select(func.count()).select_from(Account).where(Account.email == demo_data.ADMIN_EMAIL)
        )
    return accounts or 0, demo_admins or 0


async def test_migrate_brings_an_empty_database_to_head(
    monkeypatch: pytest.MonkeyPatch, fresh_db: Settings
) -> None:
    result = await invoke(monkeypatch, fresh_db, "migrate")
    assert result.exit_code == 0, result.output
    assert "database is at the latest migration" in result.output
    assert fresh_db.database_owner_url is not None
    owner = fresh_db.database_owner_url.replace("postgresql://", "postgresql+psycopg://", 1)
    assert migrate.current_revision(owner) == migrate.head_revision()
    # Running it again is harmless.
    assert (await invoke(monkeypatch, fresh_db, "migrate")).exit_code == 0


async def test_demo_if_empty_loads_once_and_prints_a_working_login(
    monkeypatch: pytest.MonkeyPatch, fresh_db: Settings, fresh_database: Database
) -> None:
    first = await invoke(monkeypatch, fresh_db, "demo", "--if-empty")
    assert first.exit_code == 0, first.output
    assert "Demo team loaded." in first.output
    login_line = f"Log in as {demo_data.ADMIN_EMAIL} / {demo_data.PASSWORD}"
    assert login_line in first.output

    second = await invoke(monkeypatch, fresh_db, "demo", "--if-empty")
    assert second.exit_code == 0, second.output
    assert "Demo team loaded." not in second.output
    assert login_line in second.output

    assert await account_counts(fresh_database) == (1 + len(demo_data.MEMBERS), 1)

    # The printed login works, and the demo team holds its properties exactly once.
    app = create_app(get_settings(), fresh_database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        login = await client.post(
            "/api/v1/auth/login", json={"email": demo_data.ADMIN_EMAIL, "password": demo_data.PASSWORD}
        )
        assert login.status_code == 200
        assert login.json()["team"]["name"] == demo_data.TEAM
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        listed = await client.get("/api/v1/properties", params={"limit": 200}, headers=headers)
        members = await client.get("/api/v1/team/members", headers=headers)
    assert len(listed.json()["items"]) == 200 and listed.json()["next_cursor"]  # 5,000 leads: pages
    assert {m["role"] for m in members.json()} == {"admin", "manager", "agent", "viewer"}


async def test_demo_if_empty_leaves_a_database_with_accounts_alone(
    monkeypatch: pytest.MonkeyPatch, fresh_db: Settings, fresh_database: Database
) -> None:
    assert (await invoke(monkeypatch, fresh_db, "migrate")).exit_code == 0
    email = unique_email("first")
    made = await invoke(
        monkeypatch,
        fresh_db,
        "user",
        "create",
        "--email",
        email,
        "--full-name",
        "First",
        "--password",
        PASSWORD,
    )
    assert made.exit_code == 0, made.output
    result = await invoke(monkeypatch, fresh_db, "demo", "--if-empty")
    assert result.exit_code == 0
    assert "Demo team loaded." not in result.output
    assert await account_counts(fresh_database) == (1, 0)


async def test_user_create_operator_can_read_the_outbox(
    monkeypatch: pytest.MonkeyPatch, db_urls: Urls, client: httpx.AsyncClient
) -> None:
    settings = Settings(_env_file=None, database_url=db_urls.app, database_owner_url=db_urls.owner)
    email = unique_email("operator")
    args = [
        "user",
        "create",
        "--email",
        email.upper(),
        "--full-name",
        "Olga Operator",
        "--password",
        PASSWORD,
    ]
    result = await invoke(monkeypatch, settings, *args, "--team", "Operations", "--operator")
    assert result.exit_code == 0, result.output
    assert "(operator)" in result.output

    login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200
    assert login.json()["user"]["is_operator"] is True
    assert login.json()["team"]["name"] == "Operations" and login.json()["team"]["role"] == "admin"
    outbox = await client.get(
        "/api/v1/ops/outbox", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
    )
    assert outbox.status_code == 200

    duplicate = await invoke(monkeypatch, settings, *args)
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.output


async def test_user_create_without_operator_is_a_plain_account(
    monkeypatch: pytest.MonkeyPatch, db_urls: Urls, client: httpx.AsyncClient
) -> None:
    settings = Settings(_env_file=None, database_url=db_urls.app, database_owner_url=db_urls.owner)
    email = unique_email("plain")
    args = [
        "user",
        "create",
        "--email",
        email,
        "--full-name",
        "Pat",
        "--password",
        PASSWORD,
        "--team",
        "Plain",
    ]
    result = await invoke(monkeypatch, settings, *args)
    assert result.exit_code == 0, result.output
    assert "(operator)" not in result.output
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.json()["user"]["is_operator"] is False
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert (await client.get("/api/v1/ops/outbox", headers=headers)).status_code == 403


async def test_import_reads_the_named_sheet_of_a_workbook(
    monkeypatch: pytest.MonkeyPatch, db_urls: Urls, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """`reos import --sheet` reads that worksheet; a name the workbook lacks is refused with the
    names it has, before anything is recorded."""
    from tests.api.test_imports import properties_of, several_sheets

    settings = Settings(_env_file=None, database_url=db_urls.app, database_owner_url=db_urls.owner)
    admin = await register(client)
    path = tmp_path / "county.xlsx"
    path.write_bytes(several_sheets())

    refused = await invoke(
        monkeypatch, settings, "import", str(path), "--team", admin.team_id, "--sheet", "Leads 3"
    )
    assert refused.exit_code == 1
    assert "no sheet named 'Leads 3'" in refused.output and "'Leads 2'" in refused.output
    listed = await client.get("/api/v1/imports", headers=admin.headers)
    assert listed.json()["items"] == []

    result = await invoke(
        monkeypatch, settings, "import", str(path), "--team", admin.team_id, "--sheet", "Leads 2"
    )
    assert result.exit_code == 0, result.output
    assert "sheet 'Leads 2' imported" in result.output and "created 1" in result.output
    assert [p["address"] for p in await properties_of(client, admin)] == ["7 ELM CT"]


async def test_import_preview_shows_the_mapping_and_the_first_rows_and_imports_nothing(
    monkeypatch: pytest.MonkeyPatch, db_urls: Urls, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    """`--preview` is the wizard's mapping step for a file too large to upload: where each column
    goes, what is left out and how the first rows land, with nothing written."""
    from tests.api.test_imports import HEADERS, csv_bytes, lead

    settings = Settings(_env_file=None, database_url=db_urls.app, database_owner_url=db_urls.owner)
    path = tmp_path / "list.csv"
    path.write_bytes(
        csv_bytes(
            [lead(), lead(**{"Property Address": "", "APN": "A-2"}), lead(**{"Phone 1": "555"})], HEADERS
        )
    )
    shown = await invoke(monkeypatch, settings, "import", str(path), "--preview")
    assert shown.exit_code == 0, shown.output
    assert "list.csv: CSV" in shown.output
    assert "Street address" in shown.output and "<- Property Address" in shown.output
    assert "First 3 rows: 2 would land, 1 refused" in shown.output
    assert "row 2  Property Address: no street address (row refused)" in shown.output
    assert "Phone 1:" in shown.output and "(value skipped)" in shown.output
    assert "Nothing was imported" in shown.output

    bad = await invoke(monkeypatch, settings, "import", str(path), "--preview", "--mapping", "{nope")
    assert bad.exit_code == 1 and "--mapping is not valid JSON" in bad.output
    no_team = await invoke(monkeypatch, settings, "import", str(path))
    assert no_team.exit_code == 1 and "--team is required" in no_team.output
