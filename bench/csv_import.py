"""CSV import benchmark: a 1,000,000-row file through the real upload + worker path.

    .venv/bin/python bench/csv_import.py [--rows 1000000] [--backends sqlite,postgres]

For each database: a fresh database, a served process (`uvicorn app.main:app`, its
background worker on), a group, a member and an API key made through the API; the CSV
(clients named inline with tax ids, as an ERP export has them; 100,000 clients x 10
month ends) is generated once on disk, uploaded streamed (httpx) and followed on
`GET /v1/imports/{id}` until done. Prints rows/s (upload to done), CPU seconds, and
peak RSS: the served process's (VmHWM from /proc, else getrusage of the finished child),
its reader process's (app.imports.reader, on a machine with a spare core), and the
largest sum of the two sampled during the import, which the target is held to.
On PostgreSQL the baseline is a raw COPY of the very rows the import stored (copied out
after the import, the table truncated, COPYed back in binary; only that COPY and its
commit are timed, the median of three rounds), as `bench/ingest.py` does for batches.
Targets: >= 15,000 rows/s on SQLite, >= 35% of the raw COPY on PostgreSQL, peak RSS
< 300 MB.

PostgreSQL: BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres, as
bench/ingest.py) names a server where a database `creditpool_bench_csv` may be created
and dropped. `bench/ingest.py --only csv` runs the same as its `csv` section.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import apiserver
import httpx

ROOT = Path(__file__).resolve().parents[1]
TARGET_ROWS_PER_SECOND = 15_000  # SQLite
TARGET_COPY_RATIO = 0.35  # PostgreSQL: the import's rows/s over a raw COPY's
TARGET_PEAK_RSS_MB = 300
MONTHS = 10
PASSWORD = "bench-password-2026"
HEADER = (
    "customer_ref,legal_name,country,tax_id,postal_code,as_of,currency,terms_days,"
    "high_credit,total_owed,current,past_due_1_30,past_due_31_60,past_due_61_90,"
    "past_due_over_90,comments\n"
)


def month_ends(count: int) -> list[str]:
    day, ends = date.today().replace(day=1) - timedelta(days=1), []
    for _ in range(count):
        ends.append(day.isoformat())
        day = day.replace(day=1) - timedelta(days=1)
    return ends


def write_csv(path: Path, rows: int) -> None:
    """rows/MONTHS clients x MONTHS month ends; aging that adds up, a few comments."""
    ends = month_ends(MONTHS)
    clients = max(1, rows // MONTHS)
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(HEADER)
        written = 0
        for month in ends:
            lines = []
            for c in range(clients):
                if written >= rows:
                    break
                owed = 1000 + (c * 37 + len(month)) % 90000
                current, b1 = owed * 6 // 10, owed * 3 // 10
                b2 = owed - current - b1
                comment = "PROMPT" if c % 3 else "SLOW;DISPUTE"
                lines.append(
                    f"C{c:07d},Bench Client {c} Inc,US,BX-{c:07d},{10000 + c % 89999},"
                    f"{month},USD,30,{owed * 2}.00,{owed}.00,{current}.00,{b1}.00,{b2}.00,"
                    f"0,0,{comment}\n"
                )
                written += 1
            f.writelines(lines)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """user + system CPU time of a process so far (Linux), to compare runs on a shared
    machine: wall-clock rates there depend on what the neighbours do."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def children(pid: int) -> list[int]:
    """The process's direct children (Linux): the import's reader process among them."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class MemoryWatch(threading.Thread):
    """Samples, every 0.1 s, the resident memory of the served process plus its
    children (the import's reader process), and keeps the largest total, each child's
    peak and last CPU seconds. The sum counts shared library pages twice: an upper
    bound of what the import holds."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_total_mb = 0.0
        self.child_peak_mb: dict[int, float] = {}
        self.child_cpu_s: dict[int, float] = {}
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.1):
            total = rss_mb(self.pid)
            for child in children(self.pid):
                child_rss = rss_mb(child)
                total += child_rss
                self.child_peak_mb[child] = max(self.child_peak_mb.get(child, 0.0), child_rss)
                cpu = cpu_seconds(child)
                if cpu is not None:
                    self.child_cpu_s[child] = cpu
            self.peak_total_mb = max(self.peak_total_mb, total)

    def stop(self) -> None:
        self._done.set()
        self.join()


