"""The mixins that mark a table as group data (and member data)."""

from sqlmodel import Field, SQLModel


class GroupScoped(SQLModel):
    """A row that belongs to one group; readable only through a session of that group."""

    group_id: str = Field(foreign_key="trade_group.id", index=False, max_length=36)
