"""A lint: every raw SQL string in app/ that reads or writes a group table names
`group_id`. Raw SQL bypasses the ORM gate (app/tenancy/session.py), so the group must be
in the statement itself; on PostgreSQL row-level security stands behind it, on SQLite
nothing does.

Raw SQL here is the literal (a string, or an f-string's literal parts) given to
`text()`, `exec_driver_sql()` or `execute()`, and any string literal that starts as a
statement does (SELECT, WITH, INSERT, UPDATE, DELETE: the SQL kept in constants and
handed to a driver later). Statements that deliberately touch a group table without its
group are listed in ALLOWED with the reason."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sqlmodel import SQLModel

import app.models  # noqa: F401 - every table

APP = Path(__file__).resolve().parents[2] / "app"
GROUP_TABLES = {t.name for t in SQLModel.metadata.tables.values() if "group_id" in t.c}
_TABLE_AFTER = re.compile(r"\b(?:from|join|into|update|table)\s+(\w+)", re.IGNORECASE)
_CALLS = {"text", "exec_driver_sql", "execute"}
_STATEMENT = re.compile(r"^\s*(?:WITH|SELECT|INSERT|UPDATE|DELETE)\s")

# (file relative to app/, table): why the statement needs no group_id.
ALLOWED: dict[tuple[str, str], str] = {}


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        if left is not None or right is not None:
            return (left or "") + " " + (right or "")
    return None


def _called(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def raw_sql(path: Path) -> list[tuple[int, str]]:
    """(line, SQL) of every literal handed to text(), exec_driver_sql() or execute(),
    and of every other literal that reads as a statement."""
    tree = ast.parse(path.read_text(), str(path))
    parts = {
        id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values
    }  # an f-string's pieces: read with their f-string, not alone
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) in _CALLS and node.args:
            sql = _literal(node.args[0])
            if sql is not None:
                found.add((node.lineno, sql))
        elif isinstance(node, ast.Constant | ast.JoinedStr) and id(node) not in parts:
            sql = _literal(node)
            if sql is not None and _STATEMENT.match(sql):
                found.add((node.lineno, sql))
    return sorted(found)


def violations(root: Path = APP) -> list[str]:
    wrong = []
    for path in sorted(root.rglob("*.py")):
        name = str(path.relative_to(root))
        for line, sql in raw_sql(path):
            tables = {t.lower() for t in _TABLE_AFTER.findall(sql)} & GROUP_TABLES
            for table in sorted(tables):
                if "group_id" not in sql and (name, table) not in ALLOWED:
                    wrong.append(f"app/{name}:{line}: {table} without group_id: {sql[:80]!r}")
    return wrong


def test_every_raw_statement_on_a_group_table_names_group_id():
    assert violations() == []


def test_the_lint_finds_a_statement_that_forgets_the_group(tmp_path):
    (tmp_path / "bad.py").write_text(
        "from sqlalchemy import text\n"
        "A = text('SELECT id FROM client WHERE duns = :d')\n"
        "def f(conn):\n"
        "    conn.exec_driver_sql(f'UPDATE member SET status = {1}')\n"
        "B = text('SELECT id FROM client WHERE group_id = :g AND duns = :d')\n"
        "C = text('SELECT id FROM trade_group')\n"
        "D = {'sqlite': 'SELECT count(*) FROM inquiry i JOIN client c ON c.id = i.client_id'}\n"
    )
    found = violations(tmp_path)
    assert len(found) == 4, found
    assert "bad.py:2: client" in found[0] and "bad.py:4: member" in found[1]
    assert "bad.py:7: client" in found[2] and "bad.py:7: inquiry" in found[3]
