"""Migrations are code under test: they agree with the models, form one chain, and go down and
up again to the same schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from psycopg import sql
from sqlalchemy import orm

from reos.db import migrate
from reos.kit.ids import new_id
from reos.properties.models import Property
from reos.teams.models import Team
from tests.fixtures.db import Urls, _with_database

THROWAWAY = "reos_migr_check"


def test_models_and_migrations_agree(db_urls: Urls) -> None:
    diff = migrate.schema_drift(db_urls.owner)
    assert diff == [], "models and migrations differ (write a migration):\n" + "\n".join(map(str, diff))


def test_migration_chain_is_linear() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("postgresql://unused"))
    assert len(script.get_heads()) == 1, f"several heads: {script.get_heads()}"
    assert len(script.get_bases()) == 1, f"several bases: {script.get_bases()}"
    revisions = list(script.walk_revisions())
    merges = [r.revision for r in revisions if isinstance(r.down_revision, tuple | list)]
    assert not merges, f"merge revisions: {merges}"
    files = list((migrate.MIGRATIONS / "versions").glob("*.py"))
    assert len(revisions) == len(files), "a migration file is not on the chain from base to head"


def test_test_database_is_at_head(db_urls: Urls) -> None:
    assert migrate.current_revision(db_urls.owner) == migrate.head_revision()


@pytest.fixture
def throwaway(db_urls: Urls, owner_conn: psycopg.Connection) -> Iterator[Urls]:
    """An empty database on the same server, dropped afterwards."""
    drop = sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(THROWAWAY))
    try:
        owner_conn.execute(drop)
        owner_conn.execute(sql.SQL("create database {}").format(sql.Identifier(THROWAWAY)))
    except psycopg.errors.InsufficientPrivilege as exc:
        pytest.skip(f"the owner role may not create databases on this server: {exc}")
    try:
        yield Urls(app=_with_database(db_urls.app, THROWAWAY), owner=_with_database(db_urls.owner, THROWAWAY))
    finally:
        owner_conn.execute(drop)


def _schema(owner_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """What a migration decides, as comparable rows: columns, constraints, indexes, row
    security, policies, grants and functions."""
    queries = {
        "columns": """
            select table_name, column_name, data_type, is_nullable, column_default
            from information_schema.columns where table_schema = 'public'""",
        "constraints": """
            select conrelid::regclass::text, conname, pg_get_constraintdef(oid)
            from pg_constraint where connamespace = 'public'::regnamespace""",
        "indexes": "select tablename, indexname, indexdef from pg_indexes where schemaname = 'public'",
        "row_security": """
            select relname, relrowsecurity, relforcerowsecurity from pg_class
            where relnamespace = 'public'::regnamespace and relkind = 'r'""",
        "policies": """
            select tablename, policyname, permissive, roles::text, cmd, qual, with_check
            from pg_policies where schemaname = 'public'""",
        "grants": """
            select grantee, table_name, privilege_type from information_schema.role_table_grants
            where table_schema = 'public'""",
        "functions": """
            select p.proname, pg_get_function_identity_arguments(p.oid), p.prosecdef,
                   pg_get_userbyid(p.proowner), p.proacl::text
            from pg_proc p where p.pronamespace = 'public'::regnamespace""",
        "types": """
            select t.typname, t.typtype from pg_type t
            where t.typnamespace = 'public'::regnamespace and t.typrelid = 0 and t.typelem = 0""",
    }
    libpq = owner_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(libpq) as conn:
        return {name: sorted(conn.execute(query).fetchall(), key=repr) for name, query in queries.items()}


def test_downgrade_to_base_and_upgrade_again(throwaway: Urls, db_urls: Urls) -> None:
    migrate.upgrade(throwaway.owner, throwaway.app)
    first = _schema(throwaway.owner)
    assert first == _schema(db_urls.owner), "a fresh database migrates to another schema than the test one"
    config = migrate.alembic_config(throwaway.owner)

    command.downgrade(config, "base")
    left = _schema(throwaway.owner)
    assert {t for t, *_ in left["columns"]} <= {"alembic_version"}, f"left after downgrade: {left['columns']}"
    assert left["functions"] == [] and left["policies"] == [] and left["types"] == []
    assert migrate.current_revision(throwaway.owner) is None

    command.upgrade(config, "head")
    assert _schema(throwaway.owner) == first
    assert migrate.schema_drift(throwaway.owner) == []


def test_0021_moves_derived_signals_onto_the_lead_and_back(throwaway: Urls) -> None:
    """The derived signals' rows become the lead's map, dated as they were; the recorded ones
    stay rows. Down again, the map becomes rows once more."""
    migrate.upgrade(throwaway.owner, throwaway.app)
    # Row security binds the owner too (FORCE, as on an external server where it is no superuser).
    team_id = new_id()
    engine = sa.create_engine(throwaway.owner)
    try:
        with orm.Session(engine) as session, session.begin():
            session.execute(sa.select(sa.func.set_config("app.team_id", str(team_id), True)))
            session.add(Team(id=team_id, name="T"))
            session.flush()
            prop = Property(team_id=team_id, address="1 Oak St", city="Tampa", state="FL", zip_code="33610")
            session.add(prop)
            session.flush()
            lead = prop.id
    finally:
        engine.dispose()
    config = migrate.alembic_config(throwaway.owner)
    command.downgrade(config, "0020")
    libpq = throwaway.owner.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute("select set_config('app.team_id', %s, false)", (str(team_id),))
        for kind, source, day in (
            ("high_equity", "derived", "2025-01-02"),
            ("long_tenure", "derived", "2026-11-30"),
            ("absentee_owner", "import", "2024-05-06"),
        ):
            conn.execute(
                "insert into signals (id, team_id, created_at, updated_at, property_id, kind, source, "
                "observed_on, detail) values (uuid_v7(), %s, now(), now(), %s, %s, %s, %s, '{}')",
                (team_id, lead, kind, source, day),
            )
    command.upgrade(config, "head")
    with psycopg.connect(libpq) as conn:
        conn.execute("select set_config('app.team_id', %s, false)", (str(team_id),))
        found = conn.execute("select derived_signals from properties where id = %s", (lead,)).fetchone()[0]
        rows = conn.execute("select kind, source from signals where property_id = %s", (lead,)).fetchall()
        assert found == {"high_equity": "2025-01-02", "long_tenure": "2026-11-30"}
        assert rows == [("absentee_owner", "import")]
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(
                "insert into signals (id, team_id, created_at, updated_at, property_id, kind, source, "
                "observed_on, detail) "
                "values (uuid_v7(), %s, now(), now(), %s, 'vacant', 'derived', now(), '{}')",
                (team_id, lead),
            )
        conn.rollback()  # which takes back the session's team too
        conn.execute("select set_config('app.team_id', %s, false)", (str(team_id),))
        # A kind an import recorded may stay in the map beside it (its first date kept): the
        # downgrade leaves the recorded row alone rather than doubling it.
        overlap = conn.execute(
            'update properties set derived_signals = derived_signals || \'{"absentee_owner": "2023-01-01"}\' '
            "where id = %s",
            (lead,),
        )
        assert overlap.rowcount == 1
        conn.commit()
    command.downgrade(config, "0020")
    with psycopg.connect(libpq) as conn:
        conn.execute("select set_config('app.team_id', %s, false)", (str(team_id),))
        back = conn.execute(
            "select kind, source, observed_on::text from signals where property_id = %s order by kind",
            (lead,),
        ).fetchall()
    assert back == [
        ("absentee_owner", "import", "2024-05-06"),
        ("high_equity", "derived", "2025-01-02"),
        ("long_tenure", "derived", "2026-11-30"),
    ]
