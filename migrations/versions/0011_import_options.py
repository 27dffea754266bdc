"""import_job.options and import_mapping: how to read an upload (column names, date order)

Revision ID: 0011_import_options
Revises: 0010_meetings_polls_benchmarks

An upload may name its columns differently from the API and write dates as MM/DD/YYYY
or DD.MM.YYYY; the job keeps how to read its file (the worker reads it later, maybe in
another process), and a member may save its mapping once for all its uploads.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.rls import protect, unprotect

revision: str = "0011_import_options"
down_revision: str | None = "0010_meetings_polls_benchmarks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_job") as batch:
        batch.add_column(sa.Column("options", sa.JSON(), nullable=True))
    op.create_table(
        "import_mapping",
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("date_format", sa.String(length=16), nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["trade_group.id"]),
        # The member in the row's own group (app.tenancy.models.group_key).
        sa.ForeignKeyConstraint(
            ["member_id", "group_id"],
            ["member.id", "member.group_id"],
            name="fk_import_mapping_member_group",
        ),
        sa.PrimaryKeyConstraint("member_id"),
    )
    protect("import_mapping")  # row-level security on PostgreSQL, as every group table


def downgrade() -> None:
    unprotect("import_mapping")
    op.drop_table("import_mapping")
    with op.batch_alter_table("import_job") as batch:
        batch.drop_column("options")
