"""The SQL behind a profile: every figure is summed by the database from an index range.

Every statement is plain SQL, built once, and names the caller's group itself: textual
SQL does not pass through the session's tenant scope, and on the hot path SQLAlchemy's
per-call statement building and cache keys cost more than the queries. Each one reads
an index range (ix_experience_client_asof, ix_legal_client, ix_fraud_client,
ix_inquiry_client_at) or a primary key. Money is summed as whole cents (`Money` stores
BIGINT cents), so the sums are exact integers.
"""

from __future__ import annotations

import re
import threading
from collections import namedtuple
from dataclasses import dataclass
from datetime import UTC, date, datetime
from fractions import Fraction
from functools import lru_cache

import psycopg
from psycopg.rows import namedtuple_row, tuple_row
from sqlalchemy import JSON, Date, bindparam, text
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import Session

from app.core.types import Money, UTCDateTime, from_cents
from app.profiles.formulas import BUCKET_MIDPOINTS

# One round trip for what every read needs: the group's settings and data version (read
# afresh, so that a change applies to the next read), when the caller's member last
# submitted a line (reciprocity: `member.last_shared_at`, set by every line write), the
# client, and the members whose reads of it are recorded in the inquiry window (a
# comma-separated list: member ids are UUIDs).
_READER_SQL = """
SELECT g.currency, g.settings, g.data_version,
       m.last_shared_at AS last_shared,
       ({inquirers}) AS inquirers,
       c.id, c.legal_name, c.country, c.tax_id, c.duns, c.lei, c.line1, c.city, c.region,
       c.postal_code, c.created_at
FROM trade_group g
LEFT JOIN member m ON m.id = :member_id AND m.group_id = g.id
LEFT JOIN client c ON c.group_id = g.id AND c.id = :client_id
WHERE g.id = :group_id
"""
_INQUIRERS = {
    "sqlite": """SELECT group_concat(member_id) FROM (
        SELECT DISTINCT member_id FROM inquiry
        WHERE group_id = :group_id AND client_id = :client_id
          AND at > :inquiries_after AND at <= :inquiries_until)""",
    "postgresql": """SELECT string_agg(DISTINCT member_id, ',') FROM inquiry
        WHERE group_id = :group_id AND client_id = :client_id
          AND at > :inquiries_after AND at <= :inquiries_until""",
}
_READER = {
    dialect: text(_READER_SQL.format(inquirers=inquirers))  # noqa: S608 - fixed SQL only
    .bindparams(
        bindparam("inquiries_after", type_=UTCDateTime),
        bindparam("inquiries_until", type_=UTCDateTime),
    )
    .columns(settings=JSON, last_shared=UTCDateTime, created_at=UTCDateTime)
    for dialect, inquirers in _INQUIRERS.items()
}


def reader_and_client(
    session: Source,
    group_id: str,
    member_id: str | None,
    client_id: str,
    inquiries_after: datetime,
    inquiries_until: datetime,
):
    """(currency, settings, data_version, last_shared, inquirers, client columns...) or
    None for no such group; the client columns are None when the group has no such
    client; inquirers is a comma-separated list of member ids, or None."""
    params = _reader_params(group_id, member_id, client_id, inquiries_after, inquiries_until)
    rows = _rows(session, _READER[_dialect_name(session)], params)
    return rows[0] if rows else None


def _reader_params(group_id, member_id, client_id, inquiries_after, inquiries_until) -> dict:
    return {
        "group_id": group_id,
        "member_id": member_id,
        "client_id": client_id,
        "inquiries_after": inquiries_after,
        "inquiries_until": inquiries_until,
    }


# The two statements every profile runs are plain SQL built once: they are the hot path,
# and SQLAlchemy's per-call statement construction and cache keys cost more than the
# queries themselves. Both read an index range of ix_experience_client_asof.
_LINE_COLUMNS = {
    "as_of": Date,
    "high_credit": Money,
    "total_owed": Money,
    "current": Money,
    "past_due_1_30": Money,
    "past_due_31_60": Money,
    "past_due_61_90": Money,
    "past_due_over_90": Money,
    "comments": JSON,
}
_LATEST_LINES = (
    text(
        """
SELECT member_id, as_of, terms_days, high_credit, total_owed, "current", past_due_1_30,
       past_due_31_60, past_due_61_90, past_due_over_90, days_beyond_terms, comments
FROM (
    SELECT member_id, as_of, terms_days, high_credit, total_owed, "current", past_due_1_30,
           past_due_31_60, past_due_61_90, past_due_over_90, days_beyond_terms, comments,
           ROW_NUMBER() OVER (PARTITION BY member_id ORDER BY as_of DESC) AS rn
    FROM experience
    WHERE group_id = :group_id AND client_id = :client_id
      AND as_of > :after AND as_of <= :until
) ranked
WHERE rn = 1
"""
    )
    .bindparams(bindparam("after", type_=Date), bindparam("until", type_=Date))
    .columns(**_LINE_COLUMNS)
)


