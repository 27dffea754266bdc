"""import_job.retries: how often in a row the job's next chunk met a passing database error

Revision ID: imports_0006
Revises: profiles_0005

A chunk that fails on a passing database error (a deadlock, the server restarting, SQLite
busy past its timeout) is tried again after a pause; the job fails after the third retry.
The count lives on the job, not in a process's memory, so that it holds whichever
process takes the job next. Reset to 0 by every committed chunk.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "imports_0006"
down_revision: str | None = "profiles_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_job") as batch:
        batch.add_column(sa.Column("retries", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("import_job") as batch:
        batch.drop_column("retries")
