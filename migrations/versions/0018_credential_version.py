"""credential_version: revocation applies at once in every process

Revision ID: 0018_credential_version
Revises: 0017_login_throttle_subjects

Each process remembers who an API key or access token belongs to for a few seconds
(app.auth.cache). A revocation, a disabled user, a role or password change or a
suspended member made through another process was therefore honoured here only after
`AUTH_CACHE_SECONDS`. The one row of `credential_version` is bumped in the transaction
of every such change; each request compares it with the version its remembered caller
was resolved at, and looks the caller up again when it moved.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_credential_version"
down_revision: str | None = "0017_login_throttle_subjects"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "credential_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])


def downgrade() -> None:
    op.drop_table("credential_version")
