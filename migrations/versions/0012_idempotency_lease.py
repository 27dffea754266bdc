"""idempotency_record.owner and lease_expires_at: a running request's lease on its key

Revision ID: 0012_idempotency_lease
Revises: 0011_import_options

A request that died while holding an Idempotency-Key left the record `in_progress` for
24 hours. The record now names the try that holds it and until when; a retry takes over
a lapsed lease (app.idempotency.service). Rows from before have neither: a retry may
take them over at once (their process is gone with the old code).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_idempotency_lease"
down_revision: str | None = "0011_import_options"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_record") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_record") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("owner")
