"""The mixins that mark a table as group data (and member data)."""

from sqlalchemy import ForeignKeyConstraint
from sqlmodel import Field, SQLModel


class GroupScoped(SQLModel):
    """A row that belongs to one group; readable only through a session of that group."""

    group_id: str = Field(foreign_key="trade_group.id", index=False, max_length=36)


def group_key(table: str, parent: str) -> ForeignKeyConstraint:
    """`(<parent>_id, group_id) -> <parent>(id, group_id)`: the client or member a row
    names belongs to the row's own group, which the database then refuses to break
    (targets: the unique indexes uq_client_id_group and uq_member_id_group)."""
    return ForeignKeyConstraint(
        [f"{parent}_id", "group_id"],
        [f"{parent}.id", f"{parent}.group_id"],
        name=f"fk_{table}_{parent}_group",
    )
