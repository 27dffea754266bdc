"""Reading an import's chunks: parse, check and prepare, with no database; one chunk
ahead in a helper process where that pays.

Reading a chunk (the CSV lines, each line's checks, its driver values) needs no
database and is some 40% of an import's CPU. In one Python process reading and storing
take turns. `ChunkSupply` hands the worker its chunks: read in process when asked, or,
with the helper (`ChunkReaders`), the next one read in a process of its own while the
worker stores this one. That is the one read-ahead; it pays wherever a core is to
spare: on SQLite (which stores in the worker's own process) and on PostgreSQL alike
(1,000,000 rows on two cores, quiet: 13,608 rows/s with it against 9,348 without,
docs/PERFORMANCE.md), so `helper_pays` turns it on with a spare core (the
`IMPORT_READER_PROCESS` setting forces it either way). The helper is a plain child
process of the same interpreter (`python -c "from app.imports.reader import main;
main()"`), not `multiprocessing`:
nothing is forked from the threaded server, and no resource-tracker process comes
with it. Requests and answers are pickles framed by their length on its stdin and
stdout; its stderr is the server's.

What crosses the pipe is only what storing needs (`ReadChunk`): per valid line its
client reference, the key `app.clients.known` remembers the client by, as_of and
the driver values, packed as flat lists (`__reduce__`) rather than as the checked items
with their Decimals. The in-process path makes exactly the same `ReadChunk`, so both
store the same thing (tests/imports/test_reader.py compares them).

The helper starts with the first chunk that wants it and stops when no import is left
to work on (`close()`, from the worker's idle round) or the server stops; it also ends
when its stdin does, i.e. with the server. If it dies, the chunk is read in process and
the next one starts a new helper.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pickle
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from app.clients import naming
from app.experiences import checks
from app.experiences.checks import CheckedItems, PreparedLines
from app.imports.csvfile import Header, read_chunk


@dataclass(frozen=True)
class ChunkSource:
    """Where a job's chunks come from and how they are checked: the same for every
    chunk of the job."""

    path: Path
    header: Header
    currency: str
    chunk_rows: int
    dialect: str  # the database's ("sqlite" or "postgresql"), for the driver values


class StoredItem:
    """What storing reads of a checked line: its client reference and its as_of (the
    rest is in the chunk's prepared driver values), and the key `app.clients.known`
    remembers its client by (None without a named client)."""

    __slots__ = ("client_id", "client", "customer_ref", "as_of", "client_key")

    def __init__(self, client_id, client, customer_ref, as_of, client_key=None):
        self.client_id, self.client, self.customer_ref = client_id, client, customer_ref
        self.as_of, self.client_key = as_of, client_key


def _stored(item: Any) -> StoredItem:
    client = item.client
    key = naming.digest(client) if client is not None else None
    return StoredItem(item.client_id, client, item.customer_ref, item.as_of, key)


def _client_names(client: Any) -> tuple | None:
    return None if client is None else naming.names(client)


class _Address(NamedTuple):
    """An address as client resolution reads it (the fields of `PlainAddress`)."""

    line1: str | None
    city: str | None
    region: str | None
    postal_code: str | None


class _Client(NamedTuple):
    """A named client as client resolution reads it (the fields of `PlainClient`):
    tuples, because the worker makes one per line it unpacks."""

    legal_name: str
    country: str
    tax_id: str | None
    duns: str | None
    lei: str | None
    address: _Address | None


_NO_ADDRESS = (None, None, None, None)


def _client_of(names: tuple | None) -> _Client | None:
    if names is None:
        return None
    address = names[5:]
    return _Client(*names[:5], None if address == _NO_ADDRESS else _Address._make(address))


@dataclass
class ReadChunk:
    """A chunk read from the file and checked, not yet stored."""

    offset: int  # where it starts
    rows: int  # records read (data lines, refused ones included; blank lines not)
    next_offset: int
    next_line: int
    at_end: bool
    checked: CheckedItems  # valid items as `StoredItem`, with their prepared values
    item_lines: list[int]  # the file line of each checked item, by its index
    errors: list[dict[str, Any]]  # the rows refused while reading, with their lines

    def __reduce__(self):
        checked = self.checked
        valid = checked.valid
        items = [item for _, item in valid]
        prepared = checked.prepared
        return (
            _unpack,
            (
                self.offset,
                self.rows,
                self.next_offset,
                self.next_line,
                self.at_end,
                self.item_lines,
                self.errors,
                checked.received,
                checked.errors,
                [index for index, _ in valid],
                [item.client_id for item in items],
                [_client_names(item.client) for item in items],
                [item.customer_ref for item in items],
                [item.as_of for item in items],
                [item.client_key for item in items],
                prepared.fields if prepared is not None else None,
                prepared.ids if prepared is not None else None,
            ),
        )


def _unpack(
    offset: int,
    rows: int,
    next_offset: int,
    next_line: int,
    at_end: bool,
    item_lines: list[int],
    errors: list[dict[str, Any]],
    received: int,
    item_errors: dict[int, list[dict]],
    indexes: list[int],
    client_ids: list[str | None],
    client_names: list[tuple | None],
    customer_refs: list[str | None],
    as_ofs: list[date],
    client_digests: list[bytes | None],
    fields: list[tuple] | None,
    ids: list[str] | None,
) -> ReadChunk:
    valid = [
        (index, StoredItem(client_id, _client_of(names), ref, as_of, digest))
        for index, client_id, names, ref, as_of, digest in zip(
            indexes, client_ids, client_names, customer_refs, as_ofs, client_digests, strict=True
        )
    ]
    prepared = PreparedLines(fields, ids) if fields is not None else None
    checked = CheckedItems(received, valid, item_errors, prepared)
    return ReadChunk(offset, rows, next_offset, next_line, at_end, checked, item_lines, errors)


def read(source: ChunkSource, offset: int, line: int, as_of_limit: date) -> ReadChunk:
    """Read and check the chunk at `offset` (which starts physical line `line`)."""
    chunk = read_chunk(source.path, source.header, offset, line, source.chunk_rows, source.currency)
    records = chunk.records
    items = [r.item for r in records if r.item is not None]
    checked = checks.check_items(items, source.currency, as_of_limit, prepare_for=source.dialect)
    # Only what storing reads: the items' amounts are in the prepared values already.
    checked.valid = [(index, _stored(item)) for index, item in checked.valid]
    return ReadChunk(
        offset,
        len(records),
        chunk.next_offset,
        chunk.next_line,
        chunk.at_end,
        checked,
        [r.line for r in records if r.item is not None],
        [{"line": r.line, "errors": r.errors} for r in records if r.item is None],
    )


# The helper's side: requests and answers are pickles framed by their length, on the
# helper's stdin and stdout (its stderr is the server's, for its log lines).
_FRAME = struct.Struct("<Q")


def _write_frame(stream: BinaryIO, payload: bytes) -> None:
    stream.write(_FRAME.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def _read_frame(stream: BinaryIO) -> bytes | None:
    """A frame's payload; None at the end of the stream."""
    head = stream.read(_FRAME.size)
    if len(head) < _FRAME.size:
        return None
    (size,) = _FRAME.unpack(head)
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return payload


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """The helper process: answer each request `(source, offset, line, as_of_limit)`
    with ("ok", ReadChunk) or ("error", what went wrong), until `requests` ends."""
    while (payload := _read_frame(requests)) is not None:
        source, offset, line, as_of_limit = pickle.loads(payload)  # noqa: S301 - our parent
        try:
            answer: tuple = ("ok", read(source, offset, line, as_of_limit))
        except Exception as exc:  # the server reads the chunk again itself and reports
            answer = ("error", f"{type(exc).__name__}: {exc}")
        data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        del answer
        _write_frame(answers, data)


def helper_pays(dialect: str) -> bool:
    """Whether reading ahead in the helper pays by default: with a core to spare, on
    either database (`dialect` is kept for the day one of them measures otherwise;
    docs/PERFORMANCE.md, "Imports")."""
    return dialect in ("sqlite", "postgresql") and spare_cores() > 0


def spare_cores() -> int:
    """The cores this process may run on, beyond one."""
    try:
        return len(os.sched_getaffinity(0)) - 1
    except AttributeError:  # not on Linux
        return (os.cpu_count() or 1) - 1


class ReaderUnavailable(Exception):
    """The helper process could not be started, or died: read in process instead."""


class ReaderResting(ReaderUnavailable):
    """A helper failed a moment ago: none is started for now (`ChunkReaders`)."""


class ReadFailed(Exception):
    """The helper could not read the chunk (the server reads it again to report why)."""


class PendingRead:
    """A chunk asked of the helper process; `result()` waits for it."""

    def __init__(self, helper: _Helper, number: int):
        self._helper = helper
        self._number = number

    def result(self) -> ReadChunk:
        return self._helper.answer(self._number)


class _Helper:
    """One helper process and its pipes. Answers come in the order of the requests;
    one that nobody waits for any more is read and dropped."""

    def __init__(self, command: list[str]) -> None:
        root = str(Path(__file__).resolve().parents[2])  # where the `app` package is
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH")))),
        }
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        self._asked = 0  # requests sent
        self._answered = 0  # answers read
        self._wanted = 0  # the newest request: older answers are dropped

    def ask(self, source: ChunkSource, offset: int, line: int, as_of_limit: date) -> PendingRead:
        payload = pickle.dumps((source, offset, line, as_of_limit))
        try:
            _write_frame(self.process.stdin, payload)
        except (OSError, ValueError) as exc:
            raise ReaderUnavailable(f"the reader process is gone: {exc}") from exc
        self._asked += 1
        self._wanted = self._asked
        return PendingRead(self, self._asked)

    def answer(self, number: int) -> ReadChunk:
        if number != self._wanted or number <= self._answered:
            raise ReadFailed("this chunk was asked for again since")
        while self._answered < number:
            payload = _read_frame(self.process.stdout)
            if payload is None:
                raise ReaderUnavailable(
                    f"the reader process ended (exit status {self.process.poll()})"
                )
            self._answered += 1
        try:
            status, value = pickle.loads(payload)  # noqa: S301 - our own helper process
        except Exception as exc:  # e.g. a helper of other code, in the middle of a deploy
            raise ReaderUnavailable(f"the reader's answer cannot be read: {exc!r}") from exc
        if status != "ok":
            raise ReadFailed(value)
        return value

    def stop(self, wait: float) -> None:
        # The helper ends at the end of its requests; and if it is writing an answer that
        # nobody will read, the closed pipe ends it (BrokenPipeError) instead of leaving
        # it blocked until it is killed.
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError, ValueError):
                pipe.close()
        try:
            self.process.wait(wait)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class ChunkReaders:
    """The helper process that reads chunks ahead: started on first use, stopped by
    `close()`; one at a time, used by the import worker's thread.

    After a failure (it died, could not start, or answered nonsense) no helper is
    started again for `REST_SECONDS` or until `close()` (no import left): a helper that
    cannot work here, e.g. an interpreter that cannot import the app, must not cost
    every chunk a failed start."""

    REST_SECONDS = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._helper: _Helper | None = None
        self._rest_until = 0.0
        # How the helper is started: this interpreter, this module's main().
        self.command = [sys.executable, "-c", "from app.imports.reader import main; main()"]
        self.asked = 0  # chunks asked of a helper, since this process started
        self.starts = 0  # helpers started (or tried), likewise

    def submit(self, source: ChunkSource, offset: int, line: int, as_of_limit: date) -> PendingRead:
        """Ask for a chunk; raises ReaderUnavailable if there is no helper to ask."""
        with self._lock:
            if self._helper is None or self._helper.process.poll() is not None:
                if time.monotonic() < self._rest_until:
                    raise ReaderResting("the reader process failed a moment ago")
                self.starts += 1
                try:
                    self._helper = _Helper(self.command)
                except OSError as exc:
                    self._rest_until = time.monotonic() + self.REST_SECONDS
                    raise ReaderUnavailable(f"cannot start the reader process: {exc}") from exc
            pending = self._helper.ask(source, offset, line, as_of_limit)
            self.asked += 1
            return pending

    def discard(self) -> None:
        """Stop a helper that failed; none is started again for a while."""
        self._stop(wait=0, rest=True)

    def close(self) -> None:
        """Stop the helper, if any (after the chunk it is reading); the next import may
        start one again."""
        self._stop(wait=10, rest=False)

    def _stop(self, wait: float, rest: bool) -> None:
        with self._lock:
            helper, self._helper = self._helper, None
            self._rest_until = time.monotonic() + self.REST_SECONDS if rest else 0.0
        if helper is not None:
            helper.stop(wait)

    @property
    def process(self) -> subprocess.Popen | None:
        helper = self._helper
        return helper.process if helper is not None else None


