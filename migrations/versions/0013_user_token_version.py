"""app_user.token_version and kept_token_digest: a password change ends the other sessions

Revision ID: 0013_user_token_version
Revises: 0011_import_options

Every access token carries the user's token version at issue (`ver`); `PATCH /v1/me`
bumps it, so that the user's older tokens are refused, and keeps the token that made the
change working by its SHA-256 digest. Tokens issued before this migration carry no
version and count as version 0, the default: they keep working until a change.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_user_token_version"
down_revision: str | None = "0012_idempotency_lease"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("kept_token_digest", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("kept_token_digest")
        batch.drop_column("token_version")
