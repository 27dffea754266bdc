"""The `creditpool` command: migrate, create-admin, serve, demo, push."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

app = typer.Typer(
    help="creditpool: pooled trade credit experience for credit groups.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()


@app.callback()
def _wire() -> None:
    """Before every command: the same listeners and receivers as the app (app.wiring)."""
    from app.wiring import install

    install()


@app.command()
def migrate() -> None:
    """Upgrade the database (DATABASE_URL) to the newest migration."""
    from app.core.db import get_engine, pending_migrations
    from app.core.db import migrate as run_migrations

    before, head = pending_migrations(get_engine())
    run_migrations()
    if before is None:
        console.print(f"[green]database created (migration {head})[/green]")
    elif before != head:
        console.print(f"[green]database upgraded from migration {before} to {head}[/green]")
    else:
        console.print(f"[green]database already up to date (migration {head})[/green]")


@app.command("sweep-uploads")
def sweep_uploads() -> None:
    """Remove upload files in DATA_DIR/imports that no queued or running import needs
    and that are older than an hour (served processes also do it at start-up and
    every 10 minutes)."""
    import app.models  # noqa: F401 - every table
    from app.imports.sweep import sweep

    console.print(f"[green]{sweep()} orphaned upload file(s) removed[/green]")


@app.command("create-admin")
def create_admin(
    email: str = typer.Option(..., help="The platform admin's email (login)."),
    password: str = typer.Option(..., help="At least 12 characters.", hide_input=True),
) -> None:
    """Create a platform admin, who creates groups and their first group admin."""
    import app.models  # noqa: F401 - every table, so that the users' foreign keys resolve
    from app.core.db import system_session
    from app.users.bootstrap import create_platform_admin

    try:
        with system_session() as session:
            create_platform_admin(session, email, password)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"[green]platform admin {email.lower()} created[/green]")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, envvar="PORT", help="Port to listen on (or PORT)."),
    workers: int = typer.Option(1, help="Processes (each runs its own background worker)."),
) -> None:
    """Migrate, then serve the API (background work runs inside the process)."""
    import uvicorn

    from app.core.config import get_settings
    from app.core.db import migrate as run_migrations

    try:
        get_settings().signing_key  # noqa: B018 - outside development, SECRET_KEY or nothing
    except RuntimeError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    run_migrations()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - only a display
    console.print(
        f"creditpool listening on [bold]http://{shown}:{port}[/bold] "
        f"(API docs: http://{shown}:{port}/docs); Ctrl+C stops it"
    )
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        server_header=False,  # no "server: uvicorn" banner for scanners to match on
    )


@app.command()
def demo(
    url: str = typer.Option(
        "http://127.0.0.1:8000", help="Where it will be served (for the examples)."
    ),
) -> None:
    """Fill a demo group (members, users, an API key, clients, history) and print logins.
    The API key the previous run printed is revoked."""
    from app.core.db import migrate as run_migrations
    from app.demo import seed

    run_migrations()
    seed(console, url.rstrip("/"))


@app.command()
def push(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="The CSV file to import."
    ),
    url: str = typer.Option(..., help="The creditpool server, e.g. https://credit.example.com"),
    api_key: str = typer.Option(
        ..., envvar="CREDITPOOL_API_KEY", help="Your member's API key (experiences:write)."
    ),
    idempotency_key: str | None = typer.Option(
        None, help="Default: derived from the file's content, so a re-run imports once."
    ),
    poll_seconds: float = typer.Option(1.0, min=0.05, help="How often to ask for progress."),
    strict: bool = typer.Option(False, help="Exit 1 when any row is refused."),
    date_format: str | None = typer.Option(
        None, help="How the file writes dates: MM/DD/YYYY, DD/MM/YYYY, DD.MM.YYYY."
    ),
    mapping: str | None = typer.Option(
        None, help='The file\'s column names to ours, as JSON: {"Invoice Date": "as_of"}.'
    ),
    dry_run: bool = typer.Option(False, help="Check the file and store nothing."),
) -> None:
    """Upload a CSV of payment experiences, follow the import, print the summary.

    Exit code 0 when the import is done (refused lines are listed), 1 when the file was
    refused, the import failed, the server could not be reached, every row was refused,
    or with --strict any row was.
    """
    from app.imports.push import push as push_file

    code = push_file(
        file,
        url,
        api_key,
        idempotency_key=idempotency_key,
        poll_seconds=poll_seconds,
        console=console,
        strict=strict,
        options={
            k: v
            for k, v in (
                ("date_format", date_format),
                ("mapping", mapping),
                ("dry_run", "true" if dry_run else None),
            )
            if v is not None
        },
    )
    raise typer.Exit(code)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
