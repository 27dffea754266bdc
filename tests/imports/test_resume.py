"""A job cut off by a restart is resumed from its last committed chunk, counted once;
the same upload under one Idempotency-Key is queued once."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.core.db import get_engine, system_session
from app.core.types import utcnow
from app.experiences import ingest
from app.experiences.ingest import PendingIngest
from app.experiences.models import Experience
from app.imports import job as import_job
from app.imports import worker as import_worker
from app.imports.models import ImportJob
from tests.imports.csvs import drain, row, stored_lines, to_csv, upload


@pytest.fixture(autouse=True)
def _slices_end_by_their_chunks(monkeypatch):
    """A slice here ends where the test's chunks do, not by the clock of a loaded
    machine (5 s could pass between two chunks of 100 lines)."""
    monkeypatch.setattr(import_worker, "SLICE_SECONDS", 600.0)


class ProcessDied(BaseException):
    """Stands for the process being killed: nothing after it runs, nothing is committed."""


def _job(job_id: str) -> ImportJob:
    with system_session(write=False) as session:
        return session.get(ImportJob, job_id)


def _expire_lease(job_id: str) -> None:
    with system_session() as session:
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
        session.commit()


def _die_in_a_chunk(monkeypatch, job_id: str, chunk_number: int) -> None:
    """Claim the job and work on it (chunks of 100 rows) until the process "dies" inside
    the `chunk_number`-th chunk of this slice, its rows written but never committed."""
    real_finish = PendingIngest.finish
    calls = []

    def dying_finish(self):
        calls.append(1)
        result = real_finish(self)
        if len(calls) == chunk_number:
            raise ProcessDied
        return result

    monkeypatch.setattr(PendingIngest, "finish", dying_finish)
    assert import_job.claim_job() == job_id
    with pytest.raises(ProcessDied):
        import_worker.work_on(job_id, chunk_rows=100)
    monkeypatch.setattr(PendingIngest, "finish", real_finish)


def test_a_job_cut_off_mid_chunk_is_resumed_and_counted_once(api, world, worker, monkeypatch):
    member = world.a.members[0]
    tag = uuid.uuid4().hex[:6]
    rows = [row(n, tag) for n in range(1000)]
    rows[150] = row(150, tag, total_owed="1.00")  # one refused line, in a committed chunk
    rows[450] = row(450, tag, total_owed="1.00")  # and one in the chunk that dies
    queued = upload(api, member.analyst, to_csv(rows))
    job_id = queued.json()["id"]

    # Two chunks of 100 rows are committed, then the worker lets go between slices.
    assert import_job.claim_job() == job_id
    assert import_worker.work_on(job_id, max_chunks=2, chunk_rows=100) == 2
    progress = api.get(f"/v1/imports/{job_id}", headers=member.analyst.headers).json()
    assert (progress["status"], progress["rows_done"], progress["created"]) == ("running", 200, 199)

    # The next slice dies inside its fifth chunk: rows written, transaction never committed.
    _die_in_a_chunk(monkeypatch, job_id, chunk_number=3)

    stalled = _job(job_id)
    assert (stalled.status, stalled.rows_done, stalled.created) == ("running", 400, 399)
    assert stalled.resume_line == 402  # header + 400 rows: the next row is on line 402
    assert stored_lines(member.id) == 399
    # Its lease is still live: no other worker takes it over yet.
    assert import_job.claim_job() is None

    # The dead process's lease runs out; the next round resumes from row 401.
    _expire_lease(job_id)
    drain(worker)
    done = api.get(f"/v1/imports/{job_id}", headers=member.analyst.headers).json()
    assert done["status"] == "done", done
    assert (done["rows_done"], done["created"], done["updated"], done["rejected"]) == (
        1000,
        998,
        0,
        2,
    )
    assert [e["line"] for e in done["errors"]] == [152, 452]
    assert stored_lines(member.id) == 998


def test_a_worker_that_lost_its_job_cannot_commit_over_the_new_holder(
    api, world, worker, monkeypatch
):
    member = world.a.members[1]
    tag = uuid.uuid4().hex[:6]
    queued = upload(api, member.analyst, to_csv([row(n, tag) for n in range(300)]))
    job_id = queued.json()["id"]
    assert import_job.claim_job() == job_id
    assert import_worker.work_on(job_id, max_chunks=1, chunk_rows=100) == 1
    taken_over = _job(job_id).resume_offset + 1
    real_start_storing = ingest.start_storing

    def store_after_another_worker_moved_on(*args, **kwargs):
        # Between this worker's slices (its lease ran out), another one moved the job on.
        with system_session() as session:
            session.execute(
                update(ImportJob).where(ImportJob.id == job_id).values(resume_offset=taken_over)
            )
            session.commit()
        return real_start_storing(*args, **kwargs)

    assert import_job.claim_job() == job_id
    monkeypatch.setattr(ingest, "start_storing", store_after_another_worker_moved_on)
    assert import_worker.work_on(job_id, max_chunks=1, chunk_rows=100) == 0
    # Its chunk was rolled back whole: neither rows nor counts moved.
    assert _job(job_id).rows_done == 100
    assert stored_lines(member.id) == 100


def test_a_job_whose_file_is_gone_fails_with_a_reason(api, world, worker):
    from pathlib import Path

    member = world.a.members[2]
    queued = upload(api, member.analyst, to_csv([row(1, uuid.uuid4().hex[:6])]))
    Path(_job(queued.json()["id"]).file_path).unlink()
    drain(worker)
    job = api.get(f"/v1/imports/{queued.json()['id']}", headers=member.analyst.headers).json()
    assert job["status"] == "failed"
    assert "upload it again" in job["failure"]
    events = api.get("/v1/audit-events", headers=world.a.admin.headers).json()["items"]
    assert "import.failed" in [e["action"] for e in events]


def test_the_same_upload_under_one_idempotency_key_is_queued_once(api, world, worker):
    member = world.a.members[0]
    tag = uuid.uuid4().hex[:6]
    data = to_csv([row(n, tag) for n in range(5)])
    key = {"Idempotency-Key": f"aging-{tag}"}
    first = upload(api, member.key, data, headers=key)
    assert first.status_code == 202, first.text
    again = upload(api, member.key, data, headers=key)
    assert again.status_code == 202
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()

    other = upload(api, member.key, to_csv([row(9, tag)]), headers=key)
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    # Another member's key space is its own.
    theirs = upload(api, world.a.members[1].key, data, headers=key)
    assert theirs.status_code == 202
    assert theirs.json()["id"] != first.json()["id"]
    bad = upload(api, member.key, data, headers={"Idempotency-Key": "x" * 300})
    assert bad.status_code == 422

    drain(worker)
    jobs = api.get("/v1/imports", headers=member.key.headers).json()["items"]
    assert [j["id"] for j in jobs] == [first.json()["id"]]
    assert jobs[0]["created"] == 5


def test_clients_created_by_a_chunk_that_died_are_not_remembered(api, world, worker, monkeypatch):
    """The worker remembers the clients a job resolved, but only from committed chunks:
    a client created in a chunk that never committed does not exist, and the lines that
    name it again after the restart create it again instead of pointing nowhere."""
    from tests.imports.csvs import month_end

    member = world.a.members[2]
    tag = uuid.uuid4().hex[:6]
    older, newer = month_end(2), month_end(1)
    rows = [row(n, tag, as_of=older) for n in range(100)]  # chunk 1: 100 new clients
    rows += [row(n, tag, as_of=newer) for n in range(50, 150)]  # chunk 2: 50 of them, 50 new
    rows += [row(n, tag) for n in range(100, 150)]  # chunk 3: the 50 made in chunk 2 again
    queued = upload(api, member.analyst, to_csv(rows))
    job_id = queued.json()["id"]
    assert import_job.claim_job() == job_id
    assert import_worker.work_on(job_id, max_chunks=1, chunk_rows=100) == 1

    _die_in_a_chunk(monkeypatch, job_id, chunk_number=1)

    _expire_lease(job_id)
    assert import_job.claim_job() == job_id
    import_worker.work_on(job_id, chunk_rows=100)  # the same process goes on with the job
    done = api.get(f"/v1/imports/{job_id}", headers=member.analyst.headers).json()
    assert done["status"] == "done", done
    assert (done["rows_done"], done["created"], done["rejected"]) == (250, 250, 0), done
    assert stored_lines(member.id) == 250
    with system_session(write=False) as session:
        clients = session.execute(
            select(func.count(func.distinct(Experience.client_id))).where(
                Experience.member_id == member.id
            )
        ).scalar_one()
    assert clients == 150  # each client once, whatever chunk named it


@pytest.fixture
def lines_refused_by_the_database(database_url):
    """A trigger that makes the database itself refuse a line under one customer number,
    as a constraint or a lost connection would: the statement fails on the server."""
    from sqlalchemy import text

    if database_url.startswith("sqlite"):
        statements = [
            "CREATE TRIGGER refuse_marked_line BEFORE INSERT ON experience "
            "WHEN NEW.customer_ref = 'REFUSED-BY-DB' BEGIN SELECT RAISE(ABORT, 'refused'); END"
        ]
        cleanup = ["DROP TRIGGER refuse_marked_line"]
    else:
        statements = [
            "CREATE FUNCTION refuse_marked_line() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF NEW.customer_ref = 'REFUSED-BY-DB' THEN RAISE EXCEPTION 'refused'; END IF; "
            "RETURN NEW; END $$",
            "CREATE TRIGGER refuse_marked_line BEFORE INSERT ON experience "
            "FOR EACH ROW EXECUTE FUNCTION refuse_marked_line()",
        ]
        cleanup = [
            "DROP TRIGGER refuse_marked_line ON experience",
            "DROP FUNCTION refuse_marked_line()",
        ]
    with system_session() as session:
        for sql in statements:
            session.execute(text(sql))
        session.commit()
    yield
    with system_session() as session:
        for sql in cleanup:
            session.execute(text(sql))
        session.commit()


def test_a_chunk_whose_lines_the_database_refuses_fails_the_job_and_counts_nothing_of_it(
    api, world, worker, lines_refused_by_the_database
):
    """On PostgreSQL a chunk's lines are still being stored while the worker reads the
    next chunk: the error of that statement in flight fails its chunk like any other,
    after the chunks before it, and nothing of it (nor of the chunk read ahead) counts."""
    member = world.a.members[1]
    tag = uuid.uuid4().hex[:6]
    rows = [row(n, tag) for n in range(300)]
    rows[150] = row(150, tag, customer_ref="REFUSED-BY-DB")  # in the second chunk of 100
    queued = upload(api, member.analyst, to_csv(rows))
    job_id = queued.json()["id"]

    assert import_job.claim_job() == job_id
    import_worker.work_on(job_id, chunk_rows=100)

    job = api.get(f"/v1/imports/{job_id}", headers=member.analyst.headers).json()
    assert job["status"] == "failed", job
    assert (job["rows_done"], job["created"], job["updated"], job["rejected"]) == (100, 100, 0, 0)
    assert "Stopped at line 102" in job["failure"]  # the refused chunk's first line
    assert stored_lines(member.id) == 100
    # The worker's connection is usable again: the next job goes through.
    again = upload(api, member.analyst, to_csv([row(n, tag + "b") for n in range(250)]))
    drain(worker)
    done = api.get(f"/v1/imports/{again.json()['id']}", headers=member.analyst.headers).json()
    assert (done["status"], done["created"]) == ("done", 250)


def _database_fails(monkeypatch, chunks: set[int], error: Exception) -> None:
    """The database fails the `chunks`-th calls (1-based) of PendingIngest.finish, after
    the chunk's lines were written and before its commit: nothing of it may count."""
    real_finish = PendingIngest.finish
    calls = []

    def failing_finish(self):
        calls.append(1)
        result = real_finish(self)
        if len(calls) in chunks:
            raise error
        return result

    monkeypatch.setattr(PendingIngest, "finish", failing_finish)


