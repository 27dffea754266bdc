"""experience: composite (client, group) and (member, group) foreign keys; member.last_shared_at

Revision ID: imports_0004
Revises: profiles_0003

Fewer checks per written line, and the tenancy rule in the database:

- `experience`'s three single foreign keys (client, member, trade_group) become two
  composite ones, (client_id, group_id) -> client(id, group_id) and (member_id,
  group_id) -> member(id, group_id): a line's client and member belong to the line's
  group, and the group itself is implied by the member's own key. Their targets are
  unique indexes on client(id, group_id) and member(id, group_id).
- `ix_experience_member_updated` (one more index entry per line) is dropped: its only
  reader, reciprocity, reads `member.last_shared_at`, set by every line write and filled
  here from each member's newest line.

SQLite cannot alter a foreign key: `experience` is rebuilt (nothing refers to it). Its
old keys have no names there, hence the naming convention of the batch.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "imports_0004"
down_revision: str | None = "profiles_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The names SQLite's reflection gives the unnamed keys of 0000_initial_schema (revision 0001).
_SQLITE_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
# PostgreSQL's own names for them.
_SINGLE_KEYS = {
    "client_id": ("client", "experience_client_id_fkey"),
    "member_id": ("member", "experience_member_id_fkey"),
    "group_id": ("trade_group", "experience_group_id_fkey"),
}


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    with op.batch_alter_table("member") as batch:
        batch.add_column(sa.Column("last_shared_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE member SET last_shared_at = "
        "(SELECT MAX(e.updated_at) FROM experience e WHERE e.member_id = member.id)"
    )
    op.create_index("uq_member_id_group", "member", ["id", "group_id"], unique=True)
    op.create_index("uq_client_id_group", "client", ["id", "group_id"], unique=True)
    op.drop_index("ix_experience_member_updated", table_name="experience")
    if _sqlite():
        with op.batch_alter_table(
            "experience", recreate="always", naming_convention=_SQLITE_NAMES
        ) as batch:
            for column, (parent, _) in _SINGLE_KEYS.items():
                batch.drop_constraint(f"fk_experience_{column}_{parent}", type_="foreignkey")
            _create_group_keys(batch)
        return
    for _, name in _SINGLE_KEYS.values():
        op.drop_constraint(name, "experience", type_="foreignkey")
    with op.batch_alter_table("experience") as batch:
        _create_group_keys(batch)


def _create_group_keys(batch) -> None:
    batch.create_foreign_key(
        "fk_experience_client_group", "client", ["client_id", "group_id"], ["id", "group_id"]
    )
    batch.create_foreign_key(
        "fk_experience_member_group", "member", ["member_id", "group_id"], ["id", "group_id"]
    )


def downgrade() -> None:
    if _sqlite():
        with op.batch_alter_table("experience", recreate="always") as batch:
            batch.drop_constraint("fk_experience_client_group", type_="foreignkey")
            batch.drop_constraint("fk_experience_member_group", type_="foreignkey")
            for column, (parent, _) in _SINGLE_KEYS.items():
                # Named as the upgrade finds them (a rebuild needs names).
                batch.create_foreign_key(
                    f"fk_experience_{column}_{parent}", parent, [column], ["id"]
                )
    else:
        op.drop_constraint("fk_experience_client_group", "experience", type_="foreignkey")
        op.drop_constraint("fk_experience_member_group", "experience", type_="foreignkey")
        for column, (parent, name) in _SINGLE_KEYS.items():
            op.create_foreign_key(name, "experience", parent, [column], ["id"])
    op.create_index(
        "ix_experience_member_updated",
        "experience",
        ["group_id", "member_id", "updated_at"],
        unique=False,
    )
    op.drop_index("uq_client_id_group", table_name="client")
    op.drop_index("uq_member_id_group", table_name="member")
    if _sqlite():
        # Native since SQLite 3.35; a rebuild of `member` would fail on its referenced rows.
        op.execute("ALTER TABLE member DROP COLUMN last_shared_at")
    else:
        op.drop_column("member", "last_shared_at")
