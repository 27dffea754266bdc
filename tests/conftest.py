"""The test world: a fresh database per run, the app, and two groups of people and keys.

The suite runs on SQLite, or on PostgreSQL when CREDITPOOL_TEST_DB=postgres and
TEST_DATABASE_URL points at a server (a fresh database is created per run and dropped
after). A test gets its own `world` (new groups with unique names), so tests never
depend on each other's data; tests that only read it, are refused, or store objects no
other test of the module counts share one `module_world` per module instead.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import pytest

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
_RUN = f"{_WORKER}_{os.getpid()}"
TEST_DB = os.environ.get("CREDITPOOL_TEST_DB", "sqlite")
_TMP = Path(tempfile.mkdtemp(prefix=f"creditpool-{_RUN}-"))

if TEST_DB == "postgres":
    _ADMIN_URL = os.environ["TEST_DATABASE_URL"]
    _DB_NAME = f"creditpool_test_{_RUN}".lower()
    DATABASE_URL = _ADMIN_URL.rsplit("/", 1)[0] + "/" + _DB_NAME
else:
    DATABASE_URL = f"sqlite:///{_TMP / 'test.db'}"

os.environ.update(
    {
        "ENVIRONMENT": "test",
        "DATABASE_URL": DATABASE_URL,
        "SECRET_KEY": "test-secret-key-" + uuid.uuid4().hex,
        "RUN_WORKERS": "false",
        "ARGON2_MEMORY_KIB": "64",
        "ARGON2_TIME_COST": "1",
        # Every in-process test client logs in from one address ("testclient"): the
        # per-address login limit would count the whole suite's failed logins together.
        # The throttle's own tests use addresses of their own and set the limit they test.
        "LOGIN_IP_MAX_FAILURES": "1000000",
        "LOG_LEVEL": "WARNING",
        "DATA_DIR": str(_TMP / "data"),
        "WEBHOOK_ALLOW_PRIVATE_URLS": "true",
    }
)

from tests.world import World, build_world  # noqa: E402  (after the environment is set)


def _admin_execute(sql: str) -> None:
    import psycopg

    url = _ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="session")
def database_url():
    if TEST_DB == "postgres":
        _admin_execute(f'DROP DATABASE IF EXISTS "{_DB_NAME}" WITH (FORCE)')
        _admin_execute(f'CREATE DATABASE "{_DB_NAME}"')
    from app.core.db import migrate

    migrate(DATABASE_URL)
    yield DATABASE_URL
    from app.core.db import reset_engine

    reset_engine()
    if TEST_DB == "postgres":
        _admin_execute(f'DROP DATABASE IF EXISTS "{_DB_NAME}" WITH (FORCE)')


@pytest.fixture(scope="session")
def app(database_url):
    from app.main import app as application

    return application


@pytest.fixture(scope="session")
def api(app):
    """An httpx client (Starlette's TestClient) talking to the app in process."""
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="session")
def platform_admin(api):
    from app.core.db import system_session
    from app.users.bootstrap import create_platform_admin

    email = f"platform-{uuid.uuid4().hex[:8]}@example.com"
    with system_session() as session:
        create_platform_admin(session, email, "platform-password-1")
    token = api.post(
        "/v1/auth/token", data={"username": email, "password": "platform-password-1"}
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def world(api, platform_admin) -> World:
    """Two fresh groups: A with three members (each with an admin, an analyst, a viewer
    and an all-scopes API key), and B with one member, the outsider."""
    return build_world(api, platform_admin)


@pytest.fixture(scope="module")
def module_world(api, platform_admin) -> World:
    """One world for all the tests of a module that only read it, are refused, or store
    objects of their own that no other test of the module counts or lists (nothing that
    changes what the others see: settings, roles, suspensions, failed logins): built once
    per module (per xdist worker) instead of once per test."""
    return build_world(api, platform_admin)


@pytest.fixture
def worker(app):
    """Run the in-process background worker's tasks on demand: `worker.run_once()`."""
    return app.state.worker
