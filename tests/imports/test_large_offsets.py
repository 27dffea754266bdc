"""14.12: a job's byte offset past 2^31 (a file over 2 GiB) is stored and read back.

No 2 GiB file is written: the job's progress goes through the job's own progress
update (`store_chunk`) with a chunk that ends past 2^31 bytes, as the reader reports it
for a big file, then the job is opened again as a resumed job would be.
"""

from __future__ import annotations

import uuid

from app.core.db import system_session
from app.experiences.checks import CheckedItems
from app.imports import job as import_job
from app.imports.models import ImportJob
from app.imports.reader import ReadChunk
from tests.imports.csvs import row, to_csv, upload

PAST_INT4 = 2**31 + 4_096
PAST_4_GIB = 2**32 + 8_192


def _chunk(offset: int, next_offset: int, next_line: int) -> ReadChunk:
    """A chunk of blank lines only: it moves the offset, stores no rows."""
    empty = CheckedItems(received=0, valid=[], errors={})
    return ReadChunk(offset, 0, next_offset, next_line, False, empty, [], [])


def test_an_import_past_two_gib_keeps_its_progress(api, world):
    member = world.a.members[0]
    tag = uuid.uuid4().hex[:6]
    job_id = upload(api, member.analyst, to_csv([row(1, tag)])).json()["id"]
    assert import_job.claim_job() == job_id

    with system_session() as session:
        opened = import_job.open_job(session, job_id)
        progress = opened.progress
        import_job.store_chunk(
            session,
            opened.principal,
            opened.ref,
            progress,
            _chunk(progress.offset, PAST_INT4, 40_000_000),
        )
        # The next chunk's update is conditioned on the offset just stored.
        import_job.store_chunk(
            session,
            opened.principal,
            opened.ref,
            progress,
            _chunk(PAST_INT4, PAST_4_GIB, 80_000_000),
        )

    with system_session() as session:
        reopened = import_job.open_job(session, job_id)
        assert reopened is not None
        assert (reopened.progress.stored_offset, reopened.progress.line) == (
            PAST_4_GIB,
            80_000_000,
        )
        import_job.fail(session, reopened.ref, "test over")
    with system_session(write=False) as session:
        assert session.get(ImportJob, job_id).resume_offset == PAST_4_GIB
    shown = api.get(f"/v1/imports/{job_id}", headers=member.analyst.headers).json()
    assert shown["status"] == "failed"
