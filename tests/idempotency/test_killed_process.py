"""14.11: a served process killed mid-request does not leave its Idempotency-Key stuck.

A real server (uvicorn in a subprocess, on a loopback port, against the suite's
database) gets a 5,000-line batch under a key and is SIGKILLed while the request holds
the key. A new server then gets the same request with the same key: once the dead
request's lease has lapsed it runs, and the lines are stored once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import httpx
from sqlalchemy import select

from app.core.db import system_session
from app.idempotency.models import IdempotencyRecord
from tests.helpers import company, line
from tests.served import free_port

LEASE_SECONDS = "2"


def _serve(port: int) -> subprocess.Popen:
    env = os.environ | {"IDEMPOTENCY_LEASE_SECONDS": LEASE_SECONDS, "RUN_WORKERS": "false"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError("the server did not start")


def _state(key: str) -> str | None:
    with system_session(write=False) as session:
        return session.execute(
            select(IdempotencyRecord.state).where(IdempotencyRecord.key == key)
        ).scalar_one_or_none()


def test_a_request_killed_with_its_process_can_be_sent_again_with_its_key(world):
    erp = world.a.members[0].key
    key = str(uuid.uuid4())
    tag = uuid.uuid4().hex[:6]
    body = {"items": [line(company(f"Killed {tag} {i} Inc")) for i in range(5000)]}
    headers = erp.headers | {"Idempotency-Key": key}
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1/experiences/batch"

    server = _serve(port)
    try:
        threading.Thread(
            target=lambda: _ignore(lambda: httpx.post(url, headers=headers, json=body, timeout=60)),
            daemon=True,
        ).start()
        deadline = time.monotonic() + 30
        while _state(key) != "in_progress":
            assert time.monotonic() < deadline, "the request never claimed its key"
            time.sleep(0.02)
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        assert _state(key) == "in_progress"  # stuck, as a killed process leaves it
    finally:
        server.kill()
        server.wait(10)

    server = _serve(port)
    try:
        retried = httpx.post(url, headers=headers, json=body, timeout=120)
        assert retried.status_code == 200, retried.text
        assert "idempotent-replayed" not in retried.headers
        assert retried.json()["created"] == 5000
        again = httpx.post(url, headers=headers, json=body, timeout=120)
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == retried.json()
    finally:
        server.kill()
        server.wait(10)


def _ignore(call) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the server was killed under it
        call()
