"""Composite (x_id, group_id) foreign keys: every table that names a client or a member
keeps it in the row's own group, in the database (not only in the code)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.core.db import get_engine
from tests.profiles.helpers import new_client

PARENTS = ("client", "member")


def test_every_reference_to_a_client_or_member_carries_the_group(database_url):
    """Reads the migrated database: a new table with a member_id or client_id fails
    here until its key is composite (app.tenancy.models.group_key + a migration)."""
    inspector = sa.inspect(get_engine())
    checked = 0
    for table in inspector.get_table_names():
        columns = {c["name"] for c in inspector.get_columns(table)}
        keys = inspector.get_foreign_keys(table)
        for parent in PARENTS:
            if table == parent or f"{parent}_id" not in columns:
                continue
            checked += 1
            composite = [
                k
                for k in keys
                if k["referred_table"] == parent
                and k["constrained_columns"] == [f"{parent}_id", "group_id"]
                and k["referred_columns"] == ["id", "group_id"]
            ]
            single = [
                k
                for k in keys
                if k["referred_table"] == parent and k["constrained_columns"] == [f"{parent}_id"]
            ]
            assert composite, f"{table}.{parent}_id has no ({parent}_id, group_id) key"
            assert not single, f"{table}.{parent}_id still has a single-column key"
    assert checked >= 19  # experience and the eleven tables of 0008


def test_a_row_cannot_name_another_groups_client_or_member(api, world):
    a, b = world.a, world.b
    a_client = new_client(api, a.members[0].analyst)
    b_client = new_client(api, b.members[0].analyst)
    insert = sa.text(
        "INSERT INTO watchlist_entry (group_id, member_id, client_id, created_at) "
        "VALUES (:g, :m, :c, :at)"
    )
    at = datetime.now(UTC)
    for member_id, client_id in (
        (b.members[0].id, a_client),  # B's row naming A's client
        (a.members[0].id, b_client),  # B's row naming A's member
    ):
        with pytest.raises(IntegrityError), get_engine().begin() as conn:
            conn.execute(insert, {"g": b.id, "m": member_id, "c": client_id, "at": at})
    # The same row within one group is accepted (the statement itself is right).
    with get_engine().begin() as conn:
        conn.execute(insert, {"g": b.id, "m": b.members[0].id, "c": b_client, "at": at})


def _fill(conn, table: str, **values) -> None:
    """Insert one row, with a plain value for every required column not given."""
    for column in sa.inspect(conn).get_columns(table):
        name = column["name"]
        if name in values or column["nullable"] or column.get("default") is not None:
            continue
        kind = column["type"]
        if isinstance(kind, sa.Boolean):
            values[name] = False
        elif isinstance(kind, sa.Integer | sa.Numeric):
            values[name] = 0
        elif isinstance(kind, sa.DateTime):
            values[name] = datetime.now(UTC)
        elif isinstance(kind, sa.Date):
            values[name] = datetime.now(UTC).date()
        elif isinstance(kind, sa.JSON):
            values[name] = "{}"
        else:
            values[name] = uuid.uuid4().hex[:8]
    names = ", ".join(values)
    marks = ", ".join(f":{n}" for n in values)
    conn.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), values)  # noqa: S608


def test_the_migration_keeps_rows_that_other_rows_refer_to(tmp_path):
    """On a scratch SQLite database with data: 0008 rebuilds fraud_report and webhook,
    which fraud_decision and webhook_delivery refer to, and every row survives."""
    from alembic import command

    from app.core.db import alembic_config

    url = f"sqlite:///{tmp_path / 'm.db'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0007_audit_append_only")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        _fill(conn, "trade_group", id="g1", name="G")
        _fill(conn, "member", id="m1", group_id="g1")
        _fill(conn, "client", id="c1", group_id="g1")
        _fill(conn, "fraud_report", id="f1", group_id="g1", member_id="m1", client_id="c1")
        _fill(conn, "fraud_decision", id="d1", group_id="g1", report_id="f1")
        _fill(conn, "webhook", id="w1", group_id="g1", member_id="m1")
        _fill(conn, "webhook_delivery", id="wd1", group_id="g1", webhook_id="w1")
        _fill(conn, "app_user", id="u1", group_id="g1", member_id="m1", email="u@example.com")
        _fill(conn, "app_user", id="u0", email="admin@example.com")  # no group, no member
    command.upgrade(cfg, "0008_group_foreign_keys")
    with engine.connect() as conn:
        for table in ("fraud_report", "fraud_decision", "webhook", "webhook_delivery"):
            assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == 1  # noqa: S608
        assert conn.execute(sa.text("SELECT count(*) FROM app_user")).scalar() == 2
        assert conn.execute(sa.text("PRAGMA foreign_key_check")).fetchall() == []
    command.downgrade(cfg, "0007_audit_append_only")
    command.upgrade(cfg, "0008_group_foreign_keys")
    engine.dispose()
