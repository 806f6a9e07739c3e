"""`reos introspect`: what the running app exposes (endpoints.json) and what the database holds
(models.json), generated from the app and the live schema rather than written by hand."""

from __future__ import annotations

from typing import Any

import psycopg
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from psycopg.rows import dict_row
from starlette.routing import Mount

from reos.auth.permissions import Action
from reos.deps import Permit, Public

FRAMEWORK_PATHS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def route_action(route: object) -> Action | None:
    """The action a route declared through a Permit or Public dependency."""
    dependant = getattr(route, "dependant", None)
    stack = [dependant] if dependant is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node.call, Permit):
            return node.call.action
        if isinstance(node.call, Public):
            return Action.public
        stack.extend(node.dependencies)
    return None


def endpoints(app: FastAPI) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for context in iter_route_contexts(app.routes):
        original = context.original_route
        path = context.path or ""
        if isinstance(original, Mount):
            rows.append(
                {
                    "method": "GET",
                    "path": path + "/{path}",
                    "name": original.name,
                    "summary": "static files",
                    "tags": [],
                    "action": Action.public.value,
                    "in_openapi": False,
                }
            )
            continue
        if path in FRAMEWORK_PATHS:
            rows.append(
                {
                    "method": "GET",
                    "path": path,
                    "name": context.name,
                    "summary": "API documentation",
                    "tags": [],
                    "action": Action.public.value,
                    "in_openapi": False,
                }
            )
            continue
        action = route_action(context)
        description = getattr(original, "description", "") or ""
        for method in sorted((context.methods or set()) - {"HEAD", "OPTIONS"}):
            rows.append(
                {
                    "method": method,
                    "path": path,
                    "name": context.name,
                    "summary": getattr(original, "summary", None)
                    or (description.splitlines()[0] if description else None),
                    "tags": list(getattr(original, "tags", []) or []),
                    "action": action.value if action else None,
                    "in_openapi": bool(getattr(context, "include_in_schema", False)),
                }
            )
    return sorted(rows, key=lambda r: (r["path"], r["method"]))


MODELS_SQL = {
    "tables": """
        select c.relname as name, c.relrowsecurity as rls_enabled, c.relforcerowsecurity as rls_forced
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'r' order by c.relname
    """,
    "columns": """
        select table_name, column_name, data_type, is_nullable = 'YES' as nullable, column_default
        from information_schema.columns where table_schema = 'public'
        order by table_name, ordinal_position
    """,
    "constraints": """
        select cl.relname as table_name, co.conname as name, co.contype as type,
               pg_get_constraintdef(co.oid) as definition
        from pg_constraint co join pg_class cl on cl.oid = co.conrelid
        join pg_namespace n on n.oid = cl.relnamespace
        where n.nspname = 'public' order by cl.relname, co.conname
    """,
    "indexes": """
        select tablename as table_name, indexname as name, indexdef as definition
        from pg_indexes where schemaname = 'public' order by tablename, indexname
    """,
    "policies": """
        select tablename as table_name, policyname as name, roles::text[] as roles, cmd, qual, with_check
        from pg_policies where schemaname = 'public' order by tablename, policyname
    """,
}
CONSTRAINT_KINDS = {"p": "primary key", "u": "unique", "f": "foreign key", "c": "check", "x": "exclusion"}


def models(libpq_url: str) -> list[dict[str, Any]]:
    with psycopg.connect(libpq_url, row_factory=dict_row) as conn:
        data: dict[str, list[dict[str, Any]]] = {
            key: conn.execute(sql).fetchall() for key, sql in MODELS_SQL.items()
        }
    tables: list[dict[str, Any]] = []
    for table in data["tables"]:
        name = table["name"]
        tables.append(
            {
                "name": name,
                "tenant": any(
                    c["column_name"] == "team_id" for c in data["columns"] if c["table_name"] == name
                ),
                "rls": {"enabled": table["rls_enabled"], "forced": table["rls_forced"]},
                "columns": [
                    {k: c[k] for k in ("column_name", "data_type", "nullable", "column_default")}
                    for c in data["columns"]
                    if c["table_name"] == name
                ],
                "keys": [
                    {
                        "name": c["name"],
                        "kind": CONSTRAINT_KINDS.get(c["type"], c["type"]),
                        "definition": c["definition"],
                    }
                    for c in data["constraints"]
                    if c["table_name"] == name
                ],
                "indexes": [
                    {"name": i["name"], "definition": i["definition"]}
                    for i in data["indexes"]
                    if i["table_name"] == name
                ],
                "policies": [
                    {k: p[k] for k in ("name", "roles", "cmd", "qual", "with_check")}
                    for p in data["policies"]
                    if p["table_name"] == name
                ],
            }
        )
    return tables
