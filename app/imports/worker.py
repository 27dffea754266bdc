"""The background half of CSV imports: claim a job, work through it chunk by chunk.

Safety against other processes serving the same database:
- a job is claimed with a conditional UPDATE (queued, or running with no live lease)
  after a `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite serializes writers
  with BEGIN IMMEDIATE, so the conditional UPDATE alone decides there);
- each chunk's rows are stored in the SAME transaction as the job's progress (counts,
  errors, resume offset), and that progress update only applies when the job is still
  at the offset this worker started the chunk from. A chunk is therefore counted once
  or not at all: a process that dies mid-chunk leaves nothing of it behind, and a
  worker that lost its lease cannot commit over the one that took the job over;
- a lease (`locked_until`) is renewed at every chunk and released after each time
  slice; a job whose lease ran out (its process died) is claimed again and resumed
  from its last committed chunk;
- a chunk that meets a passing database error (`_passing`) is rolled back, counted on
  the job (`retries`, reset by every committed chunk) and the lease set to run out after
  a pause (`RETRY_PAUSES`): the next round, in any process, resumes at that chunk; any
  other error, or a fourth passing one in a row, fails the job.

Speed: reading a chunk (parse, check, driver values) needs no database, and is done
for the next chunk while this one is stored:
- on a machine with a core to spare, by the reader process (`app.imports.reader`),
  asked for the next chunk as soon as this one is in hand, across the end of a time
  slice too (the next slice takes it if the job is still where it was asked for). If
  the reader fails, the chunk is read here; nothing else changes.
- otherwise on PostgreSQL, here, while the server stores this chunk's lines (sent
  without waiting: one `INSERT ... SELECT` in pipeline mode, `app.core.bulk`); on
  SQLite, which works in this process, there is nothing to overlap with.
The next chunk's clients are resolved only after this one's commit (this chunk may
have created them). An error of the statement in flight fails its chunk as any other.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import and_, func, or_, text, update
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlmodel import select

from app.audit import service as audit
from app.auth.models import ApiKey
from app.auth.principal import Principal
from app.clients.service import ResolvedClients
from app.core.config import get_settings
from app.core.db import system_session
from app.core.errors import ValidationFailed
from app.core.types import today, utcnow
from app.experiences import ingest
from app.experiences.checks import collector_paused
from app.groups.models import Group
from app.imports import reader
from app.imports.csvfile import Header, ImportOptions, options_of, read_header
from app.imports.models import ImportJob
from app.imports.reader import (
    ChunkSource,
    PendingRead,
    ReadChunk,
    ReaderResting,
    ReaderUnavailable,
    ReadFailed,
    readers,
)
from app.members.models import Member
from app.tenancy.session import bind_session
from app.users.models import User

log = logging.getLogger("creditpool.imports")


# Rows per transaction: bigger chunks spread the per-chunk statements and commit over more
# rows, smaller ones hold less memory. With a reader process two processes hold a chunk
# each: 5,000 was as fast as 10,000 there on 1 Dec 2026 (22,635 rows/s), with 20 MB less
# in the server and 25 MB less in the reader. Read in process, 10,000 (docs/PERFORMANCE.md).
CHUNK_ROWS = 5_000
CHUNK_ROWS_IN_PROCESS = 10_000
LEASE = timedelta(minutes=2)
# How long one worker round keeps at one job before letting other tasks run.
SLICE_SECONDS = 5.0
MAX_ERRORS = 100
# A chunk that fails on a passing database error (the database restarting or out of
# reach a moment, a deadlock, SQLite busy past its timeout) is tried again after these
# pauses before the job fails: long enough for a restart or a failover.
RETRY_PAUSES = (timedelta(seconds=5), timedelta(seconds=15), timedelta(seconds=45))
# The errors among which those are (`_passing` tells), as SQLAlchemy raises them and as
# the drivers do on the paths that use them directly (COPY and pipeline mode, key-list
# lookups: app.core.bulk).
_PASSING_ERRORS = (OperationalError, sqlite3.OperationalError, psycopg.OperationalError)


@dataclass
class _JobMemo:
    """What this process keeps of a job in progress between its chunks and slices."""

    # The clients it resolved so far.
    resolved: ResolvedClients = field(default_factory=ResolvedClients)
    # Its next chunk, asked of the helper process while the last slice's last chunk
    # was stored, and how (taken only if the job is still at that chunk's offset and
    # is read the same way).
    ahead: tuple[ChunkSource, PendingRead] | None = None


# At most a few jobs' worth, the oldest dropped first. A job taken over by another
# process starts that process's own from empty.
_MEMOS: dict[str, _JobMemo] = {}
_MEMO_JOBS = 2
_memo_lock = threading.Lock()


def _memo_for(job_id: str) -> _JobMemo:
    with _memo_lock:
        memo = _MEMOS.get(job_id)
        if memo is None:
            while len(_MEMOS) >= _MEMO_JOBS:
                _MEMOS.pop(next(iter(_MEMOS)))
            memo = _MEMOS[job_id] = _JobMemo()
        return memo


def _forget(job_id: str) -> None:
    with _memo_lock:
        _MEMOS.pop(job_id, None)


class JobFailed(Exception):
    """The job cannot go on; the message tells the member why."""


@dataclass(frozen=True)
class _JobRef:
    """What the chunks need of the job, read once: the ORM row is expired by every
    commit, and touching it again would open a transaction (on SQLite, the write lock)
    while the next chunk is being parsed."""

    id: str
    group_id: str
    file_path: Path


@dataclass
class _Progress:
    stored_offset: int  # the job's resume_offset as committed (0 before the first chunk)
    offset: int  # where the next chunk starts reading
    line: int
    rows_done: int
    errors: list[dict[str, Any]] = field(default_factory=list)


def run_imports() -> int:
    """Worker task: work one slice of the oldest claimable job; returns chunks committed."""
    job_id = claim_job()
    if job_id is None:
        readers.close()  # nothing left to read ahead for: the helper process stops
        return 0
    return work_on(job_id)


def _still_at(job_id: str, stored_offset: int):
    """The job, while it runs and its committed progress is where this worker left it:
    no other worker has moved it on (the condition of every write of its progress)."""
    return and_(
        ImportJob.id == job_id,
        ImportJob.status == "running",
        ImportJob.resume_offset == stored_offset,
    )


def _claimable(now):
    return and_(
        ImportJob.status.in_(("queued", "running")),
        or_(ImportJob.locked_until.is_(None), ImportJob.locked_until < now),
    )


def claim_job() -> str | None:
    """Take the lease on the oldest job nobody works on; None when there is none."""
    now = utcnow()
    oldest = select(ImportJob.id).where(_claimable(now)).order_by(ImportJob.created_at).limit(1)
    # A read first, so that an idle round takes no write lock.
    with system_session(write=False) as session:
        if session.execute(oldest).scalar_one_or_none() is None:
            return None
    with system_session() as session:
        job_id = session.execute(oldest.with_for_update(skip_locked=True)).scalar_one_or_none()
        if job_id is None:
            return None
        taken = session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, _claimable(now))
            .values(
                status="running",
                locked_until=now + LEASE,
                started_at=func.coalesce(ImportJob.started_at, now),
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        session.commit()
    return job_id if taken == 1 else None


def work_on(job_id: str, *, max_chunks: int | None = None, chunk_rows: int | None = None) -> int:
    """Work a claimed job for one time slice (or `max_chunks`); returns chunks committed."""
    deadline = time.monotonic() + SLICE_SECONDS
    helper = _use_helper()
    chunk_rows = chunk_rows or (CHUNK_ROWS if helper else CHUNK_ROWS_IN_PROCESS)
    with system_session() as session:
        job = session.get(ImportJob, job_id)
        if job is None or job.status != "running":
            return 0
        ref = _JobRef(job.id, job.group_id, Path(job.file_path))
        session.info.pop("unscoped", None)
        bind_session(session, ref.group_id)
        try:
            principal = _uploader(session, job)
            currency = session.get(Group, ref.group_id).currency
            header = _header(ref.file_path, options_of(job.options))
        except JobFailed as exc:
            session.rollback()
            _fail(session, ref, str(exc))
            return 1
        if job.resume_offset:
            progress = _Progress(
                job.resume_offset, job.resume_offset, job.resume_line, job.rows_done, job.errors
            )
        else:
            progress = _Progress(0, header.data_offset, 2, 0, [])
        session.rollback()  # end the reading transaction before the first chunk

        chunks = 0
        memo = _memo_for(job_id)
        resolved = memo.resolved
        source = ChunkSource(
            ref.file_path, header, currency, chunk_rows, session.get_bind().dialect.name
        )
        # The next chunk, read while this one is stored: by the reader process (a
        # PendingRead; the first one maybe asked for by this job's last slice), or in
        # process (a ReadChunk) while a database server stores.
        ahead: _Ahead = None
        if helper and memo.ahead is not None and memo.ahead[0] == source:
            ahead = memo.ahead[1]
        memo.ahead = None

        def slice_goes_on(done: int) -> bool:
            return (max_chunks is None or done < max_chunks) and time.monotonic() <= deadline

        def read_ahead(done: int) -> bool:
            if helper:
                # Across the slice's end too: only the helper works on it, and the next
                # slice takes it if the job is still where it was asked for.
                return True
            # Reading ahead in process pays only where a database server works
            # meanwhile: SQLite works in this process, and a second chunk alive only
            # costs memory (measured: 19,350 -> 18,150 rows/s, 235 -> 267 MB). And not
            # beyond the slice: the next one may be another worker's.
            return source.dialect != "sqlite" and slice_goes_on(done)

        while True:
            rows_before = progress.rows_done
            goes_on = functools.partial(read_ahead, chunks + 1)
            try:
                # The chunk's objects (rows, items, parameters) all live until it is
                # written and are all freed by reference counting when it returns: with
                # the cyclic collector on, each burst of them made it rescan the whole
                # process. It runs again once the chunk's objects are gone.
                with collector_paused():
                    finished, ahead = _one_chunk(
                        session, principal, ref, source, progress, resolved, ahead, goes_on, helper
                    )
            except _LostLease:
                session.rollback()
                _forget(job_id)
                log.warning("import job taken over by another worker", extra={"job": job_id})
                return chunks
            except _PASSING_ERRORS as exc:
                if _passing(exc):
                    return chunks + _retry_later(session, ref, progress, exc)
                _stop(session, ref, progress, f": the database refused it ({_error_name(exc)})")
                return chunks + 1
            except Exception as exc:
                _stop(session, ref, progress, f" by an internal error ({type(exc).__name__})")
                return chunks + 1
            chunks += 1
            _refresh_statistics(session, rows_before, progress.rows_done)
            if finished:
                _forget(job_id)
                ref.file_path.unlink(missing_ok=True)
                return chunks
            if not slice_goes_on(chunks):
                if isinstance(ahead, PendingRead):
                    memo.ahead = (source, ahead)
                _release(session, ref.id, progress.stored_offset)
                return chunks


class _LostLease(Exception):
    pass


# SQLite: busy or locked (another writer). PostgreSQL: the connection (class 08), a
# serialization failure or deadlock (40001, 40P01), a lock not available (55P03), too
# many connections (53300), the server shutting down or starting (57P01-57P03). A
# connection lost without a code (psycopg raises OperationalError with none) too.
_SQLITE_PASSING = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_PG_PASSING = {"40001", "40P01", "55P03", "53300", "57P01", "57P02", "57P03"}


def _passing(exc: Exception) -> bool:
    """Whether another try may succeed: an error of the moment, not of the data or the
    schema ("no such table", a disk full, a statement cancelled are not)."""
    if getattr(exc, "connection_invalidated", False):
        return True
    error = _driver_error(exc)
    if isinstance(error, sqlite3.Error):
        return getattr(error, "sqlite_errorcode", None) in _SQLITE_PASSING
    if isinstance(error, psycopg.Error):
        code = error.sqlstate
        return code is None or code.startswith("08") or code in _PG_PASSING
    return False


def _stop(session: Session, job: _JobRef, progress: _Progress, how: str) -> None:
    """Fail the job at the chunk that could not be stored (nothing of it committed)."""
    session.rollback()
    _forget(job.id)
    log.exception("import chunk failed", extra={"job": job.id})
    _fail(session, job, _stopped_at(progress, how))


def _stopped_at(progress: _Progress, how: str) -> str:
    return (
        f"Stopped at line {progress.line}{how}; the {progress.rows_done} rows before it "
        "are stored and counted."
    )


def _retry_later(session: Session, job: _JobRef, progress: _Progress, exc: Exception) -> int:
    """After a passing database error: count it on the job and let the job's lease run
    out after a pause, or fail the job once the pauses are used up. Returns 1 (a round
    of work) when the job was rescheduled or failed, 0 when not even that could be
    written (the database is down: the lease taken at the last chunk runs out instead)."""
    try:
        session.rollback()
        retries = session.execute(
            update(ImportJob)
            .where(_still_at(job.id, progress.stored_offset))
            .values(retries=ImportJob.retries + 1)
            .returning(ImportJob.retries)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
        if retries is None:  # another worker has the job now
            session.rollback()
            return 1
        if retries > len(RETRY_PAUSES):
            _forget(job.id)  # the count commits with the failure, in _fail
            log.error("import chunk failed again", extra={"job": job.id}, exc_info=exc)
            how = f": the database failed {retries} times in a row ({_error_name(exc)})"
            _fail(session, job, _stopped_at(progress, how))
            return 1
        pause = RETRY_PAUSES[retries - 1]
        # Nothing of the chunk was committed; the lease now runs out after the pause,
        # and the next round (this process's or another's) resumes at the chunk.
        _release(session, job.id, progress.stored_offset, until=utcnow() + pause)
        log.warning(
            "import chunk hit a passing database error; tried again in %s s",
            pause.total_seconds(),
            extra={"job": job.id, "line": progress.line},
            exc_info=exc,
        )
        return 1
    except Exception:
        with contextlib.suppress(Exception):
            session.rollback()
        log.warning(
            "import chunk hit a database error and the database is still away; the job "
            "resumes when its lease runs out",
            extra={"job": job.id},
            exc_info=True,
        )
        return 0


def _driver_error(exc: Exception) -> Exception:
    """The driver's own exception behind one that SQLAlchemy wrapped (else `exc`)."""
    return getattr(exc, "orig", None) or exc


