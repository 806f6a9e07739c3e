"""Test set-up: a real PostgreSQL (embedded unless DATABASE_URL is set), built by migrations,
used through the app role with row-level security on. The environment is set before any
`reos` import so the one Settings object sees it."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("APP_MODE", "mock")
os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
os.environ.setdefault("ARGON2_TIME_COST", "1")
os.environ.setdefault("ARGON2_MEMORY_KIB", "1024")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("REOS_DATA_DIR", str(ROOT / "var" / "test"))
os.environ.setdefault("PUBLIC_URL", "http://testserver")
# Retries at once and few of them, so failure paths finish quickly.
os.environ.setdefault("JOB_RETRY_BASE_SECONDS", "0")
os.environ.setdefault("JOB_MAX_ATTEMPTS", "3")

pytest_plugins = ["tests.fixtures.db", "tests.fixtures.jobs", "tests.fixtures.api"]
