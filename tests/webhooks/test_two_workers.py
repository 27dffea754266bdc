"""Several processes serving one PostgreSQL database never send one delivery twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import TEST_DB
from tests.webhooks.helpers import deliveries, emit, register

pytestmark = pytest.mark.skipif(
    TEST_DB != "postgres", reason="FOR UPDATE SKIP LOCKED between processes: PostgreSQL only"
)

ROOT = Path(__file__).resolve().parents[2]

# One served process's delivery loop, started when the go file appears, ended when a
# few rounds in a row found nothing due.
WORKER_PROCESS = textwrap.dedent(
    """
    import os, sys, time
    import app.models  # noqa: F401
    from app.webhooks.delivery import deliver_due

    go = sys.argv[1]
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.01)
    tries, idle = 0, 0
    deadline = time.monotonic() + 90
    while idle < 10 and time.monotonic() < deadline:
        done = deliver_due()
        tries += done
        idle = 0 if done else idle + 1
        if not done:
            time.sleep(0.05)
    print(tries, flush=True)
    """
)


def test_two_worker_processes_never_send_one_delivery_twice(api, world, receiver, tmp_path):
    member = world.a.members[0]
    hooks = [register(api, member.admin, receiver.url(f"/hook/{i}")) for i in range(8)]
    receiver.plan = lambda _path, _n: (200, 0.02)
    events = [emit(world.a.id, {member.id}) for _ in range(25)]  # 200 deliveries

    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER_PROCESS, str(go)],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
        go.touch()
        tries = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
            tries.append(int(out.strip().splitlines()[-1]))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()

    sent = Counter((request.path, json.loads(request.body)["id"]) for request in receiver.requests)
    expected = {(f"/hook/{i}", event.id) for i in range(8) for event in events}
    failed_tries = [
        (d.attempts, d.last_status_code, d.last_error)
        for hook in hooks
        for d in deliveries(hook["id"])
        if d.status != "delivered"
    ]
    assert set(sent) == expected, failed_tries
    assert max(sent.values()) == 1, [k for k, n in sent.items() if n > 1]
    assert sum(tries) == len(expected)
    assert all(n > 0 for n in tries), f"one process did all the work: {tries}"
    for hook in hooks:
        assert {d.status for d in deliveries(hook["id"])} == {"delivered"}
