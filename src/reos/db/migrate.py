"""Run migrations as the owner and create the app login role with its grants."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from psycopg import sql
from sqlalchemy import create_engine, pool

from reos.db.rls import APP_GROUP, DEFINER

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(owner_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", owner_url.replace("%", "%%"))
    return cfg


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def ensure_group_roles(owner_url: str) -> None:
    """The grants of the migrations go to the group role `reos_app_rw`; the login role named in
    DATABASE_URL becomes a member, so grants do not depend on a deployment's role name.
    `reos_definer` owns the SECURITY DEFINER look-ups and nothing else."""
    with psycopg.connect(_libpq(owner_url), autocommit=True) as conn:
        for role in (APP_GROUP, DEFINER):
            exists = conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("create role {} nologin nobypassrls").format(sql.Identifier(role)))
        # The migration runner must be able to hand functions over to the definer role.
        conn.execute(sql.SQL("grant {} to current_user").format(sql.Identifier(DEFINER)))
        # CREATE because PostgreSQL requires it of a function's new owner (ALTER ... OWNER TO);
        # the role cannot log in, so it can never use it on its own.
        conn.execute(sql.SQL("grant usage, create on schema public to {}").format(sql.Identifier(DEFINER)))


def ensure_app_role(owner_url: str, app_url: str) -> None:
    """Create the login role of `app_url` (owning nothing, no BYPASSRLS) and add it to the group."""
    parts = urlsplit(_libpq(app_url))
    role = unquote(parts.username or "")
    password = unquote(parts.password) if parts.password else None
    if not role:
        raise ValueError("DATABASE_URL must name the app role (user) to connect as")
    with psycopg.connect(_libpq(owner_url), autocommit=True) as conn:
        row = conn.execute(
            "select rolsuper, rolbypassrls from pg_roles where rolname = %s", (role,)
        ).fetchone()
        ident = sql.Identifier(role)
        if row is None:
            stmt = sql.SQL("create role {} login nosuperuser nobypassrls nocreatedb nocreaterole")
            conn.execute(stmt.format(ident))
        elif row[0] or row[1]:
            raise ValueError(
                f"DATABASE_URL role {role!r} is a superuser or has BYPASSRLS; "
                "the app role must be held by row-level security"
            )
        if password is not None:
            conn.execute(sql.SQL("alter role {} password {}").format(ident, sql.Literal(password)))
        conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(APP_GROUP), ident))
        dbname = conn.execute("select current_database()").fetchone()
        assert dbname is not None
        conn.execute(sql.SQL("grant connect on database {} to {}").format(sql.Identifier(dbname[0]), ident))


def upgrade(owner_url: str, app_url: str) -> None:
    ensure_group_roles(owner_url)
    command.upgrade(alembic_config(owner_url), "head")
    ensure_app_role(owner_url, app_url)


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The migrations' head, read from the files once per process (/ready asks on every probe)."""
    return ScriptDirectory.from_config(alembic_config("postgresql://unused")).get_current_head()


def current_revision(owner_or_app_url: str) -> str | None:
    engine = create_engine(owner_or_app_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def schema_drift(owner_url: str) -> list[Any]:
    """How the live schema differs from the models (alembic's autogenerate diff; empty when they
    agree). A database migrated by a draft of a migration that later changed keeps the draft's
    shape under the same revision; the tests and the benchmarks check this before they trust it."""
    import reos.db.models

    engine = create_engine(owner_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": _modelled})
            return list(compare_metadata(context, reos.db.models.Base.metadata))
    finally:
        engine.dispose()


def _modelled(name: str | None, type_: str, parent_names: Any) -> bool:
    # Procrastinate's queue tables come from its own schema SQL, not from our models.
    return not (type_ == "table" and name is not None and name.startswith("procrastinate_"))
