"""login_throttle counts by subject: an address and an account, an address, an account

Revision ID: 0017_login_throttle_subjects
Revises: 0016_import_offset_bigint

The throttle counted failures per email only, in a row made by the first failure, which
parallel first attempts could not lock. It now keeps three counters per attempt (see
app.accounts.throttle), each a row keyed by `subject`, made before it is locked. The
counts are short-lived (a 15-minute window), so the old rows are dropped, not converted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.types

revision: str = "0017_login_throttle_subjects"
down_revision: str | None = "0016_import_offset_bigint"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _table(key: str, length: int) -> None:
    op.create_table(
        "login_throttle",
        sa.Column(key, sa.String(length), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(key),
    )


def upgrade() -> None:
    op.drop_table("login_throttle")
    _table("subject", 400)


def downgrade() -> None:
    op.drop_table("login_throttle")
    _table("email", 320)
