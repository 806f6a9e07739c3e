"""DDL for row-level security and grants, used by the migrations (one place for the recipe)."""

from __future__ import annotations

from alembic import op

APP_GROUP = "reos_app_rw"
# Owns the SECURITY DEFINER look-ups; may only read the few tables they need, across teams.
DEFINER = "reos_definer"
CURRENT_TEAM = "NULLIF(current_setting('app.team_id', true), '')::uuid"


def tenant_table(
    table: str, *, column: str = "team_id", privileges: str = "select, insert, update, delete"
) -> None:
    """ENABLE + FORCE RLS with one fail-closed policy: no team set → no rows, no writes."""
    op.execute(f"alter table {table} enable row level security")
    op.execute(f"alter table {table} force row level security")
    op.execute(
        f"create policy tenant_isolation on {table} "
        f"using ({column} = {CURRENT_TEAM}) with check ({column} = {CURRENT_TEAM})"
    )
    op.execute(f"grant {privileges} on {table} to {APP_GROUP}")


def global_table(table: str, privileges: str) -> None:
    op.execute(f"grant {privileges} on {table} to {APP_GROUP}")


def definer_can_read(table: str) -> None:
    op.execute(f"create policy definer_lookup on {table} for select to {DEFINER} using (true)")
    op.execute(f"grant select on {table} to {DEFINER}")


def definer_function(signature: str, body: str) -> None:
    """Create a SECURITY DEFINER function owned by the definer role, callable by the app."""
    op.execute(body)
    op.execute(f"alter function {signature} owner to {DEFINER}")
    _app_only(signature)


def owner_function(signature: str, body: str) -> None:
    """Create a SECURITY DEFINER function owned by the tables' owner (whoever runs the
    migrations), callable by the app: for the few maintenance commands only a table's owner may
    run, such as ANALYZE. Such a function takes no argument that reaches SQL."""
    op.execute(body)
    _app_only(signature)


def _app_only(signature: str) -> None:
    op.execute(f"revoke all on function {signature} from public")
    op.execute(f"grant execute on function {signature} to {APP_GROUP}")


OPERATOR_VIEW = "current_setting('app.operator', true) = 'on'"


def team_or_operator_table(table: str, *, privileges: str) -> None:
    """For tables whose rows may belong to no team (instance-level jobs and audit events):
    a team sees its own rows; a transaction that an operator route marked with
    `app.operator = on` sees every row. Rows with no team are visible to operators only, but
    any transaction may add one (a password reset is recorded before any team is known)."""
    op.execute(f"alter table {table} enable row level security")
    op.execute(f"alter table {table} force row level security")
    op.execute(
        f"create policy tenant_isolation on {table} "
        f"using (team_id = {CURRENT_TEAM} or {OPERATOR_VIEW}) "
        f"with check (team_id = {CURRENT_TEAM} or team_id is null or {OPERATOR_VIEW})"
    )
    op.execute(f"grant {privileges} on {table} to {APP_GROUP}")


def raw_sql(statements: str) -> None:
    """Run SQL text as is on the migration's connection: without parameters, psycopg leaves
    `%` alone (third-party schema files use it in RAISE messages)."""
    dbapi = op.get_bind().connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        cursor.execute(statements)
    finally:
        cursor.close()