def latest_lines(session: Source, group_id: str, client_id: str, after: date, until: date):
    """For each member, its latest line for the client with after < as_of <= until."""
    params = {"group_id": group_id, "client_id": client_id, "after": after, "until": until}
    return _rows(session, _LATEST_LINES, params)


@dataclass(frozen=True)
class MonthSummary:
    """One trend month, as summed by the database over each member's latest line."""

    contributors: int
    total_owed_cents: int
    high_credit_cents: int
    largest_owed_cents: int
    second_owed_cents: int
    dbt_times_owed: int
    dbt_times_high: int

    @property
    def weighted_dbt(self) -> Fraction | None:
        # The same rule as formulas.weighted_dbt, on the sums.
        if self.total_owed_cents:
            return Fraction(self.dbt_times_owed, self.total_owed_cents)
        if self.high_credit_cents:
            return Fraction(self.dbt_times_high, self.high_credit_cents)
        return None


@lru_cache(maxsize=64)
def _month_summaries_sql(months: int):
    """The trend statement for `months` months (:m0 oldest ... the newest), built once."""
    b1, b2, b3, b4 = BUCKET_MIDPOINTS
    month_of = " ".join(f"WHEN as_of >= :m{i} THEN {i}" for i in range(months - 1, -1, -1))
    sql = f"""
WITH tagged AS (
    SELECT member_id, as_of, CASE {month_of} ELSE -1 END AS month,
           total_owed AS owed, high_credit AS high,
           CASE WHEN days_beyond_terms IS NOT NULL THEN days_beyond_terms * total_owed
                ELSE {b1} * past_due_1_30 + {b2} * past_due_31_60
                   + {b3} * past_due_61_90 + {b4} * past_due_over_90
           END AS dbt_owed,
           COALESCE(days_beyond_terms, 0) * high_credit AS dbt_high
    FROM experience
    WHERE group_id = :group_id AND client_id = :client_id AND as_of >= :m0 AND as_of <= :until
), per_member AS (
    SELECT month, owed, high, dbt_owed, dbt_high,
           ROW_NUMBER() OVER (PARTITION BY member_id, month ORDER BY as_of DESC) AS rn
    FROM tagged
), latest AS (
    SELECT month, owed, high, dbt_owed, dbt_high,
           ROW_NUMBER() OVER (PARTITION BY month ORDER BY owed DESC) AS rk
    FROM per_member
    WHERE rn = 1
)
SELECT month, COUNT(*), SUM(owed), SUM(high),
       MAX(CASE WHEN rk = 1 THEN owed ELSE 0 END), MAX(CASE WHEN rk = 2 THEN owed ELSE 0 END),
       SUM(dbt_owed), SUM(dbt_high)
FROM latest
GROUP BY month
"""  # noqa: S608 - only integers and fixed names are formatted in; values are bound
    return text(sql).bindparams(
        bindparam("until", type_=Date), *(bindparam(f"m{i}", type_=Date) for i in range(months))
    )


def month_summaries(
    session: Source, group_id: str, client_id: str, months: list[date], until: date
) -> dict[int, MonthSummary]:
    """Trend figures per month index (0 = the oldest of `months`), from each member's
    latest line with as_of in that month (and not after `until`). Months nobody
    reported in are absent. Money comes back as whole cents."""
    params = _month_params(group_id, client_id, months, until)
    return _month_summaries_of(_rows(session, _month_summaries_sql(len(months)), params))


def _month_params(group_id: str, client_id: str, months: list[date], until: date) -> dict:
    params = {"group_id": group_id, "client_id": client_id, "until": until}
    params.update({f"m{i}": first for i, first in enumerate(months)})
    return params


def _month_summaries_of(rows) -> dict[int, MonthSummary]:
    return {int(row[0]): MonthSummary(*(int(v or 0) for v in row[1:])) for row in rows}


_LEGAL_ACTIONS = (
    text(
        """
SELECT id, member_id, client_id, kind, status, amount, filed_on, jurisdiction, case_number,
       created_at, updated_at
FROM legal_action
WHERE group_id = :group_id AND client_id = :client_id AND filed_on <= :filed_by
ORDER BY filed_on DESC, created_at DESC
"""
    )
    .bindparams(bindparam("filed_by", type_=Date))
    .columns(amount=Money, filed_on=Date, created_at=UTCDateTime, updated_at=UTCDateTime)
)

_APPROVED_FRAUD = (
    text(
        """
SELECT id, category, incident_date, amount, approved_at
FROM fraud_report
WHERE group_id = :group_id AND client_id = :client_id AND status = 'approved'
  AND approved_at < :approved_before
ORDER BY approved_at DESC
"""
    )
    .bindparams(bindparam("approved_before", type_=UTCDateTime))
    .columns(amount=Money, incident_date=Date, approved_at=UTCDateTime)
)


