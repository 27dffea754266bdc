"""The import's chunk reader: in process and in its helper process, the same chunks.

The helper process reads and checks the next chunk while the worker stores one (on a
machine with a spare core): whatever it hands back must be exactly what the worker
would have read itself, and a helper that fails or dies must cost nothing but time.
"""

from __future__ import annotations

import pickle
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from app.clients import naming
from app.core.config import get_settings
from app.core.db import system_session
from app.core.types import today
from app.experiences.models import Experience
from app.imports import job as import_job
from app.imports import reader
from app.imports import worker as import_worker
from app.imports.csvfile import read_header
from app.imports.reader import ChunkSource, ReadFailed, readers
from tests.imports.csvs import drain, month_end, row, to_csv, upload


def _mixed_rows(tag: str) -> list[dict]:
    """Lines of every kind the reader meets: plain ones, ones only the full model
    accepts, refused ones, clients by customer_ref alone, with and without address."""
    rows = [row(n, tag, as_of=month_end(n % 2)) for n in range(40)]
    rows[3] = row(3, tag, currency="usd")  # lower case: the model's path, accepted
    rows[5] = row(5, tag, total_owed="999.00")  # aging does not add up: refused
    rows[7] = row(7, tag)
    rows[7]["as_of"] = "2026-02-30"  # no such day: refused
    # A customer_ref alone, that nobody paired with a client: refused when stored.
    rows[9] = row(9, tag, customer_ref=f"ALONE-{tag}", legal_name="", country="", tax_id="")
    rows[9]["postal_code"] = ""
    rows[11] = row(11, tag, postal_code="")  # no address
    rows[13] = row(13, tag, high_credit=" 2500.00 ")  # spaces: the model's path
    rows[15] = row(15, tag, comments="")
    rows[17] = row(17, tag, days_beyond_terms="12")
    return rows


def _view(chunk: reader.ReadChunk) -> dict:
    """Everything storing reads of a chunk; the new line ids only by how many there are
    and their order (each process makes its own)."""
    checked = chunk.checked
    return {
        "where": (chunk.offset, chunk.rows, chunk.next_offset, chunk.next_line, chunk.at_end),
        "item_lines": chunk.item_lines,
        "errors": chunk.errors,
        "received": checked.received,
        "item_errors": checked.errors,
        "valid": [
            (
                index,
                item.client_id,
                None if item.client is None else naming.names(item.client),
                item.customer_ref,
                item.as_of,
                item.client_key,
            )
            for index, item in checked.valid
        ],
        "fields": checked.prepared.fields,
        "ids": (len(checked.prepared.ids), checked.prepared.ids == sorted(checked.prepared.ids)),
    }


@pytest.fixture(autouse=True)
def _no_helper_left_behind():
    yield
    readers.close()  # also ends a rest after a failure: the next test starts afresh


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "aging.csv"
    path.write_bytes(to_csv(_mixed_rows(uuid.uuid4().hex[:6])))
    return path


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_helper_reads_exactly_what_the_worker_would(csv_file, dialect):
    header = read_header(csv_file)
    source = ChunkSource(csv_file, header, "USD", 15, dialect)
    offset, line = header.data_offset, 2
    chunks = refused = 0
    try:
        while True:
            here = reader.read(source, offset, line, today())
            there = readers.submit(source, offset, line, today()).result()
            assert _view(there) == _view(here)
            # What crosses the pipe is packed and unpacked: it comes back the same.
            assert _view(pickle.loads(pickle.dumps(here))) == _view(here)
            chunks += 1
            refused += len(here.checked.errors)
            if here.at_end:
                break
            offset, line = here.next_offset, here.next_line
    finally:
        readers.close()
    assert chunks == 3
    assert refused == 2  # the mix holds refused lines too
    assert readers.process is None


def test_a_chunk_the_helper_cannot_read_is_reported_as_such(tmp_path, csv_file):
    header = read_header(csv_file)
    gone = ChunkSource(tmp_path / "gone.csv", header, "USD", 15, "sqlite")
    try:
        with pytest.raises(ReadFailed, match="FileNotFoundError"):
            readers.submit(gone, header.data_offset, 2, today()).result()
        # The helper lives on for the next chunk.
        source = ChunkSource(csv_file, header, "USD", 15, "sqlite")
        assert readers.submit(source, header.data_offset, 2, today()).result().rows == 15
    finally:
        readers.close()


def test_only_the_newest_chunk_asked_for_is_handed_out(csv_file):
    header = read_header(csv_file)
    source = ChunkSource(csv_file, header, "USD", 15, "sqlite")
    try:
        first = readers.submit(source, header.data_offset, 2, today())
        second = readers.submit(source, header.data_offset, 2, today())
        with pytest.raises(ReadFailed):
            first.result()  # superseded: its answer is read and dropped
        assert second.result().rows == 15
    finally:
        readers.close()


def _figures(member_id: str) -> list[tuple]:
    with system_session(write=False) as session:
        rows = session.execute(
            select(
                Experience.as_of,
                Experience.customer_ref,
                Experience.total_owed,
                Experience.past_due_1_30,
                Experience.days_beyond_terms,
                Experience.comments,
            ).where(Experience.member_id == member_id)
        ).all()
    return sorted(tuple(r) for r in rows)


def _import_in_chunks(api, worker, member, data: bytes, monkeypatch) -> dict:
    monkeypatch.setattr(import_worker, "CHUNK_ROWS", 7)
    monkeypatch.setattr(import_worker, "CHUNK_ROWS_IN_PROCESS", 7)
    queued = upload(api, member.key, data)
    assert queued.status_code == 202, queued.text
    drain(worker)
    return api.get(f"/v1/imports/{queued.json()['id']}", headers=member.key.headers).json()


