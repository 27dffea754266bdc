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

from apiserver import point_app_at  # noqa: E402 - bench/ is the script's folder

CACHE = ROOT / "var" / "bench"
CHUNK = 5000


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--members", type=int, default=200)
    p.add_argument("--clients", type=int, default=5000)
    p.add_argument("--reporters", type=int, default=5, help="members reporting each client")
    p.add_argument("--months", type=int, default=13)
    p.add_argument("--samples", type=int, default=10)
    p.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    p.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--seed", type=int, default=11)
    return p.parse_args()


def size_tag(a) -> str:
    return f"portfolio-m{a.members}-c{a.clients}-r{a.reporters}-mo{a.months}"


def database_url(a) -> str:
    if a.db == "sqlite":
        return f"sqlite:///{CACHE / f'{size_tag(a)}.db'}"
    return a.pg_url.rsplit("/", 1)[0] + "/creditpool_bench_" + size_tag(a).replace("-", "_")


def fresh_database(a, url: str) -> None:
    if a.db == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(a.pg_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _principal(group_id: str, member_id: str, scopes: tuple[str, ...]):
    from app.auth.principal import Principal, permissions_for_scopes

    return Principal(
        kind="api_key",
        id=f"bench-{member_id}",
        group_id=group_id,
        member_id=member_id,
        scopes=scopes,
        permissions=permissions_for_scopes(scopes),
    )


def build(a, url: str, meta_path: Path) -> dict:
    from sqlalchemy import text

    from app.core.db import get_engine, migrate, system_session
    from app.experiences.ingest import ingest
    from app.groups.models import Group
    from app.groups.schemas import GroupSettings
    from app.members.models import Member
    from app.profiles.formulas import add_months

    fresh_database(a, url)
    point_app_at(url)
    migrate(url)
    rng = random.Random(a.seed)
    with system_session() as session:
        group = Group(name="Bench", slug=size_tag(a), settings=GroupSettings().model_dump())
        session.add(group)
        session.flush()
        members = [Member(group_id=group.id, name=f"Supplier {i}") for i in range(a.members)]
        session.add_all(members)
        session.commit()
        group_id, member_ids = group.id, [m.id for m in members]

    reporters: dict[int, list[int]] = {m: [] for m in range(a.members)}
    for c in range(a.clients):
        for m in [0, *rng.sample(range(1, a.members), a.reporters - 1)]:
            reporters[m].append(c)
    today = date.today()
    anchor = today.replace(day=min(today.day, 28))
    months = [add_months(anchor, -k) for k in range(a.months)][::-1]  # oldest first

    def item_for(as_of: date) -> dict:
        owed = rng.randrange(0, 5_000_000)
        late = [rng.randrange(0, owed // 4 + 1) if rng.random() < 0.4 else 0 for _ in range(4)]
        return {
            "as_of": as_of.isoformat(),
            "currency": "USD",
            "terms_days": 30,
            "high_credit": f"{(owed + rng.randrange(0, 2_000_000)) / 100:.2f}",
            "total_owed": f"{owed / 100:.2f}",
            "current": f"{(owed - sum(late)) / 100:.2f}",
            "past_due_1_30": f"{late[0] / 100:.2f}",
            "past_due_31_60": f"{late[1] / 100:.2f}",
            "past_due_61_90": f"{late[2] / 100:.2f}",
            "past_due_over_90": f"{late[3] / 100:.2f}",
        }

    def send(m: int, items: list[dict]) -> int:
        principal = _principal(group_id, member_ids[m], ("experiences:write",))
        created = 0
        for start in range(0, len(items), CHUNK):
            with system_session() as session:
                result = ingest(session, principal, items[start : start + CHUNK])
            assert result.rejected == 0, result.errors[:3]
            created += result.created
        return created

    started, rows = time.perf_counter(), 0
    client_ids: dict[int, str] = {}
    for m, clients in reporters.items():
        items = []
        for c in clients:
            item = item_for(months[0])
            if c in client_ids:
                item["client_id"] = client_ids[c]
            else:
                item["client"] = {
                    "legal_name": f"Bench Client {c} Inc",
                    "country": "US",
                    "tax_id": f"TX{c:08d}",
                }
            items.append(item)
        rows += send(m, items)
        if m == 0:
            with get_engine().connect() as conn:
                found = conn.execute(
                    text("SELECT id, tax_id FROM client WHERE group_id = :g"), {"g": group_id}
                ).all()
            client_ids = {int(tax[2:]): id_ for id_, tax in found}
    for m, clients in reporters.items():
        items = []
        for as_of in months[1:]:
            for c in clients:
                item = item_for(as_of)
                item["client_id"] = client_ids[c]
                items.append(item)
        rows += send(m, items)
    if a.db == "postgres":
        with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
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

    principal = _principal(meta["group_id"], meta["member_id"], ("profiles:read",))
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
