"""`Idempotency-Key`: the first response to a create is remembered for 24 hours.

Protocol, per (caller, key), the caller being a user or an API key:
- `begin()` inserts the record as `in_progress` under its primary key, in its own
  committed transaction, before the request runs. Whoever inserts it runs the request;
  a concurrent twin finds the record and waits for it to be `done`, then replays it
  (or, past `WAIT_SECONDS`, gets 409 `idempotency_request_in_progress`).
- `complete()` stores the response. `release()` forgets the key instead (5xx, 401,
  403, 429: the request did not happen or may succeed later, so the caller may retry).
- The same key with another request (method, path or body differ) is 409
  `idempotency_key_reused`. Records older than `TTL` are ignored, replaced on reuse and
  purged by the worker task `purge_expired`.

The JSON routes get this from `IdempotencyMiddleware`; a route the middleware does not
buffer (multipart CSV uploads) calls `begin`/`complete`/`release` itself with a hash of
the uploaded file.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, exists, select, update
from sqlalchemy.engine import Engine

from app.auth.principal import Principal
from app.core.bulk import dialect_insert
from app.core.db import database
from app.core.errors import Conflict, IdempotencyKeyReused
from app.core.security import seal, unseal
from app.core.types import utcnow
from app.idempotency.models import IdempotencyRecord

TTL = timedelta(hours=24)
WAIT_SECONDS = 15.0
_POLL_SECONDS = 0.05
_record = IdempotencyRecord.__table__

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255

# Statuses that are not remembered: the request did not take effect, or may on a retry.
NOT_STORED = frozenset({401, 403, 429})


@dataclass(frozen=True)
class Proceed:
    """The caller owns the key now: run the request, then `complete()` or `release()`."""


@dataclass(frozen=True)
class Replay:
    status_code: int
    content_type: str | None
    body: bytes


def caller_of(principal: Principal) -> str:
    return f"{principal.kind}:{principal.id}"


def request_hash(method: str, path: str, *parts: bytes) -> str:
    digest = hashlib.sha256(f"{method.upper()} {path}\n".encode())
    for part in parts:
        digest.update(part)
    return digest.hexdigest()


def storable(status_code: int) -> bool:
    return status_code < 500 and status_code not in NOT_STORED


def begin(
    engine: Engine | None,
    caller: str,
    key: str,
    method: str,
    path: str,
    request_digest: str,
    group_id: str | None = None,
    *,
    wait_seconds: float = WAIT_SECONDS,
) -> Proceed | Replay:
    """Claim the key for this request, or return the response to replay.

    Raises `IdempotencyKeyReused` (another request under this key) or a 409 `Conflict`
    when the first request is still running after `wait_seconds`.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        now = utcnow()
        with database().system_session() as session:
            session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.caller == caller,
                    IdempotencyRecord.key == key,
                    IdempotencyRecord.created_at < now - TTL,
                )
            )
            claimed = session.execute(
                dialect_insert(session)(_record)
                .values(
                    caller=caller,
                    key=key,
                    group_id=group_id,
                    method=method.upper(),
                    path=path,
                    request_hash=request_digest,
                    state="in_progress",
                    created_at=now,
                )
                .on_conflict_do_nothing()
                .returning(_record.c.key)
            ).first()
        if claimed is not None:
            return Proceed()
        with database().system_session(write=False) as session:
            record = session.get(IdempotencyRecord, (caller, key))
        if record is None:
            continue  # the first request failed and let the key go: take it
        if record.request_hash != request_digest:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was already used for a different request; "
                "use a new key for a new request."
            )
        if record.state == "done":
            body = unseal(record.response_body or b"")
            if body is None:
                # Sealed under a SECRET_KEY since rotated: unreadable, so as good as expired.
                release(engine, caller, key)
                continue
            return Replay(record.status_code or 200, record.content_type, body)
        if time.monotonic() >= deadline:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                code="idempotency_request_in_progress",
                headers={"Retry-After": "1"},
            )
        time.sleep(_POLL_SECONDS)


def complete(
    engine: Engine | None,
    caller: str,
    key: str,
    status_code: int,
    content_type: str | None,
    body: bytes,
) -> None:
    """Remember the response (or forget the key when the status must not be replayed)."""
    if not storable(status_code):
        release(engine, caller, key)
        return
    with database().system_session() as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.caller == caller, IdempotencyRecord.key == key)
            .values(
                state="done",
                status_code=status_code,
                content_type=content_type,
                # Sealed: a replayed answer may hold a secret shown once (an API key).
                response_body=seal(body),
            )
        )


def release(engine: Engine | None, caller: str, key: str) -> None:
    """Forget an in-progress key so that the caller can retry with it."""
    with database().system_session() as session:
        session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.caller == caller,
                IdempotencyRecord.key == key,
                IdempotencyRecord.state == "in_progress",
            )
        )


_last_purge = 0.0
PURGE_EVERY_SECONDS = 60.0


def purge_expired() -> int:
    """Worker task: delete the records older than 24 hours (at most once a minute)."""
    global _last_purge
    if time.monotonic() - _last_purge < PURGE_EVERY_SECONDS:
        return 0
    _last_purge = time.monotonic()
    return purge_expired_now()


def purge_expired_now(engine: Engine | None = None) -> int:
    cutoff = utcnow() - TTL
    stale = IdempotencyRecord.created_at < cutoff
    # Look before taking the write lock: most rounds find nothing.
    with database().system_session(write=False) as session:
        if not session.execute(select(exists().where(stale))).scalar():
            return 0
    with database().system_session() as session:
        deleted = session.execute(delete(IdempotencyRecord).where(stale)).rowcount
    return deleted or 0
