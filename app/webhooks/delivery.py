"""Sending the outbox: the background task that delivers due webhook deliveries.

Each round (`deliver_due`, a task of the in-process worker):
1. **Claim**, in one short transaction: due pending deliveries are selected
   `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite's BEGIN IMMEDIATE makes the writer
   exclusive instead), then leased: `locked_until` set a while ahead and `attempts`
   counted. Several processes on one database never claim the same row: a row locked
   or leased by one is skipped by the others.
2. **Send**, outside any transaction, on a small bounded thread pool, so that one slow
   receiver holds one thread and not the round; a round takes at most a few tries per
   webhook, so one slow receiver cannot fill the pool either.
3. **Record** each result in its own transaction, only if the lease is still ours (the
   row is still pending with the attempt count we claimed it with).

2xx is delivered. Anything else (an error status, a timeout, a refused connection, an
address that stopped being public) is retried after `WEBHOOK_RETRY_BASE_SECONDS`,
doubling each time, until `WEBHOOK_MAX_ATTEMPTS` tries; then the delivery is `failed`.
A process that dies mid-send leaves a lease that expires: the delivery is tried again
(with the same event id, so receivers can drop the duplicate).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import and_, or_, select, update

from app.core.config import get_settings
from app.core.db import system_session
from app.core.security import sign_payload
from app.core.types import utcnow
from app.members.models import Member
from app.webhooks import addresses
from app.webhooks.models import Webhook, WebhookDelivery

log = logging.getLogger("creditpool.webhooks")

SIGNATURE_HEADER = "Creditpool-Signature"
USER_AGENT = "creditpool-webhooks/1"

# Threads sending at once per process, deliveries claimed per round, tries per webhook
# per round (so that one slow receiver cannot take every thread).
SEND_THREADS = 8
CLAIM_BATCH = 32
PER_WEBHOOK_PER_ROUND = 4
# Rows looked at to fill a batch when a few webhooks hold most of the backlog.
SCAN_LIMIT = 512

_delivery = WebhookDelivery.__table__
_webhook = Webhook.__table__
_member = Member.__table__


@dataclass(frozen=True)
class Claimed:
    id: str
    event_id: str
    event_type: str
    payload: str
    attempts: int  # including this try: the lease token
    url: str
    secret: str


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None = None
    error: str | None = None


def retry_delay(attempts: int, base_seconds: float) -> float:
    """Seconds to wait after the `attempts`-th failed try: base, 2·base, 4·base..."""
    return base_seconds * (2 ** max(0, attempts - 1))


def lease_seconds(claimed: int) -> float:
    """How long `claimed` deliveries are kept from other workers: long enough for the
    round to send them all (in waves of SEND_THREADS), each try taking at worst the
    timeout to connect, to send and to read."""
    waves = -(-claimed // SEND_THREADS)
    return waves * 3 * get_settings().webhook_timeout_seconds + 30


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={sign_payload(secret, t, body)}"


def claim(limit: int = CLAIM_BATCH) -> list[Claimed]:
    """Lease up to `limit` due deliveries to this worker (one transaction, then commit)."""
    settings = get_settings()
    now = utcnow()
    due = (
        select(
            _delivery.c.id,
            _delivery.c.webhook_id,
            _delivery.c.attempts,
            (_webhook.c.active & (_member.c.status == "active")).label("live"),
        )
        .join(_webhook, _webhook.c.id == _delivery.c.webhook_id)
        .join(_member, _member.c.id == _webhook.c.member_id)
        .where(
            _delivery.c.status == "pending",
            _delivery.c.next_attempt_at <= now,
            or_(_delivery.c.locked_until.is_(None), _delivery.c.locked_until < now),
        )
        .order_by(_delivery.c.next_attempt_at, _delivery.c.id)
        .limit(SCAN_LIMIT)
        # Lock the delivery rows only: other workers skip them, webhooks stay writable.
        .with_for_update(skip_locked=True, of=_delivery)
    )
    with system_session() as session:
        rows = session.execute(due).all()
        if not rows:
            session.rollback()
            return []
        per_webhook: Counter[str] = Counter()
        chosen: list[str] = []
        cancelled: list[str] = []
        exhausted: list[str] = []
        for row in rows:
            if not row.live:
                # The webhook was deleted, or its member suspended, after the event.
                cancelled.append(row.id)
            elif row.attempts >= settings.webhook_max_attempts:
                # Its last try was claimed but never recorded (the worker stopped).
                exhausted.append(row.id)
            elif len(chosen) < limit and per_webhook[row.webhook_id] < PER_WEBHOOK_PER_ROUND:
                per_webhook[row.webhook_id] += 1
                chosen.append(row.id)
        if cancelled:
            session.execute(
                update(_delivery)
                .where(_delivery.c.id.in_(cancelled))
                .values(status="cancelled", locked_until=None)
            )
        if exhausted:
            session.execute(
                update(_delivery)
                .where(_delivery.c.id.in_(exhausted))
                .values(
                    status="failed",
                    locked_until=None,
                    last_error="the last try was interrupted before its result was recorded",
                )
            )
        if not chosen:
            return []
        # From now, not from the round's start: taking the write lock may have waited.
        lease_until = utcnow() + timedelta(seconds=lease_seconds(len(chosen)))
        session.execute(
            update(_delivery)
            .where(_delivery.c.id.in_(chosen))
            .values(locked_until=lease_until, attempts=_delivery.c.attempts + 1)
        )
        claimed = session.execute(
            select(
                _delivery.c.id,
                _delivery.c.event_id,
                _delivery.c.event_type,
                _delivery.c.payload,
                _delivery.c.attempts,
                _webhook.c.url,
                _webhook.c.secret,
            )
            .join(_webhook, _webhook.c.id == _delivery.c.webhook_id)
            .where(_delivery.c.id.in_(chosen))
        ).all()
    return [
        Claimed(
            id=row.id,
            event_id=row.event_id,
            event_type=row.event_type,
            payload=row.payload,
            attempts=row.attempts,
            url=row.url,
            secret=row.secret,
        )
        for row in claimed
    ]


def send(client: httpx.Client, delivery: Claimed) -> Outcome:
    """One try: POST the stored body, signed now, to the address checked now."""
    settings = get_settings()
    try:
        destination = addresses.check(delivery.url)
    except addresses.UnsafeDestination as exc:
        return Outcome(False, error=f"refused: {exc}")
    body = delivery.payload.encode()
    host_header = destination.host
    default_port = 443 if destination.scheme == "https" else 80
    if ":" in host_header:
        host_header = f"[{host_header}]"
    if destination.port != default_port:
        host_header = f"{host_header}:{destination.port}"
    # Connect to the address that was just checked, not to whatever the name resolves
    # to a moment later; TLS still presents and verifies the host name (SNI).
    url = httpx.URL(delivery.url).copy_with(host=destination.address)
    request = client.build_request(
        "POST",
        url,
        content=body,
        headers={
            "Host": host_header,
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature_header(delivery.secret, body),
            "Creditpool-Event-Id": delivery.event_id,
            "Creditpool-Event-Type": delivery.event_type,
            "Creditpool-Delivery-Id": delivery.id,
            "Creditpool-Attempt": str(delivery.attempts),
        },
        timeout=httpx.Timeout(settings.webhook_timeout_seconds),
        extensions={"sni_hostname": destination.host},
    )
    try:
        # Only the status matters: the receiver's body is never read.
        response = client.send(request, stream=True, follow_redirects=False)
        response.close()
    except httpx.TimeoutException:
        return Outcome(False, error=f"timed out after {settings.webhook_timeout_seconds:g}s")
    except httpx.HTTPError as exc:
        return Outcome(False, error=f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= response.status_code < 300:
        return Outcome(True, status_code=response.status_code)
    return Outcome(False, status_code=response.status_code, error=f"HTTP {response.status_code}")


def record(delivery: Claimed, outcome: Outcome, now: datetime | None = None) -> bool:
    """Store a try's result if the lease is still ours. Returns whether it was stored."""
    settings = get_settings()
    now = now or utcnow()
    values: dict = {
        "locked_until": None,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error[:500] if outcome.error else None,
    }
    if outcome.delivered:
        values.update(status="delivered", delivered_at=now)
    elif delivery.attempts >= settings.webhook_max_attempts:
        values.update(status="failed")
    else:
        delay = retry_delay(delivery.attempts, settings.webhook_retry_base_seconds)
        values.update(next_attempt_at=now + timedelta(seconds=delay))
    with system_session() as session:
        result = session.execute(
            update(_delivery)
            .where(
                and_(
                    _delivery.c.id == delivery.id,
                    _delivery.c.status == "pending",
                    _delivery.c.attempts == delivery.attempts,
                )
            )
            .values(**values)
        )
    return result.rowcount == 1


def _deliver(client: httpx.Client, delivery: Claimed) -> bool:
    try:
        outcome = send(client, delivery)
    except Exception as exc:  # a bug must not strand the lease until it expires
        log.exception("webhook send failed unexpectedly", extra={"delivery_id": delivery.id})
        outcome = Outcome(False, error=f"internal error: {type(exc).__name__}")
    if not outcome.delivered:
        log.info(
            "webhook delivery failed",
            extra={
                "delivery_id": delivery.id,
                "event_id": delivery.event_id,
                "attempt": delivery.attempts,
                "error": outcome.error,
            },
        )
    record(delivery, outcome)
    return outcome.delivered


def deliver_due() -> int:
    """Worker task: claim due deliveries, send them concurrently, record the results.
    Returns the number of tries made."""
    claimed = claim()
    if not claimed:
        return 0
    # trust_env=False: no proxy from the environment may stand between us and the
    # address that was checked.
    with (
        httpx.Client(trust_env=False, follow_redirects=False) as client,
        ThreadPoolExecutor(
            max_workers=min(SEND_THREADS, len(claimed)), thread_name_prefix="creditpool-webhook"
        ) as pool,
    ):
        list(pool.map(lambda delivery: _deliver(client, delivery), claimed))
    return len(claimed)
