"""member names unique within a group, whatever their case

Revision ID: 0014_member_name_unique
Revises: 0013_user_token_version

A group admin tells members apart by name. Names already alike (case aside) in one group
are told apart first: every one after the earliest gets " (2)", " (3)", ... appended.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_member_name_unique"
down_revision: str | None = "0013_user_token_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, group_id, name FROM member ORDER BY group_id, created_at, id")
    ).all()
    taken: set[tuple[str, str]] = {(g, n.lower()) for _, g, n in rows}
    seen: set[tuple[str, str]] = set()
    for member_id, group_id, name in rows:
        key = (group_id, name.lower())
        if key not in seen:
            seen.add(key)
            continue
        number = 2
        while (group_id, f"{name[:190]} ({number})".lower()) in taken:
            number += 1
        renamed = f"{name[:190]} ({number})"
        taken.add((group_id, renamed.lower()))
        seen.add((group_id, renamed.lower()))
        connection.execute(
            sa.text("UPDATE member SET name = :name WHERE id = :id"),
            {"name": renamed, "id": member_id},
        )
    op.create_index(
        "uq_member_group_name", "member", ["group_id", sa.text("lower(name)")], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_member_group_name", table_name="member")
