"""Profile latency: in process on SQLite and PostgreSQL, and over HTTP under uvicorn.

    .venv/bin/python bench/profile.py                      # 200 members, 10,000 clients, 24 months
    .venv/bin/python bench/profile.py --clients 2000 --db sqlite --http-seconds 5

Builds a group through the app's own bulk path (`app.experiences.ingest.ingest`, in
process, in chunks of 5,000 lines, one commit per chunk): each client has 4 or 5
reporting members, each with one line per month. The built database is kept (SQLite:
var/bench/*.db, PostgreSQL: a database named after the size) with a small JSON file
beside it, and reused by later runs of the same size (--rebuild to start over).

Then: in-process p50/p99 of `app.profiles.service.read_profile` over --samples random
clients, a fresh session per call as in a request, twice: cold (each profile computed
from the database) and warm (the same clients again, served from the process's profile
cache); and over HTTP (uvicorn in a subprocess on a loopback port, --workers processes,
--concurrency connections) req/s and p99 of the profile beside `/healthz` and `/v1/me`
in the same run, cold (clients this process never read) and warm (2,000 clients read
once before). Earlier runs' profile reads are deleted first. The HTTP load comes
from wrk when it is installed (`apt install wrk`), else from an httpx client in this
process, which on a 2-core machine is itself the bottleneck of `/healthz` (--client).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
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
    groups.size_arguments(p, clients=10_000, months=24, seed=7)
    p.add_argument("--samples", type=int, default=1000, help="profiles read in process")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument(
        "--http",
        choices=["sqlite", "postgres", "none"],
        default="sqlite",
        help="which database the HTTP run serves from",
    )
    p.add_argument("--http-seconds", type=float, default=10.0)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument(
        "--client",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="HTTP load generator: wrk when installed (auto), else an httpx client",
    )
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument(
        "--without-rls",
        action="store_true",
        help="PostgreSQL: the HTTP run with row-level security off (a diagnostic of its cost)",
    )
    return p.parse_args()


def size_tag(a) -> str:
    return f"m{a.members}-c{a.clients}-mo{a.months}"


def database_url(a, kind: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{CACHE / f'profile-{size_tag(a)}.db'}"
    return a.pg_url.rsplit("/", 1)[0] + f"/creditpool_bench_{size_tag(a).replace('-', '_')}"


def build(a, kind: str, url: str) -> dict:
    """The group, its members, clients and lines, through ingest(); returns the metadata."""
    from app.auth.models import ApiKey
    from app.core.db import system_session
    from app.core.security import new_api_key
    from app.profiles.formulas import add_months

    groups.fresh_database(url, a.pg_url)
    rng = random.Random(a.seed)
    group_id, member_ids = groups.new_group(f"bench-{size_tag(a)}", a.members)
    key, prefix, key_hash = new_api_key()
    with system_session() as session:
        session.add(
            ApiKey(
                group_id=group_id,
                member_id=member_ids[0],
                name="bench",
                prefix=prefix,
                key_hash=key_hash,
                scopes=["profiles:read"],
            )
        )

    # Who reports on which client: 4 or 5 members each, the first reader always among
    # them for a tenth of the clients (so that some profiles carry an own line).
    reporters: dict[str, list[int]] = {m: [] for m in member_ids}
    for c in range(a.clients):
        chosen = rng.sample(range(a.members), 4 + c % 2)
        if c % 10 == 0 and 0 not in chosen:
            chosen[0] = 0
        for m in chosen:
            reporters[member_ids[m]].append(c)
    today = date.today()
    anchor = today.replace(day=min(today.day, 28))
    months = [add_months(anchor, -k) for k in range(a.months)]

    started, rows = time.perf_counter(), 0
    oldest, *later = list(reversed(months))
    # First the oldest month, naming each client by its identifiers: ingest resolves
    # them (creating each client once); then every later month by client_id, one member
    # at a time in chunks of 5,000 lines.
    for member_id, clients in reporters.items():
        items = [groups.aging_line(rng, oldest) | {"client": groups.named(c)} for c in clients]
        rows += groups.send(group_id, member_id, items)
    found = groups.client_ids(group_id)
    client_ids = [found.get(c) for c in range(a.clients)]
    print(f"  {kind}: {a.clients:,} clients, {rows:,} lines", flush=True)
    for n, (member_id, clients) in enumerate(reporters.items(), 1):
        items = [
            groups.aging_line(rng, as_of) | {"client_id": client_ids[c]}
            for as_of in later
            for c in clients
        ]
        rows += groups.send(group_id, member_id, items)
        if n % 20 == 0 or n == len(reporters):
            elapsed = time.perf_counter() - started
            print(
                f"  {kind}: {n}/{len(reporters)} members, {rows:,} lines, "
                f"{rows / elapsed:,.0f} lines/s",
                flush=True,
            )
    groups.analyze()
    meta = {
        "group_id": group_id,
        "member_ids": member_ids[:1],
        "key": key,
        "client_ids": client_ids,
        "rows": rows,
        "build_seconds": round(time.perf_counter() - started, 1),
    }
    meta_path(a, kind).write_text(json.dumps(meta))
    return meta


def meta_path(a, kind: str) -> Path:
    return CACHE / f"profile-{size_tag(a)}-{kind}.json"


def prepare(a, kind: str) -> tuple[str, dict]:
    url = database_url(a, kind)
    CACHE.mkdir(parents=True, exist_ok=True)
    if not a.rebuild and meta_path(a, kind).exists():
        point_app_at(url)
        from app.core.db import migrate

        migrate(url)
        _forget_earlier_reads()
        print(f"{kind}: reusing the database built earlier ({url})")
        return url, json.loads(meta_path(a, kind).read_text())
    print(f"{kind}: building {a.clients:,} clients x ~4.5 members x {a.months} months ...")
    return url, build(a, kind, url)


def _forget_earlier_reads() -> None:
    """Earlier runs' inquiries: each run reads thousands of profiles as one member, and
    letting them pile up would make every run slower than the one before (inquiries_90d
    counts them on each read). Their audit events stay (the trail is append-only); no
    read looks at them."""
    from sqlalchemy import text

    from app.core.db import get_engine

    with get_engine().begin() as conn:
        conn.execute(text("DELETE FROM inquiry"))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def in_process(a, kind: str, meta: dict) -> dict:
    from sqlmodel import Session

    from app.auth.principal import Principal, permissions_for_scopes
    from app.core.db import get_engine
    from app.profiles.service import read_profile
    from app.tenancy.session import bind_session

    principal = Principal(
        kind="api_key",
        id="bench-reader",
        group_id=meta["group_id"],
        member_id=meta["member_ids"][0],
        scopes=("profiles:read",),
        permissions=permissions_for_scopes(("profiles:read",)),
    )
    rng = random.Random(a.seed + 1)
    engine = get_engine()
    # Clients read once before (warm: served from the process's profile cache) and
    # never before (cold: computed from the database), measured apart.
    clients = rng.sample(meta["client_ids"], a.samples + 50)

    def read_all() -> dict:
        timings, cpu, suppressed = [], [], 0
        for i, client_id in enumerate(clients):
            started, cpu_started = time.perf_counter(), time.process_time()
            with Session(engine, expire_on_commit=False) as session:
                bind_session(session, principal.group_id)
                body = read_profile(session, principal, client_id)
                session.commit()  # the read's inquiry and audit event, as a request does
            if i >= 50:  # the first reads warm the database's and the OS's caches
                timings.append((time.perf_counter() - started) * 1000)
                # CPU of this process only: what the read costs, whatever the neighbours do.
                cpu.append((time.process_time() - cpu_started) * 1000)
                suppressed += '"suppressed":true' in body
        return {
            "p50_ms": statistics.median(timings),
            "p99_ms": percentile(timings, 99),
            "max_ms": max(timings),
            "cpu_p50_ms": statistics.median(cpu),
            "cpu_p99_ms": percentile(cpu, 99),
            "samples": len(timings),
            "suppressed": suppressed,
        }

    cold = read_all()
    warm = read_all()
    return {**cold, "warm": warm}


async def _load(url: str, headers: dict, paths: list[str], seconds: float, concurrency: int):
    import httpx

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=30
    ) as client:

        async def one_connection(k: int) -> None:
            nonlocal errors
            rng = random.Random(k)
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.get(rng.choice(paths))
                latencies.append((time.perf_counter() - started) * 1000)
                errors += response.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(one_connection(k) for k in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "req_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 99),
        "requests": len(latencies),
        "errors": errors,
    }


def _wrk_load(base: str, headers: dict, paths: list[str], seconds: float, concurrency: int):
    """The same load from wrk (C, epoll), when it is installed: the Python client above
    needs about a core of its own at a few thousand requests per second, so on a small
    machine it, not the server, sets the pace of a trivial endpoint."""
    import re
    import shutil
    import tempfile

    script = (
        "paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
        "counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  return wrk.format(nil, paths[(counter % #paths) + 1])\n"
        "end\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    command = [shutil.which("wrk"), "-t2", f"-c{concurrency}", f"-d{int(seconds)}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*command, "-s", f.name, base], capture_output=True, text=True, check=True
    ).stdout
    os.unlink(f.name)

    def millis(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "req_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": millis("50%"),
        "p99_ms": millis("99%"),
        "requests": requests,
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def over_http(a, kind: str, url: str, meta: dict) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "RUN_WORKERS": "true",
        "LOG_LEVEL": "WARNING",
        "ENVIRONMENT": "development",
    }
    import apiserver

    if kind == "postgres":
        # The database is kept between runs: an earlier --without-rls run is undone here.
        apiserver.row_level_security(url, on=not a.without_rls)
    server = apiserver.start(env, a.port, a.workers)
    base = f"http://127.0.0.1:{a.port}"
    try:
        headers = {"X-API-Key": meta["key"]}
        rng = random.Random(a.seed + 2)
        shuffled = rng.sample(meta["client_ids"], len(meta["client_ids"]))
        # Warm: 2,000 clients, each read once before the measurement (so served from the
        # process's profile cache). Cold: the other clients, never read by this process:
        # each request computes its profile from the database.
        # (Half of the clients each when there are fewer than 4,000.)
        warm = min(2000, len(shuffled) // 2)
        warm_paths = [f"/v1/clients/{c}/profile" for c in shuffled[:warm]]
        cold_paths = [f"/v1/clients/{c}/profile" for c in shuffled[warm:]]
        import shutil

        import httpx

        if a.client == "wrk" or (a.client == "auto" and shutil.which("wrk")):
            client = "wrk"

            def generate(headers, paths, seconds):
                return _wrk_load(base, headers, paths, seconds, a.concurrency)
        else:
            client = "python"

            def generate(headers, paths, seconds):
                return asyncio.run(_load(base, headers, paths, seconds, a.concurrency))

        def load(headers, paths, seconds):
            # The served process's CPU per request beside the wall-clock figures: on a
            # shared machine throughput follows the neighbours' load, CPU per request
            # much less.
            before = _cpu_seconds(server.pid)
            result = generate(headers, paths, seconds)
            spent = _cpu_seconds(server.pid) - before
            result["cpu_ms_per_request"] = spent * 1000 / max(result["requests"], 1)
            return result

        load(headers, ["/healthz"], 2)  # warm up
        health = load({}, ["/healthz"], a.http_seconds)
        # The cheapest authenticated endpoint: what every /v1 request pays before its work.
        me = load(headers, ["/v1/me"], a.http_seconds)
        cold = load(headers, cold_paths, a.http_seconds)
        if cold["requests"] > len(cold_paths):
            print("  (the cold run went round its clients more than once: use more --clients)")
        with httpx.Client(base_url=base, headers=headers, timeout=30) as reader:
            for path in warm_paths:
                reader.get(path).raise_for_status()
        profile = load(headers, warm_paths, a.http_seconds)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "client": client,
        "workers": a.workers,
        "healthz": health,
        "me": me,
        "profile": profile,
        "profile_cold": cold,
        "ratio": profile["req_s"] / health["req_s"],
        "ratio_cold": cold["req_s"] / health["req_s"],
        "ratio_to_me": profile["req_s"] / me["req_s"],
    }


def main() -> None:
    a = parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-" + "x" * 32)
    kinds = ["sqlite", "postgres"] if a.db == "both" else [a.db]
    report: dict = {"size": size_tag(a)}
    urls: dict[str, tuple[str, dict]] = {}
    for kind in kinds:
        url, meta = prepare(a, kind)
        urls[kind] = (url, meta)
        point_app_at(url)
        result = in_process(a, kind, meta)
        report[f"{kind}_in_process"] = result
        for label, r in (("cold", result), ("warm", result["warm"])):
            print(
                f"{kind}: {meta['rows']:,} lines; in process, {label}: p50 {r['p50_ms']:.2f} ms, "
                f"p99 {r['p99_ms']:.2f} ms, max {r['max_ms']:.2f} ms; CPU of this process "
                f"p50 {r['cpu_p50_ms']:.2f} ms, p99 {r['cpu_p99_ms']:.2f} ms "
                f"({r['samples']} profiles, {r['suppressed']} suppressed)",
                flush=True,
            )
    if a.http != "none":
        if a.http not in urls:
            urls[a.http] = prepare(a, a.http)
        url, meta = urls[a.http]
        result = over_http(a, a.http, url, meta)
        report[f"{a.http}_http"] = result
        h, m, p, c = (result[k] for k in ("healthz", "me", "profile", "profile_cold"))
        print(
            f"HTTP ({a.http}, {result['client']} client, {a.workers} worker(s), "
            f"{a.concurrency} connections, {a.http_seconds:.0f} s each): "
            f"/healthz {h['req_s']:.0f} req/s p99 {h['p99_ms']:.1f} ms; "
            f"/v1/me {m['req_s']:.0f} req/s p99 {m['p99_ms']:.1f} ms; profile, warm: "
            f"{p['req_s']:.0f} req/s p99 {p['p99_ms']:.1f} ms ({p['errors']} errors), "
            f"{result['ratio']:.0%} of /healthz; profile, cold: {c['req_s']:.0f} req/s "
            f"p99 {c['p99_ms']:.1f} ms ({c['errors']} errors), {result['ratio_cold']:.0%} "
            f"of /healthz; CPU per request: /v1/me {m['cpu_ms_per_request']:.2f} ms, "
            f"profile warm {p['cpu_ms_per_request']:.2f} ms, cold {c['cpu_ms_per_request']:.2f} "
            f"ms; warm / me: {result['ratio_to_me']:.0%} in req/s, "
            f"{m['cpu_ms_per_request'] / p['cpu_ms_per_request']:.0%} in CPU",
            flush=True,
        )
    print(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    main()
