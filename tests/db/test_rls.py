"""Tenancy underneath the services: row-level security, composite keys and the app role.

Everything is read from the migrated database's catalogue, so a table added by a later migration
is checked without anyone listing it here (only deliberately instance-wide tables are listed).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psycopg
import pytest
from psycopg import sql

from reos.db.session import Database, make_database, team_session
from tests.fixtures.db import Urls
from tests.fixtures.routes import Tenant, fill_empty_tenant_tables, seed_tenant, tenant_tables

# Tables without `team_id` on purpose: accounts span teams; password resets and the outbox
# concern an account, not a team; provider status is the instance's. A new table belongs here
# only after that decision.
GLOBAL_TABLES = frozenset(
    {"accounts", "password_resets", "outbox_messages", "provider_status", "alembic_version"}
)
# Procrastinate's own queue tables (its SQL, not our models); every job carries its team_id.
GLOBAL_PREFIX = "procrastinate_"
# Tables whose policy also opens every team's rows to an operator transaction
# (`app.operator = on`, set only by operator routes and instance-level jobs): DESIGN §4,
# operators see every team's failed jobs. Their WITH CHECK may also admit rows of no team
# (instance-level events, readable by operators only). Any other table checks the team alone.
OPERATOR_VISIBLE = frozenset({"job_failures", "audit_events"})
TEAM_CHECK = "({column} = (NULLIF(current_setting('app.team_id'::text, true), ''::text))::uuid)"
OPERATOR_CHECK = "(current_setting('app.operator'::text, true) = 'on'::text)"
NO_TEAM = "({column} IS NULL)"


def app_role(app_conn: psycopg.Connection) -> str:
    row = app_conn.execute("select current_user").fetchone()
    assert row is not None
    return str(row[0])


@contextmanager
def as_team(conn: psycopg.Connection, team_id: str | None) -> Iterator[psycopg.Connection]:
    """One transaction with `app.team_id` set the way the app sets it (transaction-local)."""
    with conn.transaction():
        if team_id is not None:
            conn.execute("select set_config('app.team_id', %s, true)", (team_id,))
        yield conn


def count(conn: psycopg.Connection, table: str, where: str = "true", *args: object) -> int:
    query = sql.SQL("select count(*) from {} where ").format(sql.Identifier(table)) + sql.SQL(where)
    row = conn.execute(query, args).fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def app_db(app_conn: psycopg.Connection) -> psycopg.Connection:
    """The app role's raw connection, each `with conn.transaction()` a real transaction."""
    app_conn.autocommit = True
    return app_conn


@pytest.fixture
async def two_tenants(client: httpx.AsyncClient, database: Database, db_urls: Urls) -> tuple[Tenant, Tenant]:
    """Two teams, each with one of every resource (through the API where it has a route)."""
    tenants = await seed_tenant(client, database), await seed_tenant(client, database)
    for tenant in tenants:
        fill_empty_tenant_tables(db_urls.owner_libpq, tenant)
    return tenants


# --- (a) the catalogue --------------------------------------------------------------------------


def test_every_tenant_table_has_forced_rls_and_a_team_policy(
    owner_conn: psycopg.Connection, app_conn: psycopg.Connection
) -> None:
    tables = tenant_tables(owner_conn)
    assert {"teams", "memberships", "properties"} <= tables.keys()
    role = app_role(app_conn)
    flags = {
        name: (enabled, forced)
        for name, enabled, forced in owner_conn.execute(
            """
            select c.relname, c.relrowsecurity, c.relforcerowsecurity from pg_class c
            where c.relnamespace = 'public'::regnamespace and c.relname = any(%s)
            """,
            (list(tables),),
        )
    }
    policies = owner_conn.execute(
        """
        select tablename, policyname, permissive, cmd, qual, with_check,
               'public' = any(roles) or exists (
                   select 1 from unnest(roles) r where r <> 'public' and pg_has_role(%s, r, 'MEMBER')
               ) as applies_to_app
        from pg_policies where schemaname = 'public'
        """,
        (role,),
    ).fetchall()
    problems = []
    for table, column in tables.items():
        if flags[table] != (True, True):
            problems.append(f"{table}: row security enabled/forced = {flags[table]}, want (True, True)")
        own = [p for p in policies if p[0] == table and p[6]]
        operator = table in OPERATOR_VISIBLE
        team_policies = [p for p in own if _is_team_policy(column, p[3], p[4], p[5], operator=operator)]
        if not team_policies:
            problems.append(f"{table}: no policy for the app with USING and WITH CHECK on {column}")
        for name, permissive, cmd, qual, with_check in ((p[1], p[2], p[3], p[4], p[5]) for p in own):
            # A second permissive policy for the app would be OR-ed with the team policy.
            if permissive == "PERMISSIVE" and not _is_team_policy(
                column, cmd, qual, with_check, operator=operator
            ):
                problems.append(
                    f"{table}: policy {name} ({cmd}) lets the app role past the team check: {qual}"
                )
    assert not problems, "\n".join(problems)