def _error_name(exc: Exception) -> str:
    """The driver's name for a database error (e.g. DeadlockDetected), not SQLAlchemy's."""
    return type(_driver_error(exc)).__name__


# PostgreSQL plans from table statistics that autovacuum refreshes about once a minute
# at best: a first large import makes the tables many times bigger than the planner
# believes, and the lookups by key lists were planned as scans. So the job refreshes
# them itself (`ANALYZE` samples, it does not read whole tables) when its row count
# passes each of these marks, a handful of times per job.
_ANALYZE_AT = tuple(10_000 * 4**n for n in range(8))
_ANALYZED_TABLES = "experience, client, customer_ref"


def _refresh_statistics(session: Session, rows_before: int, rows_after: int) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite's planner needs no statistics for these lookups
    if not any(rows_before < mark <= rows_after for mark in _ANALYZE_AT):
        return
    try:
        # As the owner, not the job's role: only a table's owner may analyze it (a named
        # exception of app.tenancy.session; ANALYZE reads no rows out).
        with system_session() as owner:
            owner.execute(text(f"ANALYZE {_ANALYZED_TABLES}"))
    except SQLAlchemyError:
        # e.g. an owner that may not either: plans stay autovacuum's business
        log.warning("could not refresh table statistics", exc_info=True)


