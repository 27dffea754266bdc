"""Ingest benchmark: trade lines through the HTTP API beside the raw database driver.

    .venv/bin/python bench/ingest.py                 # every section, SQLite and PostgreSQL
    .venv/bin/python bench/ingest.py --only batch    # one section
    .venv/bin/python bench/ingest.py --db sqlite --rows 20000

Each database gets a fresh, migrated database; the API is a real `uvicorn app.main:app`
subprocess on a loopback port. PostgreSQL is used when reachable at $BENCH_PG_URL
(default postgresql://postgres@127.0.0.1:5432/postgres; a scratch database is created
and dropped). The batch section's baseline is the raw driver putting back the very rows
the API stored (read back, deleted, re-inserted with one executemany on SQLite, one COPY
on PostgreSQL: same ids, table, indexes and foreign keys); the ratio API / raw is the
figure (goal: 25%). Sections are functions `(Target) -> list[Figure]` in SECTIONS: add one
(e.g. a CSV import) by writing it and registering its name.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import apiserver
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BATCH = 5000
PASSWORD = "bench-password-123"
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


# ---------------------------------------------------------------------------- plumbing
@dataclass
class Tenant:
    """A group with one member and its API key, made through the public API."""

    group_id: str
    member_id: str
    key_headers: dict[str, str]
    admin_headers: dict[str, str]


@dataclass
class Target:
    """One database under test, with the API served on it."""

    name: str  # "sqlite" or "postgresql"
    database_url: str
    base_url: str
    tenant: Tenant
    rows: int
    client: httpx.Client = field(repr=False, default=None)

    def add_member(self, name: str) -> str:
        response = self.client.post(
            "/v1/members", headers=self.tenant.admin_headers, json={"name": name}
        )
        response.raise_for_status()
        return response.json()["id"]


@dataclass
class Figure:
    section: str
    database: str
    what: str
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3, autocommit=True):
            return True
    except Exception:
        return False


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="creditpool-bench-") as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    import psycopg

    name = f"creditpool_bench_{os.getpid()}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _environment(database_url: str) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "development",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "LOG_LEVEL": "WARNING",
        "RUN_WORKERS": "false",
    }


@contextmanager
def served(database_url: str) -> Iterator[str]:
    """Migrate, then run uvicorn on a loopback port; yields the base URL."""
    env = _environment(database_url)
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT, env=env, check=True)
    # Every table imported first, so the CLI's session knows all foreign keys.
    subprocess.run(
        [sys.executable, "-c", "import app.models; from app.cli import main; main()",
         "create-admin", "--email", "bench@example.com", "--password", PASSWORD],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    if WITHOUT_RLS and database_url.startswith("postgresql"):
        apiserver.row_level_security(database_url, on=False)
    port = _free_port()
    server = apiserver.start(env, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


# `--without-rls`: a diagnostic, to measure what row-level security costs (PostgreSQL).
WITHOUT_RLS = False


def _token(client: httpx.Client, email: str) -> dict[str, str]:
    response = client.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def bootstrap(client: httpx.Client) -> Tenant:
    platform = _token(client, "bench@example.com")
    tag = uuid.uuid4().hex[:8]
    group = client.post(
        "/v1/groups",
        headers=platform,
        json={"name": "Bench", "slug": f"bench-{tag}",
              "admin": {"email": f"ga-{tag}@example.com", "password": PASSWORD}},
    ).json()  # fmt: skip
    admin = _token(client, f"ga-{tag}@example.com")
    member = client.post("/v1/members", headers=admin, json={"name": "Supplier"}).json()
    client.post(
        "/v1/users",
        headers=admin,
        json={"email": f"ma-{tag}@example.com", "password": PASSWORD,
              "role": "member_admin", "member_id": member["id"]},
    ).raise_for_status()  # fmt: skip
    member_admin = _token(client, f"ma-{tag}@example.com")
    key = client.post(
        "/v1/api-keys",
        headers=member_admin,
        json={"name": "erp", "scopes": ["experiences:write", "clients:read"]},
    ).json()
    return Tenant(group["id"], member["id"], {"X-API-Key": key["key"]}, admin)


# ---------------------------------------------------------------------- the workload
def aging_lines(rows: int) -> list[list[dict]]:
    """An ERP's month-end A/R aging: 5,000 customers named inline, one batch per month."""
    customers = [
        {
            "legal_name": f"Customer {i:05d} {('Inc.', 'LLC', 'Ltd', 'GmbH', 'Corp.')[i % 5]}",
            "country": ("US", "DE", "GB", "FR", "CA")[i % 5],
            "tax_id": f"{i:02d}-{i * 7919 % 10_000_000:07d}",
            "address": {"postal_code": f"{10000 + i % 90000}"},
        }
        for i in range(BATCH)
    ]
    batches: list[list[dict]] = []
    month = 0
    while sum(len(b) for b in batches) < rows:
        as_of = date(2024 + month // 12, month % 12 + 1, 28).isoformat()
        batch = []
        for i, customer in enumerate(customers[: rows - sum(len(b) for b in batches)]):
            late = (i * 37 + month) % 100
            owed = 1000 + (i * 131) % 90000
            b1 = owed * (late % 10) // 100 if late > 60 else 0
            b2 = owed * (late % 5) // 100 if late > 85 else 0
            batch.append(
                {
                    "client": customer,
                    "customer_ref": f"C{i:05d}",
                    "as_of": as_of,
                    "currency": "USD",
                    "terms_days": 30,
                    "high_credit": f"{owed * 2}.00",
                    "total_owed": f"{owed}.50",
                    "current": f"{owed - b1 - b2}.50",
                    "past_due_1_30": f"{b1}.00",
                    "past_due_31_60": f"{b2}.00",
                    "past_due_61_90": "0.00",
                    "past_due_over_90": "0.00",
                    "comments": ["SLOW"] if late > 85 else [],
                }
            )
        batches.append(batch)
        month += 1
    return batches


class RawDriver:
    """The database driver alone (sqlite3 / psycopg) on the very rows the API stored:
    each batch's lines are read back, deleted, and inserted again as they were (same
    ids, same table, same indexes and foreign keys) with one `executemany` on SQLite and
    one COPY on PostgreSQL, then committed. Only that insert and commit are timed."""

    def __init__(self, target: Target):
        self.sqlite = target.name == "sqlite"
        self.group_id = target.tenant.group_id
        if self.sqlite:
            import sqlite3

            self.conn = sqlite3.connect(target.database_url.removeprefix("sqlite:///"))
            # The application's own settings (app.core.db), for a like-for-like comparison.
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA busy_timeout=30000")
            self.mark = "?"
        else:
            import psycopg

            self.conn = psycopg.connect(target.database_url)
            self.mark = "%s"
        self.what = "raw driver: the stored rows " + ("executemany" if self.sqlite else "COPY")

    def take_back(self, member_id: str, as_of: str) -> tuple[list[str], list[tuple]]:
        """The batch's stored lines (column names, rows as the driver reads them), deleted
        and committed: what `reinsert` puts back."""
        where = f"WHERE group_id = {self.mark} AND member_id = {self.mark} AND as_of = {self.mark}"
        day = as_of if self.sqlite else date.fromisoformat(as_of)
        params = (self.group_id, member_id, day)
        cur = self.conn.cursor()
        cur.execute(f"SELECT * FROM experience {where}", params)  # noqa: S608 - fixed SQL
        columns = [d[0] for d in cur.description]
        rows = cur.fetchall()
        cur.execute(f"DELETE FROM experience {where}", params)  # noqa: S608 - fixed SQL
        self.conn.commit()
        if not self.sqlite:
            from psycopg.types.json import Json

            rows = [tuple(Json(v) if isinstance(v, list | dict) else v for v in r) for r in rows]
        return columns, rows

    def reinsert(self, columns: list[str], rows: list[tuple]) -> float:
        names = ", ".join(f'"{c}"' for c in columns)
        started = time.perf_counter()
        cur = self.conn.cursor()
        if self.sqlite:
            marks = ", ".join(["?"] * len(columns))
            cur.executemany(f"INSERT INTO experience ({names}) VALUES ({marks})", rows)  # noqa: S608
        else:
            with cur.copy(f"COPY experience ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        self.conn.commit()
        return time.perf_counter() - started

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------------------- sections
def section_batch(target: Target) -> list[Figure]:
    """POST /v1/experiences/batch (clients inline) vs the raw driver re-inserting the very
    rows the API stored (RawDriver).

    The two alternate batch by batch, so that both meet the same load on a shared machine.
    """
    batches = aging_lines(target.rows)
    bodies = [json.dumps({"items": b}).encode() for b in batches]
    headers = target.tenant.key_headers | {"Content-Type": "application/json"}
    raw = RawDriver(target)
    api_seconds = raw_seconds = 0.0
    ratios = []
    try:
        for batch, body in zip(batches, bodies, strict=True):
            started = time.perf_counter()
            response = target.client.post("/v1/experiences/batch", headers=headers, content=body)
            api = time.perf_counter() - started
            response.raise_for_status()
            result = response.json()
            assert result["rejected"] == 0 and result["created"] == len(batch), result
            columns, rows = raw.take_back(target.tenant.member_id, batch[0]["as_of"])
            assert len(rows) == len(batch), (len(rows), len(batch))
            raw_batch = raw.reinsert(columns, rows)
            api_seconds, raw_seconds = api_seconds + api, raw_seconds + raw_batch
            ratios.append(raw_batch / api)
    finally:
        raw.close()
    print(
        f"   per-batch API/raw ratios: {', '.join(f'{r:.0%}' for r in ratios)}"
        f" (median {statistics.median(ratios):.0%})"
    )
    # Once more: every line replaces one (an ERP re-sending its aging).
    started = time.perf_counter()
    for body in bodies[:2]:
        response = target.client.post("/v1/experiences/batch", headers=headers, content=body)
        response.raise_for_status()
        assert response.json()["updated"] == BATCH
    replace_seconds = time.perf_counter() - started
    total = sum(len(b) for b in batches)
    replaced = sum(len(b) for b in batches[:2])
    name = target.name
    return [
        Figure("batch", name, "API POST /v1/experiences/batch (new lines)", total, api_seconds),
        Figure("batch", name, raw.what, total, raw_seconds),
        Figure(
            "batch", name, "API, the same lines re-sent (all updated)", replaced, replace_seconds
        ),
    ]


# The CSV import section's file size (`--csv-rows`).
CSV_ROWS = 1_000_000


def section_csv(target: Target) -> list[Figure]:
    """A CSV file through POST /v1/imports and the background worker (bench/csv_import.py):
    its own fresh database and served process, so that the peak RSS is the import's."""
    import csv_import

    with tempfile.TemporaryDirectory(prefix="creditpool-bench-csv-") as tmp:
        workdir = Path(tmp)
        csv_path = workdir / "aging.csv"
        csv_import.write_csv(csv_path, CSV_ROWS)
        result = csv_import.run_backend(target.name, csv_path, CSV_ROWS, workdir)
    print(
        f"   CSV import {result['status']}: {result['rows']:,} rows in {result['total_s']:.1f} s"
        f" (upload {result['upload_s']:.1f} s), peak RSS {result['total_peak_rss_mb']:.0f} MB"
        f" (server {result['peak_rss_mb']:.0f}, reader {result['reader_peak_rss_mb']:.0f}),"
        f" CPU {result['server_cpu_s'] or 0:.1f} + {result['reader_cpu_s']:.1f} s"
        f" ({result['rows_per_cpu_s'] or 0:,.0f} rows per CPU-second); targets"
        f" {csv_import.TARGET_ROWS_PER_SECOND:,} rows/s, {csv_import.TARGET_PEAK_RSS_MB} MB",
        flush=True,
    )
    return [Figure("csv", target.name, "CSV import, upload to done", result["rows"],
                   result["total_s"])]  # fmt: skip


SECTIONS: dict[str, Callable[[Target], list[Figure]]] = {
    "batch": section_batch,
    "csv": section_csv,
}


def run(databases: list[str], sections: list[str], rows: int) -> list[Figure]:
    figures: list[Figure] = []
    for kind in databases:
        with (
            fresh_database(kind) as url,
            served(url) as base,
            httpx.Client(base_url=base, timeout=300) as client,
        ):
            target = Target(kind, url, base, bootstrap(client), rows, client)
            for name in sections:
                print(f"== {kind}: {name} ({rows} rows)", flush=True)
                for figure in SECTIONS[name](target):
                    figures.append(figure)
                    print(f"   {figure.what:<48} {figure.rows:>8} rows {figure.seconds:8.2f} s"
                          f" {figure.rate:>10,.0f} rows/s", flush=True)  # fmt: skip
    return figures


def summary(figures: list[Figure]) -> None:
    by = {(f.section, f.database, f.what.split(" ")[0]): f for f in figures}
    print("\n== batch API vs raw driver")
    for database in sorted({f.database for f in figures if f.section == "batch"}):
        api, raw = by.get(("batch", database, "API")), by.get(("batch", database, "raw"))
        if api and raw:
            ratio = api.rate / raw.rate
            verdict = "meets" if ratio >= 0.25 else "BELOW"
            print(f"   {database:<11} API {api.rate:>9,.0f} rows/s, raw {raw.rate:>9,.0f} rows/s,"
                  f" ratio {ratio:.0%} ({verdict} the 25% target)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", choices=sorted(SECTIONS), help="a section")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "all"], default="all")
    parser.add_argument("--rows", type=int, default=50_000, help="lines per section")
    parser.add_argument("--csv-rows", type=int, default=CSV_ROWS, help="rows of the CSV file")
    parser.add_argument(
        "--without-rls",
        action="store_true",
        help="PostgreSQL: row-level security off, to measure what it costs (diagnostic)",
    )
    args = parser.parse_args(argv)
    globals()["CSV_ROWS"] = args.csv_rows
    globals()["WITHOUT_RLS"] = args.without_rls
    databases = ["sqlite", "postgresql"] if args.db == "all" else [args.db]
    if "postgresql" in databases and not _pg_reachable():
        print(f"PostgreSQL not reachable at {PG_ADMIN_URL}: SQLite only")
        databases.remove("postgresql")
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    summary(run(databases, args.only or list(SECTIONS), args.rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
