"""Upload files that no job needs any more, removed from `DATA_DIR/imports/`.

An upload is streamed to `<job id>.csv` before its job is committed, and the job removes
its file when it ends. What escapes that: a process that died mid-upload (a partial
file, no job), a queueing whose transaction failed after the file was written (the
request's commit is the last step: `service.queue` removes the file on rollback, a
killed process cannot), a file whose removal failed at the end of its job.

`sweep()` removes every `*.csv` there that is older than `GRACE` and is not the file of
a queued or running job. The grace period keeps uploads in flight safe, in this process
and in any other sharing the directory: their file is younger than the grace period
until their job is committed, and then it is referenced. It runs at start-up
(`app.main`), every `EVERY` on the worker (`sweep_task`), and on demand
(`creditpool sweep-uploads`).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from app.core.db import system_session
from app.imports.models import ImportJob
from app.imports.service import upload_dir

log = logging.getLogger("creditpool.imports")

GRACE = timedelta(hours=1)
EVERY = timedelta(minutes=10)
_BATCH = 500  # job ids per lookup

_last_run = 0.0
_lock = threading.Lock()


def sweep(directory: Path | None = None, grace: timedelta = GRACE) -> int:
    """Remove the orphaned upload files; returns how many were removed."""
    directory = directory or upload_dir()
    if not directory.is_dir():
        return 0
    cutoff = time.time() - grace.total_seconds()
    old: dict[str, Path] = {}
    for path in directory.glob("*.csv"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                old[path.stem] = path
        except FileNotFoundError:  # removed meanwhile (its job ended)
            continue
    if not old:
        return 0
    needed: set[str] = set()
    stems = sorted(old)
    # Unscoped: the jobs of every group (a named exception of app.tenancy.session).
    with system_session(write=False) as session:
        for start in range(0, len(stems), _BATCH):
            needed |= set(
                session.execute(
                    select(ImportJob.id).where(
                        ImportJob.id.in_(stems[start : start + _BATCH]),
                        ImportJob.status.in_(("queued", "running")),
                    )
                ).scalars()
            )
    removed = 0
    for stem, path in old.items():
        if stem in needed:
            continue
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
        except OSError:
            log.warning("could not remove an orphaned upload", extra={"file": str(path)})
    if removed:
        log.info("removed orphaned upload files", extra={"files": removed})
    return removed


def sweep_task() -> int:
    """Worker task: sweep at most once every `EVERY` (the first round at once). Returns 0:
    a sweep is not work that should keep the worker from sleeping."""
    global _last_run
    with _lock:
        now = time.monotonic()
        if _last_run and now - _last_run < EVERY.total_seconds():
            return 0
        _last_run = now
    sweep()
    return 0
