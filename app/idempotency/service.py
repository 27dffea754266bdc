"""`Idempotency-Key`: the first answer to a POST is remembered for 24 hours.

Protocol, per (caller, key), the caller being a user or an API key (see `route.py` for
how a route uses it):
- `claim()` inserts the record as `in_progress` with a lease (an `owner` token and
  `lease_expires_at`), in its own committed unit of work, before the request's work
  runs. Whoever holds the lease runs the request. A twin finds the record: `done` is
  replayed, a live lease is `Busy` (the caller waits and asks again), a lapsed lease
  (its process died or lost the database) is taken over.
- `complete_in()` marks the record `done` with the answer **in the request's own
  transaction**, and only while this request still holds the lease: the effect and the
  answer commit together or not at all. A process killed before that commit leaves an
  `in_progress` record whose lease lapses, and a retry then runs the request afresh
  (nothing of the first try was committed); a request that outlived its lease and was
  taken over rolls back with 409 instead of committing twice.
- An answer that failed (an error raised, so the request's transaction rolled back) is
  stored with `store()` (4xx: replayed like any answer) or forgotten with `release()`
  (5xx, 401, 403, 429: the request did not happen or may succeed later), each in its
  own unit of work.
- The same key with another request (method, path or body differ) is 409
  `idempotency_key_reused`. Records older than `TTL` are ignored, replaced on reuse and
  purged by the worker task `purge_expired`.
- An answer that shows a secret once (a new API key, a webhook signing secret) is never
  stored: only its resource id is, and a replay is 409 `idempotency_secret_not_replayed`
  naming that id (the secret cannot be shown again; revoke it and create another).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.core.bulk import dialect_insert
from app.core.config import get_settings
from app.core.db import database
from app.core.errors import Conflict, IdempotencyKeyReused
from app.core.security import seal, unseal
from app.core.types import utcnow
from app.idempotency.models import IdempotencyRecord

TTL = timedelta(hours=24)
_record = IdempotencyRecord.__table__

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255

# Statuses that are not remembered: the request did not take effect, or may on a retry.
NOT_STORED = frozenset({401, 403, 429})


@dataclass(frozen=True)
class Claim:
    """This request holds the key's lease: run it, then `complete_in` (or `store` /
    `release` when it failed)."""

    caller: str
    key: str
    owner: str
    shows_secret: bool = False


@dataclass(frozen=True)
class Replay:
    status_code: int
    content_type: str | None
    body: bytes


@dataclass(frozen=True)
class Busy:
    """Another request holds a live lease on the key: ask again shortly."""


def caller_of(principal: Principal) -> str:
    return f"{principal.kind}:{principal.id}"


def request_hash(method: str, path: str, *parts: bytes) -> str:
    digest = hashlib.sha256(f"{method.upper()} {path}\n".encode())
    for part in parts:
        digest.update(part)
    return digest.hexdigest()


def storable(status_code: int) -> bool:
    return status_code < 500 and status_code not in NOT_STORED


def lease() -> timedelta:
    return timedelta(seconds=get_settings().idempotency_lease_seconds)


def claim(
    caller: str,
    key: str,
    method: str,
    path: str,
    request_digest: str,
    group_id: str | None,
    *,
    shows_secret: bool = False,
) -> Claim | Replay | Busy:
    """Take the key's lease for this request, or say what to do instead (one short unit
    of work; call it from a worker thread). Raises `IdempotencyKeyReused`, or a 409
    `Conflict` for a stored answer that held a secret."""
    owner = str(uuid.uuid4())
    mine = Claim(caller, key, owner, shows_secret)
    now = utcnow()
    this = and_(_record.c.caller == caller, _record.c.key == key)
    with database().system_session() as session:
        session.execute(delete(_record).where(this, _record.c.created_at < now - TTL))
        inserted = session.execute(
            dialect_insert(session)(_record)
            .values(
                caller=caller,
                key=key,
                group_id=group_id,
                method=method.upper(),
                path=path,
                request_hash=request_digest,
                state="in_progress",
                owner=owner,
                lease_expires_at=now + lease(),
                created_at=now,
            )
            .on_conflict_do_nothing()
            .returning(_record.c.key)
        ).first()
        if inserted is not None:
            return mine
        record = session.execute(select(_record).where(this)).first()
        if record is None:  # released between the insert and the read: ask again
            return Busy()
        if record.request_hash != request_digest:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was already used for a different request; "
                "use a new key for a new request."
            )
        if record.state == "done":
            body = unseal(record.response_body or b"")
            if body is not None:
                return _replay(record, body)
            # Sealed under a SECRET_KEY since rotated: unreadable, so as good as expired.
            session.execute(delete(_record).where(this))
            taken = None
        elif record.lease_expires_at is not None and record.lease_expires_at > now:
            return Busy()
        # The lease lapsed: the request that held it died (or lost the database) before
        # its commit, so nothing of it was stored. Take it over, unless a twin just did.
        taken = session.execute(
            update(_record)
            .where(
                this,
                _record.c.state == "in_progress",
                or_(_record.c.owner == record.owner, _record.c.owner.is_(None)),
            )
            .values(owner=owner, lease_expires_at=now + lease())
        ).rowcount
    if taken is None:  # the unreadable answer is gone: claim afresh
        return claim(caller, key, method, path, request_digest, group_id, shows_secret=shows_secret)
    return mine if taken == 1 else Busy()


def _replay(record, body: bytes) -> Replay:
    if record.content_type == SECRET_WITHHELD:
        created = json.loads(body).get("id")
        raise Conflict(
            f"This request already succeeded and created {created}, whose secret is shown "
            "only once and is not replayed. Revoke it if the secret was lost, and create "
            "another with a new Idempotency-Key.",
            code="idempotency_secret_not_replayed",
        )
    return Replay(record.status_code or 200, record.content_type, body)


# Stored instead of the content type when the answer held a secret (see `complete_in`).
SECRET_WITHHELD = "secret-withheld"


def complete_in(
    session: Session, mine: Claim, status_code: int, content_type: str | None, body: bytes
) -> None:
    """Remember the answer in the request's own transaction (see the module docstring).
    Raises a 409 `Conflict` when the lease was taken over: the caller must roll back."""
    if not storable(status_code):
        done = session.execute(delete(_record).where(*_held(mine))).rowcount
    else:
        if mine.shows_secret and status_code < 300:
            # Only the created resource's id: the secret itself is never kept.
            created = json.loads(body or b"{}").get("id")
            body, content_type = json.dumps({"id": created}).encode(), SECRET_WITHHELD
        done = session.execute(
            update(_record)
            .where(*_held(mine))
            .values(
                state="done",
                status_code=status_code,
                content_type=content_type,
                response_body=seal(body),
                lease_expires_at=None,
            )
        ).rowcount
    if done != 1:
        raise Conflict(
            "This request ran past its Idempotency-Key lease and a retry took it over; "
            "its result comes from that retry.",
            code="idempotency_request_in_progress",
            headers={"Retry-After": "1"},
        )


def store(mine: Claim, status_code: int, content_type: str | None, body: bytes) -> None:
    """Remember a failed request's answer (its transaction rolled back), or forget the
    key when that answer must not be replayed. Its own unit of work."""
    # A Conflict: taken over meanwhile, and the new owner answers.
    with contextlib.suppress(Conflict), database().system_session() as session:
        complete_in(session, mine, status_code, content_type, body)


def release(mine: Claim) -> None:
    """Forget the key (its request failed in a way that may pass on a retry)."""
    with database().system_session() as session:
        session.execute(delete(_record).where(*_held(mine)))


def _held(mine: Claim):
    return (
        _record.c.caller == mine.caller,
        _record.c.key == mine.key,
        _record.c.state == "in_progress",
        _record.c.owner == mine.owner,
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


def purge_expired_now() -> int:
    stale = _record.c.created_at < utcnow() - TTL
    # Look before taking the write lock: most rounds find nothing.
    with database().system_session(write=False) as session:
        if not session.execute(select(exists().where(stale))).scalar():
            return 0
    with database().system_session() as session:
        deleted = session.execute(delete(_record).where(stale)).rowcount
    return deleted or 0
