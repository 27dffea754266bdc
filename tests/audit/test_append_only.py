"""The audit trail is append-only in the database (a trigger, on SQLite and PostgreSQL),
and every resource is spelled one way, `kind/id`, which the filter finds."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from app.audit.resources import as_filter, resource
from app.audit.service import record
from app.core.db import get_engine
from tests.world import add_key


def _key_event(api, module_world) -> tuple[str, str]:
    member = module_world.a.members[0]
    key = add_key(api, member.admin.headers, ["clients:read"])
    with get_engine().connect() as conn:
        event_id = conn.execute(
            sa.text("SELECT id FROM audit_event WHERE resource = :r AND group_id = :g"),
            {"r": f"api_key/{key.id}", "g": module_world.a.id},
        ).scalar_one()
    return event_id, key.id


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET actor = 'someone else' WHERE id = :id",
        "UPDATE audit_event SET resource = NULL WHERE id = :id",
        "DELETE FROM audit_event WHERE id = :id",
    ],
)
def test_raw_sql_cannot_change_or_remove_an_event(api, module_world, statement):
    event_id, key_id = _key_event(api, module_world)
    with pytest.raises(DBAPIError, match="append-only"), get_engine().begin() as conn:
        conn.execute(sa.text(statement), {"id": event_id})
    with get_engine().connect() as conn:
        row = conn.execute(
            sa.text("SELECT actor, resource FROM audit_event WHERE id = :id"), {"id": event_id}
        ).one()
    assert row.resource == f"api_key/{key_id}"
    assert row.actor == f"user:{module_world.a.members[0].admin.email}"


def test_truncate_is_refused_on_postgres(api, module_world):
    if get_engine().dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (DELETE without WHERE is refused above)")
    _key_event(api, module_world)
    with pytest.raises(DBAPIError, match="append-only"), get_engine().begin() as conn:
        conn.execute(sa.text("TRUNCATE audit_event"))


def test_new_events_are_still_written(api, module_world):
    _, key_id = _key_event(api, module_world)
    events = api.get(
        "/v1/audit-events",
        headers=module_world.a.admin.headers,
        params={"resource": resource("api_key", key_id)},
    ).json()["items"]
    assert [e["action"] for e in events] == ["api_key.created"]


def test_the_filter_reads_the_retired_colon_spelling(api, module_world):
    _, key_id = _key_event(api, module_world)
    by_old = api.get(
        "/v1/audit-events",
        headers=module_world.a.admin.headers,
        params={"resource": f"api_key:{key_id}"},
    ).json()["items"]
    assert [e["resource"] for e in by_old] == [f"api_key/{key_id}"]


def test_one_spelling():
    assert resource("legal_action", "x1") == "legal_action/x1"
    assert resource("import", "j1") == "import/j1"
    assert as_filter("legal_action:x1") == "legal_action/x1"
    assert as_filter("user/u1") == "user/u1"
    assert as_filter("nonsense:z") == "nonsense:z"
    with pytest.raises(ValueError):
        resource("legal-action", "x1")  # type: ignore[arg-type]


def test_record_refuses_a_resource_not_spelled_by_the_helper():
    class Nowhere:
        def add(self, _):
            raise AssertionError("nothing is added")

    with pytest.raises(ValueError, match="audit.resource"):
        record(Nowhere(), "cli", "x.y", "legal_action:abc")  # type: ignore[arg-type]


def test_the_migration_rewrites_old_spellings_before_the_trigger(tmp_path):
    """On a scratch SQLite database: rows written with the old spellings before 0007
    read `kind/id` after it, and the trigger is in place."""
    from alembic import command

    from app.core.db import alembic_config

    url = f"sqlite:///{tmp_path / 'm.db'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "imports_0006")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for n, res in enumerate(["legal_action:L1", "import:J1", "user/U1", None]):
            conn.execute(
                sa.text(
                    "INSERT INTO audit_event (id, group_id, at, actor, action, resource, detail) "
                    "VALUES (:id, NULL, CURRENT_TIMESTAMP, 'cli', 'x', :r, '{}')"
                ),
                {"id": f"e{n}", "r": res},
            )
    command.upgrade(cfg, "0007_audit_append_only")
    with engine.connect() as conn:
        got = conn.execute(sa.text("SELECT resource FROM audit_event ORDER BY id")).scalars()
        assert list(got) == ["legal_action/L1", "import/J1", "user/U1", None]
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_event"))
    engine.dispose()
