"""Building a benchmark group in process, through the app's own bulk path: what
bench/profile.py, bench/agenda.py and bench/portfolio.py share.

Each bench still decides its own shape (how many members report each client, how late
they pay, what else the group holds); this module gives them one way to make an empty
database, the group and its members, a month's aging line, and to send a member's
lines through `app.experiences.ingest.ingest` in chunks of 5,000, one commit each.
"""

from __future__ import annotations

import argparse
import os
import random
from datetime import date
from pathlib import Path

from apiserver import point_app_at

CHUNK = 5000
WRITE = ("experiences:write",)
# Built databases (SQLite files) and what a bench remembers of them, between runs.
CACHE = Path(__file__).resolve().parents[1] / "var" / "bench"


def size_arguments(
    p: argparse.ArgumentParser, *, clients: int, months: int, seed: int
) -> argparse.ArgumentParser:
    """The options every group-building bench takes: the group's size, where PostgreSQL
    is, whether to build again, and the random seed."""
    p.add_argument("--members", type=int, default=200)
    p.add_argument("--clients", type=int, default=clients)
    p.add_argument("--months", type=int, default=months)
    p.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    p.add_argument("--rebuild", action="store_true", help="build the group again")
    p.add_argument("--seed", type=int, default=seed)
    return p


def fresh_database(url: str, admin_url: str) -> None:
    """An empty database at `url`, migrated, and the app in this process pointed at it:
    the SQLite file (and its WAL) removed, or the PostgreSQL database dropped and
    created again through `admin_url`."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    point_app_at(url)
    from app.core.db import migrate

    migrate(url)


def new_group(slug: str, members: int) -> tuple[str, list[str]]:
    """A group with the default settings and `members` members: (group id, member ids)."""
    from app.core.db import system_session
    from app.groups.models import Group
    from app.groups.schemas import GroupSettings
    from app.members.models import Member

    with system_session() as session:
        group = Group(name="Bench group", slug=slug, settings=GroupSettings().model_dump())
        session.add(group)
        session.flush()
        made = [Member(group_id=group.id, name=f"Supplier {i}") for i in range(members)]
        session.add_all(made)
        session.flush()
        return group.id, [m.id for m in made]


def member_principal(group_id: str, member_id: str, scopes: tuple[str, ...] = WRITE):
    """The member's API key as the app sees it, without a key in the database."""
    from app.auth.principal import Principal, permissions_for_scopes

    return Principal(
        kind="api_key",
        id=f"bench-{member_id}",
        group_id=group_id,
        member_id=member_id,
        scopes=scopes,
        permissions=permissions_for_scopes(scopes),
    )


def aging_line(rng: random.Random, as_of: date, late_divisor: int = 4) -> dict:
    """A line of a batch item (no client named): up to 50,000.00 owed; each of the four
    past-due buckets, with a chance of 40%, holds up to 1/`late_divisor` of it."""
    owed = rng.randrange(0, 5_000_000)
    late = [
        rng.randrange(0, owed // late_divisor + 1) if rng.random() < 0.4 else 0 for _ in range(4)
    ]
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


def named(c: int) -> dict:
    """Client number `c`, named by its identifiers (`client_ids` finds it again)."""
    return {"legal_name": f"Bench Client {c} Inc", "country": "US", "tax_id": f"TX{c:08d}"}


def send(group_id: str, member_id: str, items: list[dict]) -> int:
    """The member's items through ingest(), 5,000 a transaction; how many were new."""
    from app.core.db import system_session
    from app.experiences.ingest import ingest

    principal = member_principal(group_id, member_id)
    created = 0
    for start in range(0, len(items), CHUNK):
        with system_session() as session:
            result = ingest(session, principal, items[start : start + CHUNK])
        assert result.rejected == 0, result.errors[:3]
        created += result.created
    return created


def client_ids(group_id: str) -> dict[int, str]:
    """Client number -> id, for the clients `named()` made."""
    from sqlalchemy import select

    from app.clients.models import Client
    from app.core.db import system_session

    with system_session(write=False) as session:
        rows = session.execute(select(Client.tax_id, Client.id).where(Client.group_id == group_id))
        return {int(tax_id[2:]): client_id for tax_id, client_id in rows}


def analyze() -> None:
    """PostgreSQL: fresh statistics after a bulk load, as an operator would (autovacuum
    gets there too, later, while competing with the measurements)."""
    from app.core.db import get_engine

    engine = get_engine()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
