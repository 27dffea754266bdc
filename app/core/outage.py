"""Errors of the place where data is kept, not of the request: the database away or
read-only, a disk full.

A client cannot fix them, and they pass: an ERP should retry later, not report its
data as wrong. So they are told apart from the rest here, once, and answered by
`app.core.errors` as problems of their own:

- `database_unavailable` (503, `Retry-After`): the server cannot be reached or closed
  the connection, is shutting down or starting, has no connection slot left, is a
  read-only standby; SQLite busy past its timeout (another writer held the lock for
  30 s), the file read-only or not openable, an I/O error; the connection pool empty
  past its timeout.
- `insufficient_storage` (507): the database's or `DATA_DIR`'s disk is full (or a
  file-size limit or a quota was reached).

Anything else (a constraint, a bad statement, a value out of range) stays an internal
error: retrying would not cure it.
"""

from __future__ import annotations

import errno
import sqlite3

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

UNAVAILABLE = "database_unavailable"
STORAGE = "insufficient_storage"

# How long a client should wait before trying again (seconds).
RETRY_AFTER_UNAVAILABLE = 5
RETRY_AFTER_STORAGE = 60

# The OS errors that mean "no room to write": a full disk, a quota, a file-size limit.
NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}

# SQLite primary result codes: BUSY, LOCKED, READONLY, IOERR, CANTOPEN, NOTADB;
# FULL is a disk full.
_SQLITE_UNAVAILABLE = {5, 6, 8, 10, 14, 26}
_SQLITE_FULL = 13
# PostgreSQL SQLSTATEs (class 08 is the connection's): too many connections, out of
# memory, shutting down or starting, a read-only transaction (a standby); 53100 disk full.
_PG_UNAVAILABLE = {"53200", "53300", "57P01", "57P02", "57P03", "25006"}
_PG_FULL = "53100"


def no_room(exc: BaseException) -> bool:
    """An OS error that says the disk (or a quota, or a file-size limit) is full."""
    return isinstance(exc, OSError) and exc.errno in NO_ROOM


def classify(exc: BaseException) -> str | None:
    """`UNAVAILABLE`, `STORAGE`, or None for an error that is not about the place where
    data is kept."""
    if isinstance(exc, PoolTimeout):
        return UNAVAILABLE
    if no_room(exc):
        return STORAGE
    driver = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return UNAVAILABLE
    if isinstance(driver, sqlite3.Error):
        code = getattr(driver, "sqlite_errorcode", None)
        if code is None:
            return None
        primary = code & 0xFF
        if primary == _SQLITE_FULL:
            return STORAGE
        return UNAVAILABLE if primary in _SQLITE_UNAVAILABLE else None
    sqlstate = getattr(driver, "sqlstate", False)
    if sqlstate is False:  # not a psycopg error
        return None
    if sqlstate is None:
        # psycopg: no code at all when the connection could not be made or was lost.
        return UNAVAILABLE if _is_connection_error(driver) else None
    if sqlstate == _PG_FULL:
        return STORAGE
    if sqlstate.startswith("08") or sqlstate in _PG_UNAVAILABLE:
        return UNAVAILABLE
    return None


def _is_connection_error(driver: BaseException) -> bool:
    import psycopg

    return isinstance(driver, (psycopg.OperationalError, psycopg.InterfaceError))
