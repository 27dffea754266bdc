"""A real HTTP receiver on loopback, and ways to produce events and drive deliveries."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import select

from app.core import hooks
from app.core.db import system_session
from app.core.types import new_id, utcnow
from app.webhooks.delivery import deliver_due
from app.webhooks.models import WebhookDelivery

# (path, how many requests this path got before this one) -> (status, seconds to wait first)
Plan = Callable[[str, int], tuple[int, float]]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """An http.server on 127.0.0.1 (port 0) that records every POST and answers by plan."""

    plan: Plan = lambda _path, _n: (200, 0.0)  # noqa: E731
    requests: list[Received] = field(default_factory=list)
    port: int = 0  # 0: any free port; else that one (a receiver back at its old address)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    seen = sum(1 for r in receiver.requests if r.path == self.path)
                    receiver.requests.append(
                        Received(self.path, dict(self.headers.items()), body, time.monotonic())
                    )
                status, wait = receiver.plan(self.path, seen)
                if wait:
                    time.sleep(wait)
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", "/elsewhere")
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender gave up (timeout): nothing to answer

            def log_message(self, *_args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            allow_reuse_address = True
            # socketserver's default backlog is 5: two worker processes sending 8 at a time
            # overflowed it on a loaded machine, and a dropped connection made a try fail.
            request_queue_size = 128

        self.server = Server(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def to(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def verify(secret: str, received: Received, tolerance: int = 300) -> dict:
    """What a receiver does: recompute the HMAC over the raw body; returns the fields."""
    parts = dict(p.split("=", 1) for p in received.headers["Creditpool-Signature"].split(","))
    t = int(parts["t"])
    assert abs(time.time() - t) <= tolerance, "signature timestamp outside the tolerance"
    expected = hmac.new(
        secret.encode(), f"{t}.".encode() + received.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(expected, parts["v1"]), "signature does not verify"
    return parts


def emit(
    group_id: str,
    member_ids,
    type: str = "legal_action.created",
    *,
    client_id: str | None = None,
    data: dict | None = None,
    commit: bool = True,
) -> hooks.Event:
    """Produce an event the way the fraud/alerts code does: inside a transaction."""
    event = hooks.Event(
        id=new_id(),
        type=type,
        group_id=group_id,
        client_id=client_id or new_id(),
        member_ids=set(member_ids),
        data=data if data is not None else {"kind": "judgment", "status": "filed"},
        created_at=utcnow(),
    )
    with system_session() as session:
        hooks.event_emitted.send(session, event)
        if commit:
            session.commit()
        else:
            session.rollback()
    return event


def register(api, actor, url: str, events=("legal_action.created",)) -> dict:
    response = api.post(
        "/v1/webhooks", headers=actor.headers, json={"url": url, "events": list(events)}
    )
    assert response.status_code == 201, response.text
    return response.json()


def deliveries(webhook_id: str) -> list[WebhookDelivery]:
    with system_session(write=False) as session:
        return list(
            session.execute(
                select(WebhookDelivery)
                .where(WebhookDelivery.webhook_id == webhook_id)
                .order_by(WebhookDelivery.created_at)
            ).scalars()
        )


def run_until_settled(webhook_ids, timeout: float = 30.0, pause: float = 0.02) -> None:
    """Run the delivery task until no delivery of these webhooks is pending."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deliver_due()
        if not any(d.status == "pending" for w in webhook_ids for d in deliveries(w)):
            return
        time.sleep(pause)
    raise AssertionError("deliveries still pending after the timeout")