def _is_team_policy(
    column: str, cmd: str, qual: str | None, with_check: str | None, *, operator: bool
) -> bool:
    team = TEAM_CHECK.format(column=column)
    using_extra = {OPERATOR_CHECK} if operator else set()
    check_extra = {OPERATOR_CHECK, NO_TEAM.format(column=column)} if operator else set()
    return (
        cmd == "ALL"
        and _disjuncts(qual)[0] == team
        and set(_disjuncts(qual)[1:]) <= using_extra
        and _disjuncts(with_check)[0] == team
        and set(_disjuncts(with_check)[1:]) <= check_extra
    )


def _disjuncts(expr: str | None) -> list[str]:
    """The top-level OR terms of a policy expression as pg_policies prints it."""
    if expr is None:
        return [""]
    terms: list[str] = []
    depth = start = 0
    inner = expr[1:-1] if " OR " in expr else expr
    for i, char in enumerate(inner):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and inner.startswith(" OR ", i):
            terms.append(inner[start:i])
            start = i + 4
    terms.append(inner[start:])
    return terms


def test_every_table_without_team_id_is_global_on_purpose(owner_conn: psycopg.Connection) -> None:
    rows = owner_conn.execute(
        """
        select c.relname from pg_class c
        where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
        """
    ).fetchall()
    unplanned = {name for (name,) in rows if not name.startswith(GLOBAL_PREFIX)}
    unplanned -= tenant_tables(owner_conn).keys() | GLOBAL_TABLES
    assert not unplanned, (
        f"tables without team_id: {sorted(unplanned)} — give them team_id and a policy, or add them "
        "to GLOBAL_TABLES in tests/db/test_rls.py if they are instance-wide by design"
    )


def test_no_view_or_materialized_view_exposes_team_rows(owner_conn: psycopg.Connection) -> None:
    # A view runs as its owner and a materialized view has no row security at all.
    rows = owner_conn.execute(
        """
        select c.relname, c.relkind from pg_class c
        join pg_attribute a on a.attrelid = c.oid and a.attname = 'team_id'
        where c.relnamespace = 'public'::regnamespace and c.relkind in ('v', 'm')
          and not (c.relkind = 'v' and coalesce(c.reloptions, '{}') @> '{security_invoker=true}')
        """
    ).fetchall()
    assert not rows, f"views over tenant rows that escape row security: {rows}"


def _constraints(
    conn: psycopg.Connection, kinds: list[str]
) -> list[tuple[str, str, str | None, list[str], list[str]]]:
    """(name, table, referenced table, columns, referenced columns) in column order."""
    rows = conn.execute(
        """
        select con.conname, src.relname, dst.relname,
               array(select a.attname from unnest(con.conkey) with ordinality k(num, ord)
                     join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.num
                     order by k.ord)::text[],
               array(select a.attname from unnest(con.confkey) with ordinality k(num, ord)
                     join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.num
                     order by k.ord)::text[]
        from pg_constraint con
        join pg_class src on src.oid = con.conrelid
        left join pg_class dst on dst.oid = con.confrelid
        where con.connamespace = 'public'::regnamespace and con.contype = any(%s)
        """,
        (kinds,),
    ).fetchall()
    return [(r[0], r[1], r[2], list(r[3]), list(r[4] or [])) for r in rows]


def test_every_tenant_table_is_unique_on_team_and_id(owner_conn: psycopg.Connection) -> None:
    keys = {(table, tuple(cols)) for _, table, _, cols, _ in _constraints(owner_conn, ["p", "u"])}
    missing = [t for t in tenant_tables(owner_conn) if t != "teams" and (t, ("team_id", "id")) not in keys]
    assert not missing, f"tenant tables without unique (team_id, id): {missing}"


