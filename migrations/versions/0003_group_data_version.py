"""trade_group.data_version: bumped by every commit that changes what profiles show

Revision ID: profiles_0003
Revises: fraud_0002

Each process caches computed profiles under the group's data version (see
app/profiles/cache.py); a commit that changes a line, a legal action, a fraud report or
the group's settings bumps it, so no process serves a profile older than the data.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "profiles_0003"
down_revision: str | None = "fraud_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("trade_group") as batch:
        batch.add_column(
            sa.Column("data_version", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("trade_group") as batch:
        batch.drop_column("data_version")
