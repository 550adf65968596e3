"""`trellis`: serve the API and UI, run workers, manage the database, diagnose a setup."""

from __future__ import annotations

import logging
import os
import sys
from typing import Annotated, NoReturn

import typer

from trellis import __version__
from trellis.core.config import Mode, Settings, SettingsError, load_settings
from trellis.core.db import Database
from trellis.mcp_server.cli import mcp_command
from trellis.pipeline.cli import pipeline_app
from trellis.planning.cli import plan_app, task_app
from trellis.projects.cli import project_app
from trellis.validation.cli import validate_command
from trellis.workflows.cli import execution_app, workflow_app

app = typer.Typer(
    name="trellis",
    help="Trellis: from rough requirements to verified work by people and AI coding agents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
keys_app = typer.Typer(help="Master keys that protect stored secrets (tokens, API keys).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
user_app = typer.Typer(help="Accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")
token_app = typer.Typer(help="Personal API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(project_app, name="project")
app.add_typer(plan_app, name="plan")
app.add_typer(task_app, name="task")
app.add_typer(workflow_app, name="workflow")
app.add_typer(execution_app, name="execution")
requirements_app = typer.Typer(help="Requirements, offline.", no_args_is_help=True)
app.add_typer(requirements_app, name="requirements")
app.command("validate")(validate_command)
app.add_typer(pipeline_app, name="pipeline")
app.command("mcp")(mcp_command)


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.secho(f"trellis: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        _fail(str(exc))


@app.command()
def version() -> None:
    """Print the Trellis version."""
    typer.echo(__version__)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (TRELLIS_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (TRELLIS_PORT).")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.")] = 1,
) -> None:
    """Serve the API, the WebSocket streams and the web UI on one port."""
    import uvicorn

    settings = _settings(host=host, port=port)
    # Settings are re-read by each server process; pass command-line overrides down as environment.
    os.environ["TRELLIS_HOST"] = settings.host
    os.environ["TRELLIS_PORT"] = str(settings.port)
    _check_startup(settings)
    typer.secho(
        f"Trellis {__version__} ({settings.mode.value} mode) - open {settings.base_url}  "
        f"(API docs: {settings.base_url}/docs)",
        fg=typer.colors.GREEN,
        err=True,
    )
    uvicorn.run(
        "trellis.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        reload=reload,
        workers=None if reload else workers,
        log_config=None,
        proxy_headers=True,
        ws_max_size=1024 * 1024,
    )


def _check_startup(settings: Settings) -> None:
    """Fail before binding the port, with one clear line, when the setup cannot work."""
    from trellis.core.runtime import build_runtime

    try:
        runtime = build_runtime(settings)
    except SettingsError as exc:
        _fail(str(exc))
    try:
        problems = {name: result for name, result in runtime.check_dependencies().items() if result != "ok"}
        problems.pop("job_workers", None)  # not started yet at this point
        if problems:
            detail = "; ".join(f"{name}: {result}" for name, result in problems.items())
            _fail(f"cannot start, dependency unreachable ({detail}). Run `trellis doctor` for details.")
        if not settings.should_auto_migrate:
            from trellis.core.migrate import is_up_to_date

            if not is_up_to_date(runtime.database):
                _fail("the database schema is not current; run `trellis db upgrade` first.")
    finally:
        runtime.close()


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(help="Jobs run at once (TRELLIS_JOB_CONCURRENCY).")] = None,
) -> None:
    """Run background jobs (distributed mode): a Celery worker on the Redis broker."""
    settings = _settings(job_concurrency=concurrency)
    if settings.mode is not Mode.DISTRIBUTED:
        _fail(
            "`trellis worker` is for distributed mode (set TRELLIS_DATABASE_URL and TRELLIS_REDIS_URL); "
            "in embedded mode `trellis serve` runs jobs itself."
        )
    from trellis.worker import run_worker

    try:
        run_worker(settings)
    except SettingsError as exc:
        _fail(str(exc))


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from trellis.core.migrate import current_revision, upgrade

    with _database() as database:
        upgrade(database, revision)
        typer.echo(f"database at revision {current_revision(database)}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")]) -> None:
    """Revert migrations down to REVISION."""
    from trellis.core.migrate import current_revision, downgrade

    with _database() as database:
        downgrade(database, revision)
        typer.echo(f"database at revision {current_revision(database) or 'base (empty)'}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and whether it is the latest."""
    from trellis.core.migrate import current_revision, head_revision

    with _database() as database:
        current, head = current_revision(database), head_revision()
        state = "up to date" if current == head else f"behind; latest is {head}"
        typer.echo(f"{current or 'base (empty)'} ({state})")


class _database:
    """Context manager: the configured database, without starting jobs or events."""

    def __enter__(self):  # type: ignore[no-untyped-def]
        from trellis.core.db import create_database

        settings = _settings()
        try:
            self.database = create_database(settings)
        except Exception as exc:
            _fail(f"cannot open the database: {exc}")
        return self.database

    def __exit__(self, *exc_info: object) -> None:
        self.database.dispose()


@keys_app.command("status")
def keys_status() -> None:
    """Show the current master key and how many stored secrets each key protects."""
    from trellis.core.crypto import SecretError
    from trellis.core.key_rotation import describe_status, key_status

    with _database() as database:
        try:
            lines = describe_status(key_status(_settings(), database))
        except SecretError as exc:
            _fail(exc.message)
    for line in lines:
        typer.echo(line)


@keys_app.command("rotate")
def keys_rotate(
    rewrap_only: Annotated[
        bool, typer.Option(help="No new key: re-wrap every secret under the current key (TRELLIS_MASTER_KEY).")
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per committed batch.")] = 500,
) -> None:
    """New master key, every stored data key re-wrapped under it, old key retired. Safe to re-run."""
    from trellis.core.crypto import SecretError
    from trellis.core.key_rotation import ExternallyManagedKey, describe_rotation, rotate_master_key
    from trellis.core.observability import configure_logging

    settings = _settings()
    configure_logging(settings)  # the rotation's log records go to stderr like the server's; stdout is the summary
    with _database() as database:
        try:
            result = rotate_master_key(settings, database, rewrap_only=rewrap_only, batch_size=batch_size)
        except ExternallyManagedKey as exc:
            typer.echo(exc.message, err=True)
            raise typer.Exit(2) from None
        except SecretError as exc:
            _fail(exc.message)
    for line in describe_rotation(result):
        typer.echo(line)
    if not result.complete:
        raise typer.Exit(1)


@app.command()
def doctor() -> None:
    """Check this setup: mode, data directory, database, Redis, broker, workers, migrations."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        _fail(str(exc))
    from trellis.core.diagnostics import diagnose

    lines, healthy = diagnose(settings)
    for status, label, detail in lines:
        colour = {"ok": typer.colors.GREEN, "warn": typer.colors.YELLOW, "fail": typer.colors.RED}[status]
        typer.secho(f"[{status:>4}] ", fg=colour, nl=False)
        typer.echo(f"{label}: {detail}")
    if not healthy:
        raise typer.Exit(1)


def _migrated_session() -> tuple[Settings, Database]:
    """A session on the configured database, migrated first in embedded mode."""
    from trellis.core.db import create_database
    from trellis.core.migrate import is_up_to_date, upgrade
    from trellis.core.observability import configure_logging

    settings = _settings()
    configure_logging(settings)  # our handlers on this process's stderr, masked, like the server's
    logging.getLogger("alembic").setLevel(logging.WARNING)  # a one-shot command's output is its result, not this
    database = create_database(settings)
    if settings.should_auto_migrate:
        upgrade(database)
    elif not is_up_to_date(database):
        _fail("the database schema is not current; run `trellis db upgrade` first.")
    return settings, database


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option(help="The account's email address.")],
    password: Annotated[
        str | None,
        typer.Option(help="Omit to be prompted (a password on the command line shows in process listings)."),
    ] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    full_name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="A Trellis administrator (jobs, platform settings).")] = False,
) -> None:
    """Create an account (with its personal workspace)."""
    from trellis.auth import service as auth_service
    from trellis.core.errors import TrellisError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    _, database = _migrated_session()
    try:
        with database.session_factory() as session:
            user = auth_service.create_user(
                session, email=email, password=password, full_name=full_name, is_admin=admin, verified=True
            )
            session.commit()
            typer.echo(f"created {'administrator' if admin else 'user'} {user.email} ({user.id})")
    except TrellisError as exc:
        _fail(exc.message)
    finally:
        database.dispose()


@token_app.command("create")
def token_create(
    email: Annotated[str, typer.Option(help="Whose token.")],
    name: Annotated[str, typer.Option(help="What the token is for, e.g. 'ci'.")],
    scope: Annotated[str, typer.Option(help="read or read_write.")] = "read_write",
    expires_in_days: Annotated[int | None, typer.Option(min=1, max=3650, help="Days until it expires.")] = None,
) -> None:
    """Create a personal API token and print it once (it cannot be shown again)."""
    from trellis.auth import service as auth_service

    if scope not in ("read", "read_write"):
        _fail("--scope must be read or read_write")
    _, database = _migrated_session()
    try:
        with database.session_factory() as session:
            user_id = auth_service.find_user_id(session, email=email)
            if user_id is None:
                _fail(f"no account for {email}; create it with `trellis user create`")
            _, secret = auth_service.create_api_token(
                session,
                user_id=user_id,
                name=name,
                scope=scope,  # type: ignore[arg-type]
                expires_in_days=expires_in_days,
            )
            session.commit()
    finally:
        database.dispose()
    typer.echo(secret)


@requirements_app.command("analyze")
def requirements_analyze(
    file: Annotated[
        str,
        typer.Argument(
            help="A requirements file (Markdown, text, CSV, JSON or YAML), or a folder with one requirement per text "
            "file (code = file name)."
        ),
    ],
    output_format: Annotated[
        str, typer.Option("--format", help="Report format: table, json or md.", case_sensitive=False)
    ] = "table",
    input_format: Annotated[
        str | None,
        typer.Option(help="Parse FILE as markdown, text, csv, json or yaml (default: from its extension or content)."),
    ] = None,
) -> None:
    """Check requirements for ambiguity, testability, completeness and dependencies. Offline: no server, no database."""
    from pathlib import Path

    from trellis.requirements.analysis import analyze_project
    from trellis.requirements.files import RequirementsLoadError, load_requirements
    from trellis.requirements.report import REPORT_FORMATS, render

    output_format = output_format.lower()
    if output_format not in REPORT_FORMATS:
        _fail(f"--format must be one of {', '.join(REPORT_FORMATS)}")
    try:
        requirements = load_requirements(Path(file), input_format=input_format)
    except RequirementsLoadError as exc:
        _fail(str(exc))
    if not requirements:
        _fail(f"{file}: no requirements found")
    typer.echo(render(requirements, analyze_project(requirements), output_format))


def main() -> None:
    try:
        app()
    except SettingsError as exc:
        typer.secho(f"trellis: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(2)
