"""The engine, sessions, and the check that the database is on the newest migration."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session, create_engine

from app.core.config import get_settings

# A row that records a read: (the table's INSERT statement, its values).
Row = tuple[Insert, dict]
# Request sessions on SQLite: the rows recorded by the request, awaited by its owner.
_PENDING = "records_pending"

ROOT = Path(__file__).resolve().parents[2]


def _migrations_home() -> Path:
    """Where alembic.ini and migrations/ are: the source tree (a clone, an editable
    install), else the working directory (an installed package, e.g. the Docker image)."""
    for home in (ROOT, Path.cwd()):
        if (home / "migrations" / "env.py").exists():
            return home
    return ROOT


def _normalize_url(url: str) -> str:
    # "postgresql://" means psycopg 3 here; psycopg2 is not a dependency.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def build_engine(url: str | None = None) -> Engine:
    url = _normalize_url(url or get_settings().database_url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            # A URI filename (`sqlite:///file:/path/db?mode=ro&uri=true`) names a file too.
            file = parsed.database.removeprefix("file:") if parsed.query.get("uri") else None
            Path(file or parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=20,
            hide_parameters=True,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            # WAL lets readers run beside the one writer; foreign keys are off by default.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        # pysqlite's own transaction handling defers BEGIN badly; take it over so that
        # writes start with BEGIN IMMEDIATE when asked (see Database._writer).
        @event.listens_for(engine, "connect")
        def _no_autobegin(dbapi_conn, _record):  # pragma: no cover - trivial
            dbapi_conn.isolation_level = None

        turn = WriteTurn()
        turn.follow(engine)

        @event.listens_for(engine, "begin")
        def _begin(conn):  # pragma: no cover - trivial
            # A deferred transaction that reads and then writes fails at once with
            # SQLITE_BUSY when another writer got in between; writers therefore take the
            # write lock up front (BEGIN IMMEDIATE) and wait for it under busy_timeout.
            mode = conn.get_execution_options().get("sqlite_begin", "")
            if mode != "IMMEDIATE":
                conn.exec_driver_sql("BEGIN")
                return
            dbapi_connection = conn.connection.dbapi_connection
            turn.take(dbapi_connection)
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                turn.give_back(dbapi_connection)
                raise

        return engine
    # hide_parameters: a database error must not put a password hash or key hash into
    # an exception message, and from there into a log line.
    # connect_timeout: an unreachable server fails /readyz in seconds instead of hanging.
    return create_engine(
        url,
        pool_size=20,
        max_overflow=20,
        pool_pre_ping=True,
        hide_parameters=True,
        connect_args={"connect_timeout": 10},
    )


class WriteTurn:
    """The writers of one process take their turn at SQLite's write lock in order.

    SQLite has one writer at a time. A writer that finds the lock taken waits in SQLite's
    busy handler, which sleeps 1, 2, 5, ... up to 100 ms between tries: under a steady
    stream of short writes (every profile read records an inquiry) the lock then sits
    free while the waiters sleep, and a few unlucky requests wait a second (measured: a
    p99 of 970 ms for 12 ms reads, docs/PERFORMANCE.md). Here the writers of this process
    queue on a lock of their own before `BEGIN IMMEDIATE` and are woken the moment the
    previous writer's COMMIT or ROLLBACK has returned, so SQLite's busy handler is left
    to arbitrate between processes only.

    The turn is held from `BEGIN IMMEDIATE` to the end of that transaction (commit,
    rollback, the pool's reset on return, or the connection closing), by the DBAPI
    connection that took it; it may be given back from another thread (a request's
    transaction begins in a worker thread and commits on the event loop). A writer that
    has waited `TIMEOUT` seconds goes on without it, to SQLite's own busy_timeout, as
    before: a turn lost by a bug can slow writes down, never stop them."""

    TIMEOUT = 30.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: object | None = None

    def take(self, dbapi_connection: object) -> None:
        if self._lock.acquire(timeout=self.TIMEOUT):
            self._holder = dbapi_connection

    def give_back(self, connection: object) -> None:
        # The pool hands the dialect its proxy of the DBAPI connection, or the connection.
        dbapi_connection = getattr(connection, "dbapi_connection", connection)
        if self._holder is not None and self._holder is dbapi_connection:
            self._holder = None
            self._lock.release()

    def follow(self, engine: Engine) -> None:
        """Give the turn back when a transaction of `engine` ends, however it ends: the
        dialect's commit, rollback (the pool's reset on return is one) and close."""
        dialect = engine.dialect
        for name in ("do_commit", "do_rollback", "do_close"):
            setattr(dialect, name, self._then_give_back(getattr(dialect, name)))

    def _then_give_back(self, end):
        def ended(dbapi_connection):
            try:
                end(dbapi_connection)
            finally:
                self.give_back(dbapi_connection)

        return ended


def _settle(futures: list[asyncio.Future], error: BaseException | None) -> None:
    for future in futures:
        if future.done():  # a request cancelled meanwhile no longer waits
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


class _Waiter:
    """A blocking caller of `GroupCommit.write`, told when its rows are committed."""

    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None


class GroupCommit:
    """Records of reads (an inquiry, an audit event) written for many requests in one
    SQLite transaction, one `executemany` per table.

    Every profile read writes two rows. In the read's own transaction on SQLite that
    would make every read a writer, holding the database's one write lock from its first
    read to its commit; here the read runs in a plain (deferred) transaction and only
    its rows queue. One writer thread, started when rows queue and none is running,
    writes everything queued by then in one transaction, and again until the queue is
    empty. A failed batch fails each of its callers' requests: a read is never answered
    unrecorded.

    `written(rows)` is awaited on the event loop (a request's transaction owner,
    `app.deps.get_session`, awaits its read's rows before the answer is sent): the
    request does not hop to a worker thread for it; the batch does, once. `write(rows)`
    blocks until they are committed (the CLI, a worker, a session no owner awaits).

    When the batch just written held more than one request's rows, reads are coming in
    together: the writer then waits `LINGER` before taking the next batch, so that more
    reads share its transaction (measured with 16 connections: warm profile reads rose
    from 38-45% of `/v1/me`'s rate to 47-50%, docs/PERFORMANCE.md). A lone read is
    written at once."""

    LINGER = 0.005  # seconds: at most this much longer to answer a read under load

    def __init__(self, engine: Engine):
        self._engine = engine
        # (rows, who waits for them: a blocking `_Waiter` or an event loop's future)
        self._queue: list[tuple[list[Row], object]] = []
        self._lock = threading.Lock()
        self._draining = False
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="records")

    def write(self, rows: list[Row]) -> None:
        waiter = _Waiter()
        self._enqueue(rows, waiter)
        waiter.done.wait()
        if waiter.error is not None:
            raise waiter.error

    async def written(self, rows: list[Row]) -> None:
        future = asyncio.get_running_loop().create_future()
        self._enqueue(rows, future)
        await future

    def _enqueue(self, rows: list[Row], waiter: _Waiter | asyncio.Future) -> None:
        with self._lock:
            self._queue.append((rows, waiter))
            if self._draining:
                return
            self._draining = True
        self._thread.submit(self._drain)

    def _drain(self) -> None:
        crowded = False
        while True:
            if crowded:
                time.sleep(self.LINGER)
            with self._lock:
                batch, self._queue = self._queue, []
                if not batch:
                    self._draining = False
                    return
            crowded = len(batch) > 1
            error = None
            try:
                self._write([row for rows, _ in batch for row in rows])
            except BaseException as failure:  # each caller raises it in its own request
                error = failure
            # One wake-up per event loop for the whole batch, not one per request.
            by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future]] = {}
            for _, waiter in batch:
                if isinstance(waiter, _Waiter):
                    waiter.error = error
                    waiter.done.set()
                else:
                    by_loop.setdefault(waiter.get_loop(), []).append(waiter)
            for loop, futures in by_loop.items():
                with suppress(RuntimeError):  # a closed loop: nobody waits any more
                    loop.call_soon_threadsafe(_settle, futures, error)

    def _write(self, rows: list[Row]) -> None:
        by_statement: dict[Insert, list[dict]] = {}
        for statement, values in rows:
            by_statement.setdefault(statement, []).append(values)
        with self._engine.begin() as connection:
            for statement, many in by_statement.items():
                connection.execute(statement, many)


class Database:
    """The one place a session comes from: the request's and the system's.

    - `request_session(write)`: a session for one HTTP request. Its owner is
      `app.deps.get_session`, which commits it on success and rolls it back on error;
      services only flush.
    - `system_session(write)`: a unit of work outside a request (the CLI, workers) or
      beside it, when a write must survive the request failing (a failed login's audit
      row and throttle counter, an idempotency record). It commits when the block ends
      and rolls back if the block raises.

    - `record(session, rows)`: the rows that record a read (see `GroupCommit`).

    Writers get BEGIN IMMEDIATE on SQLite (see `build_engine`)."""

    def __init__(self, url: str | None = None):
        self.engine = build_engine(url)
        sqlite = self.engine.dialect.name == "sqlite"
        self._writer = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE") if sqlite else self.engine
        )
        self._records = GroupCommit(self._writer) if sqlite else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def request_session(self, *, write: bool) -> Session:
        """A session for one request; `app.deps.get_session` owns its transaction."""
        session = Session(self._writer if write else self.engine, expire_on_commit=False)
        if self._records is not None:
            session.info[_PENDING] = []
        return session

    @contextmanager
    def system_session(self, *, write: bool = True) -> Iterator[Session]:
        """A unit of work outside any request, not scoped to a tenant (bind it when the
        work is for one group). Commits when the block ends, rolls back if it raises."""
        with Session(self._writer if write else self.engine, expire_on_commit=False) as session:
            session.info["unscoped"] = True
            try:
                yield session
                if session.in_transaction():
                    session.commit()
            except BaseException:
                session.rollback()
                raise

    def record(self, session: Session, rows: list[Row]) -> None:
        """Record a read done in `session`: `rows`, (INSERT statement, values) each. On
        PostgreSQL they are written in the session's own transaction, committed or
        rolled back with the request. On SQLite they are batched with other requests'
        rows (`GroupCommit`) so that a read stays a reader: a request's session keeps
        them for its owner, which awaits them before the answer (`recorded`); any other
        session writes them at once, in one transaction, and returns once committed."""
        if self._records is None:
            connection = session.connection()
            for statement, values in rows:
                connection.execute(statement, values)
            return
        pending = session.info.get(_PENDING)
        if pending is None:
            self._records.write(rows)
        else:
            pending.extend(rows)

    async def recorded(self, session: Session) -> None:
        """Write the rows a request's session recorded (SQLite; see `record`), and return
        once they are committed. The request's transaction owner calls it on success."""
        pending = session.info.get(_PENDING)
        if pending:
            session.info[_PENDING] = []
            await self._records.written(pending)

    def answers(self) -> bool:
        """Whether the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def write_readiness(self) -> str:
        """Whether the database would store a write now (readiness): "ok", "read_only"
        (it answers but refuses writes) or "unreachable". Stores nothing.

        SQLite: a write in a transaction that is rolled back (a read-only file, a
        read-only connection or `PRAGMA query_only` refuse it); another writer holding
        the lock past a short wait means writes work, just not this instant.
        PostgreSQL: not a standby (`pg_is_in_recovery()`) and transactions not read-only
        by default (`transaction_read_only`), without taking any lock."""
        try:
            with self.engine.connect() as conn:
                if self.dialect == "sqlite":
                    return _sqlite_write_readiness(conn)
                standby, read_only = conn.execute(
                    text("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")
                ).one()
                return "read_only" if standby or read_only == "on" else "ok"
        except Exception:
            return "unreachable"

    def dispose(self) -> None:
        self.engine.dispose()


# How long the readiness probe waits for SQLite's write lock before it counts the lock
# holder as proof that writes work.
_PROBE_BUSY_MS = 1000
_SQLITE_BUSY_TIMEOUT_MS = 30000


def _sqlite_write_readiness(conn) -> str:
    import sqlite3

    from sqlalchemy.exc import OperationalError

    conn.exec_driver_sql(f"PRAGMA busy_timeout={_PROBE_BUSY_MS}")
    try:
        # Changes nothing, yet is a write: SQLite refuses it on a read-only database.
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = version_num")
        return "ok"
    except OperationalError as exc:
        code = getattr(exc.orig, "sqlite_errorcode", 0) & 0xFF
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            return "ok"
        if code == sqlite3.SQLITE_READONLY or "readonly" in str(exc.orig):
            return "read_only"
        raise
    finally:
        conn.rollback()
        conn.exec_driver_sql(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
        conn.rollback()


@lru_cache
def database() -> Database:
    """The process's database (DATABASE_URL)."""
    return Database()


def get_engine() -> Engine:
    """The engine behind `database()`: for the schema checks (alembic) and the profile
    read path; code that reads or writes rows asks `database()` for a session."""
    return database().engine


def reset_engine() -> None:
    """Drop the cached database (tests and the CLI point the app at another one)."""
    if database.cache_info().currsize:
        database().dispose()
    database.cache_clear()


def system_session(write: bool = True):
    """`database().system_session()`: a unit of work for the CLI and workers."""
    return database().system_session(write=write)


def alembic_config(url: str | None = None):
    from alembic.config import Config

    home = _migrations_home()
    cfg = Config(str(home / "alembic.ini"))
    cfg.set_main_option("script_location", str(home / "migrations"))
    cfg.set_main_option(
        "sqlalchemy.url", _normalize_url(url or get_settings().database_url).replace("%", "%%")
    )
    return cfg


def migrate(url: str | None = None) -> None:
    from alembic import command

    command.upgrade(alembic_config(url), "head")


def pending_migrations(engine: Engine) -> tuple[str | None, str]:
    """(current revision, newest revision) of the database behind `engine`."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, head


class DatabaseBehind(RuntimeError):
    pass


def ensure_migrated(engine: Engine) -> None:
    current, head = pending_migrations(engine)
    if current != head:
        raise DatabaseBehind(
            f"The database is at migration {current or '(empty)'} but the code needs {head}. "
            "Run `creditpool migrate` (or `creditpool serve`, which migrates first)."
        )
