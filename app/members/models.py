"""Member companies of a group: the suppliers that report and read."""

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field

from app.core.types import UTCDateTime, new_id, utcnow
from app.tenancy.models import GroupScoped


class Member(GroupScoped, table=True):
    __tablename__ = "member"
    __table_args__ = (
        Index("ix_member_group_created", "group_id", "created_at", "id"),
        # The target of experience's (member_id, group_id) foreign key (an index, not a
        # constraint: SQLite can add one without rebuilding a table others refer to).
        Index("uq_member_id_group", "id", "group_id", unique=True),
        # Names are unique within a group, whatever their case (migration 0013).
        Index("uq_member_group_name", "group_id", text("lower(name)"), unique=True),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    industry: str | None = Field(default=None, max_length=120)
    country: str | None = Field(default=None, max_length=2)
    status: str = Field(default="active", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # When the member last submitted a line (reciprocity); set by every line write,
    # never cleared: a member that shared, shared.
    last_shared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
