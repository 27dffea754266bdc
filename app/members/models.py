"""Member companies of a group: the suppliers that report and read."""

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from app.core.types import UTCDateTime, new_id, utcnow
from app.tenancy.models import GroupScoped


class Member(GroupScoped, table=True):
    __tablename__ = "member"
    __table_args__ = (Index("ix_member_group_created", "group_id", "created_at", "id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    industry: str | None = Field(default=None, max_length=120)
    country: str | None = Field(default=None, max_length=2)
    status: str = Field(default="active", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