def legal_actions(session: Source, group_id: str, client_id: str, filed_by: date):
    """The client's legal actions filed on or before `filed_by`, newest first."""
    params = {"group_id": group_id, "client_id": client_id, "filed_by": filed_by}
    return _rows(session, _LEGAL_ACTIONS, params)


def approved_fraud(session: Source, group_id: str, client_id: str, approved_before: datetime):
    """Approved (and not since retracted) fraud reports on the client, newest first."""
    params = {"group_id": group_id, "client_id": client_id, "approved_before": approved_before}
    return _rows(session, _APPROVED_FRAUD, params)


# On SQLite the statements run on the session's own sqlite3 connection (in its
# transaction), past SQLAlchemy's execution machinery: for these small reads its
# per-statement work (execution context, result metadata, row processing) cost more CPU
# than SQLite itself (measured: ~1 ms of a 2.5 ms profile not cached yet). The values
# are converted by the same type processors SQLAlchemy would apply, taken from each
# statement's declared parameter and column types, so both give the same rows.


class _OnSqlite:
    """A textual statement run straight on sqlite3, its values converted as declared."""

    def __init__(self, statement, dialect: Dialect):
        element = getattr(statement, "element", statement)  # TextualSelect or TextClause
        self.sql: str = element.text
        self.dialect = dialect
        binds = {
            name: param.type._cached_bind_processor(dialect)
            for name, param in element._bindparams.items()
        }
        self.binds = {name: f for name, f in binds.items() if f is not None}
        columns = getattr(statement, "selected_columns", ())
        self.types = {column.name: column.type for column in columns}
        self.shape = None  # (row class, [(position, processor)]), from the first result

    def rows(self, connection, params: dict) -> list:
        if self.binds:
            params = {**params, **{n: f(params[n]) for n, f in self.binds.items()}}
        cursor = connection.execute(self.sql, params)
        shape = self.shape or self._shape(cursor.description)
        row, processors = shape
        if not processors:
            return [row._make(values) for values in cursor.fetchall()]
        made = []
        for values in cursor.fetchall():
            values = list(values)
            for position, process in processors:
                values[position] = process(values[position])
            made.append(row._make(values))
        return made

    def _shape(self, description):
        names = [column[0] for column in description]
        processors = []
        for position, name in enumerate(names):
            type_ = self.types.get(name)
            process = type_._cached_result_processor(self.dialect, None) if type_ else None
            if process is not None:
                processors.append((position, process))
        self.shape = (namedtuple("Row", names, rename=True), processors)
        return self.shape


_on_sqlite: dict = {}  # statement -> its _OnSqlite
_on_sqlite_lock = threading.Lock()


class SqliteSnapshot:
    """A served profile read on SQLite: one pooled sqlite3 connection in one read
    transaction, without an ORM session around it.

    The profile's statements are all textual and name the group themselves, so they
    need nothing of the session (nor of its tenant scope); its machinery (transaction
    objects, the begin event, close and reset) was about a quarter of a cached read's
    CPU on the event loop. `BEGIN` (deferred: a read lock, never the write lock) makes
    the statements of one read see one snapshot, as they do in a session.
    """

    def __init__(self, engine: Engine):
        self.dialect = engine.dialect
        self._pooled = engine.raw_connection()
        self.driver_connection = self._pooled.driver_connection
        try:
            self.driver_connection.execute("BEGIN")
        except BaseException:
            self._pooled.close()
            raise

    def close(self) -> None:
        try:
            # SQLite may have ended the transaction itself (an I/O error, an interrupt):
            # a ROLLBACK then would fail and hide the error that ended it.
            if self.driver_connection.in_transaction:
                self.driver_connection.execute("ROLLBACK")
        finally:
            self._pooled.close()  # back to the pool

    def __enter__(self) -> SqliteSnapshot:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# Where a profile's statements run: a session (in process, any database), or a served
# read's SqliteSnapshot.
Source = Session | SqliteSnapshot


def _dialect_name(session: Source) -> str:
    if isinstance(session, SqliteSnapshot):
        return session.dialect.name
    return session.get_bind().dialect.name


def _rows(session: Source, statement, params: dict) -> list:
    """The rows of a textual statement (attributes by column name, values as declared)."""
    if isinstance(session, SqliteSnapshot):
        dialect, driver_connection = session.dialect, session.driver_connection
    elif session.get_bind().dialect.name != "sqlite":
        return session.execute(statement, params).all()
    else:
        connection = session.connection()
        dialect, driver_connection = connection.dialect, connection.connection.driver_connection
    runner = _on_sqlite.get(statement)
    if runner is None:
        with _on_sqlite_lock:
            runner = _on_sqlite.setdefault(statement, _OnSqlite(statement, dialect))
    return runner.rows(driver_connection, params)


