"""Portfolio latency: one member's portfolio of 5,000 clients in a group of 200 members.

    .venv/bin/python bench/portfolio.py                    # PostgreSQL, in process
    .venv/bin/python bench/portfolio.py --db sqlite --clients 1000

Builds a group through the app's own bulk path (`app.experiences.ingest.ingest`): the
measured member reports on every client, and 4 of the other members (chosen at random)
on each client too, one line per month for --months months. The built database is kept
(SQLite: var/bench/*.db, PostgreSQL: a database named after the size) and reused by later
runs of the same size (--rebuild to start over).

Then reads `GET /v1/portfolio`'s service (`app.portfolio.service.portfolio_page`, every
item computed, one page of 50 returned) --samples times in process, a fresh session per
call as in a request, and prints the median and the slowest. Target: under 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import groups  # noqa: E402 - bench/ is the script's folder
from apiserver import point_app_at  # noqa: E402

CACHE = groups.CACHE


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    groups.size_arguments(p, clients=5000, months=13, seed=11)
    p.add_argument("--reporters", type=int, default=5, help="members reporting each client")
    p.add_argument("--samples", type=int, default=10)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    return p.parse_args()


def size_tag(a) -> str:
    return f"portfolio-m{a.members}-c{a.clients}-r{a.reporters}-mo{a.months}"


def database_url(a) -> str:
    if a.db == "sqlite":
        return f"sqlite:///{CACHE / f'{size_tag(a)}.db'}"
    return a.pg_url.rsplit("/", 1)[0] + "/creditpool_bench_" + size_tag(a).replace("-", "_")


def build(a, url: str, meta_path: Path) -> dict:
    from app.profiles.formulas import add_months

    groups.fresh_database(url, a.pg_url)
    rng = random.Random(a.seed)
    group_id, member_ids = groups.new_group(size_tag(a), a.members)

    reporters: dict[int, list[int]] = {m: [] for m in range(a.members)}
    for c in range(a.clients):
        for m in [0, *rng.sample(range(1, a.members), a.reporters - 1)]:
            reporters[m].append(c)
    today = date.today()
    anchor = today.replace(day=min(today.day, 28))
    months = [add_months(anchor, -k) for k in range(a.months)][::-1]  # oldest first

    started, rows = time.perf_counter(), 0
    client_ids: dict[int, str] = {}
    for m, clients in reporters.items():
        items = []
        for c in clients:
            item = groups.aging_line(rng, months[0])
            if c in client_ids:
                item["client_id"] = client_ids[c]
            else:
                item["client"] = groups.named(c)
            items.append(item)
        rows += groups.send(group_id, member_ids[m], items)
        if m == 0:
            client_ids = groups.client_ids(group_id)
    for m, clients in reporters.items():
        items = [
            groups.aging_line(rng, as_of) | {"client_id": client_ids[c]}
            for as_of in months[1:]
            for c in clients
        ]
        rows += groups.send(group_id, member_ids[m], items)
    groups.analyze()
    meta = {"group_id": group_id, "member_id": member_ids[0], "rows": rows}
    print(f"built: {a.clients:,} clients, {rows:,} lines in {time.perf_counter() - started:.0f} s")
    meta_path.write_text(json.dumps(meta))
    return meta


def main() -> None:
    a = parse_args()
    url = database_url(a)
    CACHE.mkdir(parents=True, exist_ok=True)
    meta_path = CACHE / f"{size_tag(a)}-{a.db}.json"
    if a.rebuild or not meta_path.exists():
        meta = build(a, url, meta_path)
    else:
        point_app_at(url)
        meta = json.loads(meta_path.read_text())

    from sqlmodel import Session

    from app.core.db import get_engine
    from app.portfolio import service
    from app.tenancy.session import bind_session

    principal = groups.member_principal(meta["group_id"], meta["member_id"], ("profiles:read",))
    engine = get_engine()
    walls, cpus, body = [], [], None
    for _ in range(a.samples + 1):  # the first warms the connection pool up
        with Session(engine) as session:
            bind_session(session, principal.group_id)
            backend = _backend_pid(session)
            server_before, started = _cpu_seconds(backend), time.perf_counter()
            process_before = time.process_time()
            body = service.portfolio_page(session, principal)
            walls.append(time.perf_counter() - started)
            cpus.append(
                time.process_time() - process_before + _cpu_seconds(backend) - server_before
            )
            session.rollback()
    walls, cpus = walls[1:], cpus[1:]
    summary = body.summary
    count = sum(getattr(summary, t).clients for t in ("low", "medium", "high", "unrated"))
    load = os.getloadavg()[0]
    print(
        f"portfolio ({a.db}): {count:,} clients, {meta['rows']:,} lines in a group of "
        f"{a.members} members, {a.samples} reads: median {statistics.median(walls) * 1000:.0f} ms"
        f" wall (load average {load:.1f} on {os.cpu_count()} cores), median "
        f"{statistics.median(cpus) * 1000:.0f} ms of CPU (this process + the database "
        f"server's backend; target: under 1,000 ms)"
    )


def _backend_pid(session) -> int | None:
    """The PostgreSQL backend serving this session, when it runs on this machine."""
    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":
        return None
    return session.execute(text("SELECT pg_backend_pid()")).scalar()


def _cpu_seconds(pid: int | None) -> float:
    """CPU seconds (user + system) a local process has used so far; 0 when unknown.

    On a machine shared with other work, wall time measures the queue for the cores;
    CPU time measures the portfolio itself."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