def _passing_error(driver_level: bool = False) -> Exception:
    """What the database raises for a deadlock (PostgreSQL) or a busy database (SQLite),
    as the driver does or wrapped by SQLAlchemy."""
    import sqlite3

    import psycopg
    from sqlalchemy.exc import OperationalError

    if get_engine().dialect.name == "sqlite":
        error = sqlite3.OperationalError("database is locked")
        error.sqlite_errorcode = sqlite3.SQLITE_BUSY
    else:
        error = psycopg.errors.DeadlockDetected("deadlock detected")
    return error if driver_level else OperationalError("INSERT INTO experience", {}, error)


def test_a_chunk_that_meets_a_passing_database_error_is_tried_again_after_a_pause(
    api, world, worker, monkeypatch
):
    member = world.a.members[2]
    tag = uuid.uuid4().hex[:6]
    queued = upload(api, member.analyst, to_csv([row(n, tag) for n in range(300)]))
    job_id = queued.json()["id"]
    _database_fails(monkeypatch, {2}, _passing_error())

    assert import_job.claim_job() == job_id
    import_worker.work_on(job_id, chunk_rows=100)
    paused = _job(job_id)
    assert (paused.status, paused.rows_done, paused.failure) == ("running", 100, None)
    assert paused.retries == 1
    assert paused.locked_until > utcnow() + timedelta(seconds=3)  # the first pause: 5 s
    assert import_job.claim_job() is None  # nobody takes it during the pause
    assert stored_lines(member.id) == 100

    _expire_lease(job_id)
    drain(worker)
    done = api.get(f"/v1/imports/{job_id}", headers=member.analyst.headers).json()
    assert (done["status"], done["rows_done"], done["created"], done["rejected"]) == (
        "done",
        300,
        300,
        0,
    )
    assert done["failure"] is None
    assert _job(job_id).retries == 0  # reset by the chunk that went through
    assert stored_lines(member.id) == 300


