"""composite (client_id, group_id) and (member_id, group_id) foreign keys on every table
that names a client or a member

Revision ID: 0008_group_foreign_keys
Revises: 0007_audit_append_only

`experience` got them in imports_0004; the other tables still had single keys
(client_id -> client.id), which let a row of one group name another group's client or
member. Each such key becomes (x_id, group_id) -> x(id, group_id) (targets: the unique
indexes uq_client_id_group and uq_member_id_group), so the database itself keeps a row's
client and member in the row's group. Rows that break it stop the migration.

SQLite cannot alter a foreign key: the tables are rebuilt (batch mode) with foreign key
enforcement off for the migration (migrations/env.py), and `PRAGMA foreign_key_check`
at its end refuses any broken reference.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_group_foreign_keys"
down_revision: str | None = "0007_audit_append_only"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> the parents it names (client, member)
TABLES: dict[str, tuple[str, ...]] = {
    "alert": ("client", "member"),
    "api_key": ("member",),
    "app_user": ("member",),
    "customer_ref": ("client", "member"),
    "fraud_report": ("client", "member"),
    "import_job": ("member",),
    "inquiry": ("client", "member"),
    "legal_action": ("client", "member"),
    "profile_deterioration": ("client",),
    "watchlist_entry": ("client", "member"),
    "webhook": ("member",),
}

# The names SQLite's reflection gives the unnamed keys of the earlier migrations.
_SQLITE_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _single_key_name(table: str, parent: str) -> str:
    """The name of `table`'s key (parent_id) -> parent(id), as the database has it."""
    if _sqlite():
        return f"fk_{table}_{parent}_id_{parent}"
    for fk in sa.inspect(op.get_bind()).get_foreign_keys(table):
        if fk["referred_table"] == parent and fk["constrained_columns"] == [f"{parent}_id"]:
            return fk["name"]
    raise RuntimeError(f"{table} has no foreign key {parent}_id -> {parent}(id)")


def upgrade() -> None:
    for table, parents in TABLES.items():
        names = {parent: _single_key_name(table, parent) for parent in parents}
        with op.batch_alter_table(table, recreate="auto", naming_convention=_SQLITE_NAMES) as batch:
            for parent in parents:
                batch.drop_constraint(names[parent], type_="foreignkey")
                batch.create_foreign_key(
                    f"fk_{table}_{parent}_group",
                    parent,
                    [f"{parent}_id", "group_id"],
                    ["id", "group_id"],
                )


def downgrade() -> None:
    for table, parents in TABLES.items():
        with op.batch_alter_table(table, recreate="auto") as batch:
            for parent in parents:
                batch.drop_constraint(f"fk_{table}_{parent}_group", type_="foreignkey")
                # Named as the upgrade finds them on SQLite (a rebuild needs names).
                batch.create_foreign_key(
                    f"fk_{table}_{parent}_id_{parent}", parent, [f"{parent}_id"], ["id"]
                )