_Ahead = PendingRead | ReadChunk | None


def _use_helper() -> bool:
    setting = get_settings().import_reader_process
    return reader.spare_cores() > 0 if setting is None else setting


def _submit(source: ChunkSource, offset: int, line: int) -> PendingRead | None:
    """Ask the helper process for a chunk; None if it could not be started."""
    try:
        return readers.submit(source, offset, line, today())
    except ReaderResting:
        return None
    except ReaderUnavailable as exc:
        log.warning("no import reader process (%s): reading in process", exc)
        readers.discard()
        return None


def _collect(ahead: _Ahead, offset: int) -> ReadChunk | None:
    """The chunk read ahead, if it was read without error; None: read it again here
    (an error is then reported at its own line, with the chunk before stored)."""
    if isinstance(ahead, PendingRead):
        try:
            ahead = ahead.result()
        except ReaderUnavailable:
            log.warning("the import reader process died; reading in process", exc_info=True)
            readers.discard()
            return None
        except ReadFailed:
            log.debug("reading ahead failed", exc_info=True)
            return None
    if ahead is None or ahead.offset != offset:
        return None  # e.g. read for a slice before another worker moved the job on
    return ahead


def _one_chunk(
    session: Session,
    principal: Principal,
    job: _JobRef,
    source: ChunkSource,
    progress: _Progress,
    resolved: ResolvedClients,
    ahead: _Ahead,
    read_ahead: Callable[[], bool],
    helper: bool,
) -> tuple[bool, _Ahead]:
    """Store one chunk and the job's progress in one transaction; returns (True when
    the file is done, the next chunk if it is being or was read meanwhile).

    `ahead`: this chunk, if the previous round read it (or had it read) already;
    `read_ahead()`: whether to read the next one; `helper`: by the helper process
    (asked at once), else in process once this chunk's lines are on their way."""
    this = _collect(ahead, progress.offset)
    if this is None and helper:
        this = _collect(_submit(source, progress.offset, progress.line), progress.offset)
    if this is None:
        this = reader.read(source, progress.offset, progress.line, today())
    following: _Ahead = None
    if helper and not this.at_end and read_ahead():
        following = _submit(source, this.next_offset, this.next_line)
    errors = list(this.errors)
    created = updated = 0
    rejected = len(errors)
    pending = None
    if this.checked.received:
        resolved.drop_staged()  # anything staged by a chunk that never committed
        pending = ingest.start_storing(session, principal, this.checked, resolved)
    if not helper and not this.at_end and read_ahead():
        try:
            following = reader.read(source, this.next_offset, this.next_line, today())
        except Exception:
            # Read again as the next chunk, after this one committed: its error is then
            # reported at its own line, with this chunk stored and counted.
            log.debug("reading ahead failed", exc_info=True)
        except BaseException:
            if pending is not None:
                pending.abandon()
            raise
    if pending is not None:
        result = pending.finish()
        created, updated, rejected = result.created, result.updated, rejected + result.rejected
        errors += [
            {"line": this.item_lines[e["index"]], "errors": [_by_column(x) for x in e["errors"]]}
            for e in result.errors
        ]
    errors.sort(key=lambda e: e["line"])
    all_errors = progress.errors + errors[: max(0, MAX_ERRORS - len(progress.errors))]
    rows = this.rows
    now = utcnow()
    values: dict[str, Any] = {
        "rows_done": ImportJob.rows_done + rows,
        "created": ImportJob.created + created,
        "updated": ImportJob.updated + updated,
        "rejected": ImportJob.rejected + rejected,
        "errors": all_errors,
        "resume_offset": this.next_offset,
        "resume_line": this.next_line,
        "locked_until": now + LEASE,
        "retries": 0,
    }
    if this.at_end:
        values |= {
            "status": "done",
            "rows_total": progress.rows_done + rows,
            "locked_until": None,
            "finished_at": now,
        }
    moved = session.execute(
        update(ImportJob)
        .where(_still_at(job.id, progress.stored_offset))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        raise _LostLease
    if this.at_end:
        done = session.execute(
            select(ImportJob)
            .where(ImportJob.id == job.id)
            .execution_options(populate_existing=True)
        ).scalar_one()
        audit.record(
            session,
            principal,
            "import.done",
            audit.resource("import", job.id),
            {
                "rows": done.rows_done,
                "created": done.created,
                "updated": done.updated,
                "rejected": done.rejected,
            },
        )
    try:
        session.commit()
    except BaseException:
        resolved.drop_staged()
        raise
    resolved.keep_staged()
    progress.stored_offset = progress.offset = this.next_offset
    progress.line = this.next_line
    progress.rows_done += rows
    progress.errors = all_errors
    return this.at_end, following


def _by_column(error: dict[str, Any]) -> dict[str, Any]:
    """An item error located by the CSV column it came from: ["client", "address",
    "postal_code"] is the column ["postal_code"]."""
    loc = [part for part in error.get("loc", []) if part not in ("client", "address")]
    return {**error, "loc": loc or list(error.get("loc", []))}


def _uploader(session: Session, job: ImportJob) -> Principal:
    """The principal the rows are stored for: the user or key that uploaded the file."""
    member = session.get(Member, job.member_id)
    if member is None or member.status != "active":
        raise JobFailed("The member was suspended before its import could run.")
    user = session.get(User, job.created_by) if job.created_by else None
    if user is not None:
        return Principal.of_user(user)
    key = session.get(ApiKey, job.created_by) if job.created_by else None
    if key is not None:
        return Principal.of_api_key(key)
    raise JobFailed("The user or API key that uploaded the file no longer exists.")


def _header(path: Path, options: ImportOptions) -> Header:
    if not path.is_file():
        # Typically several servers without a shared data directory (DATA_DIR).
        raise JobFailed("The uploaded file is not on this server's disk any more; upload it again.")
    try:
        return read_header(path, options)
    except ValidationFailed as exc:
        raise JobFailed(exc.detail) from None


def _fail(session: Session, job: _JobRef, reason: str) -> None:
    """Mark the job failed (what was committed before stays stored and counted)."""
    now = utcnow()
    session.execute(
        update(ImportJob)
        .where(ImportJob.id == job.id, ImportJob.status.in_(("queued", "running")))
        .values(status="failed", failure=reason[:500], locked_until=None, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        "system:imports",
        "import.failed",
        audit.resource("import", job.id),
        {"reason": reason[:500]},
        group_id=job.group_id,
    )
    session.commit()
    job.file_path.unlink(missing_ok=True)


def _release(session: Session, job_id: str, stored_offset: int, until=None) -> None:
    """Give the lease back between slices: any worker (this one too) may go on, at
    once or from `until` on."""
    session.execute(
        update(ImportJob)
        .where(_still_at(job_id, stored_offset))
        .values(locked_until=until)
        .execution_options(synchronize_session=False)
    )
    session.commit()