def test_a_chunk_the_database_keeps_failing_fails_the_job_after_three_pauses(
    api, world, worker, monkeypatch
):
    """Raised by the driver itself this time, as on the COPY and pipeline paths; and the
    count is the job's, whichever process (here: a memory wiped each round) takes it."""
    member = world.b.members[0]
    tag = uuid.uuid4().hex[:6]
    queued = upload(api, member.analyst, to_csv([row(n, tag) for n in range(300)]))
    job_id = queued.json()["id"]
    _database_fails(monkeypatch, set(range(2, 100)), _passing_error(driver_level=True))

    pauses = []
    for _ in range(len(import_job.RETRY_PAUSES) + 1):
        import_worker.forget(job_id)  # as if another process took the job each time
        assert import_job.claim_job() == job_id
        import_worker.work_on(job_id, chunk_rows=100)
        job = _job(job_id)
        if job.status == "running":
            pauses.append(job.locked_until - utcnow())
            _expire_lease(job_id)
    assert [round(p.total_seconds() / 5) * 5 for p in pauses] == [5, 15, 45]
    failed = api.get(f"/v1/imports/{job_id}", headers=member.analyst.headers).json()
    assert (failed["status"], failed["rows_done"], failed["created"]) == ("failed", 100, 100)
    assert "Stopped at line 102: the database failed 4 times in a row" in failed["failure"]
    assert ("OperationalError" if _is_sqlite() else "DeadlockDetected") in failed["failure"]
    assert stored_lines(member.id) == 100
    assert import_job.claim_job() is None


