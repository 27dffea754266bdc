"""What PostgreSQL's server spends per imported line, and on what (a diagnostic bench).

    .venv/bin/python bench/pg_upsert_cost.py [--chunks 100]

An import chunk stores its 5,000 lines as `app.core.bulk` does: COPY into a temporary
staging table, then one `INSERT ... SELECT ... ON CONFLICT (group, member, client, as_of)
DO UPDATE ... RETURNING id` into `experience`, then TRUNCATE and COMMIT (the lines of
100,000 clients, month after month, as bench/csv_import.py's file has them). This bench
runs that sequence alone on a migrated scratch database, no application around it, and
reads the backend's CPU seconds from /proc for each step. Beside it, in the same run and
on the same data: the raw driver's floor (plain COPY straight into `experience`, no
upsert), and the app's statements on a copy of the schema without the two composite
foreign keys, to show what those checks cost.

BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres) names a server
where a database `creditpool_bench_upsert` may be created and dropped. Needs /proc
(Linux) and the server on this machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.db import migrate  # noqa: E402
from app.core.types import new_sequential_id  # noqa: E402
from app.experiences.ingest import _COLUMNS, _CONFLICT  # noqa: E402

CLIENTS = 100_000
CHUNK = 5_000
DATABASE = "creditpool_bench_upsert"
DROP_KEYS = (
    "ALTER TABLE experience DROP CONSTRAINT fk_experience_client_group, "
    "DROP CONSTRAINT fk_experience_member_group"
)


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def month_ends(count: int) -> list[date]:
    day, ends = date.today().replace(day=1) - timedelta(days=1), []
    for _ in range(count):
        ends.append(day)
        day = day.replace(day=1) - timedelta(days=1)
    return ends[::-1]


def fresh_database(admin_url: str, ddl: str | None) -> str:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    url = admin_url.rsplit("/", 1)[0] + f"/{DATABASE}"
    migrate(url.replace("postgresql://", "postgresql+psycopg://", 1))
    if ddl:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(ddl)
    return url


def run(url: str, chunks: int, upsert: bool) -> dict[str, float]:
    """Seconds of backend CPU per step over `chunks` chunks, and the wall time."""
    now = datetime.now(UTC)
    group, member = new_sequential_id(), new_sequential_id()
    clients = [new_sequential_id() for _ in range(CLIENTS)]
    ends = month_ends(max(1, chunks * CHUNK // CLIENTS + 1))
    names = ", ".join(_COLUMNS)
    spent = {"copy": 0.0, "insert": 0.0, "commit": 0.0, "wall": 0.0}
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO trade_group (id, name, slug, currency, settings, created_at, "
            "data_version) VALUES (%s, 'Bench', 'bench', 'USD', '{}', %s, 0)",
            (group, now),
        )
        cur.execute(
            "INSERT INTO member (group_id, id, name, status, created_at) "
            "VALUES (%s, %s, 'Bench member', 'active', %s)",
            (group, member, now),
        )
        with cur.copy(
            "COPY client (group_id, id, legal_name, country, tax_id, tax_id_norm, "
            "name_norm, postal_code, postal_norm, created_at) FROM STDIN"
        ) as copy:
            for n, client in enumerate(clients):
                tax = f"{n:09d}"
                copy.write_row((group, client, f"Client {n} Inc", "US", tax, tax,
                                f"client {n}", "10001", "10001", now))  # fmt: skip
        conn.commit()
        cur.execute("ANALYZE")
        conn.commit()
        pid = conn.info.backend_pid
        started = time.perf_counter()
        for chunk in range(chunks):
            first = chunk * CHUNK
            as_of = ends[first // CLIENTS]
            rows = [
                (new_sequential_id(), group, member, clients[(first + k) % CLIENTS], as_of,
                 "USD", 30, 500_000, 120_000, 100_000, 20_000, 0, 0, 0, None, None, None,
                 '["SLOW"]' if k % 7 == 0 else "[]", f"C{(first + k) % CLIENTS}", now, now)
                for k in range(CHUNK)
            ]  # fmt: skip
            before = backend_cpu(pid)
            if upsert:
                cur.execute(
                    "CREATE TEMPORARY TABLE IF NOT EXISTS _stage_experience "
                    "(LIKE experience INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
                )
                target = "_stage_experience"
            else:
                target = "experience"
            with cur.copy(f"COPY {target} ({names}) FROM STDIN") as copy:  # noqa: S608
                for row in rows:
                    copy.write_row(row)
            after_copy = backend_cpu(pid)
            if upsert:
                cur.execute(
                    f"INSERT INTO experience ({names}) SELECT {names} "  # noqa: S608
                    f"FROM _stage_experience {_CONFLICT} RETURNING id"
                )
                cur.fetchall()
                cur.execute("TRUNCATE _stage_experience")
            after_insert = backend_cpu(pid)
            conn.commit()
            spent["copy"] += after_copy - before
            spent["insert"] += after_insert - after_copy
            spent["commit"] += backend_cpu(pid) - after_insert
        spent["wall"] = time.perf_counter() - started
    return spent


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--chunks", type=int, default=100, help="chunks of 5,000 lines")
    p.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    a = p.parse_args()
    lines = a.chunks * CHUNK
    cases = (
        ("raw driver: COPY into experience", None, False),
        ("the app's COPY + INSERT ... ON CONFLICT", None, True),
        ("the same without the two foreign keys", DROP_KEYS, True),
    )
    print(f"## PostgreSQL server CPU per stored line: {lines:,} lines, chunks of {CHUNK:,}")
    print(f"{'case':42} {'wall s':>7} {'server CPU s':>13} {'us/line':>8} {'copy':>6} "
          f"{'insert':>7} {'commit':>7} {'vs raw':>7}")  # fmt: skip
    raw = None
    try:
        for label, ddl, upsert in cases:
            spent = run(fresh_database(a.pg_url, ddl), a.chunks, upsert)
            cpu = spent["copy"] + spent["insert"] + spent["commit"]
            raw = raw or cpu
            print(
                f"{label:42} {spent['wall']:7.1f} {cpu:13.1f} {cpu / lines * 1e6:8.1f} "
                f"{spent['copy'] / lines * 1e6:6.1f} {spent['insert'] / lines * 1e6:7.1f} "
                f"{spent['commit'] / lines * 1e6:7.1f} {cpu / raw:6.1f}x",
                flush=True,
            )
    finally:
        with psycopg.connect(a.pg_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    main()