def _summary(job: dict) -> tuple:
    return (job["status"], job["rows_done"], job["created"], job["updated"], job["rejected"])


def test_an_import_stores_the_same_with_and_without_the_helper(api, world, worker, monkeypatch):
    asked_before = readers.asked
    tag = uuid.uuid4().hex[:6]
    data = to_csv(_mixed_rows(tag))
    with_helper, without = world.a.members[1], world.a.members[2]

    monkeypatch.setattr(get_settings(), "import_reader_process", True)
    helped = _import_in_chunks(api, worker, with_helper, data, monkeypatch)
    assert readers.asked - asked_before == 6  # every chunk of 7 lines, the first one too
    assert readers.process is None  # stopped once no import was left

    monkeypatch.setattr(get_settings(), "import_reader_process", False)
    alone = _import_in_chunks(api, worker, without, data, monkeypatch)
    assert readers.asked - asked_before == 6  # no helper asked

    assert _summary(helped) == _summary(alone) == ("done", 40, 37, 0, 3)
    assert helped["errors"] == alone["errors"]
    assert [e["line"] for e in helped["errors"]] == [7, 9, 11]
    assert _figures(with_helper.id) == _figures(without.id)
    assert len(_figures(with_helper.id)) == 37


def test_a_helper_that_dies_mid_import_costs_nothing_but_time(api, world, worker, monkeypatch):
    monkeypatch.setattr(get_settings(), "import_reader_process", True)
    member = world.a.members[1]
    tag = uuid.uuid4().hex[:6]
    queued = upload(api, member.key, to_csv([row(n, tag) for n in range(50)]))
    job_id = queued.json()["id"]
    assert import_job.claim_job() == job_id
    assert import_worker.work_on(job_id, max_chunks=2, chunk_rows=10) == 2
    # The helper is reading the third chunk (asked for while the second was stored,
    # for the next slice): it dies before handing it over.
    helper = readers.process
    assert helper is not None and helper.poll() is None
    helper.kill()
    helper.wait()
    helper.stdout.read()  # whatever it wrote before it died is lost with it
    assert import_job.claim_job() == job_id
    import_worker.work_on(job_id, chunk_rows=10)
    # The rest of the job was read in process: no new helper right after a failure.
    assert readers.process is None
    drain(worker)
    job = api.get(f"/v1/imports/{job_id}", headers=member.key.headers).json()
    assert _summary(job) == ("done", 50, 50, 0, 0)
    assert len(_figures(member.id)) == 50
    # With no import left the readers were closed: the next import has a helper again.
    asked_before = readers.asked
    data = to_csv([row(n, uuid.uuid4().hex[:6]) for n in range(20)])
    assert _summary(_import_in_chunks(api, worker, member, data, monkeypatch))[0] == "done"
    assert readers.asked > asked_before


def test_a_helper_that_cannot_start_is_not_tried_again_for_every_chunk(
    api, world, worker, monkeypatch
):
    starts_before = readers.starts
    monkeypatch.setattr(readers, "command", ["/nonexistent/python"])  # OSError at start
    monkeypatch.setattr(get_settings(), "import_reader_process", True)
    member = world.a.members[2]
    data = to_csv([row(n, uuid.uuid4().hex[:6]) for n in range(50)])
    assert _summary(_import_in_chunks(api, worker, member, data, monkeypatch)) == (
        "done",
        50,
        50,
        0,
        0,
    )
    assert readers.starts - starts_before == 1  # 8 chunks of 7 lines, one try


def test_without_a_spare_core_or_when_turned_off_no_helper_is_started(
    api, world, worker, monkeypatch
):
    starts_before = readers.starts
    member = world.a.members[2]
    data = to_csv([row(n, uuid.uuid4().hex[:6]) for n in range(20)])

    monkeypatch.setattr(get_settings(), "import_reader_process", None)
    monkeypatch.setattr(reader, "spare_cores", lambda: 0)
    assert _summary(_import_in_chunks(api, worker, member, data, monkeypatch))[0] == "done"
    monkeypatch.setattr(get_settings(), "import_reader_process", False)
    monkeypatch.setattr(reader, "spare_cores", lambda: 3)
    assert _summary(_import_in_chunks(api, worker, member, data, monkeypatch))[0] == "done"
    assert readers.starts == starts_before


def test_closing_ends_a_helper_whose_answer_nobody_reads(tmp_path):
    big = tmp_path / "big.csv"
    big.write_bytes(to_csv([row(n, "big") for n in range(3_000)]))
    header = read_header(big)
    source = ChunkSource(big, header, "USD", 3_000, "sqlite")
    readers.submit(source, header.data_offset, 2, today())  # an answer of ~1 MB, unread
    helper = readers.process
    readers.close()
    # It ended by itself (the closed pipes), not killed after the wait ran out.
    assert helper.returncode == 0
    assert readers.process is None


def test_the_helper_reads_ahead_on_either_database_when_a_core_is_spare(monkeypatch):
    """Measured on two cores (docs/PERFORMANCE.md): it pays on PostgreSQL as on SQLite."""
    monkeypatch.setattr(reader, "spare_cores", lambda: 1)
    assert reader.helper_pays("sqlite") and reader.helper_pays("postgresql")
    monkeypatch.setattr(reader, "spare_cores", lambda: 0)
    assert not reader.helper_pays("sqlite") and not reader.helper_pays("postgresql")
