"""Multi-row `INSERT ... ON CONFLICT` straight to the driver, on SQLite and PostgreSQL.

The set-based write paths (experience upserts, client creation) send thousands of rows
per call. SQLAlchemy's per-row parameter processing, and psycopg's parsing of a query
text holding thousands of placeholders, cost more than the database's own work; so:
- PostgreSQL: the rows are COPYed into a temporary staging table, then ONE
  `INSERT ... SELECT ... ON CONFLICT` moves them (psycopg writes COPY rows in C, where
  array parameters for `unnest` were dumped in Python, and a text with thousands of
  placeholders is parsed in Python);
- SQLite: multi-row `VALUES (?, ...), (?, ...)` statements of `ROWS_PER_STATEMENT`
  rows (sqlite3 binds positional parameters without parsing the text in Python), the
  rest in statements of power-of-two sizes (`_statement_sizes`): sqlite3 keeps up to
  128 prepared statements per connection, some 0.8 MB each at 400 rows, and one
  statement per remainder size filled that cache over a large import (+150 MB).
The conflict clause (`ON CONFLICT ...`) is the same text on both databases.

`start_insert_rows()` returns before PostgreSQL has run the `INSERT ... SELECT` (it is
sent in pipeline mode): the caller may compute meanwhile, as long as it does not use the
connection, and then asks `PendingRows.rows()` for the outcome. That is how the import
worker reads and checks its next chunk while the server stores the current one
(docs/PERFORMANCE.md, "CSV import").

Values must be what the driver binds for the column, as the SQLAlchemy column types
would produce them: see `sqlite_time()` for times on SQLite.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.tenancy.session import working_role

ROWS_PER_STATEMENT = 400
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


def dialect_insert(session: Session):
    """`insert()` of the session's dialect, for ON CONFLICT clauses on single rows."""
    name = session.get_bind().dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert


def is_sqlite(connection: Connection) -> bool:
    return connection.dialect.name == "sqlite"


def listed(connection: Connection, values: Sequence[Any]) -> Any:
    """A list as ONE parameter, for `IN (SELECT value FROM json_each(?))` on SQLite (JSON
    text) and `= ANY(%s)` on PostgreSQL (an array): thousands of keys without thousands of
    placeholders to compile and bind."""
    return json.dumps(list(values)) if is_sqlite(connection) else list(values)


def fetch_rows(connection: Connection, sql: str, parameters: Sequence[Any]) -> list[tuple]:
    """The rows of a driver-level query (`sql` in the driver's own parameter style) as
    plain tuples, straight from the DBAPI cursor: SQLAlchemy's result makes a Row object
    per row in Python, the driver's `fetchall()` makes tuples in C (a lookup of 10,000
    customer numbers: 6% of an import's time). The query runs in the connection's
    transaction, as with `exec_driver_sql`."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, parameters)
        return cursor.fetchall()
    finally:
        cursor.close()


def sqlite_time(value: datetime) -> str:
    """A timezone-aware time as SQLAlchemy's `UTCDateTime` stores it on SQLite."""
    return value.astimezone(UTC).strftime(_SQLITE_TIME)


class PendingRows:
    """An INSERT that may still be running on the server, and its RETURNING rows.

    Until `rows()` (or `abandon()`) is called, the connection is busy with it: nothing
    else may be sent on it. An error of the statement is raised by `rows()`, and its
    transaction must then be rolled back, as after any failed statement.
    """

    def __init__(self, returned: list[tuple] | None = None, wait=None):
        self._returned = returned if returned is not None else []
        self._wait = wait

    def rows(self) -> list[tuple]:
        if self._wait is not None:
            wait, self._wait = self._wait, None
            self._returned = wait()
        return self._returned

    def abandon(self) -> None:
        """Wait for the statement, ignoring its outcome (the caller is rolling back)."""
        with contextlib.suppress(Exception):  # the caller rolls the transaction back
            self.rows()


