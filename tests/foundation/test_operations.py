"""Operations: health and readiness, migrations from empty and back, refusing to serve
a database behind the newest migration, and refusing to start without SECRET_KEY."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect

import app.core.db as db
from app.core.config import Settings
from tests.foundation.helpers import unique_email

TEST_DB = os.environ.get("CREDITPOOL_TEST_DB", "sqlite")


@pytest.fixture
def scratch_database(tmp_path):
    """An empty database of the suite's kind (SQLite file, or a new PostgreSQL database)."""
    if TEST_DB != "postgres":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    import psycopg

    admin_url = os.environ["TEST_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    name = f"creditpool_scratch_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield admin_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def tables(url: str) -> set[str]:
    engine = db.build_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_go_up_from_empty_down_to_base_and_up_again(scratch_database):
    from alembic import command

    config = db.alembic_config(scratch_database)
    command.upgrade(config, "head")
    created = tables(scratch_database)
    assert {"trade_group", "member", "app_user", "api_key", "audit_event"} <= created
    engine = db.build_engine(scratch_database)
    current, head = db.pending_migrations(engine)
    assert current == head
    db.ensure_migrated(engine)
    engine.dispose()
    command.downgrade(config, "base")
    assert tables(scratch_database) == set()
    command.upgrade(config, "head")
    assert tables(scratch_database) == created


def test_the_app_refuses_to_serve_a_database_behind_the_newest_migration(
    scratch_database, monkeypatch
):
    from app.main import create_app

    behind = db.build_engine(scratch_database)
    with pytest.raises(db.DatabaseBehind, match="creditpool migrate"):
        db.ensure_migrated(behind)
    monkeypatch.setattr("app.main.get_engine", lambda: behind)
    with pytest.raises(db.DatabaseBehind), TestClient(create_app()):
        pass
    behind.dispose()


def test_health_and_readiness(api, monkeypatch):
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"
    # Nothing listens on port 1: the connection is refused at once.
    unreachable = db.Database("postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.setattr("app.health.database", lambda: unreachable)
    down = api.get("/readyz")
    assert down.status_code == 503
    assert down.json() == {"status": "unavailable", "database": "unreachable"}
    assert api.get("/healthz").status_code == 200  # alive, just not ready


def test_what_startup_made_is_kept_out_of_the_garbage_collector_while_serving():
    """A full collection over the startup heap stopped every request for 100+ ms."""
    import gc

    from app.main import create_app

    gc.unfreeze()
    with TestClient(create_app()) as served:
        assert served.get("/healthz").status_code == 200
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0  # given back at shutdown


def test_no_start_outside_development_without_a_secret_key(monkeypatch):
    for environment in ("production", "test"):
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            _ = Settings(environment=environment, secret_key=None).signing_key
    assert Settings(environment="development", secret_key=None).signing_key
    assert Settings(environment="production", secret_key="k" * 40).signing_key == "k" * 40

    from app.main import create_app

    monkeypatch.setattr(
        "app.main.get_settings", lambda: Settings(environment="production", secret_key=None)
    )
    with pytest.raises(RuntimeError, match="SECRET_KEY"), TestClient(create_app()):
        pass


def test_the_platform_admin_is_made_from_the_command_line(api):
    from typer.testing import CliRunner

    from app.cli import app as cli

    email = unique_email("cli-admin")
    runner = CliRunner()
    made = runner.invoke(cli, ["create-admin", "--email", email, "--password", "long-enough-pass"])
    assert made.exit_code == 0, made.output
    again = runner.invoke(cli, ["create-admin", "--email", email, "--password", "long-enough-pass"])
    assert again.exit_code == 1 and "registered" in again.output
    short = runner.invoke(cli, ["create-admin", "--email", unique_email(), "--password", "short"])
    assert short.exit_code == 1
    token = api.post("/v1/auth/token", data={"username": email, "password": "long-enough-pass"})
    assert token.status_code == 200


def test_the_migrations_build_exactly_the_schema_the_models_describe(scratch_database):
    """Upgraded from empty, the database has the models' tables, columns, indexes and
    keys (Alembic's autogenerate comparison finds nothing to add or drop)."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import app.models  # noqa: F401 - every table

    command.upgrade(db.alembic_config(scratch_database), "head")
    engine = db.build_engine(scratch_database)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": False})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_the_profile_index_carries_the_figures_and_down_again(scratch_database):
    """Alembic's comparison does not look at INCLUDE: on PostgreSQL the migrated
    ix_experience_client_asof must carry every figure a profile reads, so that the
    profile's statements are index-only scans; one step down it is the plain index."""
    from alembic import command
    from sqlalchemy import inspect

    from app.experiences.models import PROFILE_FIGURES

    config = db.alembic_config(scratch_database)
    command.upgrade(config, "head")

    def client_index() -> dict:
        engine = db.build_engine(scratch_database)
        try:
            indexes = inspect(engine).get_indexes("experience")
        finally:
            engine.dispose()
        return next(i for i in indexes if i["name"] == "ix_experience_client_asof")

    index = client_index()
    assert index["column_names"] == ["group_id", "client_id", "as_of", "member_id"]
    included = index.get("include_columns") or index.get("dialect_options", {}).get(
        "postgresql_include", []
    )
    assert list(included) == (list(PROFILE_FIGURES) if TEST_DB == "postgres" else [])
    command.downgrade(config, "imports_0004")
    assert not (client_index().get("include_columns") or [])
    assert client_index()["column_names"] == ["group_id", "client_id", "as_of", "member_id"]


def test_migration_files_sort_in_chain_order():
    """A reader lists migrations/versions/ and sees the chain from the first migration
    to the newest (the revision ids are kept as they were, for existing databases)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db.alembic_config())
    chain = [Path(rev.path).name for rev in script.walk_revisions()][::-1]
    assert chain == sorted(chain)
    # Numbered by position in the chain, from 0000.
    assert [name[:5] for name in chain] == [f"{n:04d}_" for n in range(len(chain))]