def test_foreign_keys_between_tenant_tables_include_the_team(owner_conn: psycopg.Connection) -> None:
    tables = tenant_tables(owner_conn)
    fks = [fk for fk in _constraints(owner_conn, ["f"]) if fk[1] in tables]
    assert any(fk[2] not in ("teams", None) and fk[2] in tables for fk in fks), "no tenant-to-tenant key?"
    bad = []
    for name, table, target, cols, target_cols in fks:
        if target == "teams":
            ok = cols == ["team_id"] and target_cols == ["id"]
        elif target in tables:
            ok = "team_id" in cols and target_cols[cols.index("team_id")] == "team_id"
        else:
            continue  # instance-wide rows (accounts) belong to no team
        if not ok:
            bad.append(f"{name}: {table}{cols} → {target}{target_cols}")
    assert not bad, "foreign keys that could cross teams:\n" + "\n".join(bad)


# Rows deleted by the thousand (an undo, a delete of many leads): each key that references them
# runs once per deleted row.
BULK_DELETED = ("properties", "contacts", "contact_points")


def test_every_key_that_references_a_lead_has_its_index(owner_conn: psycopg.Connection) -> None:
    """A cascade or a SET NULL without an index reads the whole referencing table once per
    deleted row: an undo of 100,000 rows spent 75 s scanning the team's tasks (migration 0025)."""
    leading = {
        (table, tuple(columns))
        for table, columns in owner_conn.execute(
            """
            select t.relname, array(select a.attname from unnest(i.indkey) with ordinality k(num, ord)
                                    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.num
                                    order by k.ord)::text[]
            from pg_index i join pg_class t on t.oid = i.indrelid
            where t.relnamespace = 'public'::regnamespace
            """
        )
    }
    keys = [fk for fk in _constraints(owner_conn, ["f"]) if fk[2] in BULK_DELETED]
    assert len(keys) > 10
    unindexed = [
        f"{name}: {table}{cols}"
        for name, table, _, cols, _ in keys
        if not any(t == table and list(c[: len(cols)]) == cols for t, c in leading)
    ]
    assert not unindexed, "keys to a lead table with no index under them:\n" + "\n".join(unindexed)


# The lead tables bound to their team through a parent (`TenantChildMixin`) → that parent.
BULK_CHILDREN = {
    "contact_points": "contacts",
    "property_contacts": "properties",
    "property_lookup": "properties",
    "signals": "properties",
}


def test_every_tenant_row_is_bound_to_its_team(owner_conn: psycopg.Connection) -> None:
    """A row's team exists and takes the row with it: by a cascading key to `teams`, or (the
    lead tables written in bulk, `TenantChildMixin`) by a cascading key through a parent of the
    same team that is itself bound. A key back to the table itself binds nothing."""
    tables = tenant_tables(owner_conn)
    cascading = {
        name
        for (name,) in owner_conn.execute(
            "select conname from pg_constraint where contype = 'f' and confdeltype = 'c' "
            "and connamespace = 'public'::regnamespace"
        )
    }
    keys = [fk[1:] for fk in _constraints(owner_conn, ["f"]) if fk[0] in cascading]
    parents: dict[str, set[str]] = {}
    for table, target, cols, target_cols in keys:
        column = tables.get(table)
        if column is None or target is None or target == table or target not in tables or column not in cols:
            continue
        if target_cols[cols.index(column)] == tables[target]:
            parents.setdefault(table, set()).add(target)
    bound = {"teams"}
    while grown := {t for t in tables if t not in bound and parents.get(t, set()) & bound}:
        bound |= grown
    loose = sorted(set(tables) - bound)
    assert not loose, f"tenant tables whose rows no cascading key binds to their team: {loose}"
    # The tables an import fills in bulk go through their parent (migration 0022).
    for child, parent in BULK_CHILDREN.items():
        assert "teams" not in parents[child] and parent in parents[child], (child, parents[child])


