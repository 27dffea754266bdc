"""row-level security on PostgreSQL: the role creditpool_app, its grants, and a group
policy on every table with a group_id

Revision ID: 0009_row_level_security
Revises: 0008_group_foreign_keys

The served process runs its group work as `creditpool_app` (SET ROLE on the owner's
connections, app/tenancy/session.py), with `app.group_id` set per transaction; the
database then returns and accepts only that group's rows, whatever a statement forgets.
See migrations/rls.py for the policies and docs/SCALING.md for the two roles. Nothing
happens on SQLite.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.rls import create_app_role, grant_app_role, protect, revoke_app_role, unprotect

revision: str = "0009_row_level_security"
down_revision: str | None = "0008_group_foreign_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _group_tables() -> list[str]:
    inspector = sa.inspect(op.get_bind())
    return sorted(
        table
        for table in inspector.get_table_names()
        if any(c["name"] == "group_id" for c in inspector.get_columns(table))
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    create_app_role()
    grant_app_role()
    for table in _group_tables():
        protect(table)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _group_tables():
        unprotect(table)
    revoke_app_role()
