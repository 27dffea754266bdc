"""audit_event: one resource spelling (`kind/id`), and a trigger that refuses UPDATE and DELETE

Revision ID: 0007_audit_append_only
Revises: imports_0006

The audit trail is append-only in the database itself, not only by the code's habit:
a trigger refuses every UPDATE and DELETE of `audit_event` (and TRUNCATE on
PostgreSQL), whoever the connection belongs to. Resources spelled `legal_action:<id>`
and `import:<id>` are rewritten as `legal_action/<id>` and `import/<id>` first, since
the trigger forbids it afterwards (app/audit/resources.py spells every resource).

SQLite keeps triggers with their table; a later batch migration that rebuilds
`audit_event` must create them again (`create_triggers`, below).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_audit_append_only"
down_revision: str | None = "imports_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RENAMED = ("legal_action", "import")
MESSAGE = "audit_event is append-only"


def upgrade() -> None:
    for kind in _RENAMED:
        op.get_bind().execute(
            sa.text(
                "UPDATE audit_event SET resource = :new || substr(resource, :cut) "
                "WHERE resource LIKE :old"
            ),
            {"new": f"{kind}/", "cut": len(kind) + 2, "old": f"{kind}:%"},
        )
    create_triggers()


def create_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for what in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{what.lower()} BEFORE {what} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {what} refused'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP "
        "USING ERRCODE = 'insufficient_privilege'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("DROP TRIGGER audit_event_no_delete")
    else:
        op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION audit_event_append_only()")
    # The old spellings are not restored: the new one reads the same.