# On PostgreSQL the profile's statements also run through psycopg's asyncio pool
# (`app.core.db.get_read_pool`), on the event loop: the same SQL in psycopg's parameter
# style, and the same values back (money as Decimal, times in UTC).


def _psycopg(sql: str) -> str:
    return re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql.replace("%", "%%"))


@dataclass(frozen=True)
class _Psycopg:
    """A textual statement for the asyncio pool: its SQL in psycopg's parameter style,
    and which result columns its declared types turn into Decimal (money) or UTC."""

    sql: str
    money: tuple[str, ...]
    times: tuple[str, ...]

    @classmethod
    def of(cls, statement) -> _Psycopg:
        columns = statement.selected_columns
        return cls(
            _psycopg(statement.element.text),
            tuple(c.name for c in columns if isinstance(c.type, Money)),
            tuple(c.name for c in columns if isinstance(c.type, UTCDateTime)),
        )


_READER_PSYCOPG = _Psycopg.of(_READER["postgresql"])
_LATEST_LINES_PSYCOPG = _Psycopg.of(_LATEST_LINES)
_LEGAL_ACTIONS_PSYCOPG = _Psycopg.of(_LEGAL_ACTIONS)
_APPROVED_FRAUD_PSYCOPG = _Psycopg.of(_APPROVED_FRAUD)


@lru_cache(maxsize=64)
def _month_summaries_psycopg(months: int) -> str:
    return _psycopg(_month_summaries_sql(months).text)


async def _fetch(pool, sql: str, params: dict, row_factory=namedtuple_row) -> list:
    """The rows of one statement through the asyncio pool."""
    try:
        return await _fetch_once(pool, sql, params, row_factory)
    except psycopg.OperationalError:
        # A connection the server dropped (a restart): the pool replaces it; once.
        return await _fetch_once(pool, sql, params, row_factory)


# The read pool's connections are the app role's (app.core.db); row-level security lets
# each statement see the group it names only once the connection is set to that group.
# Set for the connection (autocommit: there is no transaction to scope it to), by every
# statement before it runs, in the same round trip (a pipeline).
_SET_GROUP = "SELECT set_config('app.group_id', %s, false)"


async def _fetch_once(pool, sql: str, params: dict, row_factory) -> list:
    async with pool.connection() as conn, conn.pipeline():
        await conn.execute(_SET_GROUP, (params["group_id"],))
        cursor = conn.cursor(row_factory=row_factory)
        await cursor.execute(sql, params)
        return await cursor.fetchall()


async def _fetch_typed(pool, statement: _Psycopg, params: dict) -> list:
    """Rows (named tuples) with the values the session's column types give."""
    rows = await _fetch(pool, statement.sql, params)
    if not (statement.money or statement.times):
        return rows
    converted = []
    for row in rows:
        values = {name: from_cents(getattr(row, name)) for name in statement.money}
        for name in statement.times:
            value = getattr(row, name)
            values[name] = value.astimezone(UTC) if value is not None else None
        converted.append(row._replace(**values))
    return converted


async def reader_and_client_async(
    pool,
    group_id: str,
    member_id: str | None,
    client_id: str,
    inquiries_after: datetime,
    inquiries_until: datetime,
):
    """`reader_and_client` on PostgreSQL through the asyncio read pool."""
    params = _reader_params(group_id, member_id, client_id, inquiries_after, inquiries_until)
    rows = await _fetch_typed(pool, _READER_PSYCOPG, params)
    return rows[0] if rows else None


async def latest_lines_async(pool, group_id: str, client_id: str, after: date, until: date):
    params = {"group_id": group_id, "client_id": client_id, "after": after, "until": until}
    return await _fetch_typed(pool, _LATEST_LINES_PSYCOPG, params)


async def month_summaries_async(
    pool, group_id: str, client_id: str, months: list[date], until: date
) -> dict[int, MonthSummary]:
    params = _month_params(group_id, client_id, months, until)
    sql = _month_summaries_psycopg(len(months))
    return _month_summaries_of(await _fetch(pool, sql, params, row_factory=tuple_row))


async def legal_actions_async(pool, group_id: str, client_id: str, filed_by: date):
    params = {"group_id": group_id, "client_id": client_id, "filed_by": filed_by}
    return await _fetch_typed(pool, _LEGAL_ACTIONS_PSYCOPG, params)


async def approved_fraud_async(pool, group_id: str, client_id: str, approved_before: datetime):
    params = {"group_id": group_id, "client_id": client_id, "approved_before": approved_before}
    return await _fetch_typed(pool, _APPROVED_FRAUD_PSYCOPG, params)
