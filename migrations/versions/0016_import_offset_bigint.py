"""import_job.resume_offset as BIGINT: imports over 2 GiB

Revision ID: 0016_import_offset_bigint
Revises: 0015_pg_trgm

The byte offset where a resumed import picks up was an INTEGER (int4 on PostgreSQL):
the progress update of the first chunk past 2^31 bytes failed ("integer out of range")
and the rest of the file was never stored. SQLite's INTEGER is 64-bit already; the
batch operation rebuilds the table there only to keep the declared type in step.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_import_offset_bigint"
down_revision: str | None = "0015_pg_trgm"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_job") as batch:
        batch.alter_column(
            "resume_offset",
            type_=sa.BigInteger(),
            existing_type=sa.Integer(),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("import_job") as batch:
        batch.alter_column(
            "resume_offset",
            type_=sa.Integer(),
            existing_type=sa.BigInteger(),
            existing_nullable=False,
        )
