"""The background half of CSV imports: claim a job, work through it chunk by chunk for
a time slice. The rules that keep a job counted once whatever happens (claim, lease,
progress committed with the rows, retries) are `app.imports.job`'s; where the chunks
come from (read here, or ahead in a helper process) `app.imports.reader`'s.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from app.core.config import get_settings
from app.core.db import system_session
from app.core.types import today
from app.imports import job as jobs
from app.imports.reader import ChunkSource, ChunkSupply, PendingRead, helper_pays, readers

log = logging.getLogger("creditpool.imports")

# Rows per transaction: bigger chunks spread the per-chunk statements and commit over more
# rows, smaller ones hold less memory. With the helper two processes hold a chunk each:
# 5,000 was as fast as 10,000 there, with 20 MB less in the server and 25 MB less in the
# helper. Read in process, 10,000 (docs/PERFORMANCE.md).
CHUNK_ROWS = 5_000
CHUNK_ROWS_IN_PROCESS = 10_000
# How long one worker round keeps at one job before letting other tasks run.
SLICE_SECONDS = 5.0


@dataclass
class _JobMemo:
    """What this process keeps of a job in progress between its slices."""

    # Its next chunk, asked of the helper while the last slice's last chunk was stored
    # (taken only if the job is still at that chunk's offset and is read the same way).
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


def forget(job_id: str) -> None:
    """Drop what this process keeps of a job (it ended, or another worker has it)."""
    with _memo_lock:
        _MEMOS.pop(job_id, None)


def run_imports() -> int:
    """Worker task: write the failures that could not be written before (a full disk),
    then work one slice of the oldest claimable job; returns the work done."""
    written = jobs.write_unwritten_failures()
    job_id = jobs.claim_job()
    if job_id is None:
        readers.close()  # nothing left to read ahead for: the helper process stops
        return written
    return written + work_on(job_id)


def use_helper(dialect: str) -> bool:
    setting = get_settings().import_reader_process
    return helper_pays(dialect) if setting is None else setting


def work_on(job_id: str, *, max_chunks: int | None = None, chunk_rows: int | None = None) -> int:
    """Work a claimed job for one time slice, or for `max_chunks` chunks however long
    they take (the CLI's and the tests' measure); returns chunks committed."""
    deadline = time.monotonic() + SLICE_SECONDS
    with system_session() as session:
        opened = jobs.open_job(session, job_id)
        if opened is None:
            forget(job_id)
            return 0
        ref, progress = opened.ref, opened.progress
        dialect = session.get_bind().dialect.name
        helper = use_helper(dialect)
        rows = chunk_rows or (CHUNK_ROWS if helper else CHUNK_ROWS_IN_PROCESS)
        source = ChunkSource(ref.file_path, opened.header, opened.currency, rows, dialect)
        memo = _memo_for(job_id)
        ahead = memo.ahead[1] if memo.ahead is not None and memo.ahead[0] == source else None
        memo.ahead = None
        supply = ChunkSupply(source, helper, ahead)
        chunks = 0
        while True:
            rows_before = progress.rows_done
            try:
                chunk = supply.chunk_at(progress.offset, progress.line, today())
                finished = jobs.store_chunk(session, opened.principal, ref, progress, chunk)
            except jobs.LostLease:
                session.rollback()
                forget(job_id)
                log.warning("import job taken over by another worker", extra={"job": job_id})
                return chunks
            except jobs.PASSING_ERRORS as exc:
                if jobs.passing(exc):
                    return chunks + jobs.retry_later(session, ref, progress, exc)
                forget(job_id)
                how = f": the database refused it ({jobs.error_name(exc)})"
                jobs.stop(session, ref, progress, how)
                return chunks + 1
            except Exception as exc:
                forget(job_id)
                jobs.stop(session, ref, progress, f" by an internal error ({type(exc).__name__})")
                return chunks + 1
            chunks += 1
            jobs.refresh_statistics(session, rows_before, progress.rows_done)
            if finished:
                forget(job_id)
                return chunks
            if chunks == max_chunks or (max_chunks is None and time.monotonic() > deadline):
                if supply.ahead is not None:
                    memo.ahead = (source, supply.ahead)
                jobs.release(session, ref.id, progress.stored_offset)
                return chunks