async def test_the_bulk_lead_tables_go_with_their_parents(
    two_tenants: tuple[Tenant, Tenant], db_urls: Urls
) -> None:
    """The tables without a direct key to `teams` (`TenantChildMixin`) hold a row of each team
    (`two_tenants`); deleting one team's leads and contacts, in a rolled-back transaction, leaves
    none of that team's rows in them and every row of the other team."""
    gone, kept = (t.admin.team_id for t in two_tenants)
    children = tuple(BULK_CHILDREN)
    with psycopg.connect(db_urls.owner_libpq) as conn:

        def enter(team: str) -> None:
            # Row security binds the owner of an external server (FORCE; no superuser there).
            conn.execute("select set_config('app.team_id', %s, true)", (team,))

        def rows(team: str) -> dict[str, int]:
            enter(team)
            return {table: count(conn, table, "team_id = %s", team) for table in children}

        kept_before = rows(kept)
        assert all(rows(gone).values()) and all(kept_before.values())
        enter(gone)
        conn.execute("delete from properties where team_id = %s", (gone,))
        conn.execute("delete from contacts where team_id = %s", (gone,))
        assert rows(gone) == dict.fromkeys(children, 0)
        assert rows(kept) == kept_before
        conn.rollback()


# --- (b) the app role ---------------------------------------------------------------------------


def test_app_role_owns_nothing_and_cannot_bypass_row_security(app_conn: psycopg.Connection) -> None:
    role = app_role(app_conn)
    flags = app_conn.execute(
        "select rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles where rolname = current_user"
    ).fetchone()
    assert flags == (False, False, False, False), f"{role}: super/bypassrls/createrole/createdb = {flags}"
    powerful = app_conn.execute(
        """
        select rolname from pg_roles
        where pg_has_role(current_user, oid, 'MEMBER') and (rolsuper or rolbypassrls)
        """
    ).fetchall()
    assert not powerful, f"{role} is a member of superuser / BYPASSRLS roles {powerful}"
    # Membership of an owner would carry the owner's rights (ALTER TABLE … DISABLE ROW LEVEL SECURITY).
    owned = app_conn.execute(
        """
        select c.relkind::text, c.relname from pg_class c
        where c.relnamespace = 'public'::regnamespace and pg_has_role(current_user, c.relowner, 'MEMBER')
        union all
        select 'function', p.proname from pg_proc p
        where p.pronamespace = 'public'::regnamespace and pg_has_role(current_user, p.proowner, 'MEMBER')
        union all
        select 'schema', nspname from pg_namespace
        where nspname = 'public' and pg_has_role(current_user, nspowner, 'MEMBER')
        union all
        select 'database', datname from pg_database
        where datname = current_database() and pg_has_role(current_user, datdba, 'MEMBER')
        """
    ).fetchall()
    assert not owned, f"{role} owns (or is a member of the owner of) {owned}"
    can_create = app_conn.execute("select has_schema_privilege('public', 'CREATE')").fetchone()
    assert can_create == (False,), f"{role} may create objects in schema public"


