"""Alembic environment: the app's own metadata and database URL."""

from alembic import context
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table)
from app.core.config import get_settings
from app.core.db import _normalize_url, build_engine

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or _normalize_url(get_settings().database_url)


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = build_engine(_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    # render_as_batch: SQLite can only ALTER tables by copying them; batch mode does that.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Rebuilding a table that other rows refer to (batch mode drops the old copy)
        # breaks their references for a moment: SQLite's own procedure for altering a
        # table is to switch enforcement off around the transaction (it cannot be switched
        # inside one) and check every reference before committing.
        _sqlite_foreign_keys(connection, "OFF")
    try:
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Several processes may start (and migrate) at once against one database:
                # one migrates, the others wait here and then find nothing left to do.
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7240315001)")
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration leaves broken references: {broken[:5]}")
    finally:
        if sqlite:
            _sqlite_foreign_keys(connection, "ON")


def _sqlite_foreign_keys(connection, state: str) -> None:
    # On the driver's connection, outside SQLAlchemy's transaction (a PRAGMA inside one is
    # ignored); the pool's own connections keep foreign keys on (app.core.db).
    connection.connection.driver_connection.execute(f"PRAGMA foreign_keys={state}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
