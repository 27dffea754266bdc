"""An import job's correctness core: claim, lease, a chunk stored with its progress,
retries, failure. Where the chunks come from is `app.imports.reader`'s business, and
the loop over them `app.imports.worker`'s.

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
- a chunk that meets a passing database error (`passing`) is rolled back, counted on
  the job (`retries`, reset by every committed chunk) and the lease set to run out after
  a pause (`RETRY_PAUSES`): the next round, in any process, resumes at that chunk; any
  other error, or a fourth passing one in a row, fails the job.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
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
from app.core.db import system_session
from app.core.errors import ValidationFailed
from app.core.types import utcnow
from app.experiences import ingest
from app.groups.models import Group
from app.imports.csvfile import Header, ImportOptions, options_of, read_header
from app.imports.models import ImportJob
from app.imports.reader import ReadChunk
from app.members.models import Member
from app.tenancy.session import bind_session
from app.users.models import User

log = logging.getLogger("creditpool.imports")

LEASE = timedelta(minutes=2)
MAX_ERRORS = 100
# A chunk that fails on a passing database error (the database restarting or out of
# reach a moment, a deadlock, SQLite busy past its timeout) is tried again after these
# pauses before the job fails: long enough for a restart or a failover.
RETRY_PAUSES = (timedelta(seconds=5), timedelta(seconds=15), timedelta(seconds=45))
# The errors among which those are (`passing` tells), as SQLAlchemy raises them and as
# the drivers do on the paths that use them directly (COPY, key-list lookups:
# app.core.bulk).
PASSING_ERRORS = (OperationalError, sqlite3.OperationalError, psycopg.OperationalError)


class JobFailed(Exception):
    """The job cannot go on; the message tells the member why."""


class LostLease(Exception):
    """Another worker moved the job on since this one read its progress."""


@dataclass(frozen=True)
class JobRef:
    """What the chunks need of the job, read once: the ORM row is expired by every
    commit, and touching it again would open a transaction (on SQLite, the write lock)
    while the next chunk is being read."""

    id: str
    group_id: str
    file_path: Path


@dataclass
class Progress:
    stored_offset: int  # the job's resume_offset as committed (0 before the first chunk)
    offset: int  # where the next chunk starts reading
    line: int
    rows_done: int
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class OpenJob:
    """A running job as its worker holds it for a slice."""

    ref: JobRef
    principal: Principal  # the user or key that uploaded the file
    currency: str
    header: Header
    progress: Progress


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


def open_job(session: Session, job_id: str) -> OpenJob | None:
    """The claimed job as its chunks need it, the session bound to its group and no
    transaction left open; None when it does not run any more (or just failed)."""
    job = session.get(ImportJob, job_id)
    if job is None or job.status != "running":
        return None
    ref = JobRef(job.id, job.group_id, Path(job.file_path))
    session.info.pop("unscoped", None)
    bind_session(session, ref.group_id)
    try:
        principal = _uploader(session, job)
        currency = session.get(Group, ref.group_id).currency
        header = _header(ref.file_path, options_of(job.options))
    except JobFailed as exc:
        session.rollback()
        fail(session, ref, str(exc))
        return None
    if job.resume_offset:
        progress = Progress(
            job.resume_offset, job.resume_offset, job.resume_line, job.rows_done, job.errors
        )
    else:
        progress = Progress(0, header.data_offset, 2, 0, [])
    session.rollback()  # end the reading transaction before the first chunk
    return OpenJob(ref, principal, currency, header, progress)


def store_chunk(
    session: Session,
    principal: Principal,
    job: JobRef,
    progress: Progress,
    chunk: ReadChunk,
) -> bool:
    """Store one chunk's lines and the job's progress in one transaction, and commit;
    True when the file is done. Raises LostLease (nothing committed) when another worker
    moved the job on meanwhile."""
    errors = list(chunk.errors)
    created = updated = 0
    rejected = len(errors)
    if chunk.checked.received:
        result = ingest.start_storing(session, principal, chunk.checked).finish()
        created, updated, rejected = result.created, result.updated, rejected + result.rejected
        errors += [
            {"line": chunk.item_lines[e["index"]], "errors": [_by_column(x) for x in e["errors"]]}
            for e in result.errors
        ]
    errors.sort(key=lambda e: e["line"])
    all_errors = progress.errors + errors[: max(0, MAX_ERRORS - len(progress.errors))]
    rows = chunk.rows
    now = utcnow()
    values: dict[str, Any] = {
        "rows_done": ImportJob.rows_done + rows,
        "created": ImportJob.created + created,
        "updated": ImportJob.updated + updated,
        "rejected": ImportJob.rejected + rejected,
        "errors": all_errors,
        "resume_offset": chunk.next_offset,
        "resume_line": chunk.next_line,
        "locked_until": now + LEASE,
        "retries": 0,
    }
    if chunk.at_end:
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
        raise LostLease
    if chunk.at_end:
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
    session.commit()
    progress.stored_offset = progress.offset = chunk.next_offset
    progress.line = chunk.next_line
    progress.rows_done += rows
    progress.errors = all_errors
    if chunk.at_end:
        job.file_path.unlink(missing_ok=True)
    return chunk.at_end


def release(session: Session, job_id: str, stored_offset: int, until=None) -> None:
    """Give the lease back between slices: any worker (this one too) may go on, at
    once or from `until` on."""
    session.execute(
        update(ImportJob)
        .where(_still_at(job_id, stored_offset))
        .values(locked_until=until)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def fail(session: Session, job: JobRef, reason: str, *, stored_offset: int | None = None) -> None:
    """Mark the job failed (what was committed before stays stored and counted); with
    `stored_offset`, only while the job is still where this worker stopped it."""
    now = utcnow()
    where = (
        _still_at(job.id, stored_offset)
        if stored_offset is not None
        else and_(ImportJob.id == job.id, ImportJob.status.in_(("queued", "running")))
    )
    moved = session.execute(
        update(ImportJob)
        .where(where)
        .values(status="failed", failure=reason[:500], locked_until=None, finished_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1 and stored_offset is not None:
        session.rollback()  # another worker has moved the job on: its business now
        return
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


# Failures that could not be written when they happened (the disk full, the database
# away): job id -> (the job, its committed offset, the reason). `write_unwritten_failures`
# writes them at the start of every worker round of this process, once the disk allows.
# Meanwhile the job stays `running`; if this process dies first, its lease runs out and
# another worker resumes it from its last committed chunk.
_UNWRITTEN: dict[str, tuple[JobRef, int, str]] = {}
_unwritten_lock = threading.Lock()


def stop(session: Session, job: JobRef, progress: Progress, how: str) -> None:
    """Fail the job at the chunk that could not be stored (nothing of it committed)."""
    session.rollback()
    log.exception("import chunk failed", extra={"job": job.id})
    reason = _stopped_at(progress, how)
    try:
        fail(session, job, reason, stored_offset=progress.stored_offset)
    except Exception:
        with contextlib.suppress(Exception):
            session.rollback()
        log.error(
            "could not record an import's failure; written once the database allows",
            extra={"job": job.id},
            exc_info=True,
        )
        with _unwritten_lock:
            _UNWRITTEN[job.id] = (job, progress.stored_offset, reason)


def write_unwritten_failures() -> int:
    """Write the failures `stop` could not; returns how many were written."""
    with _unwritten_lock:
        pending = list(_UNWRITTEN.items())
    written = 0
    for job_id, (job, stored_offset, reason) in pending:
        try:
            with system_session() as session:
                fail(session, job, reason, stored_offset=stored_offset)
        except Exception:
            log.warning("an import's failure still cannot be written", extra={"job": job_id})
            break  # the disk or the database still refuses: the next round tries again
        with _unwritten_lock:
            _UNWRITTEN.pop(job_id, None)
        written += 1
    return written


def _stopped_at(progress: Progress, how: str) -> str:
    return (
        f"Stopped at line {progress.line}{how}; the {progress.rows_done} rows before it "
        "are stored and counted."
    )


def retry_later(session: Session, job: JobRef, progress: Progress, exc: Exception) -> int:
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
            # The count commits with the failure, in fail().
            log.error("import chunk failed again", extra={"job": job.id}, exc_info=exc)
            how = f": the database failed {retries} times in a row ({error_name(exc)})"
            fail(session, job, _stopped_at(progress, how))
            return 1
        pause = RETRY_PAUSES[retries - 1]
        # Nothing of the chunk was committed; the lease now runs out after the pause,
        # and the next round (this process's or another's) resumes at the chunk.
        release(session, job.id, progress.stored_offset, until=utcnow() + pause)
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


# SQLite: busy or locked (another writer). PostgreSQL: the connection (class 08), a
# serialization failure or deadlock (40001, 40P01), a lock not available (55P03), too
# many connections (53300), the server shutting down or starting (57P01-57P03). A
# connection lost without a code (psycopg raises OperationalError with none) too.
_SQLITE_PASSING = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_PG_PASSING = {"40001", "40P01", "55P03", "53300", "57P01", "57P02", "57P03"}


def passing(exc: Exception) -> bool:
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


def _driver_error(exc: Exception) -> Exception:
    """The driver's own exception behind one that SQLAlchemy wrapped (else `exc`)."""
    return getattr(exc, "orig", None) or exc


def error_name(exc: Exception) -> str:
    """The driver's name for a database error (e.g. DeadlockDetected), not SQLAlchemy's."""
    return type(_driver_error(exc)).__name__


# PostgreSQL plans from table statistics that autovacuum refreshes about once a minute
# at best: a first large import makes the tables many times bigger than the planner
# believes, and the lookups by key lists were planned as scans. So the job refreshes
# them itself (`ANALYZE` samples, it does not read whole tables) when its row count
# passes each of these marks, a handful of times per job.
_ANALYZE_AT = tuple(10_000 * 4**n for n in range(8))
_ANALYZED_TABLES = "experience, client, customer_ref"


def refresh_statistics(session: Session, rows_before: int, rows_after: int) -> None:
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
