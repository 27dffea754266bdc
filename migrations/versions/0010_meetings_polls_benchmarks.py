"""meeting, meeting_nomination, meeting_agenda_item, poll, poll_response, benchmark_entry

Revision ID: 0010_meetings_polls_benchmarks
Revises: 0009_row_level_security

Group meetings with their members' nominations and the discussion list frozen at the
close; "poll my group" and its coded answers; members' quarterly DSO and bad-debt
figures. Every table refers to its member, client, meeting or poll together with its
group (composite keys, as `experience` does), so a row cannot point into another group;
on PostgreSQL each table gets the group policy of row-level security (migrations/rls.py).
The group setting `antitrust_notice` lives in `trade_group.settings` (JSON): no column.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.types
from migrations.rls import protect, unprotect

revision: str = "0010_meetings_polls_benchmarks"
down_revision: str | None = "0009_row_level_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "meeting",
    "meeting_nomination",
    "meeting_agenda_item",
    "poll",
    "poll_response",
    "benchmark_entry",
)


def upgrade() -> None:
    op.create_table(
        "meeting",
        sa.Column("group_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("antitrust_notice", sa.Text(), nullable=False),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["trade_group.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_group_held", ["group_id", "held_on", "id"], unique=False)
        batch_op.create_index("uq_meeting_id_group", ["id", "group_id"], unique=True)

    op.create_table(
        "benchmark_entry",
        sa.Column("group_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("member_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("dso", app.core.types.Money(), nullable=False),
        sa.Column("bad_debt_pct", app.core.types.Money(), nullable=True),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id", "group_id"],
            ["member.id", "member.group_id"],
            name="fk_benchmark_member_group",
        ),
        sa.PrimaryKeyConstraint("group_id", "period", "member_id"),
    )
    op.create_table(
        "meeting_agenda_item",
        sa.Column("group_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("meeting_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("item", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id", "group_id"],
            ["client.id", "client.group_id"],
            name="fk_agenda_item_client_group",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id", "group_id"],
            ["meeting.id", "meeting.group_id"],
            name="fk_agenda_item_meeting_group",
        ),
        sa.PrimaryKeyConstraint("group_id", "meeting_id", "position"),
    )
    op.create_table(
        "meeting_nomination",
        sa.Column("group_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("meeting_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("member_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id", "group_id"],
            ["client.id", "client.group_id"],
            name="fk_nomination_client_group",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id", "group_id"],
            ["meeting.id", "meeting.group_id"],
            name="fk_nomination_meeting_group",
        ),
        sa.ForeignKeyConstraint(
            ["member_id", "group_id"],
            ["member.id", "member.group_id"],
            name="fk_nomination_member_group",
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("meeting_nomination", schema=None) as batch_op:
        batch_op.create_index(
            "uq_nomination_member_client",
            ["group_id", "meeting_id", "member_id", "client_id"],
            unique=True,
        )

    op.create_table(
        "poll",
        sa.Column("group_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("member_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("closes_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_alert_at", app.core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id", "group_id"], ["client.id", "client.group_id"], name="fk_poll_client_group"
        ),
        sa.ForeignKeyConstraint(
            ["member_id", "group_id"], ["member.id", "member.group_id"], name="fk_poll_member_group"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.create_index("ix_poll_group_client", ["group_id", "client_id"], unique=False)
        batch_op.create_index(
            "ix_poll_group_created", ["group_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("uq_poll_id_group", ["id", "group_id"], unique=True)

    op.create_table(
        "poll_response",
        sa.Column("group_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("poll_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("member_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("experience", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("high_credit", app.core.types.Money(), nullable=True),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.Column("created_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id", "group_id"],
            ["member.id", "member.group_id"],
            name="fk_response_member_group",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id", "group_id"], ["poll.id", "poll.group_id"], name="fk_response_poll_group"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("poll_response", schema=None) as batch_op:
        batch_op.create_index(
            "uq_poll_response_member", ["group_id", "poll_id", "member_id"], unique=True
        )

    for table in TABLES:
        protect(table)


def downgrade() -> None:
    for table in TABLES:
        unprotect(table)
    with op.batch_alter_table("poll_response", schema=None) as batch_op:
        batch_op.drop_index("uq_poll_response_member")

    op.drop_table("poll_response")
    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_index("uq_poll_id_group")
        batch_op.drop_index("ix_poll_group_created")
        batch_op.drop_index("ix_poll_group_client")

    op.drop_table("poll")
    with op.batch_alter_table("meeting_nomination", schema=None) as batch_op:
        batch_op.drop_index("uq_nomination_member_client")

    op.drop_table("meeting_nomination")
    op.drop_table("meeting_agenda_item")
    op.drop_table("benchmark_entry")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index("uq_meeting_id_group")
        batch_op.drop_index("ix_meeting_group_held")

    op.drop_table("meeting")
