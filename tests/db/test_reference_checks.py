"""`reos_set_reference_checks()` (migration 0024): the app may turn the per-row foreign-key checks
off for its team's transaction when the owner may (the embedded server's owner is a superuser),
row security stays on, and the setting ends with the transaction. Where the owner may not (an
external server's owner is an ordinary role), the function answers false and the checks stay."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import psycopg
import pytest

from tests.db.test_composite_keys import team_with_rows

ORPHAN_POINT = (
    "insert into contact_points (id, team_id, created_at, contact_id, kind, value, is_primary, position,"
    " status, line_type, dnc) values (%s, %s, %s, %s, 'phone', %s, false, 1, 'unknown', 'unknown', false)"
)


def orphan(team: str) -> tuple[object, ...]:
    """A phone of `team` whose contact does not exist."""
    return (uuid.uuid4(), team, datetime.now(UTC), uuid.uuid4(), f"+1999{uuid.uuid4().int % 10**7:07d}")


def role_of(conn: psycopg.Connection) -> str:
    row = conn.execute("select current_setting('session_replication_role')").fetchone()
    assert row is not None
    return str(row[0])


async def test_the_app_turns_the_checks_off_for_its_team_only_and_row_security_stays(
    client: httpx.AsyncClient, app_conn: psycopg.Connection
) -> None:
    a_admin, _ = await team_with_rows(client)
    b_admin, _ = await team_with_rows(client)
    app_conn.autocommit = True

    with pytest.raises(psycopg.errors.RaiseException, match="only be set for a team"), app_conn.transaction():
        app_conn.execute("select reos_set_reference_checks(false)")

    with app_conn.transaction(force_rollback=True):
        app_conn.execute("select set_config('app.team_id', %s, true)", (b_admin.team_id,))
        row = app_conn.execute("select reos_set_reference_checks(false)").fetchone()
        assert row is not None
        turned_off = bool(row[0])
        if turned_off:
            assert role_of(app_conn) == "replica"
            app_conn.execute(ORPHAN_POINT, orphan(b_admin.team_id))  # no per-row check
        else:
            assert role_of(app_conn) == "origin"
            with pytest.raises(psycopg.errors.ForeignKeyViolation), app_conn.transaction():
                app_conn.execute(ORPHAN_POINT, orphan(b_admin.team_id))
        # Another team's row: row security is not a trigger, so it refuses it either way.
        security = pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security")
        with security, app_conn.transaction():
            app_conn.execute(ORPHAN_POINT, orphan(a_admin.team_id))
        # Back on, the same row is refused by its key.
        app_conn.execute("select reos_set_reference_checks(true)")
        assert role_of(app_conn) == "origin"
        with pytest.raises(psycopg.errors.ForeignKeyViolation), app_conn.transaction():
            app_conn.execute(ORPHAN_POINT, orphan(b_admin.team_id))

    # Off again and never turned back on: the setting ended with its transaction.
    with app_conn.transaction():
        app_conn.execute("select set_config('app.team_id', %s, true)", (b_admin.team_id,))
        app_conn.execute("select reos_set_reference_checks(false)")
    assert role_of(app_conn) == "origin"
    # The app role cannot set it itself, around the function.
    with pytest.raises(psycopg.errors.InsufficientPrivilege), app_conn.transaction():
        app_conn.execute("set local session_replication_role = replica")


# What an import writes with the checks off, and the tables the triggers of those write.
UNCHECKED_WRITES = (
    "properties", "contacts", "property_contacts", "contact_points",
    "property_lookup", "property_stage_counts",
)  # fmt: skip


def test_every_trigger_on_what_an_unchecked_import_writes_fires_always(
    owner_conn: psycopg.Connection,
) -> None:
    """The replication role skips ordinary triggers: one that kept derived rows (the board's
    counts, the lookup rows) would silently stop for an import. Each must be `ENABLE ALWAYS`."""
    rows = owner_conn.execute(
        "select tgrelid::regclass::text, tgname, tgenabled from pg_trigger"
        " where not tgisinternal and tgrelid::regclass::text = any(%s)",
        (list(UNCHECKED_WRITES),),
    ).fetchall()
    assert {name for _, name, _ in rows} >= {"property_lookup_inserted", "property_stage_counts_inserted"}
    assert [(table, name) for table, name, enabled in rows if enabled != "A"] == []