def test_app_role_cannot_turn_row_security_off(app_db: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must be owner"), app_db.transaction():
        app_db.execute("alter table properties disable row level security")
    with (
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"),
        app_db.transaction(),
    ):
        app_db.execute("set local row_security = off")
        app_db.execute("select count(*) from properties")


# --- (c) team B cannot see or write team A ------------------------------------------------------


async def test_team_b_sees_none_of_team_a_and_cannot_write_it(
    two_tenants: tuple[Tenant, Tenant], owner_conn: psycopg.Connection, app_db: psycopg.Connection
) -> None:
    a, b = (t.admin.team_id for t in two_tenants)
    tables = tenant_tables(owner_conn)
    before = _counts_as(app_db, tables, a)
    empty = [t for t, n in before.items() if n == 0]
    assert not empty, f"team A has no rows in {empty}"
    assert all(n > 0 for n in _counts_as(app_db, tables, b).values()), _counts_as(app_db, tables, b)

    with as_team(app_db, b):
        for table, column in tables.items():
            assert count(app_db, table, f"{column} = %s", a) == 0, f"team B sees team A's rows in {table}"
            assert count(app_db, table, f"{column} <> %s", b) == 0, (
                f"team B sees other teams' rows in {table}"
            )

    for table, column in tables.items():
        # Row security is checked before NOT NULL and CHECK constraints, so the team column
        # alone shows which of the two refuses the row.
        insert = sql.SQL("insert into {} ({}) values (%s)").format(
            sql.Identifier(table), sql.Identifier(column)
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused, as_team(app_db, b):
            app_db.execute(insert, (a,))
        expected = (
            "violates row-level security policy" if _may(app_db, table, "INSERT") else "permission denied"
        )
        assert expected in str(refused.value), f"insert into {table}: {refused.value}"

        with as_team(app_db, b):
            if _may(app_db, table, "UPDATE"):
                moved = app_db.execute(
                    sql.SQL("update {} set {c} = {c} where {c} = %s").format(
                        sql.Identifier(table), c=sql.Identifier(column)
                    ),
                    (a,),
                )
                assert moved.rowcount == 0, f"team B updated team A's rows in {table}"
            if _may(app_db, table, "DELETE"):
                deleted = app_db.execute(
                    sql.SQL("delete from {} where {} = %s").format(
                        sql.Identifier(table), sql.Identifier(column)
                    ),
                    (a,),
                )
                assert deleted.rowcount == 0, f"team B deleted team A's rows in {table}"
        if _may(app_db, table, "UPDATE"):
            # B's own rows cannot be handed over to A either (WITH CHECK).
            with (
                pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"),
                as_team(app_db, b),
            ):
                app_db.execute(
                    sql.SQL("update {} set {c} = %s where {c} = %s").format(
                        sql.Identifier(table), c=sql.Identifier(column)
                    ),
                    (a, b),
                )

    assert _counts_as(app_db, tables, a) == before


def _may(conn: psycopg.Connection, table: str, privilege: str) -> bool:
    row = conn.execute("select has_table_privilege(%s, %s)", (table, privilege)).fetchone()
    return bool(row and row[0])


def _counts_as(conn: psycopg.Connection, tables: dict[str, str], team: str) -> dict[str, int]:
    with as_team(conn, team):
        return {table: count(conn, table) for table in tables}


# --- (d) no team, and the team does not outlive its transaction --------------------------------


async def test_without_a_team_every_tenant_table_is_empty(
    two_tenants: tuple[Tenant, Tenant], owner_conn: psycopg.Connection, app_db: psycopg.Connection
) -> None:
    a = two_tenants[0].admin.team_id
    tables = tenant_tables(owner_conn)
    for table in tables:
        assert count(app_db, table) == 0, f"{table} shows rows with no team set"
    with as_team(app_db, ""):
        assert all(count(app_db, table) == 0 for table in tables), "an empty team id must match nothing"
    with as_team(app_db, str(uuid.uuid4())):
        assert all(count(app_db, table) == 0 for table in tables), "an unknown team sees rows"

    assert all(n > 0 for n in _counts_as(app_db, tables, a).values()), _counts_as(app_db, tables, a)
    # The same connection, next transaction (after a commit, then after a rollback).
    with as_team(app_db, None):
        assert _setting(app_db) in (None, "")
        assert {t: count(app_db, t) for t in tables} == dict.fromkeys(tables, 0)
    with pytest.raises(RuntimeError), as_team(app_db, a):
        raise RuntimeError("roll back")
    assert _setting(app_db) in (None, "")
    assert {t: count(app_db, t) for t in tables} == dict.fromkeys(tables, 0)


def _setting(conn: psycopg.Connection) -> str | None:
    row = conn.execute("select current_setting('app.team_id', true)").fetchone()
    assert row is not None
    return None if row[0] is None else str(row[0])


async def test_pooled_connection_forgets_the_team_of_the_previous_session(
    two_tenants: tuple[Tenant, Tenant], db_urls: Urls
) -> None:
    from sqlalchemy import text

    a = uuid.UUID(two_tenants[0].admin.team_id)
    # One pooled connection, so both sessions certainly run on the same server process.
    db = make_database(db_urls.app, db_urls.owner, pool_size=1, max_overflow=0)
    try:
        async with team_session(db, a) as session:
            pid = await session.scalar(text("select pg_backend_pid()"))
            assert await session.scalar(text("select count(*) from properties")) >= 1
        async with team_session(db, None) as session:
            assert await session.scalar(text("select pg_backend_pid()")) == pid
            assert await session.scalar(text("select count(*) from properties")) == 0
            assert await session.scalar(text("select count(*) from teams")) == 0
    finally:
        await db.dispose()