def insert_rows(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: str,
    returning: str | None = None,
) -> list[tuple]:
    """Insert `rows` (tuples in `columns` order); returns the RETURNING rows, if asked.

    `table`, `columns`, `conflict` and `returning` are code, never input: only the row
    values are parameters.
    """
    return start_insert_rows(
        connection, table, columns, rows, conflict=conflict, returning=returning
    ).rows()


def start_insert_rows(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: str,
    returning: str | None = None,
) -> PendingRows:
    """`insert_rows()` that returns as soon as the rows are sent, on PostgreSQL before
    the server has stored them; `rows()` of the result waits for them. On SQLite (in
    process, nothing to overlap with) the rows are stored before it returns."""
    if not rows:
        return PendingRows()
    names = ", ".join(columns)
    tail = f" {conflict}" + (f" RETURNING {returning}" if returning else "")
    returned: list[tuple] = []
    if not is_sqlite(connection):
        return _copy_then_insert(connection, table, names, rows, tail, returning is not None)
    one = "(" + ", ".join("?" * len(columns)) + ")"
    start = 0
    for size in _statement_sizes(len(rows)):
        chunk = rows[start : start + size]
        start += size
        values = ", ".join([one] * size)
        sql = f"INSERT INTO {table.name} ({names}) VALUES {values}{tail}"  # noqa: S608
        result = connection.exec_driver_sql(sql, tuple(chain.from_iterable(chunk)))
        if returning:
            returned.extend(tuple(r) for r in result)
    return PendingRows(returned)


def _statement_sizes(count: int) -> list[int]:
    """The rows per statement for `count` rows: `ROWS_PER_STATEMENT` each, then the rest
    by its binary digits (399 = 256 + 128 + 8 + 4 + 2 + 1), so that a table's inserts
    use at most ten distinct statement texts, whatever their row counts."""
    sizes = [ROWS_PER_STATEMENT] * (count // ROWS_PER_STATEMENT)
    rest = count % ROWS_PER_STATEMENT
    bit = 1 << rest.bit_length()
    while bit:
        if rest & bit:
            sizes.append(bit)
        bit >>= 1
    return sizes


def _copy_then_insert(
    connection: Connection,
    table: Table,
    names: str,
    rows: Sequence[Sequence[Any]],
    tail: str,
    returning: bool,
) -> PendingRows:
    """PostgreSQL: COPY the rows into a temporary staging table shaped like `table`, then
    send one `INSERT ... SELECT ... ON CONFLICT` from it without waiting for it.

    COPY is PostgreSQL's bulk path: psycopg writes each row in C, where binding the same
    rows as arrays (`unnest`) spent most of the time dumping array literals in Python.
    The staging table lives for the connection (created on first use, in the caller's
    transaction, so that it also works behind a transaction-pooling proxy) and is
    emptied after each use; ON COMMIT DELETE ROWS as a second guard.

    The INSERT is sent in pipeline mode (COPY cannot be pipelined, so it comes first):
    the server starts on it at once, and the pipeline is closed, its result read and
    the staging table emptied when the caller asks for the rows.
    """
    # One per role a connection works as (app.tenancy.session): a temporary table belongs
    # to the role that made it, and a pooled connection serves the owner and the app role.
    stage = f"_stage_{table.name}" + ("_app" if working_role(connection) else "")
    driver = connection.connection.driver_connection
    cursor = driver.cursor()
    try:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} "
            f"(LIKE {table.name} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:  # noqa: S608
            for row in rows:
                copy.write_row(row)
        pipeline = driver.pipeline()
        pipeline.__enter__()
    except BaseException:
        cursor.close()
        raise
    try:
        cursor.execute(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {stage}{tail}")  # noqa: S608
    except BaseException as exc:
        pipeline.__exit__(type(exc), exc, exc.__traceback__)
        cursor.close()
        raise

    def wait() -> list[tuple]:
        try:
            # Leaving pipeline mode waits for the statement and raises its error, if any.
            pipeline.__exit__(None, None, None)
            returned = [tuple(r) for r in cursor.fetchall()] if returning else []
            cursor.execute(f"TRUNCATE {stage}")
            return returned
        finally:
            cursor.close()

    return PendingRows(wait=wait)
