"""The profile's textual statements declare their result columns in SELECT order (so
that SQLAlchemy keeps each result's description with the compiled statement): a name
declared out of order would hand one column's value to another (a client's region as
its city). Each declared list must be the statement's own SELECT list, name for name."""

from __future__ import annotations

import pytest
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import TextualSelect

from app.profiles import queries


def _select_list(sql: str) -> list[str]:
    """The names of the outermost SELECT's columns: each item's alias, else its column
    name (`c.city` -> `city`, `"current"` -> `current`)."""
    start = sql.upper().index("SELECT") + len("SELECT")
    depth, items, item = 0, [], ""
    i = start
    while i < len(sql):
        ch = sql[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if depth == 0 and sql[i : i + 6].upper() in ("\nFROM ", " FROM "):
            break
        if depth == 0 and ch == ",":
            items.append(item)
            item = ""
        else:
            item += ch
        i += 1
    items.append(item)
    names = []
    for text in items:
        words = text.split()
        name = words[-1]
        names.append(name.rsplit(".", 1)[-1].strip('"'))
    return names


def _named_statements() -> list[tuple[str, TextualSelect]]:
    return [
        (name, value)
        for name, value in vars(queries).items()
        if isinstance(value, TextualSelect) and isinstance(value.element, TextClause)
    ]


def test_there_are_statements_to_check():
    assert len(_named_statements()) >= 4


@pytest.mark.parametrize("name, statement", _named_statements())
def test_declared_columns_are_the_select_list_in_order(name, statement):
    declared = [c.key for c in statement.selected_columns]
    assert declared == _select_list(statement.element.text), name