readers = ChunkReaders()
log = logging.getLogger("creditpool.imports")


class ChunkSupply:
    """A job's chunks for one worker slice: `chunk_at(offset, line)` is the chunk there,
    read in process, or with the helper (`helper=True`) asked of it, the next one
    asked at once so that it is read while this one is stored. A chunk still being
    read at the end of the slice is handed to the next slice (`ahead`), which takes it
    if the job is still at that offset. If the helper fails, the chunk is read here."""

    def __init__(self, source: ChunkSource, helper: bool, ahead: PendingRead | None = None):
        self.source = source
        self.helper = helper
        self.ahead = ahead if helper else None

    def chunk_at(self, offset: int, line: int, as_of_limit: date) -> ReadChunk:
        chunk = self._collect(self.ahead, offset)
        self.ahead = None
        if chunk is None and self.helper:
            chunk = self._collect(self._submit(offset, line, as_of_limit), offset)
        if chunk is None:
            chunk = read(self.source, offset, line, as_of_limit)
        if self.helper and not chunk.at_end:
            self.ahead = self._submit(chunk.next_offset, chunk.next_line, as_of_limit)
        return chunk

    def _submit(self, offset: int, line: int, as_of_limit: date) -> PendingRead | None:
        """Ask the helper for a chunk; None if it could not be started."""
        try:
            return readers.submit(self.source, offset, line, as_of_limit)
        except ReaderResting:
            return None
        except ReaderUnavailable as exc:
            log.warning("no import reader process (%s): reading in process", exc)
            readers.discard()
            return None

    @staticmethod
    def _collect(ahead: PendingRead | None, offset: int) -> ReadChunk | None:
        """The chunk read ahead, if it was read without error; None: read it here (an
        error is then reported at its own line, with the chunk before stored)."""
        if ahead is None:
            return None
        try:
            chunk = ahead.result()
        except ReaderUnavailable:
            log.warning("the import reader process died; reading in process", exc_info=True)
            readers.discard()
            return None
        except ReadFailed:
            log.debug("reading ahead failed", exc_info=True)
            return None
        return chunk if chunk.offset == offset else None


def main() -> None:
    """The helper process's entry point (`_Helper` starts it)."""
    # Ctrl-C in a terminal reaches the whole process group: the server stops, and with
    # it the end of the requests ends this process, without a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # This process only reads chunks, whose objects make no reference cycles and are
    # freed by reference counting when answered: without the cyclic collector, which
    # rescanned every chunk's objects several times, it reads ~1.5x faster (45,000 vs
    # 30,000 rows per CPU-second, 100,000 rows). It is its own process: nothing else
    # runs in it to pile up garbage.
    gc.disable()
    # The frames own stdout: anything else printed goes to stderr.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    try:
        serve(sys.stdin.buffer, answers)
    except BrokenPipeError:
        pass  # the server stopped reading: it has stopped us
    finally:
        with contextlib.suppress(OSError):
            answers.close()
