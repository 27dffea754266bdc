"""The group commit (app/core/db.py: GroupCommit) on its own SQLite file: what records
profile reads on SQLite. Every caller's rows are committed before it is answered, many
callers share a transaction, a caller that stops waiting loses nothing, and a batch that
fails fails each of its callers without stopping the writer."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select

from app.core.db import GroupCommit, build_engine

_metadata = MetaData()
_seen = Table("seen", _metadata, Column("n", Integer, primary_key=True), Column("by", String))
_missing = Table("not_created", MetaData(), Column("n", Integer))


@pytest.fixture
def engine(tmp_path):
    engine = build_engine(f"sqlite:///{tmp_path / 'records.db'}")
    _metadata.create_all(engine)
    yield engine
    engine.dispose()


def _run(coroutine):
    """Run on a fresh event loop; a writer that stopped would fail here, not hang."""

    async def bounded():
        return await asyncio.wait_for(coroutine, 30)

    return asyncio.run(bounded())


def _row(n: int, by: str = "loop") -> tuple:
    return (insert(_seen), {"n": n, "by": by})


def _stored(engine) -> list[int]:
    with engine.connect() as connection:
        return sorted(connection.execute(select(_seen.c.n)).scalars())


def test_every_awaited_row_is_committed_before_its_caller_goes_on(engine):
    records = GroupCommit(engine)

    async def read(n: int) -> list[int]:
        await records.written([_row(n), _row(n + 1000)])
        return _stored(engine)  # committed: another connection sees it

    async def main():
        return await asyncio.gather(*(read(n) for n in range(64)))

    seen = _run(main())
    for n, stored in enumerate(seen):
        assert n in stored and n + 1000 in stored
    assert _stored(engine) == sorted([*range(64), *range(1000, 1064)])


def test_callers_in_threads_and_on_a_loop_are_written_alike(engine):
    records = GroupCommit(engine)
    errors: list[BaseException] = []

    def blocking(n: int) -> None:
        try:
            records.write([_row(n, "thread")])
            assert n in _stored(engine)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=blocking, args=(n,)) for n in range(100, 120)]
    for thread in threads:
        thread.start()

    async def main():
        await asyncio.gather(*(records.written([_row(n)]) for n in range(20)))

    _run(main())
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert _stored(engine) == [*range(20), *range(100, 120)]


def test_a_caller_that_stops_waiting_loses_nothing_and_stops_nobody(engine):
    records = GroupCommit(engine)

    async def main():
        gone = asyncio.create_task(records.written([_row(1)]))
        await asyncio.sleep(0)
        gone.cancel()  # a client that hung up: its read was still made, so it is recorded
        with pytest.raises(asyncio.CancelledError):
            await gone
        await records.written([_row(2)])

    _run(main())
    assert _stored(engine) == [1, 2]


def test_a_failed_batch_fails_each_caller_and_the_next_batch_is_written(engine):
    records = GroupCommit(engine)

    async def main():
        outcomes = await asyncio.gather(
            records.written([_row(1)]),
            records.written([(insert(_missing), {"n": 2})]),
            return_exceptions=True,
        )
        await records.written([_row(3)])
        return outcomes

    outcomes = _run(main())
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    # Written together or one after the other: the bad row fails its own batch, and a
    # row never lands without its caller being told.
    assert len(failed) in (1, 2)
    stored = _stored(engine)
    assert 3 in stored and 2 not in stored
    assert (1 in stored) == (len(failed) == 1)
    with pytest.raises(Exception, match="not_created"):
        records.write([(insert(_missing), {"n": 4})])
    records.write([_row(5, "thread")])
    assert 5 in _stored(engine)


def test_reads_coming_together_share_transactions(engine):
    """Many callers at once are written in fewer batches than callers: measured by the
    writer's commits, counted on the engine's events."""
    commits = []
    event.listen(engine, "commit", lambda connection: commits.append(1))
    records = GroupCommit(engine)

    async def main():
        await asyncio.gather(*(records.written([_row(n)]) for n in range(200)))

    _run(main())
    assert _stored(engine) == list(range(200))
    assert 1 <= len(commits) < 200
