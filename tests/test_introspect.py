"""`reos introspect` writes endpoints.json and models.json that match the running app and the
migrated database. `make test` leaves them in build/introspection/ for reading."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
from fastapi import FastAPI

from tests.fixtures.db import Urls

OUT = Path(__file__).resolve().parents[1] / "build" / "introspection"


def test_introspect_matches_the_app_and_the_database(
    app: FastAPI, db_urls: Urls, owner_conn: psycopg.Connection
) -> None:
    env = dict(os.environ, DATABASE_URL=db_urls.app_libpq, DATABASE_OWNER_URL=db_urls.owner_libpq)
    done = subprocess.run(
        [sys.executable, "-m", "reos.cli", "introspect", "--out", str(OUT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    endpoints = json.loads((OUT / "endpoints.json").read_text())
    tables = json.loads((OUT / "models.json").read_text())

    openapi = {
        f"{method.upper()} {path}"
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    listed = {f"{e['method']} {e['path']}" for e in endpoints if e["in_openapi"]}
    assert listed == openapi
    assert all(e["action"] for e in endpoints), [e for e in endpoints if not e["action"]]
    web = {f"{e['method']} {e['path']}" for e in endpoints if not e["in_openapi"]}
    assert "GET /login" in web and "GET /" in web

    in_db = {
        r[0]
        for r in owner_conn.execute(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'public' and c.relkind = 'r'"
        )
    }
    assert {t["name"] for t in tables} == in_db
    tenant = [t for t in tables if t["tenant"]]
    assert tenant and all(t["rls"]["enabled"] and t["rls"]["forced"] and t["policies"] for t in tenant)
    properties = next(t for t in tables if t["name"] == "properties")
    assert any(k["kind"] == "unique" and "(team_id, id)" in k["definition"] for k in properties["keys"])
    assert {"team_id", "address", "zip_code"} <= {c["column_name"] for c in properties["columns"]}
