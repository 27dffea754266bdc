"""profile_deterioration: the client months already alerted as deteriorated

Revision ID: fraud_0002
Revises: clients_0002 (chained after the clients branch, merged into this one)
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types

revision: str = "fraud_0002"
down_revision: str | None = "clients_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "profile_deterioration",
        sa.Column("group_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.ForeignKeyConstraint(["group_id"], ["trade_group.id"]),
        sa.PrimaryKeyConstraint("group_id", "client_id", "month"),
    )


def downgrade() -> None:
    op.drop_table("profile_deterioration")
