"""pg_trgm on PostgreSQL, where the database user may install it: client name search
with small typos

Revision ID: 0015_pg_trgm
Revises: 0014_member_name_unique

Creating an extension needs the right to (a superuser, or a trusted extension on
PostgreSQL 13+ for a database owner). Without it the migration does nothing and the
search compares names in the server process instead (app/clients/search.py). Nothing on
SQLite. The downgrade leaves the extension: other things may use it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_pg_trgm"
down_revision: str | None = "0014_member_name_unique"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    savepoint = connection.begin_nested()
    try:
        connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:
        savepoint.rollback()
    else:
        savepoint.commit()


def downgrade() -> None:
    pass