def _is_sqlite() -> bool:
    return get_engine().dialect.name == "sqlite"


def test_a_database_error_another_try_would_not_cure_fails_the_job_at_once(
    api, world, worker, monkeypatch
):
    import sqlite3

    import psycopg

    member = world.a.members[0]
    tag = uuid.uuid4().hex[:6]
    queued = upload(api, member.analyst, to_csv([row(n, tag) for n in range(300)]))
    job_id = queued.json()["id"]
    if _is_sqlite():
        error = sqlite3.OperationalError("database or disk is full")
        error.sqlite_errorcode = sqlite3.SQLITE_FULL
    else:
        error = psycopg.errors.DiskFull("could not extend file")
    _database_fails(monkeypatch, {2}, error)

    assert import_job.claim_job() == job_id
    import_worker.work_on(job_id, chunk_rows=100)
    failed = api.get(f"/v1/imports/{job_id}", headers=member.analyst.headers).json()
    assert (failed["status"], failed["rows_done"], failed["created"]) == ("failed", 100, 100)
    assert "Stopped at line 102: the database refused it" in failed["failure"]
    assert stored_lines(member.id) == 100


def _disk_full() -> Exception:
    import sqlite3

    import psycopg
    from sqlalchemy.exc import OperationalError

    if _is_sqlite():
        error = sqlite3.OperationalError("database or disk is full")
        error.sqlite_errorcode = sqlite3.SQLITE_FULL
    else:
        error = psycopg.errors.DiskFull("could not extend file")
    return OperationalError("UPDATE import_job", {}, error)


def test_a_failure_the_full_disk_would_not_take_is_written_once_it_does(
    api, world, worker, monkeypatch
):
    """14.14: the chunk fails on a full disk, and so does writing the job's failure: the
    job must not stay `running` for ever; the next round writes the failure."""
    member = world.a.members[1]
    tag = uuid.uuid4().hex[:6]
    queued = upload(api, member.analyst, to_csv([row(n, tag) for n in range(300)]))
    job_id = queued.json()["id"]
    _database_fails(monkeypatch, {2}, _disk_full())
    real_fail, tries = import_job.fail, []

    def fail_while_the_disk_is_full(*args, **kwargs):
        tries.append(1)
        if len(tries) == 1:
            raise _disk_full()
        return real_fail(*args, **kwargs)

    monkeypatch.setattr(import_job, "fail", fail_while_the_disk_is_full)

    assert import_job.claim_job() == job_id
    import_worker.work_on(job_id, chunk_rows=100)  # does not raise
    assert _job(job_id).status == "running"  # nothing could be written

    worker.run_once()  # the disk has room again
    failed = api.get(f"/v1/imports/{job_id}", headers=member.analyst.headers).json()
    assert (failed["status"], failed["rows_done"]) == ("failed", 100), failed
    assert "Stopped at line 102: the database refused it" in failed["failure"]
    assert len(tries) == 2
    assert stored_lines(member.id) == 100
