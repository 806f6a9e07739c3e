"""Settings fail fast: production refuses missing or placeholder secrets and the mock email
provider, naming the variable at fault; mock mode runs on its defaults."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from reos.settings import DEV_SECRET, ConfigurationError, Settings

REOS = Path(sys.executable).parent / "reos"
GOOD_SECRET = "q5Jc0v3XbW8yT1nR7mKz2LpA9sHd4FgE6uYi"
PRODUCTION: dict[str, Any] = {
    "app_mode": "production",
    "secret_key": GOOD_SECRET,
    "database_url": "postgresql://reos_app:pw@db.internal/reos",
    "database_owner_url": "postgresql://reos_owner:pw@db.internal/reos",
    "public_url": "https://crm.example.com",
    "provider_email": "smtp",
    "smtp_host": "smtp.example.com",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only what each test passes counts: no variable of the test run, no `.env` file."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


def production(**changes: Any) -> Settings:
    values = {k: v for k, v in (PRODUCTION | changes).items() if v is not None}
    return Settings(_env_file=None, **values)


def test_mock_mode_runs_on_its_defaults() -> None:
    settings = Settings(_env_file=None)
    assert settings.app_mode == "mock"
    assert settings.secret_key == DEV_SECRET
    assert settings.email_provider == "mock"
    assert settings.embedded and settings.database_url is None
    assert settings.data_dir == (Path.cwd() / "var").resolve()
    assert settings.login_rate_limit == 10 and settings.access_token_minutes == 15


def test_a_complete_production_configuration_is_accepted() -> None:
    settings = production()
    assert settings.email_provider == "smtp" and not settings.embedded


def test_production_defaults_to_the_smtp_provider() -> None:
    assert production(provider_email=None).email_provider == "smtp"


@pytest.mark.parametrize(
    "secret",
    [None, "", "   ", "change-me", "CHANGEME", "secret", DEV_SECRET, "short-but-random-9f2c", "x" * 31],
    ids=["unset", "empty", "blank", "change-me", "changeme", "secret", "dev-default", "short", "31-chars"],
)
def test_production_refuses_a_missing_placeholder_or_short_secret(secret: str | None) -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        production(secret_key=secret)


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"database_url": None}, "DATABASE_URL"),
        ({"database_owner_url": None}, "DATABASE_OWNER_URL"),
        ({"public_url": "http://127.0.0.1:8000"}, "PUBLIC_URL"),
        ({"public_url": "http://localhost:8000"}, "PUBLIC_URL"),
        ({"provider_email": "mock"}, "PROVIDER_EMAIL"),
        ({"smtp_host": ""}, "SMTP_HOST"),
    ],
)
def test_production_names_the_variable_at_fault(changes: dict[str, Any], variable: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        production(**changes)
    assert str(caught.value).startswith(variable)


def test_the_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name.upper(), value)
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "4")
    assert Settings(_env_file=None).login_rate_limit == 4
    monkeypatch.setenv("SECRET_KEY", "change-me")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        Settings(_env_file=None)


def test_a_dotenv_file_is_read_and_checked_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("APP_MODE=production\nSECRET_KEY=changeme\n")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        Settings()
    (tmp_path / ".env").write_text("APP_MODE=mock\nPROVIDER_EMAIL=smtp\nSMTP_PORT=2525\n")
    settings = Settings()
    assert settings.email_provider == "smtp" and settings.smtp_port == 2525


# --- the command refuses to start ----------------------------------------------------------
def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: no setting of this test run leaks in, and compiled
    bytecode is cached outside the repository (PYTHONDONTWRITEBYTECODE would make every child
    compile every module again, seconds each)."""
    names = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in names}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "reos-test-pycache")
    return env | extra


def run_reos(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REOS), *args],
        env=child_env(REOS_DATA_DIR=str(tmp_path / "data"), **env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_in_production_without_a_secret_refuses_to_start(tmp_path: Path) -> None:
    done = run_reos(tmp_path, "serve", "--port", "0", APP_MODE="production")
    assert done.returncode != 0
    assert "configuration error" in done.stderr and "SECRET_KEY" in done.stderr
    assert "Traceback" not in done.stderr
    # It stopped before touching any database.
    assert not (tmp_path / "data").exists()


def test_serve_in_production_without_a_database_names_it(tmp_path: Path) -> None:
    done = run_reos(tmp_path, "serve", "--port", "0", APP_MODE="production", SECRET_KEY=GOOD_SECRET)
    assert done.returncode != 0
    assert "DATABASE_URL" in done.stderr
    assert not (tmp_path / "data").exists()


def test_production_smtp_login_needs_its_password() -> None:
    from reos.settings import ConfigurationError, Settings

    base = {
        "app_mode": "production",
        "secret_key": "s" * 40,
        "database_url": "postgresql://a@h/d",
        "database_owner_url": "postgresql://o@h/d",
        "public_url": "https://reos.example.com",
        "smtp_host": "smtp.example.com",
        "smtp_username": "mailer",
    }
    with pytest.raises(ConfigurationError, match="SMTP_PASSWORD"):
        Settings(**base)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="SMTP_PASSWORD"):
        Settings(**base, smtp_password="change-me")  # type: ignore[arg-type]
    assert Settings(**base, smtp_password="a-real-password").smtp_password == "a-real-password"  # type: ignore[arg-type]
