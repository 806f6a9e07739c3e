"""The `reos` command: serve, migrate, user, demo."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from reos.settings import ConfigurationError, Settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Real Estate OS")
user_app = typer.Typer(no_args_is_help=True, help="Manage accounts.")
app.add_typer(user_app, name="user")


def _settings() -> Settings:
    from reos.settings import get_settings

    try:
        return get_settings()
    except ConfigurationError as exc:
        typer.secho(f"configuration error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc


def _migrate(settings: Settings) -> tuple[str, str]:
    from reos.db import migrate
    from reos.db.session import resolve_urls

    app_url, owner_url = resolve_urls(settings)
    migrate.upgrade(owner_url, app_url)
    return app_url, owner_url


@app.command()
def migrate() -> None:
    """Apply database migrations (as the owner) and create the app role and its grants."""
    settings = _settings()
    _migrate(settings)
    typer.echo("database is at the latest migration")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="also run and supervise a worker process")
    ] = True,
    workers: Annotated[
        int,
        typer.Option(min=1, help="web server processes on the one socket (each with its own database pool)"),
    ] = 1,
) -> None:
    """Serve the web UI and the API (starting and migrating the embedded database if used)."""
    import uvicorn

    settings = _settings()
    _migrate(settings)
    from reos.app import create_app
    from reos.supervisor import WorkerSupervisor

    supervisor = WorkerSupervisor() if worker else None
    if supervisor is not None:
        supervisor.start()
        # uvicorn stops gracefully on SIGTERM and then raises it again with the handler found
        # before it started: by default that kills the process before `finally` below, and the
        # worker ran on orphaned. Ending as an exit lets the supervisor stop it first.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    typer.echo(f"Real Estate OS at http://{host}:{port}  (data in {settings.data_dir})")
    try:
        if workers == 1:
            uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", access_log=False)
        else:
            # Several processes need an import string: each builds its app from the environment.
            uvicorn.run(
                "reos.app:create_app",
                factory=True,
                workers=workers,
                host=host,
                port=port,
                log_level="warning",
                access_log=False,
            )
    finally:
        if supervisor is not None:
            supervisor.stop()


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option(help="jobs run at once (default WORKER_CONCURRENCY)")
    ] = None,
) -> None:
    """Run a background worker on every queue until stopped (SIGTERM finishes running jobs)."""
    settings = _settings()
    from reos.db.session import resolve_urls

    app_url, owner_url = resolve_urls(settings)
    from reos.jobs.worker import run

    asyncio.run(run(settings, app_url, owner_url, concurrency=concurrency or settings.worker_concurrency))


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(prompt=True)],
    full_name: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    team: Annotated[str | None, typer.Option(help="create this team with the user as admin")] = None,
    operator: Annotated[
        bool, typer.Option(help="instance operator (global send switch, all failed jobs)")
    ] = False,
) -> None:
    """Create an account (optionally with a new team, optionally an operator)."""
    settings = _settings()
    app_url, owner_url = _migrate(settings)
    from reos.errors import AppError
    from reos.teams import service as teams

    async def run() -> None:
        from reos.db.session import make_database, team_session

        db = make_database(app_url, owner_url)
        try:
            async with team_session(db, None) as session:
                await teams.create_user(
                    session,
                    email=email,
                    password=password,
                    full_name=full_name,
                    team_name=team,
                    operator=operator,
                )
        finally:
            await db.dispose()

    try:
        asyncio.run(run())
    except AppError as exc:
        typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"created {email}{' (operator)' if operator else ''}")


@app.command()
def introspect(
    out: Annotated[Path, typer.Option(help="folder to write endpoints.json and models.json into")] = Path(
        "."
    ),
) -> None:
    """Write endpoints.json (every route with its permission action) and models.json (every table:
    columns, keys, indexes, row-level security) from the app and the live database."""
    import json

    settings = _settings()
    _app_url, owner_url = _migrate(settings)
    from reos import introspect as introspection
    from reos.app import create_app

    out.mkdir(parents=True, exist_ok=True)
    endpoints = introspection.endpoints(create_app(settings))
    tables = introspection.models(owner_url.replace("postgresql+psycopg://", "postgresql://", 1))
    (out / "endpoints.json").write_text(json.dumps(endpoints, indent=2, default=str) + "\n")
    (out / "models.json").write_text(json.dumps(tables, indent=2, default=str) + "\n")
    typer.echo(
        f"wrote {out / 'endpoints.json'} ({len(endpoints)} routes) "
        f"and {out / 'models.json'} ({len(tables)} tables)"
    )


@app.command()
def demo(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="only when no account exists yet")] = False,
) -> None:
    """Load the demo team (users and properties) and print its login."""
    settings = _settings()
    app_url, owner_url = _migrate(settings)
    from reos import demo as demo_data

    created = asyncio.run(demo_data.load(app_url, owner_url, only_if_empty=if_empty))
    url = os.environ.get("REOS_URL", "http://127.0.0.1:8000")
    if created:
        typer.echo("Demo team loaded.")
    typer.secho(
        f"\n  Open {url}\n  Log in as {demo_data.ADMIN_EMAIL} / {demo_data.PASSWORD}\n",
        fg=typer.colors.GREEN,
    )


@app.command("import")
def import_file(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or XLSX lead list")
    ],
    team: Annotated[str | None, typer.Option(help="the team's id or exact name")] = None,
    mapping: Annotated[
        str | None,
        typer.Option(help="JSON {target_field: source_column}; guessed from the headers if absent"),
    ] = None,
    on_duplicate: Annotated[
        str, typer.Option(help="update or skip properties the team already has")
    ] = "update",
    sheet: Annotated[
        str | None,
        typer.Option(help="the worksheet of an XLSX workbook; else the first with a street address column"),
    ] = None,
    workers: Annotated[int, typer.Option(help="processes normalising rows")] = 2,
    preview: Annotated[
        bool,
        typer.Option(
            "--preview",
            help="show the mapping and how the first rows would land, with their problems; import nothing",
        ),
    ] = False,
) -> None:
    """Import a lead list into a team, here and now (the same engine as the API's imports)."""
    import json
    import time
    import uuid

    import psycopg

    from reos.errors import AppError
    from reos.imports import service as imports
    from reos.kit import jsontext

    def fail(message: str) -> NoReturn:
        typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)

    try:
        given = jsontext.loads(mapping) if mapping else None
    except json.JSONDecodeError as exc:
        fail(f"--mapping is not valid JSON: {exc.msg}")
    if preview:
        try:
            with file.open("rb") as stream:
                shown = imports.preview(stream, filename=file.name, given=given, sheet=sheet)
        except AppError as exc:
            fail(exc.message)
        _print_preview(file.name, shown)
        return
    if team is None:
        fail("--team is required to import (or look first with --preview)")

    settings = _settings()
    app_url, owner_url = _migrate(settings)
    from reos.db.session import make_database

    with psycopg.connect(owner_url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        found = conn.execute(
            "select id from teams where id::text = %s or name = %s order by created_at limit 2", (team, team)
        ).fetchall()
    if len(found) != 1:
        fail(f"{'no' if not found else 'more than one'} team matches {team!r}")
    team_id = uuid.UUID(str(found[0][0]))
    began = time.monotonic()

    async def progress(imp: object, done: int, total: int | None) -> None:
        rate = done / max(time.monotonic() - began, 0.001)
        typer.echo(f"  {done:>10,} rows{f' of ~{total:,}' if total else ''}  ({rate:,.0f} rows/s)")

    async def saving(phase: str, rows: int) -> None:
        typer.echo(f"  {imports.phase_label(phase)}  ({time.monotonic() - began:,.0f} s)")

    async def run() -> tuple[dict[str, int], str | None]:
        db = make_database(app_url, owner_url)
        try:
            imp = await imports.import_path(
                db,
                team_id=team_id,
                path=str(file),
                given=given,
                on_duplicate=on_duplicate,
                sheet=sheet,
                workers=workers,
                on_progress=progress,
                on_step=saving,
            )
            return dict(imp.counts), imp.sheet
        finally:
            await db.dispose()

    try:
        counts, read_sheet = asyncio.run(run())
    except AppError as exc:
        fail(exc.message)
    typer.echo(
        (f"sheet {read_sheet!r} " if read_sheet else "")
        + f"imported in {time.monotonic() - began:.1f} s: "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
    )


def _print_preview(name: str, shown: dict[str, Any]) -> None:
    """What `reos import --preview` prints: where the columns go and how the first rows land."""
    from reos.imports import mapping as targets

    where = shown["format"].upper()
    if shown["sheet"] is not None:
        where += f", sheet {shown['sheet']!r}"
        if len(shown["sheets"]) > 1:
            where += " of " + ", ".join(repr(s) for s in shown["sheets"])
    typer.echo(f"{name}: {where}")
    used: dict[str, str] = shown["mapping"]
    typer.echo(f"Columns mapped ({len(set(used.values()))} of {len(shown['columns'])}):")
    width = max((len(targets.target_label(t)) for t in used), default=0)
    for target, column in used.items():
        typer.echo(f"  {targets.target_label(target):<{width}}  <- {column}")
    if shown["unmapped_columns"]:
        typer.echo("Not imported: " + ", ".join(shown["unmapped_columns"]))
    rows = shown["rows"]
    refused = sum(1 for r in rows if not r["lands"])
    first = f"First {len(rows)} rows" if len(rows) != 1 else "The first row"
    typer.echo(f"{first}: {len(rows) - refused} would land, {refused} refused")
    for problem in shown["problems"]:
        outcome = "value skipped" if problem["row_lands"] else "row refused"
        typer.echo(
            f"  row {problem['row_number']}  {problem['column'] or '-'}: {problem['reason']} ({outcome})"
        )
    typer.echo("Nothing was imported. Run again without --preview to import (--team names the team).")


if __name__ == "__main__":
    app()
