"""app.core.bulk on SQLite: multi-row statements in a few sizes only.

sqlite3 keeps up to 128 prepared statements per connection, and a multi-row INSERT of
400 rows is some 0.8 MB prepared: one statement text per row count filled that cache
over a large import (150 MB of the server's memory). Rows now go in statements of
`ROWS_PER_STATEMENT` rows and the rest in power-of-two sizes.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, event

from app.core import bulk
from app.core.bulk import ROWS_PER_STATEMENT, _statement_sizes


@pytest.mark.parametrize("count", [0, 1, 2, 255, 399, 400, 401, 799, 10_000, 10_399])
def test_rows_go_in_full_statements_then_the_rest_by_powers_of_two(count):
    sizes = _statement_sizes(count)
    assert sum(sizes) == count
    assert sizes[: count // ROWS_PER_STATEMENT] == [ROWS_PER_STATEMENT] * (
        count // ROWS_PER_STATEMENT
    )
    rest = sizes[count // ROWS_PER_STATEMENT :]
    assert all(size & (size - 1) == 0 for size in rest)  # powers of two
    assert rest == sorted(set(rest), reverse=True)  # each at most once


def test_inserts_of_any_row_count_use_a_bounded_set_of_statements():
    engine = create_engine("sqlite://")
    table = Table(
        "item", MetaData(), Column("id", Integer, primary_key=True), Column("name", String)
    )
    table.metadata.create_all(engine)
    texts: set[str] = set()
    event.listen(
        engine, "before_cursor_execute", lambda _c, _cur, sql, *_: texts.add(sql), retval=False
    )
    next_id = 0
    with engine.begin() as connection:
        for count in range(1, 900, 7):  # 129 different row counts
            rows = [(next_id + n, f"n{next_id + n}") for n in range(count)]
            next_id += count
            returned = bulk.insert_rows(
                connection,
                table,
                ("id", "name"),
                rows,
                conflict="ON CONFLICT (id) DO NOTHING",
                returning="id",
            )
            assert sorted(r[0] for r in returned) == [r[0] for r in rows]
        stored = connection.exec_driver_sql("SELECT count(*) FROM item").scalar_one()
    assert stored == next_id
    inserts = {t for t in texts if t.startswith("INSERT")}
    assert len(inserts) <= 10  # 400 rows, then 256, 128, ..., 1
