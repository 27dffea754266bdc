"""experience.customer_ref: the member's customer number a line was submitted under

Revision ID: clients_0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "clients_0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The member's own customer number travels back with its lines (GET /v1/experiences),
    # so an ERP can reconcile without keeping a map of our client ids.
    with op.batch_alter_table("experience", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_ref", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("experience", schema=None) as batch_op:
        batch_op.drop_column("customer_ref")