def prepare_database(backend: str, workdir: Path) -> tuple[str, callable]:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}", lambda: None
    import psycopg

    admin = os.environ.get(
        "BENCH_PG_URL",
        os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    name = "creditpool_bench_csv"

    def run(sql: str) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql)

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}"')
    return admin.rsplit("/", 1)[0] + "/" + name, lambda: run(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    )


def setup_member(base: str, env: dict[str, str]) -> str:
    """A platform admin (CLI), then group, member, member admin and API key (API)."""
    email = f"platform-{uuid.uuid4().hex[:6]}@bench.example.com"
    subprocess.run(
        [sys.executable, "-m", "app.cli", "create-admin", "--email", email, "--password", PASSWORD],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    with httpx.Client(base_url=base, timeout=60) as http:

        def login(user: str) -> dict[str, str]:
            token = http.post("/v1/auth/token", data={"username": user, "password": PASSWORD})
            token.raise_for_status()
            return {"Authorization": f"Bearer {token.json()['access_token']}"}

        tag = uuid.uuid4().hex[:8]
        group_admin = f"ga-{tag}@bench.example.com"
        http.post(
            "/v1/groups",
            headers=login(email),
            json={
                "name": f"Bench {tag}",
                "slug": f"bench-{tag}",
                "admin": {"email": group_admin, "password": PASSWORD},
            },
        ).raise_for_status()
        ga = login(group_admin)
        member = http.post("/v1/members", headers=ga, json={"name": "Bench Supply"})
        member.raise_for_status()
        admin = f"ma-{tag}@bench.example.com"
        http.post(
            "/v1/users",
            headers=ga,
            json={
                "email": admin,
                "password": PASSWORD,
                "role": "member_admin",
                "member_id": member.json()["id"],
            },
        ).raise_for_status()
        key = http.post(
            "/v1/api-keys",
            headers=login(admin),
            json={"name": "bench", "scopes": ["experiences:write"]},
        )
        key.raise_for_status()
        return key.json()["key"]


def run_backend(backend: str, csv_path: Path, rows: int, workdir: Path) -> dict:
    """Its own fresh database and served process, so that the peak RSS is the import's."""
    backend = "postgres" if backend == "postgresql" else backend
    url, drop = prepare_database(backend, workdir)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DATA_DIR": str(workdir / f"data-{backend}"),
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "RUN_WORKERS": "true",
        "WORKER_POLL_SECONDS": "0.2",
        "LOG_LEVEL": "WARNING",
        "ARGON2_MEMORY_KIB": "1024",
        "ARGON2_TIME_COST": "1",
    }
    subprocess.run(
        [sys.executable, "-m", "app.cli", "migrate"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    server = apiserver.start(env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        key = setup_member(base, env)
        with httpx.Client(
            base_url=base, headers={"X-API-Key": key}, timeout=httpx.Timeout(60, read=600)
        ) as http:
            cpu_before = cpu_seconds(server.pid)
            watch = MemoryWatch(server.pid)
            watch.start()
            started = time.perf_counter()
            with csv_path.open("rb") as f:
                queued = http.post("/v1/imports", files={"file": (csv_path.name, f, "text/csv")})
            queued.raise_for_status()
            uploaded = time.perf_counter()
            job_id = queued.json()["id"]
            while True:
                job = http.get(f"/v1/imports/{job_id}").json()
                if job["status"] in ("done", "failed"):
                    break
                time.sleep(0.5)
            finished = time.perf_counter()
        watch.stop()
        peak = peak_rss_mb(server.pid)
        cpu_after = cpu_seconds(server.pid)
        server.terminate()
        server.wait(30)
        raw = raw_copy(url) if backend == "postgres" else None
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(30)
        drop()
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    elapsed = finished - started
    cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    reader_cpu = sum(watch.child_cpu_s.values())
    return {
        "server_cpu_s": cpu,
        "reader_cpu_s": reader_cpu,
        "reader_peak_rss_mb": max(watch.child_peak_mb.values(), default=0.0),
        "total_peak_rss_mb": max(watch.peak_total_mb, peak or 0.0),
        "rows_per_cpu_s": job["rows_done"] / (cpu + reader_cpu) if cpu else None,
        "backend": backend,
        "status": job["status"],
        "rows": job["rows_done"],
        "created": job["created"],
        "rejected": job["rejected"],
        "upload_s": uploaded - started,
        "total_s": elapsed,
        "rows_per_s": job["rows_done"] / elapsed if elapsed else 0.0,
        "peak_rss_mb": peak,
        "failure": job.get("failure"),
        "raw_rows_per_s": raw[0] / raw[1] if raw else None,
    }


def raw_copy(url: str, runs: int = 3) -> tuple[int, float]:
    """The baseline on PostgreSQL: the rows the import stored, copied out (binary), the
    table truncated (empty, as the import found it; nothing references a line), and
    COPYed back with one `COPY ... FROM STDIN` into the same table, indexes and foreign
    keys. Returns (rows, seconds of that COPY and its commit): the median of `runs`
    truncate-and-COPY rounds, since one COPY of this size swings by 15% between runs (a
    checkpoint falling inside it or not). The server is stopped by then; the connection
    is the owner's, which row-level security does not filter."""
    import psycopg

    buffer = io.BytesIO()
    timings = []
    with psycopg.connect(url) as conn:
        with conn.cursor() as cursor:
            rows = cursor.execute("SELECT count(*) FROM experience").fetchone()[0]
            with cursor.copy("COPY experience TO STDOUT (FORMAT binary)") as copy:
                for data in copy:
                    buffer.write(data)
        for _ in range(runs):
            conn.execute("TRUNCATE experience")
            conn.commit()
            started = time.perf_counter()
            with (
                conn.cursor() as cursor,
                cursor.copy("COPY experience FROM STDIN (FORMAT binary)") as copy,
            ):
                copy.write(buffer.getbuffer())
            conn.commit()
            timings.append(time.perf_counter() - started)
    print("   raw COPY rounds: " + ", ".join(f"{rows / t:,.0f}" for t in timings) + " rows/s")
    return rows, statistics.median(timings)


def report(results: list[dict], rows: int, csv_bytes: int) -> None:
    print(f"\n## CSV import: {rows:,} rows, {csv_bytes / 1e6:,.0f} MB, {os.cpu_count()} cores")
    print(
        "CPU s and RSS MB: of the served process + of its reader process (app.imports.reader);"
        " total RSS: the largest sum sampled (every 0.1 s)"
    )
    print(
        f"{'database':<10} {'status':<7} {'rows':>10} {'upload s':>9} {'total s':>8} "
        f"{'rows/s':>9} {'CPU s':>12} {'rows/CPU-s':>11} {'RSS MB':>10} {'total RSS':>10}"
        "  targets"
    )
    for r in results:
        if r["raw_rows_per_s"]:
            ratio = r["rows_per_s"] / r["raw_rows_per_s"]
            ok_speed = ratio >= TARGET_COPY_RATIO
            print(
                f"{r['backend']:<10} raw COPY of the stored rows: "
                f"{r['raw_rows_per_s']:,.0f} rows/s; the import is {ratio:.0%} of it"
                f" (target {TARGET_COPY_RATIO:.0%})"
            )
        else:
            ok_speed = r["rows_per_s"] >= TARGET_ROWS_PER_SECOND
        ok_rss = r["total_peak_rss_mb"] < TARGET_PEAK_RSS_MB
        cpu = f"{r['server_cpu_s'] or 0:.1f}+{r['reader_cpu_s']:.1f}"
        rss = f"{r['peak_rss_mb']:.0f}+{r['reader_peak_rss_mb']:.0f}"
        print(
            f"{r['backend']:<10} {r['status']:<7} {r['rows']:>10,} {r['upload_s']:>9.1f} "
            f"{r['total_s']:>8.1f} {r['rows_per_s']:>9,.0f} {cpu:>12} "
            f"{r['rows_per_cpu_s'] or 0:>11,.0f} {rss:>10} {r['total_peak_rss_mb']:>10.0f}  "
            f"speed {'met' if ok_speed else 'MISSED'}, memory {'met' if ok_rss else 'MISSED'}"
        )
        if r["failure"]:
            print(f"  failure: {r['failure']}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="creditpool-bench-csv-") as tmp:
        workdir = Path(tmp)
        csv_path = workdir / "aging.csv"
        write_csv(csv_path, args.rows)
        results = [
            run_backend(b.strip(), csv_path, args.rows, workdir)
            for b in args.backends.split(",")
            if b.strip()
        ]
        report(results, args.rows, csv_path.stat().st_size)


if __name__ == "__main__":
    main()
