"""Profile reads: recorded as inquiries and audit events, in batches.

A profile read is a read: taking SQLite's single write lock (or a PostgreSQL commit) on
every one of them would make reads queue behind each other under load. Each process
therefore keeps the reads it served in memory and writes them in one transaction per
batch: from the background worker (`flush_profile_reads`, about every second), at
shutdown, and from a thread of their own when a batch grows large or old (a process
serving without its worker). The reads of this process that are not written yet still
count in `inquiries_90d`.

So that a process that dies (kill -9, a crash, the machine's OOM killer) loses none of
them, each read is also appended, as one line, to the process's journal file under
`DATA_DIR/profile-reads/` before it is answered (one `write`, no `fsync`: the operating
system keeps it even if the process dies at once; only a power loss or an OS crash can
lose the last moments). Each batch's lines move to a file of their own when the batch is
taken, which is deleted once the batch is committed. A process holds an exclusive lock
on its journal while it lives; the files of a process that died (its lock gone with it)
are written to the database by any other process's worker, or by the next start, and
deleted. The rows carry the ids given at read time, and are inserted with ON CONFLICT
DO NOTHING: a file written twice (a race, a crash between the commit and the delete)
counts once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from app.audit.models import AuditEvent
from app.audit.resources import resource
from app.core.bulk import dialect_insert
from app.core.config import get_settings
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
    # The ids of its rows, given at read time: a journal written twice counts once.
    inquiry_id: str = field(default_factory=new_id)
    audit_id: str = field(default_factory=new_id)

    def journal_line(self) -> bytes:
        return (
            json.dumps(
                [
                    self.group_id,
                    self.client_id,
                    self.member_id,
                    self.actor,
                    self.at.isoformat(),
                    self.as_of.isoformat(),
                    self.inquiry_id,
                    self.audit_id,
                ],
                separators=(",", ":"),
            ).encode()
            + b"\n"
        )

    @classmethod
    def from_journal(cls, line: bytes) -> ProfileRead:
        group_id, client_id, member_id, actor, at, as_of, inquiry_id, audit_id = json.loads(line)
        return cls(
            group_id,
            client_id,
            member_id,
            actor,
            datetime.fromisoformat(at),
            date.fromisoformat(as_of),
            inquiry_id=inquiry_id,
            audit_id=audit_id,
        )

    def inquiry_row(self) -> dict[str, Any]:
        return {
            "id": self.inquiry_id,
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
            "id": self.audit_id,
            "group_id": self.group_id,
            "at": self.at,
            "actor": self.actor,
            "action": "profile.read",
            "resource": resource("client", self.client_id),
            "detail": detail,
        }


def journal_dir() -> Path:
    """`DATA_DIR/profile-reads/<database>/`: the journals of the processes serving one
    database (named by a digest of DATABASE_URL), so that no process writes reads into
    another database's tables."""
    url = make_url(get_settings().database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        place = str(Path(url.database).resolve())  # one file, whatever the working folder
    else:  # the driver and the password may differ between processes of one database
        place = f"{url.host}:{url.port or ''}/{url.database}"
    identity = f"{url.get_backend_name()}|{place}"
    database = hashlib.sha256(identity.encode()).hexdigest()[:16]
    return Path(get_settings().data_dir) / "profile-reads" / database


class _Journal:
    """This process's journal of reads not written yet: each read's line is appended to
    its open file; `take()` moves the lines so far to a file of their own (a batch's),
    and starts anew.

    The open file is locked (flock, exclusive) while this process lives, so that another
    process's recovery leaves it alone; a taken file is complete and needs no lock
    (written twice, its reads count once). No path is used twice: a recovery that opened
    a file just before it was taken can only ever delete that file's path."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.name = f"reads-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.pid = os.getpid()
        self._files = 0
        self._fd = -1
        self._open()

    def _open(self) -> None:
        self._files += 1
        self.path = self.directory / f"{self.name}-{self._files}.jsonl"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise
        self._fd = fd
        self.empty = True

    def append(self, line: bytes) -> None:
        os.write(self._fd, line)
        self.empty = False

    def take(self) -> Path | None:
        """The file holding every line appended since the last take (None: no line)."""
        if self.empty:
            return None
        taken = self.path.with_suffix(".taken")
        os.rename(self.path, taken)
        os.close(self._fd)
        self._fd = -1
        self._open()
        return taken

    def close(self) -> None:
        """Let the file go (at shutdown, or when it cannot be written): an empty one is
        deleted, one with lines is left for recovery."""
        if self._fd < 0:
            return
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd = -1
        if self.empty:
            self.path.unlink(missing_ok=True)


class ProfileReadLog:
    """The reads this process served and has not written yet (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._journal: _Journal | None = None
        self._journal_retry_at = 0.0
        # Journal files whose reads are all in `_pending` (a failed batch's, requeued).
        self._pending_files: list[Path] = []
        self._pending: list[ProfileRead] = []
        # Batches being written right now still count until their commit.
        self._inflight: list[list[ProfileRead]] = []
        # When each member read each client, among the reads above: inquiries_90d looks
        # here on every read, so it is indexed by (group, client) -> member -> times.
        self._by_client: dict[tuple[str, str], dict[str, list[datetime]]] = {}
        self._flusher: threading.Thread | None = None

    def record(self, read: ProfileRead) -> None:
        with self._lock:
            self._journaled(lambda journal: journal.append(read.journal_line()))
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

    def _journaled(self, step):
        """`step(journal)` on this process's journal (the lock is held; a forked child
        starts its own). The journal makes reads survive the process; it must not stop
        them: where it cannot be written (a full disk, a read-only DATA_DIR) the reads
        are kept in memory only, as they were before it, and it is tried again a
        minute later."""
        if time.monotonic() < self._journal_retry_at:
            return None
        try:
            if self._journal is None or self._journal.pid != os.getpid():
                self._journal = _Journal(journal_dir())
            return step(self._journal)
        except OSError:
            log.exception("cannot write the profile read journal; reads kept in memory only")
            if self._journal is not None and self._journal.pid == os.getpid():
                self._journal.close()
            self._journal = None
            self._journal_retry_at = time.monotonic() + 60
            return None

    def _after_fork(self) -> None:
        """In a forked child: the parent's reads, journal and lock are the parent's."""
        self._lock = threading.Lock()
        journal, self._journal = self._journal, None
        if journal is not None and journal._fd >= 0:
            # The child's copy of the descriptor only; the parent's keeps its lock.
            with contextlib.suppress(OSError):
                os.close(journal._fd)
        self._pending, self._inflight, self._pending_files = [], [], []
        self._by_client = {}
        self._flusher = None

    def flush(self) -> int:
        """Write every buffered read (one transaction); returns how many were written."""
        with self._lock:
            batch, self._pending = self._pending, []
            if not batch:
                return 0
            taken = self._journaled(lambda journal: journal.take())
            files = self._pending_files + ([taken] if taken else [])
            self._pending_files = []
            self._inflight.append(batch)
        try:
            written = _write(batch)
        except Exception:
            # Keep them for the next round: nothing is dropped on a transient failure.
            with self._lock:
                self._inflight.remove(batch)
                self._pending[:0] = batch
                self._pending_files[:0] = files
            raise
        with self._lock:
            self._inflight.remove(batch)
            self._forget(batch)
        for path in files:
            path.unlink(missing_ok=True)
        return written

    def close(self) -> None:
        """At shutdown, after the last flush."""
        with self._lock:
            if self._journal is not None and self._journal.pid == os.getpid():
                # Reads still pending (the last flush failed) stay in the file, for the
                # next start or another process to write.
                self._journal.close()
            self._journal = None

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
        insert = dialect_insert(session)
        if inquiries:
            session.execute(insert(Inquiry.__table__).on_conflict_do_nothing(), inquiries)
        session.execute(
            insert(AuditEvent.__table__).on_conflict_do_nothing(),
            [r.audit_row() for r in batch],
        )
        session.commit()


READS = ProfileReadLog()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=READS._after_fork)

# How often a worker looks for the journals of processes that died.
RECOVER_EVERY_SECONDS = 10.0
_recovered_at = 0.0


def flush_profile_reads() -> int:
    """Worker task: write the buffered profile reads, and now and then the journals of
    processes that died."""
    global _recovered_at
    written = READS.flush()
    if time.monotonic() - _recovered_at >= RECOVER_EVERY_SECONDS:
        _recovered_at = time.monotonic()
        written += recover_profile_reads()
    return written


def close_profile_reads() -> None:
    """Shutdown hook: write what is buffered, then let the journal go."""
    READS.flush()
    READS.close()


def recover_profile_reads() -> int:
    """Write the reads journaled by processes that died (their files unlocked), then
    delete the files; returns how many reads were written."""
    directory = journal_dir()
    if not directory.is_dir():
        return 0
    written = 0
    for path in sorted(directory.iterdir()):
        if path.suffix not in (".jsonl", ".taken") or _is_ours(path):
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue  # written and deleted by its owner meanwhile
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live process's journal
            if not _same_file(fd, path):
                continue  # taken (renamed) by its live owner since we opened it
            with os.fdopen(os.dup(fd), "rb") as lines:
                batch = [_parsed(line) for line in lines]
            batch = [read for read in batch if read is not None]
            if batch:
                written += _write(batch)
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)
    if written:
        log.warning("wrote %d profile reads left by a process that stopped", written)
    return written


def _same_file(fd: int, path: Path) -> bool:
    try:
        at_path = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (opened.st_dev, opened.st_ino) == (at_path.st_dev, at_path.st_ino)


def _is_ours(path: Path) -> bool:
    journal = READS._journal
    return (
        journal is not None
        and journal.pid == os.getpid()
        and path.name.startswith(journal.name + "-")
    )


def _parsed(line: bytes) -> ProfileRead | None:
    try:
        return ProfileRead.from_journal(line)
    except (ValueError, TypeError):
        # Only the last line of a process that died while writing it can be cut short.
        log.warning("skipped a cut-off line of a profile read journal")
        return None
