"""What the benchmarks share: the served API they measure (`uvicorn app.main:app` on a
loopback port) and pointing the app, in process, at a benchmark's database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def start(env: dict[str, str], port: int, workers: int = 1) -> subprocess.Popen:
    """Start uvicorn with `env` (DATABASE_URL and the rest) and wait until it answers."""
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log",
         "--no-server-header", "--workers", str(workers)],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.terminate()
    raise RuntimeError("the API did not start")


def point_app_at(url: str) -> None:
    """Make the app in this process use the database at `url` (settings and engine anew)."""
    os.environ.update(
        {
            "DATABASE_URL": url,
            "RUN_WORKERS": "false",
            "LOG_LEVEL": "WARNING",
            "ENVIRONMENT": "development",
        }
    )
    from app.core.config import get_settings
    from app.core.db import reset_engine

    get_settings.cache_clear()
    reset_engine()


def row_level_security(database_url: str, *, on: bool) -> None:
    """`--without-rls` (a diagnostic, PostgreSQL): turn row-level security off on every
    table that has a policy (the policies stay, unused), or back on (`on=True`, as the
    migrations left it: enabled and forced). Off, the app still runs as
    `creditpool_app` with `app.group_id` set, so the difference against a normal run is
    what the policies cost. Never done outside the benchmarks."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT DISTINCT c.relname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid"
        ).fetchall()
        for (table,) in tables:
            if on:
                conn.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
                conn.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
            else:
                conn.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
                conn.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
    if not on:
        print(f"   row-level security turned off on {len(tables)} tables (--without-rls)")
