"""Profile reads: recorded as inquiries and audit events, in batches.

A profile read is a read: taking SQLite's single write lock (or a PostgreSQL commit) on
every one of them would make reads queue behind each other under load. Each process
therefore keeps the reads it served in memory and writes them in one transaction per
batch: from the background worker (`flush_profile_reads`, about every second), at
shutdown, and from a thread of their own when a batch grows large or old (a process
serving without its worker). The reads of this process that are not written yet still count in
`inquiries_90d`. A hard crash (kill -9, power loss) loses the reads of the last moments
that were not flushed; a clean shutdown loses none (see docs/METHODOLOGY.md).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from app.audit.models import AuditEvent
from app.core.db import system_session
from app.core.types import new_id
from app.profiles.models import Inquiry

log = logging.getLogger("creditpool.profiles")

# Flush at once (in a thread of its own) past this many buffered reads or this age.
MAX_BATCH = 1000
MAX_AGE_SECONDS = 5.0


@dataclass(frozen=True)
class ProfileRead:
    group_id: str
    client_id: str
    member_id: str | None  # None: a group admin without a member (audited, not an inquiry)
    actor: str
    at: datetime
    as_of: date
    queued_at: float = field(default_factory=time.monotonic, compare=False)

    def inquiry_row(self) -> dict[str, Any]:
        return {
            "id": new_id(),
            "group_id": self.group_id,
            "member_id": self.member_id,
            "client_id": self.client_id,
            "at": self.at,
        }

    def audit_row(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"as_of": self.as_of.isoformat()}
        if self.member_id:
            detail["member_id"] = self.member_id
        return {
            "id": new_id(),
            "group_id": self.group_id,
            "at": self.at,
            "actor": self.actor,
            "action": "profile.read",
            "resource": f"client/{self.client_id}",
            "detail": detail,
        }


class ProfileReadLog:
    """The reads this process served and has not written yet (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[ProfileRead] = []
        # Batches being written right now still count until their commit.
        self._inflight: list[list[ProfileRead]] = []
        # When each member read each client, among the reads above: inquiries_90d looks
        # here on every read, so it is indexed by (group, client) -> member -> times.
        self._by_client: dict[tuple[str, str], dict[str, list[datetime]]] = {}
        self._flusher: threading.Thread | None = None

    def record(self, read: ProfileRead) -> None:
        with self._lock:
            self._pending.append(read)
            if read.member_id:
                readers = self._by_client.setdefault((read.group_id, read.client_id), {})
                readers.setdefault(read.member_id, []).append(read.at)
            due = len(self._pending) >= MAX_BATCH or (
                time.monotonic() - self._pending[0].queued_at > MAX_AGE_SECONDS
            )
        if due:
            self._flush_soon()

    def _flush_soon(self) -> None:
        """Flush in a thread of its own, never in the reading request: a read may be
        served on the event loop (SQLite), and a write may wait for the database's
        write lock behind an import."""
        with self._lock:
            if self._flusher is not None and self._flusher.is_alive():
                return
            self._flusher = threading.Thread(
                target=self._flush_logged, name="profile-reads-flush", daemon=True
            )
            self._flusher.start()

    def _flush_logged(self) -> None:
        try:
            self.flush()
        except Exception:
            # The reads were served; their records stay queued for the next round.
            log.exception("flushing profile reads failed")

    def pending(self) -> int:
        with self._lock:
            return len(self._pending) + sum(len(b) for b in self._inflight)

    def members_reading(
        self, group_id: str, client_id: str, after: datetime, until: datetime
    ) -> set[str]:
        """Members whose buffered reads of the client fall in (after, until]."""
        with self._lock:
            readers = self._by_client.get((group_id, client_id))
            if not readers:
                return set()
            return {m for m, times in readers.items() if any(after < t <= until for t in times)}

    def flush(self) -> int:
        """Write every buffered read (one transaction); returns how many were written."""
        with self._lock:
            batch, self._pending = self._pending, []
            if not batch:
                return 0
            self._inflight.append(batch)
        try:
            written = _write(batch)
        except Exception:
            # Keep them for the next round: nothing is dropped on a transient failure.
            with self._lock:
                self._inflight.remove(batch)
                self._pending[:0] = batch
            raise
        with self._lock:
            self._inflight.remove(batch)
            self._forget(batch)
        return written

    def _forget(self, batch: list[ProfileRead]) -> None:
        """Drop written reads from the index (the lock is held)."""
        for read in batch:
            if not read.member_id:
                continue
            key = (read.group_id, read.client_id)
            readers = self._by_client[key]
            times = readers[read.member_id]
            times.remove(read.at)
            if not times:
                del readers[read.member_id]
                if not readers:
                    del self._by_client[key]


def _write(batch: list[ProfileRead]) -> int:
    try:
        _insert(batch)
        return len(batch)
    except IntegrityError:
        # One bad row (say, a member deleted meanwhile) must not hold back the others.
        written = 0
        for read in batch:
            try:
                _insert([read])
                written += 1
            except IntegrityError:
                log.warning(
                    "profile read dropped: it no longer fits the database",
                    extra={"client_id": read.client_id, "group_id": read.group_id},
                )
        return written


def _insert(batch: list[ProfileRead]) -> None:
    inquiries = [r.inquiry_row() for r in batch if r.member_id]
    with system_session() as session:
        if inquiries:
            session.execute(insert(Inquiry.__table__), inquiries)
        session.execute(insert(AuditEvent.__table__), [r.audit_row() for r in batch])
        session.commit()


READS = ProfileReadLog()


def flush_profile_reads() -> int:
    """Worker task (and shutdown hook): write the buffered profile reads."""
    return READS.flush()
